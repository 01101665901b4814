"""HTML and Markdown drafts (`format` in a request): what the model reads of a draft, and the
rewrite written back in the draft's format.

`parse(draft, format)` makes a `Document` (document.py): the visible text, its atoms, the tail
(quoted thread and signature) that never reaches the model. `render(document, output, masked)`
writes the model's output (still masked) in the format: html.py sanitises it (sanitise.py),
markdown.py puts each atom's Markdown back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from . import html, markdown
from .document import Atom, Document, Format
from .html import TooDeep

if TYPE_CHECKING:
    from api.guard import Masked

__all__ = ["Atom", "Document", "Format", "TooDeep", "parse", "render"]


def parse(draft: str, format: Format) -> Document:
    if format == "html":
        return html.parse(draft)
    if format == "markdown":
        return markdown.parse(draft)
    return Document("text", draft, source=draft)


def render(document: Document, output: str, masked: "Masked") -> str:
    """The model's `output` (still masked) in the document's format."""
    if document.format == "html":
        return html.render(document, output.strip(), masked.pieces)
    if document.format == "markdown":
        return markdown.render(document, output, masked.pieces)
    return masked.unmask(output.strip())[0]
