"""What HTML elements are to a reply: skipped with their content, inline atoms (a link, bold
text), block atoms (a table, a code block), paragraphs and lines; hidden ones; tracking pixels."""

from __future__ import annotations

from bs4 import Tag

SKIP = frozenset("script style head title meta link template noscript iframe frame frameset object embed "
                  "applet form input button select textarea option svg math canvas audio video base".split())
INLINE_ATOMS = {
    "a": "link", "b": "emphasis", "strong": "emphasis", "i": "emphasis", "em": "emphasis", "u": "emphasis",
    "mark": "emphasis", "s": "emphasis", "strike": "emphasis", "del": "emphasis", "ins": "emphasis",
    "sub": "emphasis", "sup": "emphasis", "small": "emphasis", "big": "emphasis", "cite": "emphasis",
    "q": "emphasis", "abbr": "emphasis", "code": "code", "kbd": "code", "tt": "code", "samp": "code",
}
BLOCK_ATOMS = {"table": "table", "pre": "code_block", "h1": "heading", "h2": "heading", "h3": "heading",
                "h4": "heading", "h5": "heading", "h6": "heading", "dl": "list"}
PARAGRAPHS = frozenset("p address figure figcaption details summary fieldset".split())
LINES = frozenset("div section article header footer main aside nav center dd dt li tr".split())


def is_block(tag: Tag) -> bool:
    return tag.name in PARAGRAPHS or tag.name in LINES or tag.name in BLOCK_ATOMS or tag.name in (
        "ul", "ol", "blockquote", "table")


def hidden(tag: Tag) -> bool:
    """Not shown to a reader: `hidden`, `display:none`, `visibility:hidden`, Outlook's `mso-hide:all`."""
    style = str(tag.get("style", "")).replace(" ", "").lower()
    return tag.has_attr("hidden") or any(
        mark in style for mark in ("display:none", "visibility:hidden", "mso-hide:all"))


def pixel(tag: Tag) -> bool:
    """A tracking pixel: an image one pixel (or none) wide or high, or hidden."""
    sizes = [str(tag.get(k, "")).strip().removesuffix("px") for k in ("width", "height")]
    style = str(tag.get("style", "")).replace(" ", "").lower()
    return any(s in ("0", "1") for s in sizes) or "display:none" in style
