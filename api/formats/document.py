"""A formatted draft made ready for the model, and how the model's text becomes that format again.

`Document.text` is what the model reads: the draft's visible text, line by line (paragraphs
apart by a blank line, list items as `- ` or `1. ` lines), with each inline structure that must
not break (a link, bold or italic text, inline code, an image, a table, a code block) as an
`Atom` at a span of it. The guard masks each atom as an opaque token the model copies
(`api.guard.mask`); a dropped token is a lost fact (a link's `href`) or lost text. The quoted
thread and the signature (`tail`) never reach the model: they come back as they came.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from . import sanitise

Format = Literal["text", "markdown", "html"]


@dataclass(frozen=True)
class Atom:
    """Inline or block structure the model sees as one token."""

    kind: str  # link, image, emphasis, code, table, code_block, heading, html, reference
    visible: str  # what a reader sees of it (a link's text, an image's alt text): what the guard reads
    markup: str  # what it is written as in the format, sanitised for HTML
    href: str | None = None  # a link's target: a protected fact
    block: bool = False  # stands on lines of its own (a table, a code block)

    @property
    def name(self) -> str:
        """How a violation names it: the link's target, else its kind and text."""
        if self.href:
            return self.href
        return self.visible if self.visible.strip() else self.kind


@dataclass(frozen=True)
class Document:
    format: Format
    text: str  # the visible text the model rewrites, each atom at its span
    atoms: tuple[tuple[int, int, Atom], ...] = ()
    head: str = ""  # written before the rendered body: the start tags of the elements around the tail
    foot: str = ""  # written after it: trailing invisible images (a tracking pixel)
    tail: str = ""  # the quoted thread and the signature, returned as they are (sanitised when unsafe)
    source: str = ""  # the draft as sent
    style: str = "p"  # how HTML paragraphs are written: p, div (a div a line, Gmail) or br
    lists: bool = False  # the HTML draft has lists: "- " and "1. " lines are list items, else text

    @cached_property
    def fallback(self) -> str:
        """The draft as answered when the rewrite is rejected: as sent, sanitised if HTML that is
        not safe (worked out only when needed: it costs two parses)."""
        if self.format != "html" or sanitise.is_safe(self.source):
            return self.source
        return sanitise.clean(self.source)
