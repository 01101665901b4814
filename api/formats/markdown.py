"""Markdown drafts: the model reads the Markdown itself, with what must not break as atoms.

- The tail starts at the first line that opens a quoted thread or a signature: "On ... wrote:"
  (and its translations), "-----Original Message-----", a `-- ` signature line, or `>` quotes
  that run to the end. It is returned as written.
- markdown-it (CommonMark, with tables and strikethrough) finds the blocks: fenced and indented
  code, HTML blocks, tables and link reference definitions are block atoms: never sent.
- In the other lines inline code, links (inline, reference and autolinks), images, emphasis and
  inline HTML are atoms; list markers, headings and paragraphs stay text the model keeps.

`render` puts each atom's Markdown back where its token is.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

from .document import Atom, Document
from .thread import ATTRIBUTION

_MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])
_BLOCK_ATOMS = {"fence": "code_block", "code_block": "code_block", "html_block": "html", "table_open": "table"}
_INLINE = re.compile(
    r"(?P<code>(?<!`)(?P<ticks>`+)(?!`).+?(?<!`)(?P=ticks)(?!`))"
    r"|(?P<image>!\[(?P<alt>[^\]\n]*)\]\((?:[^()\s]|\([^()\s]*\))*(?:\s+\"[^\"\n]*\")?\))"
    r"|(?P<link>\[(?P<text>(?:[^\[\]\n]|\[[^\]\n]*\])+)\](?:\((?P<url>(?:[^()\s]|\([^()\s]*\))*)(?:\s+\"[^\"\n]*\")?\)"
    r"|\[(?P<ref>[^\]\n]*)\]))"
    r"|(?P<auto><(?P<target>(?:https?|mailto|tel):[^<>\s]+)>)"
    r"|(?P<anchor><a\s[^<>]*?href\s*=\s*(?:\"(?P<ahref>[^\"]*)\"|'(?P<ahref2>[^']*)')[^<>]*>(?P<atext>.*?)</a\s*>)"
    r"|(?P<comment><!--.*?-->)"
    r"|(?P<tag></?[A-Za-z][A-Za-z0-9-]*(?:\s[^<>]*)?/?>)"
    r"|(?P<strong>(?P<mark>\*\*\*|\*\*|___|__|~~)(?=\S)(?P<inner>.+?)(?<=\S)(?P=mark))"
    r"|(?P<em>(?<![\w*])\*(?=[^\s*])(?P<star>[^*\n]+?)(?<=[^\s*])\*(?![\w*])"
    r"|(?<![\w_])_(?=[^\s_])(?P<under>[^_\n]+?)(?<=[^\s_])_(?![\w_]))"
)
_DEFINITION = re.compile(r"^ {0,3}\[([^\]\n]+)\]:\s*\S", re.M)
_SHORTCUT = re.compile(r"(?<![\]!\\])\[([^\[\]\n]+)\](?![\[(:])")
_SIGNATURE = re.compile(r"^--[ \u00a0]*$")


def parse(draft: str) -> Document:
    lines = draft.splitlines(keepends=True)
    cut = _tail_line(lines)
    body = "".join(lines[:cut])
    tail = "".join(lines[cut:])
    held = _block_atoms(body)
    labels = {m.group(1).strip().lower() for m in _DEFINITION.finditer(body)}
    text_parts: list[str] = []
    atoms: list[tuple[int, int, Atom]] = []
    length = 0
    body_lines = body.splitlines(keepends=True)
    i = 0
    while i < len(body_lines):
        if i in held:
            end, kind = held[i]
            source = "".join(body_lines[i:end])
            markup = source.rstrip("\n")
            visible = _visible_block(kind, markup).strip() or kind  # its indentation stays in the markup
            atoms.append((length, length + len(visible), Atom(kind, visible, markup, block=True)))
            text_parts.append(visible + source[len(markup):])
            length += len(visible) + len(source) - len(markup)
            i = end
            continue
        line = body_lines[i]
        last = 0
        for match in _inline_matches(line, labels):
            text_parts.append(line[last:match.start()])
            length += match.start() - last
            atom = _inline_atom(match)
            atoms.append((length, length + len(atom.visible), atom))
            text_parts.append(atom.visible)
            length += len(atom.visible)
            last = match.end()
        text_parts.append(line[last:])
        length += len(line) - last
        i += 1
    text = "".join(text_parts)
    start, end = len(text) - len(text.lstrip()), len(text.rstrip())
    # blank space and invisible atoms (`<br>`) around the text go back around the rewrite as written
    head = _as_written(text, 0, start, [(a, atom) for a, b, atom in atoms if a < start])
    foot = _as_written(text, end, len(text), [(a, atom) for a, b, atom in atoms if a > end])
    inside = tuple((a - start, b - start, atom) for a, b, atom in atoms if start <= a <= end)
    return Document("markdown", text[start:end], inside, head=head, foot=foot, tail=tail, source=draft)


def _as_written(text: str, begin: int, end: int, atoms: list[tuple[int, Atom]]) -> str:
    """`text[begin:end]` (blank space) with the invisible atoms at their places, as markup."""
    out, at = [], begin
    for position, atom in sorted(atoms, key=lambda item: item[0]):
        out += [text[at:position], atom.markup]
        at = position
    return "".join(out) + text[at:end]


def render(document: Document, text: str, pieces) -> str:
    body = "".join(piece if isinstance(piece, str) else piece.markup for piece in pieces(text.strip()))
    foot = document.foot if not document.tail or "\n" in document.foot else document.foot + "\n"
    return document.head + body + foot + document.tail


def _tail_line(lines: list[str]) -> int:
    """The index of the line the quoted thread or signature starts at (len(lines): none)."""
    for i, line in enumerate(lines):
        bare = line.rstrip("\r\n")
        if _SIGNATURE.match(bare) or ATTRIBUTION.match(bare.lstrip("> ")) and bare.strip() not in ("--",):
            return i
        if bare.startswith(">") and all(not rest.strip() or rest.startswith(">") for rest in lines[i:]) \
                and any(not earlier.strip() for earlier in lines[:i][-1:]) and i > 0:
            return i
    return len(lines)


def _block_atoms(body: str) -> dict[int, tuple[int, str]]:
    """First line -> (line after the last, kind) of each block that is never sent."""
    held: dict[int, tuple[int, str]] = {}
    covered: set[int] = set()
    for token in _MD.parse(body):
        if token.map is None:
            continue
        start, end = token.map
        # code, tables and HTML at any depth (a code block in a list item too), unless inside one held already
        if token.type in _BLOCK_ATOMS and not any(a <= start < b for a, (b, _) in held.items()):
            held[start] = (end, _BLOCK_ATOMS[token.type])
        if token.level == 0:
            covered.update(range(start, end))
    lines = body.splitlines()
    for i, line in enumerate(lines):  # not in any block: link reference definitions
        if i not in covered and line.strip() and not any(start <= i < end for start, (end, _) in held.items()):
            held[i] = (i + 1, "reference")
    return dict(sorted(held.items()))


def _visible_block(kind: str, markup: str) -> str:
    if kind == "code_block":
        lines = markup.splitlines()
        if lines and re.match(r"^\s*(```|~~~)", lines[0]):
            lines = lines[1:-1] if len(lines) > 1 and re.match(r"^\s*(```|~~~)", lines[-1]) else lines[1:]
        return "\n".join(lines) or kind
    return markup


def _inline_matches(line: str, labels: set[str]) -> list[re.Match[str]]:
    """The line's inline atoms in order: `_INLINE`'s, then shortcut reference links (`[FAQ]`
    with a definition `[FAQ]: url`) in the text between them."""
    found = list(_INLINE.finditer(line))
    if labels:
        taken = [(m.start(), m.end()) for m in found]
        found += [m for m in _SHORTCUT.finditer(line)
                  if m.group(1).strip().lower() in labels and not any(a < m.end() and m.start() < b for a, b in taken)]
    return sorted(found, key=lambda m: m.start())


def _inline_atom(match: re.Match[str]) -> Atom:
    if match.re is _SHORTCUT:
        return Atom("link", match.group(1), match.group(0), href=match.group(0))
    source = match.group(0)
    if match["code"]:
        return Atom("code", source.strip("`").strip() or source, source)
    if match["image"]:
        return Atom("image", match["alt"] or "", source)
    if match["link"]:
        href = match["url"] if match["url"] is not None else None
        return Atom("link", match["text"], source, href=href or (f"[{match['ref'] or match['text']}]"))
    if match["auto"]:
        return Atom("link", match["target"], source, href=match["target"])
    if match["anchor"]:
        return Atom("link", re.sub(r"<[^<>]*>", "", match["atext"]).strip(), source,
                    href=match["ahref"] if match["ahref"] is not None else match["ahref2"])
    if match["comment"]:
        return Atom("html", "", source)
    if match["tag"]:
        return Atom("html", "", source)
    inner = match["inner"] or match["star"] or match["under"] or ""
    return Atom("emphasis", inner, source)
