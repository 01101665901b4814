"""The allow-list sanitiser every HTML answer goes through (nh3, the binding to Rust's ammonia).

What helpdesk and mail HTML needs stays: text structure, tables, images, links, classes and ids
(a quoted thread's `gmail_quote`, `divRplyFwdMsg`), presentational attributes and the harmless
part of inline styles. No script, style element, event handler, form, frame, or URL with a
scheme other than those listed survives.

`is_safe(fragment)`: whether sanitising would change what `fragment` means (not merely how it
is written): a quoted thread that is safe comes back byte for byte, one that is not comes back
sanitised.
"""

from __future__ import annotations

import copy
import re

import nh3
from bs4 import BeautifulSoup, Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag

TAGS = frozenset(nh3.ALLOWED_TAGS | {"tfoot", "font"})
_PRESENTATION = {"align", "valign", "width", "height", "bgcolor", "border", "cellpadding", "cellspacing",
                 "style", "class", "id", "dir", "lang", "title", "color", "face", "size", "type", "name"}
ATTRIBUTES = {tag: set(attrs) for tag, attrs in copy.deepcopy(nh3.ALLOWED_ATTRIBUTES).items()}
ATTRIBUTES["*"] = _PRESENTATION
ATTRIBUTES.setdefault("a", set()).update({"target"})
ATTRIBUTES.setdefault("img", set()).update({"border", "hspace", "vspace"})
URL_SCHEMES = frozenset({"http", "https", "mailto", "tel", "sms", "cid"})
# CSS that only changes how text and boxes look; nothing that positions, loads or runs anything.
STYLE_PROPERTIES = frozenset(
    "color background-color font font-family font-size font-style font-weight font-variant text-align "
    "text-decoration text-indent text-transform line-height letter-spacing word-spacing white-space "
    "vertical-align direction margin margin-top margin-right margin-bottom margin-left padding padding-top "
    "padding-right padding-bottom padding-left border border-top border-right border-bottom border-left "
    "border-color border-style border-width border-collapse border-spacing border-radius width height "
    "max-width min-width list-style-type display float clear mso-line-height-rule".split()
)


def clean(fragment: str) -> str:
    """`fragment` with everything outside the allow-list removed (script and style with their
    content, the rest of an unknown element kept as text)."""
    return nh3.clean(
        fragment, tags=set(TAGS), attributes=ATTRIBUTES, url_schemes=set(URL_SCHEMES), link_rel=None,
        strip_comments=True, filter_style_properties=set(STYLE_PROPERTIES),
        generic_attribute_prefixes={"data-"},
    )


# Elements outside the allow-list that only wrap text: sanitising them away changes nothing that
# matters (Office's o:p and other namespaced tags, font, a document's html/body).
_WRAPPERS = frozenset({"font", "html", "body", "nobr", "center", "blink"})


def is_safe(fragment: str) -> bool:
    """Whether `clean` would keep everything `fragment` means: the same elements of the
    allow-list, with the same attributes and the same text, and no other element but text
    wrappers (comments, Outlook's `<o:p>`, a missing `<tbody>` and how the markup is written do
    not count)."""
    cleaned = clean(fragment)
    return cleaned == fragment or _meaning(fragment) == _meaning(cleaned)


_SPACE = re.compile(r"\s+")


def _meaning(fragment: str) -> list:
    out: list = []
    text: list[str] = []

    def flush() -> None:
        if joined := _SPACE.sub(" ", "".join(text)).strip():
            out.append(joined)
        text.clear()

    def walk(node: Tag) -> None:
        for child in node.children:
            if isinstance(child, (Comment, Doctype, Declaration, ProcessingInstruction)):
                continue
            if isinstance(child, NavigableString):
                text.append(str(child))
            elif isinstance(child, Tag):
                if child.name in TAGS and child.name != "tbody":
                    flush()
                    out.append((child.name, sorted((k, _value(k, v)) for k, v in child.attrs.items())))
                    walk(child)
                    flush()
                    out.append(("/", child.name))
                else:
                    if child.name not in _WRAPPERS and child.name != "tbody" and ":" not in child.name:
                        out.append(("!", child.name))  # an iframe, a form, an svg: not kept
                    walk(child)

    walk(BeautifulSoup(fragment, "html.parser"))
    flush()
    return out


def _value(name: str, value: str | list[str]) -> str:
    if isinstance(value, list):  # class and other multi-valued attributes
        return " ".join(value)
    if name == "style":  # the properties kept; ammonia rewrites values (".8ex" -> "0.8ex")
        return ";".join(sorted({part.split(":", 1)[0].strip().lower() for part in value.split(";") if ":" in part}))
    return value
