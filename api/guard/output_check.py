"""The output check: what a rewrite must never contain, even when it keeps every fact.

A model that obeys an injection hidden in the draft or the customer's message can keep every
fact of the draft and still answer something no caller should send on:

- `instructions`: the template's own instructions repeated (a leaked prompt): a verbatim run of
  at least `LEAK_WORDS` words, or a stretch of `LEAK_WORDS` of their content words in order with
  filler words between them. Quoted phrasings in the instructions ("I understand how frustrating
  this is") are wording the model is asked to use, so they never count.
- `markup`: HTML elements (`<script>`, `<iframe>`, `<img>`, `<a>`...), comments, event-handler
  attributes (`onerror=`), `javascript:`/`vbscript:`/`data:text/html` URLs (also when written
  with HTML entities), and markdown images (`![](...)`, fetched wherever markdown is rendered).
- `role_marker`: chat-format markers another model or template would read as a new turn
  (`<|im_start|>`, `[INST]`, `<<SYS>>`, `<start_of_turn>`, our own `<draft-...>` delimiters) and
  `System:`/`Assistant:`/`### Instruction:` headers at the start of a line.

Every check reads the text as written and as folded (`api.guard.normalise`: entities decoded,
NFKC, invisible characters dropped, look-alike letters folded, spelled-out words joined), so
"K\u200be\u200be\u200bp", "Кеер" and "K.e.e.p" read as "Keep". Only what the draft does not already have is reported: a draft that shows an HTML snippet or
starts a line with "User:" may be rewritten with it. Instruction runs that the draft or the
customer's message contain are not leaks either. `api.guard.check` reports each finding as an
`injection` violation, so the usual repair, then fallback, path handles it.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Literal

from .normalise import fold

LEAK_WORDS = 8  # a shared run this long is a leak; faithful rewrites in our corpora share at most 4

FindingKind = Literal["instructions", "markup", "role_marker"]


@dataclass(frozen=True)
class Finding:
    kind: FindingKind
    value: str  # what was found, as written (shortened)
    detail: str


# --- markup and role markers -----------------------------------------------------------------

_HTML_ELEMENTS = frozenset(
    "a abbr address applet area article aside audio b base basefont bdi bdo bgsound blink blockquote "
    "body br button canvas caption center cite code col colgroup data datalist dd del details dfn "
    "dialog dir div dl dt em embed fieldset figcaption figure font footer form frame frameset h1 h2 "
    "h3 h4 h5 h6 head header hgroup hr html i iframe image img input ins isindex kbd keygen label "
    "legend li link listing main map mark marquee math menu meta meter nav noembed noframes "
    "noscript object ol optgroup option output p param picture plaintext portal pre progress q rp "
    "rt ruby s samp script search section select slot small source span strike strong style sub "
    "summary sup svg table tbody td template textarea tfoot th thead time title tr track tt u ul "
    "var video wbr xmp".split()
)
_TAG = re.compile(r"</?([a-z][a-z0-9]*)(?![\w-])", re.I)  # as browsers read tags: no space after "<"
_COMMENT = re.compile(r"<!--|<!\[cdata\[|<!doctype", re.I)
_MD_IMAGE = re.compile(r"!\[[^\]\n]*\]\s*\(")  # loaded (and so fetched) wherever markdown is rendered
_HANDLER = re.compile(r"<[^<>]*?[\s/\"'](on[a-z]{3,})\s*=", re.I)
# A script URL: the scheme right before code (no space after the colon), or in a link or
# attribute position (`href="javascript: ...`, `](javascript:...)`). Prose such as "enable
# JavaScript: Settings > Privacy" is neither.
_SCHEME = re.compile(
    r"(?:(?<![a-z0-9])((?:java|vb|live)\s*script)\s*:(?=[^\s])"
    r"|[=(<\"'`]\s*[\"'`]?\s*((?:java|vb|live)\s*script)\s*:)",
    re.I,
)
_DATA_URL = re.compile(
    r"data:\s*(text/html|image/svg\+xml|(?:text|application)/(?:x-)?(?:java|ecma)script)", re.I
)
_ROLE_TOKENS = re.compile(
    r"<\|\s*[a-z_]{2,30}\s*\|>|\[/?\s*inst\s*\]|<</?\s*sys\s*>>|</?\s*(?:start|end)_of_turn\s*>"
    r"|</?(?:draft|customer|name|reply)-[0-9a-f]{12}>",
    re.I,
)
_HEADER = re.compile(
    r"^[ \t>*_#-]*(system|assistant|user|human|developer|instructions?|response|ai|model|bot|chatbot)[*_ \t]*:"
    r"|^[ \t]*#{2,}[ \t]*(system|instructions?|response|input)\b",
    re.I | re.M,
)
# Headers that are also ordinary words: "Model: XPS 13" is a spec line when the draft or the
# customer talks of models; only a line the conversation gives no reason for is a new turn.
_WORD_HEADERS = {
    "header:model": {"model", "models"}, "header:ai": {"ai"}, "header:bot": {"bot", "bots"},
    "header:chatbot": {"chatbot", "chatbots", "bot"},
}

# Where a URL is followed: a markdown link's target, an attribute that loads or links.
_LINK_TARGET = re.compile(
    r"\]\s*\(([^)\n]{0,400})|\b(?:href|src|action|formaction|xlink:href|poster|background)\s*=\s*[\"']?([^\"'>\s]{0,400})",
    re.I,
)
# scheme -> the key the same finding has elsewhere in `_markers`
_SCRIPT_SCHEMES = {
    "javascript:": "scheme:javascript", "vbscript:": "scheme:vbscript", "livescript:": "scheme:livescript",
    "data:text/html": "data:text/html", "data:image/svg+xml": "data:image/svg+xml",
}




def _link_schemes(view: str) -> Iterable[tuple[str, str]]:
    """(key, scheme) of each script scheme among the link targets in `view`, read as browsers
    read URLs: entities decoded, then every control character, space, tab and line break inside
    dropped."""
    for match in _LINK_TARGET.finditer(view):
        target = re.sub(r"[\x00-\x20\x7f]+", "", html.unescape(match.group(1) or match.group(2) or "")).lower()
        scheme = next((s for s in _SCRIPT_SCHEMES if target.startswith(s)), None)
        if scheme is not None:
            yield _SCRIPT_SCHEMES[scheme], scheme


def _markers(text: str, folded: str) -> dict[tuple[FindingKind, str], str]:
    """(kind, normalised key) -> the first match as written, for every marker in `text`, read as
    written and as a reader sees it (`folded`, the text through `fold`)."""
    found: dict[tuple[FindingKind, str], str] = {}
    for view in (text,) if folded == text else (text, folded):
        for match in _TAG.finditer(view):
            if match.group(1).lower() in _HTML_ELEMENTS:
                found.setdefault(("markup", "tag:" + match.group(1).lower()), match.group(0))
        for match in _COMMENT.finditer(view):
            found.setdefault(("markup", match.group(0).lower()), match.group(0))
        for match in _MD_IMAGE.finditer(view):
            found.setdefault(("markup", "markdown-image"), match.group(0))
        for match in _HANDLER.finditer(view):
            found.setdefault(("markup", "handler:" + match.group(1).lower()), match.group(1) + "=")
        for match in _SCHEME.finditer(view):
            scheme = re.sub(r"\s+", "", match.group(1) or match.group(2)).lower()
            found.setdefault(("markup", "scheme:" + scheme), scheme + ":")
        for key, scheme in _link_schemes(view):
            found.setdefault(("markup", key), scheme)
        for match in _DATA_URL.finditer(view):
            found.setdefault(("markup", "data:" + match.group(1).lower()), match.group(0))
        for match in _ROLE_TOKENS.finditer(view):
            key = re.sub(r"-[0-9a-f]{12}>$", ">", re.sub(r"\s+", "", match.group(0).lower()))
            found.setdefault(("role_marker", key), match.group(0))
        for match in _HEADER.finditer(view):
            found.setdefault(("role_marker", "header:" + (match.group(1) or match.group(2)).lower()),
                             match.group(0).strip())
    return found


# --- leaked instructions ---------------------------------------------------------------------

_WORDS = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_QUOTED = re.compile(r"\"[^\"]{0,300}\"|“[^”]{0,300}”")


def _words(text: str) -> list[str]:
    return _WORDS.findall(text.lower().replace("’", "'"))


def _shingles(words: list[str], n: int = LEAK_WORDS) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


@lru_cache(maxsize=256)
def _instruction_shingles(text: str) -> frozenset[tuple[str, ...]]:
    """Every run of LEAK_WORDS words of the instructions, never across a quoted example."""
    runs: set[tuple[str, ...]] = set()
    for segment in _QUOTED.split(fold(text)):
        runs |= _shingles(_words(segment))
    return frozenset(runs)


# Words too common to mark a leak; with them gone, fillers between content words do not matter.
_COMMON = frozenset(
    "the and are you your for that this with them they their not any all but was were has have had "
    "its our out can will what when where who how than then there here into from about just like".split()
)


def _content(words: list[str]) -> list[str]:
    return [word for word in words if len(word) > 2 and word not in _COMMON]


@lru_cache(maxsize=256)
def _instruction_windows(text: str) -> tuple[tuple[tuple[str, str], ...], ...]:
    """Every run of LEAK_WORDS content words of the instructions (never across a quoted example),
    as the pairs of neighbours it is made of."""
    windows = []
    for segment in _QUOTED.split(fold(text)):
        words = _content(_words(segment))
        for i in range(len(words) - LEAK_WORDS + 1):
            run = words[i : i + LEAK_WORDS]
            windows.append(tuple(zip(run, run[1:])))
    return tuple(windows)


def _near_pairs(words: list[str], reach: int = 3) -> set[tuple[str, str]]:
    """Ordered pairs of content words at most `reach` content words apart."""
    return {(words[i], words[j]) for i in range(len(words)) for j in range(i + 1, min(i + 1 + reach, len(words)))}


def _loose_leak(rewrite: str, instructions: Iterable[str], allowed: str) -> str | None:
    """A run of LEAK_WORDS content words of the instructions that the rewrite repeats in order,
    with up to two other words between any two of them (fillers do not hide a leak): all but one
    of its neighbour pairs appear so in the rewrite, and not in `allowed`. The run, or None."""
    pairs = _near_pairs(_content(_words(rewrite)))
    if not pairs:
        return None
    own = _near_pairs(_content(_words(allowed)))
    for text in instructions:
        for window in _instruction_windows(text):
            hits = [pair for pair in window if pair in pairs and pair not in own]
            if len(hits) >= len(window) - 1:
                return " ".join([window[0][0], *(pair[1] for pair in window)])
    return None


def _leak(rewrite: str, instructions: Iterable[str], allowed: str) -> str | None:
    """The longest run of the rewrite's words that repeats the instructions (and is not in
    `allowed`), or None."""
    hidden: set[tuple[str, ...]] = set().union(*(_instruction_shingles(text) for text in instructions))
    if not hidden:
        return None
    words = _words(rewrite)
    hits = [i for i in range(len(words) - LEAK_WORDS + 1) if tuple(words[i : i + LEAK_WORDS]) in hidden]
    if hits:
        own = _shingles(_words(allowed))
        hits = [i for i in hits if tuple(words[i : i + LEAK_WORDS]) not in own]
    if not hits:
        return None
    spans: list[list[int]] = []  # [start, end) in words; overlapping runs merged
    for i in hits:
        if spans and i <= spans[-1][1] - LEAK_WORDS + 1:
            spans[-1][1] = i + LEAK_WORDS
        else:
            spans.append([i, i + LEAK_WORDS])
    start, end = max(spans, key=lambda span: span[1] - span[0])
    return " ".join(words[start:end])


# --- the check -------------------------------------------------------------------------------

def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


# Markdown written into an HTML reply shows as asterisks and brackets: bold, a code span, a link.
_MARKDOWN = re.compile(r"\*\*[^*\n]+\*\*|__[^_\n]+__|`[^`\n]+`|\[[^\]\n]+\]\([^)\s]+\)|^#{1,6} ", re.M)


def findings(
    draft: str, rewrite: str, customer_message: str | None = None, *, instructions: Iterable[str] = (),
    format: str = "text",
) -> list[Finding]:
    """What the rewrite has and must not: leaked instructions, markup, role markers (see the
    module docstring); in an HTML reply (`format`), Markdown too. Nothing the draft already has
    is reported."""
    found: list[Finding] = []
    instructions = tuple(instructions)
    folded, folded_draft = fold(rewrite), fold(draft)  # each text folded once, for every check
    allowed_text = f"{folded_draft}\n{fold(customer_message or '')}"
    leaked = _leak(folded, instructions, allowed_text) or _loose_leak(folded, instructions, allowed_text)
    if leaked is not None:
        found.append(Finding("instructions", _short(leaked),
                             f"the rewrite repeats the template's instructions ({_short(leaked)!r})"))
    allowed = _markers(draft, folded_draft)
    said = set(_words(f"{draft} {customer_message or ''}"))
    for (kind, key), written in _markers(rewrite, folded).items():
        if (kind, key) in allowed or (key in _WORD_HEADERS and _WORD_HEADERS[key] & said):
            continue
        what = "markup" if kind == "markup" else "a chat role marker"
        detail = f"the rewrite contains {what} the draft does not have ({_short(written)!r})"
        found.append(Finding(kind, _short(written), detail))
    if format == "html":
        for match in _MARKDOWN.finditer(rewrite):
            if match.group(0) not in draft:
                found.append(Finding("markup", _short(match.group(0)), "the rewrite writes Markdown into an HTML "
                                     f"reply, where it shows as written ({_short(match.group(0))!r})"))
                break
    return found
