"""The model's text as lines, and lines as blocks: paragraphs, lists and block atoms. The HTML
rendering writes these; list items are lines starting `- `, `* ` or `1. `, indented two spaces
a level."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from .document import Atom

Pieces = Callable[[str], list["str | Atom"]]
_ITEM = re.compile(r"^(?P<indent>[ \t]*)(?:(?P<bullet>[-*•])|(?P<number>\d{1,3})[.)])[ \t]+(?P<rest>\S.*)$")


@dataclass
class Line:
    pieces: list[str | Atom]
    item: bool = False
    ordered: bool = False
    number: int | None = None
    indent: int = 0

    @property
    def blank(self) -> bool:
        return not self.item and all(isinstance(p, str) and not p.strip() for p in self.pieces)

    @property
    def atom(self) -> Atom | None:
        """The block atom this line is, if it is one and nothing else."""
        atoms = [p for p in self.pieces if not isinstance(p, str)]
        text = "".join(p for p in self.pieces if isinstance(p, str))
        if not self.item and len(atoms) == 1 and atoms[0].block and not text.strip():
            return atoms[0]
        return None


@dataclass
class Block:
    kind: Literal["paragraph", "list", "atom"]
    items: list[Line] = field(default_factory=list)
    gap: bool = False  # a blank line comes before it


def split(text: str, pieces: Pieces, items: bool = True) -> list[Line]:
    """`text` as lines; with `items`, "- " and "1. " lines are list items."""
    out = []
    for raw in text.replace("\r\n", "\n").split("\n"):
        match = _ITEM.match(raw) if items else None
        if match:
            indent = len(match["indent"].replace("\t", "  ")) // 2
            number = int(match["number"]) if match["number"] else None
            out.append(Line(pieces(match["rest"].rstrip()), True, number is not None, number, indent))
        else:
            out.append(Line(pieces(raw.strip())))
    return out


def blocks(lines: list[Line]) -> list[Block]:
    out: list[Block] = []
    gap = False
    for line in lines:
        if line.blank:
            gap = bool(out)
            continue
        kind = "atom" if line.atom is not None else "list" if line.item else "paragraph"
        if gap or kind == "atom" or not out or out[-1].kind != kind or out[-1].kind == "atom":
            out.append(Block(kind, gap=gap))
        gap = False
        out[-1].items.append(line)
    return out
