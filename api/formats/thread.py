"""Where a reply's quoted thread or signature starts in an HTML draft: the first `<blockquote>`
that nothing of the agent's own follows, an element whose class or id marks a quote or signature
(`gmail_quote`, `divRplyFwdMsg`, `moz-signature`...), an Outlook rule followed by "From:", a
"From:" line followed by two more of a reply header's lines, or a line such as "On ... wrote:",
"-----Original Message-----", "Sent from my iPhone" or "-- " (and these in Spanish, French,
German, Portuguese, Italian and Dutch). `find` gives the outermost element that starts it and its
offset in the draft, so the tail is cut byte for byte."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, NavigableString, Tag

from .elements import SKIP, is_block

# class or id of a quoted thread or signature: Gmail, Outlook (divRplyFwdMsg, divRpF..., the new
# Outlook's reference-message container, Outlook for Mac's OLK_SRC_BODY_SECTION), Thunderbird,
# Yahoo, Zoho (zmail_extra, Zm-_Id_-Sgn), Freshdesk, Front...
_QUOTE_MARKS = re.compile(
    r"quote|signature|divrplyfwdmsg|divrpf|appendonsend|reply-?intro|moz-cite-prefix|reference-message"
    r"|olk_src_body_section|zmail_extra|_sgn\b|-sgn\b", re.I,
)
ATTRIBUTION = re.compile(
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


def find(soup: BeautifulSoup, draft: str) -> tuple[Tag | NavigableString | None, int | None]:
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
    if ATTRIBUTION.match(text):
        return True
    if _FROM.match(text):  # a reply header: at least two more of its lines (Sent:, To:, Subject:...)
        keys = {key.lower() for key in _HEADER.findall((text + " " + _text_after(node, 24))[:400])}
        return len(keys) >= 2
    if not _SENT_PREFIX.match(text):
        return False
    block = node.find_parent(is_block)
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
        return inside is None and not ATTRIBUTION.match(string) and not _SIGNATURE_LINE.match(string)
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
        return node.name in ("img", "hr", "table") or node.name not in SKIP and bool(node.get_text().strip())
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
