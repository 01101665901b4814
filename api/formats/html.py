"""HTML drafts: what the model reads of one, and the HTML its rewrite becomes.

`parse(draft)` reads the draft with BeautifulSoup (Python's HTML parser underneath, which
records where each element starts, so the tail can be cut from the draft byte for byte):

- The tail starts at the first quoted thread or signature: a `<blockquote>`, an element whose
  class or id marks a quote or signature (`gmail_quote`, `divRplyFwdMsg`, `moz-signature`...),
  an Outlook `<hr>` followed by "From:", or a line such as "On ... wrote:" or "-- ". It is
  returned as written when `sanitise.is_safe` says so, sanitised otherwise.
- Before it: paragraphs and `<div>` lines become lines, `<br>` a line break, list items `- `
  or `1. ` lines; links, bold and italic text, inline code and images become inline atoms,
  tables, `<pre>` and headings block atoms; script, style, forms and comments are dropped.

`render(document, pieces)` writes the model's text (split by `Masked.pieces` into text and
atoms) as HTML in the draft's own style of paragraphs, and sanitises it.
"""

from __future__ import annotations

import html
import re
from bs4 import BeautifulSoup, Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag

from . import sanitise
from .document import Atom, Document
from .lines import Line, Pieces, blocks, split

_SKIP = frozenset("script style head title meta link template noscript iframe frame frameset object embed "
                  "applet form input button select textarea option svg math canvas audio video base".split())
_INLINE_ATOMS = {
    "a": "link", "b": "emphasis", "strong": "emphasis", "i": "emphasis", "em": "emphasis", "u": "emphasis",
    "mark": "emphasis", "s": "emphasis", "strike": "emphasis", "del": "emphasis", "ins": "emphasis",
    "sub": "emphasis", "sup": "emphasis", "small": "emphasis", "big": "emphasis", "cite": "emphasis",
    "q": "emphasis", "abbr": "emphasis", "code": "code", "kbd": "code", "tt": "code", "samp": "code",
}
_BLOCK_ATOMS = {"table": "table", "pre": "code_block", "h1": "heading", "h2": "heading", "h3": "heading",
                "h4": "heading", "h5": "heading", "h6": "heading", "dl": "list"}
_PARAGRAPHS = frozenset("p address figure figcaption details summary fieldset".split())
_LINES = frozenset("div section article header footer main aside nav center dd dt li tr".split())
# class or id of a quoted thread or signature: Gmail, Outlook (divRplyFwdMsg, divRpF..., the new
# Outlook's reference-message container, Outlook for Mac's OLK_SRC_BODY_SECTION), Thunderbird,
# Yahoo, Zoho (zmail_extra, Zm-_Id_-Sgn), Freshdesk, Front...
_QUOTE_MARKS = re.compile(
    r"quote|signature|divrplyfwdmsg|divrpf|appendonsend|reply-?intro|moz-cite-prefix|reference-message"
    r"|olk_src_body_section|zmail_extra|_sgn\b|-sgn\b", re.I,
)
_ATTRIBUTION = re.compile(
    r"^\s*(?:(?:On|Le|El|Am|Em|Il giorno|Op)\s.{1,300}?\s(?:wrote|a\s+écrit|escribió|schrieb.{0,60}|escreveu"
    r"|ha scritto|schreef.{0,60})\s?:\s*(?:\n|$)"
    r"|-{2,}\s*(?:Original Message|Forwarded message|Ursprüngliche Nachricht|Mensaje original|Message d'origine"
    r"|Mensagem original|Messaggio originale|Oorspronkelijk bericht)\s*-{2,}|--[ \u00a0]*$)",
    re.I | re.S,
)
# "Sent from my iPhone", "Sent from Mail for Windows" and their translations: a signature line on its own
_SENT_FROM = re.compile(
    r"^(?:Sent from (?:my )?[\w .-]{2,30}|Get Outlook for \w+|Enviado desde (?:mi )?[\w .-]{2,30}"
    r"|Envoyé de (?:mon )?[\w .-]{2,30}|Von meinem [\w .-]{2,30} gesendet|Enviado do (?:meu )?[\w .-]{2,30})$", re.I,
)
_SENT_PREFIX = re.compile(r"^\s*(?:Sent from|Get Outlook|Enviado desde|Envoyé de|Von meinem|Enviado do)\b", re.I)
_SIGNATURE_LINE = re.compile(r"^\s*--[ \u00a0]*$")
_FROM = re.compile(r"^\s*(?:From|De|Von|Van|Da)\s*:", re.I)
_HEADER = re.compile(r"(?:^|\s)(Sent|Date|To|Subject|Gesendet|Datum|An|Betreff|Enviado|Fecha|Para|Asunto|Envoyé|"
                     r"Objet|À|Data|Assunto|Verzonden|Aan|Onderwerp|Inviato|Oggetto|A)\s*:", re.I)
_SPACE = re.compile(r"[ \t\r\n\f]+")
_BLANKS = re.compile(r"[ ]*\n(?:[ ]*\n)+|[ ]+\n")
_MARKER_END = re.compile(r"(?:^|\n) *(?:- |\d+\. )$")


MAX_DEPTH = 200  # elements inside elements: deeper than any mail client writes


class TooDeep(ValueError):
    """The HTML nests elements deeper than `MAX_DEPTH`."""


def parse(draft: str) -> Document:
    read, inserted = _literal_ampersands(draft)
    opened = read.rfind("<!--")
    if opened >= 0 and "-->" not in read[opened + 2:]:
        # a comment left open hides the rest from a reader (a browser reads it so): it goes with the
        # tail, which is sanitised for it
        read = read[:opened]
    soup = BeautifulSoup(read, "html.parser")
    _check_depth(soup)
    cut, offset = _tail(soup, read)
    if offset is not None:
        offset -= 4 * sum(1 for at in inserted if at < offset)  # back to the draft as sent
    walker = _Walker(stop=cut)
    walker.walk(soup)
    breaks = "".join(walker.parts).rstrip(" \u00a0")
    breaks_before_tail = len(breaks) - len(breaks.rstrip("\n"))  # 1: a line break, 2: a blank line
    text, atoms = walker.finish()
    head = "".join(_start_tag(tag) for tag in reversed(list(cut.parents)) if isinstance(tag, Tag)
                   and tag.name != "[document]") if isinstance(cut, Tag) else ""
    if offset is None and len(read) < len(draft) + 4 * len(inserted):
        offset = len(read) - 4 * len(inserted)  # the open comment
    tail = draft[offset:] if offset is not None else ""
    if tail and not sanitise.is_safe(tail):
        tail = sanitise.clean(tail)
    lead = "".join(a.markup for a in walker.leading)
    foot = "".join(a.markup for a in walker.trailing)
    style = "p" if soup.find("p") else "div" if soup.find("div") else "br"
    if isinstance(cut, Tag) and _inside_text_only(cut):
        style = "br"  # the reply goes inside a <p> (or the like) that the tail closes: no blocks in it
    if tail and breaks_before_tail:  # the line break or blank line between the reply and the quoted thread
        blank = breaks_before_tail > 1
        foot += {"div": "<div><br></div>" if blank else "", "br": "<br><br>" if blank else "<br>"}.get(style, "")
    return Document("html", text, atoms, head=head + lead, foot=foot, tail=tail, source=draft, style=style, lists=soup.find(["ul", "ol"]) is not None,
                    meta={"links": sum(1 for *_, a in atoms if a.href), "tail": len(tail)})


def render(document: Document, text: str, pieces: Pieces) -> str:
    """The HTML of a rewrite: `text` is the model's (masked); `pieces` splits a line of it into
    text and atoms."""
    body = []
    apart, together = {"div": ("<div><br></div>", ""), "br": ("<br><br>", "<br>")}.get(document.style, ("", ""))
    for block in blocks(split(text, pieces, items=document.lists)):
        if body:
            body.append(apart if block.gap else together)
        if block.kind == "atom":
            atom = block.items[0].atom
            assert atom is not None
            body.append(atom.markup)
        elif block.kind == "list":
            body.append(_list(block.items))
        else:
            body.append(_paragraph([_inline(line.pieces) for line in block.items], document.style))
    return document.head + sanitise.clean("".join(body)) + document.foot + document.tail


def _inline(pieces: list[str | Atom]) -> str:
    return "".join(html.escape(p, quote=False) if isinstance(p, str) else p.markup for p in pieces)


def _paragraph(lines: list[str], style: str) -> str:
    if style == "div":
        return "".join(f"<div>{line or '<br>'}</div>" for line in lines)
    if style == "br":
        return "<br>".join(lines)
    return f"<p>{'<br>'.join(lines)}</p>"


def _list(items: list[Line]) -> str:
    """Nested lists from indented items: each deeper item opens a list inside the item before it."""
    out: list[str] = []
    stack: list[tuple[int, str]] = []  # (indent, tag) of the open lists
    for item in items:
        tag = "ol" if item.ordered else "ul"
        while stack and item.indent < stack[-1][0]:
            out.append(f"</li></{stack.pop()[1]}>")
        if not stack or item.indent > stack[-1][0]:
            start = f' start="{item.number}"' if tag == "ol" and item.number not in (None, 1) else ""
            out.append(f"<{tag}{start}>")
            stack.append((item.indent, tag))
        else:
            out.append("</li>")
        out.append(f"<li>{_inline(item.pieces)}")
    while stack:
        out.append(f"</li></{stack.pop()[1]}>")
    return "".join(out)


# --- reading -------------------------------------------------------------------------------

_TAG_SOURCE = re.compile(r"<[A-Za-z][^<>]*>")
_AMPERSAND = re.compile(r"&(?![A-Za-z][A-Za-z0-9]*;|#[0-9]+;|#[xX][0-9A-Fa-f]+;)")


def _literal_ampersands(draft: str) -> tuple[str, list[int]]:
    """`draft` with each `&` in a tag that starts no `;`-ended character reference written as
    `&amp;`, and where each was (offsets into the result). A browser reads `?a=1&region=eu` in an
    href as written; Python's parser would read `&reg` as "®"."""
    if "&" not in draft:
        return draft, []
    out, inserted, last = [], [], 0
    for tag in _TAG_SOURCE.finditer(draft):
        source = tag.group(0)
        if "&" not in source:
            continue
        out.append(draft[last:tag.start()])
        for match in _AMPERSAND.finditer(source):
            inserted.append(tag.start() + match.start() + 4 * len(inserted))
        out.append(_AMPERSAND.sub("&amp;", source))
        last = tag.end()
    out.append(draft[last:])
    return "".join(out), inserted


def _check_depth(soup: BeautifulSoup) -> None:
    stack = [(soup, 0)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise TooDeep(f"the HTML nests elements more than {MAX_DEPTH} deep")
        stack.extend((child, depth + 1) for child in node.contents if isinstance(child, Tag))


def _tail(soup: BeautifulSoup, draft: str) -> tuple[Tag | NavigableString | None, int | None]:
    """The node the quoted thread or signature starts at, and its offset in `draft`: the first
    quote or signature found, or the outermost element it opens (nothing visible before it there:
    Outlook's header `<div>` inside a `<div>`, a `<p>` that starts with "-- ")."""
    starts = _line_starts(draft)
    for node in soup.descendants:
        if isinstance(node, Tag):
            found = node.name == "blockquote" and not _text_follows(node) or _marked(node) \
                or (node.name == "hr" and _from_follows(node)) or node.name == "a" and node.get("name") == "_MailAutoSig"
        else:
            found = type(node) is NavigableString and not _in_atom(node) and _starts_tail(node) \
                and _starts_line(node)
        if not found:
            continue
        top = _opened_by(node)
        if isinstance(top, Tag):
            return top, _offset(top, starts)
        at = _text_offset(top, draft, starts)
        if at is not None:
            return top, at
    return None, None


def _marked(tag: Tag) -> bool:
    marks = " ".join([*tag.get("class", []), str(tag.get("id", ""))])
    return bool(marks.strip()) and bool(_QUOTE_MARKS.search(marks)) or tag.has_attr("data-sigid")


def _starts_tail(node: NavigableString) -> bool:
    """An attribution ("On ... wrote:"), a signature line ("-- ", "Sent from my iPhone") or an
    Outlook reply header ("From: ..." followed by "Sent:" or "Date:")."""
    text = str(node)
    if _ATTRIBUTION.match(text):
        return True
    if _FROM.match(text):  # a reply header: at least two more of its lines (Sent:, To:, Subject:...)
        keys = {key.lower() for key in _HEADER.findall((text + " " + _text_after(node, 24))[:400])}
        return len(keys) >= 2
    if not _SENT_PREFIX.match(text):
        return False
    block = node.find_parent(_is_block)
    line = _SPACE.sub(" ", block.get_text() if block is not None else text).strip()
    return len(line) <= 60 and line.startswith(text.strip()) and bool(_SENT_FROM.match(line))


_BREAKS = frozenset("br p div li ul ol blockquote hr table tr td th h1 h2 h3 h4 h5 h6 pre section article "
                    "header footer address center dd dt".split())


def _starts_line(node: NavigableString) -> bool:
    """Whether a text node starts a line: no text comes before it since the last line break or
    block boundary ("-- " in "see page 4 -- thanks" is no signature)."""
    before = node.previous_element
    while before is not None:
        if isinstance(before, Tag):
            if before.name in _BREAKS:
                return True
        elif type(before) is NavigableString and before.strip():
            if before.endswith("\n"):
                return True
            # a block that holds the earlier text but not this one ends between them
            around = {id(parent) for parent in node.parents}
            for parent in before.parents:
                if id(parent) in around:
                    return False
                if parent.name in _BREAKS:
                    return True
            return False
        before = before.previous_element
    return True


def _text_after(node: NavigableString, strings: int) -> str:
    return " ".join(str(s) for s in node.find_all_next(string=True, limit=strings))


def _from_follows(hr: Tag) -> bool:
    following = hr.find_next(string=lambda s: bool(s.strip()))
    return following is not None and bool(_FROM.match(str(following)))


def _in_atom(node: NavigableString) -> bool:
    """Inside a link: "On ... wrote:" as a link's text starts no thread (bold text may: Outlook's "From:")."""
    return any(parent.name == "a" for parent in node.parents if isinstance(parent, Tag))


def _text_follows(quote: Tag) -> bool:
    """Whether the agent's own text follows a `<blockquote>` (a policy quoted mid-reply), rather
    than nothing, or a signature or another quote."""
    last = quote
    while isinstance(last, Tag) and last.contents:
        last = last.contents[-1]
    for string in last.find_all_next(string=True):
        if not string.strip() or type(string) is not NavigableString:
            continue
        inside = next((p for p in string.parents if isinstance(p, Tag) and (p.name == "blockquote" or _marked(p))),
                      None)
        return inside is None and not _ATTRIBUTION.match(string) and not _SIGNATURE_LINE.match(string)
    return False


def _opened_by(node: Tag | NavigableString) -> Tag | NavigableString:
    """The outermost element that `node` opens: nothing visible comes before it there."""
    top = node
    for parent in node.parents:
        if not isinstance(parent, Tag) or parent.name in ("[document]", "html", "body"):
            break
        before = top.previous_siblings
        if any(_visible(sibling) for sibling in before):
            break
        top = parent
    return top


def _visible(node) -> bool:
    if isinstance(node, Tag):
        return node.name in ("img", "hr", "table") or node.name not in _SKIP and bool(node.get_text().strip())
    return type(node) is NavigableString and bool(str(node).strip())


def _line_starts(draft: str) -> list[int]:
    starts = [0]
    starts += [i + 1 for i, ch in enumerate(draft) if ch == "\n"]
    return starts


def _offset(tag: Tag, starts: list[int]) -> int | None:
    if tag.sourceline is None or tag.sourcepos is None:
        return None
    return starts[tag.sourceline - 1] + tag.sourcepos


def _text_offset(node: NavigableString, draft: str, starts: list[int]) -> int | None:
    """Where a text node starts in `draft`: its first characters, the last time they come before
    the next element (text runs up to the next tag)."""
    before = node.previous_element
    while before is not None and not isinstance(before, Tag):
        before = before.previous_element
    after = node.next_element
    while after is not None and not isinstance(after, Tag):
        after = after.next_element
    begin = _offset(before, starts) if isinstance(before, Tag) else 0
    end = _offset(after, starts) if isinstance(after, Tag) else len(draft)
    if begin is None or end is None:
        return None
    text = str(node).strip()
    for first in (text, text[:2]):  # as written, or (with entities in it) its first characters
        at = draft.rfind(first, begin, end)
        if at >= 0:
            return at
    return None


_FLOW = frozenset("div blockquote section article main header footer aside nav center td th li dd body html "
                  "[document]".split())


def _inside_text_only(cut: Tag) -> bool:
    """Whether the element around the tail holds text only (a `<p>`, a `<span>`): the rewrite
    written inside it cannot have paragraphs or lists."""
    parent = cut.parent
    return parent is not None and parent.name not in _FLOW


def _start_tag(tag: Tag) -> str:
    """A wrapper's start tag, sanitised (its end tag is in the tail)."""
    if tag.name not in sanitise.TAGS:
        return ""
    shell = str(Tag(name=tag.name, attrs=tag.attrs, can_be_empty_element=False))
    cleaned = sanitise.clean(shell)
    return cleaned[: -len(f"</{tag.name}>")] if cleaned.endswith(f"</{tag.name}>") else ""


class _Walker:
    """Walks the draft up to the tail, building its lines of text and its atoms."""

    def __init__(self, stop: Tag | NavigableString | None) -> None:
        self.stop = stop
        self.stopped = False
        self.parts: list[str] = []
        self.atoms: list[tuple[int, int, Atom]] = []
        self.leading: list[Atom] = []
        self.trailing: list[Atom] = []
        self.lists: list[list] = []  # [tag, count] of the open lists
        self.length = 0
        self.floor = 0  # where the last atom ends: spaces before it are not trimmed
        self.has_text = False
        self.items = 0  # list items open: a paragraph in one is a line, not a blank-line paragraph

    # building: `parts` are the text so far, `length` its length
    def _push(self, value: str) -> None:
        self.parts.append(value)
        self.length += len(value)
        self.has_text = self.has_text or bool(value.strip())

    def _recent(self, size: int = 16) -> str:
        """The last `size` characters of the text."""
        out, have = [], 0
        for part in reversed(self.parts):
            out.append(part)
            have += len(part)
            if have >= size:
                break
        return "".join(reversed(out))[-size:]

    def _trim_spaces(self) -> None:
        """Spaces at the end of the line go (not those before an atom's end: its span stays right)."""
        while self.parts and self.parts[-1].endswith(" ") and self.length > self.floor:
            part = self.parts[-1]
            keep = max(len(part.rstrip(" ")), len(part) - (self.length - self.floor))
            self.length -= len(part) - keep
            self.parts[-1] = part[:keep]
            if keep == len(part):
                break

    def text(self, value: str) -> None:
        value = _SPACE.sub(" ", value)
        if self._at_line_start():
            value = value.lstrip(" \u00a0")  # an Outlook "<p>&nbsp;</p>" is a blank line
        if value:
            self._flush_trailing()
            self._push(value)

    def _at_line_start(self) -> bool:
        return not self.has_text or self._recent().endswith("\n") or self._ends_with_marker()

    def _ends_with_marker(self) -> bool:
        return bool(_MARKER_END.search(self._recent()))

    def atom(self, atom: Atom) -> None:
        """An atom at the end of the text; one a reader does not see (a tracking pixel) before
        any text goes before the body, after all text after it, else it takes no room."""
        if not atom.visible.strip() and not atom.block:
            (self.trailing if self.has_text else self.leading).append(atom)
            return
        self._flush_trailing()
        if atom.block:
            self.newline(2)
        start = self.length
        self._push(atom.visible)
        self.atoms.append((start, self.length, atom))
        self.floor = self.length
        if atom.block and not atom.visible:
            self._push("\n\n")  # a rule: on a line of its own, though it has no text
        elif atom.block:
            self.newline(2)

    def _flush_trailing(self) -> None:
        for atom in self.trailing:  # text follows after all: in place, as a span of no text
            self.atoms.append((self.length, self.length, atom))
            self.floor = self.length
        self.trailing.clear()

    def newline(self, count: int = 1) -> None:
        """End the line; with `count` 2 leave a blank line (a paragraph). Nothing before any
        text, after a list item's marker, or once the tail has begun."""
        if not self.has_text or self.stopped or self._ends_with_marker():
            return
        self._trim_spaces()
        recent = self._recent(4)
        have = len(recent) - len(recent.rstrip("\n"))
        if have < count:
            self._push("\n" * (count - have))

    def line_break(self) -> None:
        self._trim_spaces()
        self._push("\n")

    def finish(self) -> tuple[str, tuple[tuple[int, int, Atom], ...]]:
        """The text with blank lines collapsed to one and spaces at line ends gone, and the atoms'
        spans in it: collapsed piece by piece between atom boundaries, so an atom without text (a
        rule) keeps its own line, in one pass."""
        text = "".join(self.parts)
        cuts = sorted({0, len(text), *(p for s, e, _ in self.atoms for p in (s, e))})
        out, where, length = [], {}, 0
        for start, end in zip(cuts, cuts[1:]):
            where[start] = length
            piece = _BLANKS.sub(lambda m: "\n\n" if m.group(0).count("\n") > 1 else "\n", text[start:end])
            out.append(piece)
            length += len(piece)
        where[len(text)] = length
        new_text = "".join(out)
        atoms = [(where[s], where[e], atom) for s, e, atom in self.atoms]
        stripped = new_text.rstrip()
        lead = len(new_text) - len(new_text.lstrip())
        size = len(stripped) - lead

        def within(position: int) -> int:
            return min(max(position - lead, 0), size)

        return stripped.lstrip(), tuple((within(s), within(e), a) for s, e, a in atoms)

    # walking
    def walk(self, node: Tag) -> None:
        for child in node.children:
            if self.stopped:
                return
            if child is self.stop:
                self.stopped = True
                return
            if isinstance(child, (Comment, Doctype, Declaration, ProcessingInstruction)):
                continue
            if isinstance(child, NavigableString):
                self.text(str(child))
            elif isinstance(child, Tag):
                self.element(child)

    def _holds_stop(self, tag: Tag) -> bool:
        return self.stop is not None and any(parent is tag for parent in self.stop.parents)

    def element(self, tag: Tag) -> None:
        name = tag.name.lower()
        if name in _SKIP:
            return
        if _hidden(tag) and not self._holds_stop(tag):  # preview text, an agent's hidden note
            self.atom(Atom("hidden", "", sanitise.clean(str(tag))))
            return
        if name == "br":
            self.line_break()
            return
        if name == "img":
            self.atom(Atom("image", (tag.get("alt") or "").strip() if not _pixel(tag) else "",
                           sanitise.clean(str(tag))))
            return
        if name == "hr":
            self.atom(Atom("rule", "", "<hr>", block=True))
            return
        holds = self._holds_stop(tag)
        if not holds and name == "blockquote" and tag.get_text().strip():  # a quote the reply goes on after
            self.atom(Atom("quote", _block_text(tag), sanitise.clean(str(tag)), block=True))
            return
        if not holds and name in _BLOCK_ATOMS and tag.get_text().strip():
            self.atom(Atom(_BLOCK_ATOMS[name], _block_text(tag), sanitise.clean(str(tag)), block=True))
            return
        if not holds and name == "a" and tag.get("href") and tag.find(_is_block):
            # a link around blocks (an email's button around a table): kept whole, on lines of its own
            markup = sanitise.clean(str(tag))
            cleaned = BeautifulSoup(markup, "html.parser").find("a")
            self.atom(Atom("link", _SPACE.sub(" ", tag.get_text()).strip(), markup,
                           href=cleaned.get("href") if cleaned is not None else None, block=True))
            return
        if not holds and name in _INLINE_ATOMS and not tag.find(_is_block):
            visible = _SPACE.sub(" ", tag.get_text()).strip()
            markup = sanitise.clean(str(tag))
            href = None
            if name == "a":
                cleaned = BeautifulSoup(markup, "html.parser").find("a")
                href = cleaned.get("href") if cleaned is not None else None
                if not visible:
                    image = tag.find("img")
                    visible = (image.get("alt") or "").strip() if image is not None else ""
                if href is None and not tag.get("href"):  # an anchor, not a link
                    self.walk(tag)
                    return
            if visible or href:  # an empty link is kept where it is, like an image no one sees
                self.atom(Atom(_INLINE_ATOMS[name] if href or name != "a" else "emphasis", visible, markup,
                               href=href))
            return
        if name in ("ul", "ol"):
            self.newline(1)
            self.lists.append([name, _start(tag) - 1])
            self.walk(tag)
            self.lists.pop()
            self.newline(1)
            return
        if name == "li" and self.lists:
            self.newline(1)
            kind = self.lists[-1]
            kind[1] += 1
            indent = "  " * (len(self.lists) - 1)
            self._push(f"{indent}{kind[1]}. " if kind[0] == "ol" else f"{indent}- ")
            self.items += 1
            self.walk(tag)
            self.items -= 1
            self.newline(1)
            return
        if name in _PARAGRAPHS:
            self.newline(1 if self.items else 2)
            self.walk(tag)
            self.newline(1 if self.items else 2)
            return
        if name in _LINES or name in _BLOCK_ATOMS or name == "blockquote":
            self.newline(1)
            self.walk(tag)
            self.newline(1)
            return
        self.walk(tag)  # span, font and other inline wrappers: their text only


def _is_block(tag: Tag) -> bool:
    return tag.name in _PARAGRAPHS or tag.name in _LINES or tag.name in _BLOCK_ATOMS or tag.name in (
        "ul", "ol", "blockquote", "table")


def _hidden(tag: Tag) -> bool:
    """Not shown to a reader: `hidden`, `display:none`, `visibility:hidden`, Outlook's `mso-hide:all`."""
    style = str(tag.get("style", "")).replace(" ", "").lower()
    return tag.has_attr("hidden") or any(
        mark in style for mark in ("display:none", "visibility:hidden", "mso-hide:all"))


def _pixel(tag: Tag) -> bool:
    """A tracking pixel: an image one pixel (or none) wide or high, or hidden."""
    sizes = [str(tag.get(k, "")).strip().removesuffix("px") for k in ("width", "height")]
    style = str(tag.get("style", "")).replace(" ", "").lower()
    return any(s in ("0", "1") for s in sizes) or "display:none" in style


def _start(tag: Tag) -> int:
    try:
        return int(tag.get("start", 1)) if tag.name == "ol" else 1
    except (TypeError, ValueError):
        return 1


def _block_text(tag: Tag) -> str:
    """A table's visible text row by row (cells apart by " | "); other blocks' text as lines."""
    if tag.name == "table":
        rows = []
        for row in (row for row in tag.find_all("tr") if row.find_parent("table") is tag):  # a nested table is in its cell
            cells = [_SPACE.sub(" ", cell.get_text()).strip() for cell in row.find_all(["td", "th"], recursive=False)]
            if any(cells):
                rows.append(" | ".join(cells))
        return "\n".join(rows)
    if tag.name == "pre":
        return tag.get_text().strip()
    return _SPACE.sub(" ", tag.get_text()).strip()
