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
from selectolax.lexbor import LexborHTMLParser

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
# matters when they have no attributes (Office's o:p and other namespaced tags, font, nobr).
_WRAPPERS = frozenset({"font", "html", "body", "head", "nobr", "center", "blink"})


def is_safe(fragment: str) -> bool:
    """Whether `clean` would keep everything `fragment` means, read as a browser reads it (lexbor,
    an HTML5 parser: comments end where a browser ends them): the same elements of the
    allow-list with the same attributes and the same text, and no other element but text
    wrappers without attributes (comments that end and how the markup is written do not count)."""
    cleaned = clean(fragment)
    if cleaned == fragment:
        return True
    opened = fragment.rfind("<!--")
    if opened >= 0 and "-->" not in fragment[opened + 2:]:
        return False  # a comment left open swallows whatever is written after it
    return _meaning(fragment) == _meaning(cleaned)


_SPACE = re.compile(r"\s+")


def _meaning(fragment: str) -> list:
    """What `fragment` holds, element by element, walked without recursion (any depth)."""
    out: list = []
    text: list[str] = []

    def flush() -> None:
        if joined := _SPACE.sub(" ", "".join(text)).strip():
            out.append(joined)
        text.clear()

    root = LexborHTMLParser(fragment).body
    stack: list = [iter(root.iter(include_text=True))] if root is not None else []
    closing: list[str | None] = []
    while stack:
        node = next(stack[-1], None)
        if node is None:
            stack.pop()
            if closing and (name := closing.pop()) is not None:
                flush()
                out.append(("/", name))
            continue
        tag = node.tag
        if tag == "-text":
            text.append(node.text_content or "")
            continue
        if tag.startswith("-"):  # comments, doctype
            continue
        attrs = node.attributes
        if tag in TAGS:
            flush()
            out.append((tag, sorted((k, _value(k, v or "")) for k, v in attrs.items())))
            closing.append(tag)
        elif not attrs and (tag in _WRAPPERS or ":" in tag):
            closing.append(None)  # its text only
        else:
            flush()
            out.append(("!", tag, sorted(attrs)))  # an iframe, a form, an o:p with a handler: not kept
            closing.append(None)
        stack.append(iter(node.iter(include_text=True)))
    flush()
    return out


def _value(name: str, value: str) -> str:
    if name == "style":  # the properties kept; ammonia rewrites values (".8ex" -> "0.8ex")
        return ";".join(sorted({part.split(":", 1)[0].strip().lower() for part in value.split(";") if ":" in part}))
    return " ".join(value.split()) if name == "class" else value
