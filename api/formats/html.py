"""HTML drafts: what the model reads of one, and the HTML its rewrite becomes.

`parse(draft)` reads the draft with BeautifulSoup (Python's HTML parser underneath, which
records where each element starts, so the tail can be cut from the draft byte for byte): the
tail (quoted thread and signature: thread.py) is returned as written when `sanitise.is_safe`
says so, sanitised otherwise; before it, `html_text.Walker` gives the visible text and its atoms.

`render(document, text, pieces)` writes the model's text (split by `Masked.pieces` into text and
atoms) as HTML in the draft's own style of paragraphs (`<p>`, Gmail's `<div>` lines, or `<br>`),
inside the start tags of the elements the tail closes, and sanitises it.
"""

from __future__ import annotations

import html
import re

from bs4 import BeautifulSoup, Tag

from . import sanitise, thread
from .document import Atom, Document
from .html_text import Walker
from .lines import Line, Pieces, blocks, split

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
    cut, offset = thread.find(soup, read)
    if offset is not None:
        offset -= 4 * sum(1 for at in inserted if at < offset)  # back to the draft as sent
    walker = Walker(stop=cut)
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
    return Document("html", text, atoms, head=head + lead, foot=foot, tail=tail, source=draft, style=style,
                    lists=soup.find(["ul", "ol"]) is not None)


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
