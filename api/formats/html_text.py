"""The visible text of an HTML reply and its atoms: `Walker` walks the parsed draft up to its
tail, writing paragraphs and `<div>` lines as lines, `<br>` as a line break, list items as `- `
or `1. ` lines, and each link, emphasis, image, table, code block, quote or hidden element as an
`Atom` at its span (sanitised markup, a link's `href`)."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag

from . import sanitise
from .document import Atom
from .elements import BLOCK_ATOMS, INLINE_ATOMS, LINES, PARAGRAPHS, SKIP, hidden, is_block, pixel

_SPACE = re.compile(r"[ \t\r\n\f]+")
_BLANKS = re.compile(r"[ ]*\n(?:[ ]*\n)+|[ ]+\n")
_MARKER_END = re.compile(r"(?:^|\n) *(?:- |\d+\. )$")


class Walker:
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
        if name in SKIP:
            return
        holds = self._holds_stop(tag)  # the tail starts inside it: walked, never an atom
        if hidden(tag) and not holds:  # preview text, an agent's hidden note
            self.atom(Atom("hidden", "", sanitise.clean(str(tag))))
            return
        if name == "br":
            self.line_break()
            return
        if name == "img":
            self.atom(Atom("image", (tag.get("alt") or "").strip() if not pixel(tag) else "",
                           sanitise.clean(str(tag))))
            return
        if name == "hr":
            self.atom(Atom("rule", "", "<hr>", block=True))
            return
        if not holds and name == "blockquote" and tag.get_text().strip():  # a quote the reply goes on after
            self.atom(Atom("quote", _block_text(tag), sanitise.clean(str(tag)), block=True))
            return
        if not holds and name in BLOCK_ATOMS and tag.get_text().strip():
            self.atom(Atom(BLOCK_ATOMS[name], _block_text(tag), sanitise.clean(str(tag)), block=True))
            return
        if not holds and name == "a" and tag.get("href") and tag.find(is_block):
            # a link around blocks (an email's button around a table): kept whole, on lines of its own
            markup = sanitise.clean(str(tag))
            cleaned = BeautifulSoup(markup, "html.parser").find("a")
            self.atom(Atom("link", _SPACE.sub(" ", tag.get_text()).strip(), markup,
                           href=cleaned.get("href") if cleaned is not None else None, block=True))
            return
        if not holds and name in INLINE_ATOMS and not tag.find(is_block):
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
                self.atom(Atom(INLINE_ATOMS[name] if href or name != "a" else "emphasis", visible, markup,
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
        if name in PARAGRAPHS:
            self.newline(1 if self.items else 2)
            self.walk(tag)
            self.newline(1 if self.items else 2)
            return
        if name in LINES or name in BLOCK_ATOMS or name == "blockquote":
            self.newline(1)
            self.walk(tag)
            self.newline(1)
            return
        self.walk(tag)  # span, font and other inline wrappers: their text only


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
