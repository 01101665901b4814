"""The draft's language, and a rewrite that is not in it.

py3langid (a small n-gram Naive Bayes model, the maintained fork of langid.py) reads the text
with placeholders, links, addresses, numbers and codes taken out, choosing among the languages
support replies are written in. It is unreliable on a few words, so:

- `detect(text)` answers only for at least `MIN_LETTERS` letters and a probability of at least
  `CONFIDENT`; else None (the result's `language` is null).
- `mismatch(draft, rewrite)` reports a rewrite, or one of its paragraphs long enough to judge,
  that is all but certainly in a language the draft all but certainly is not in, both ways: the
  rewrite gives the draft's likeliest language, and the draft gives the rewrite's, less than
  `NONE_OF_IT`. An English paragraph on a Spanish reply is caught; a Spanish reply that names an
  English product is not, and neither is a draft too short to tell.
"""

from __future__ import annotations

import re
import threading
from functools import lru_cache

from .verdict import Violation

LANGUAGES = (
    "en es fr de pt it nl sv da no fi pl cs sk ro hu tr el ru uk bg hr sl ca "
    "ja zh ko ar he hi th vi id"
).split()
NAMES = {
    "en": "English", "es": "Spanish", "fr": "French", "de": "German", "pt": "Portuguese", "it": "Italian",
    "nl": "Dutch", "sv": "Swedish", "da": "Danish", "no": "Norwegian", "fi": "Finnish", "pl": "Polish",
    "cs": "Czech", "sk": "Slovak", "ro": "Romanian", "hu": "Hungarian", "tr": "Turkish", "el": "Greek",
    "ru": "Russian", "uk": "Ukrainian", "bg": "Bulgarian", "hr": "Croatian", "sl": "Slovenian",
    "ca": "Catalan", "ja": "Japanese", "zh": "Chinese", "ko": "Korean",
    "ar": "Arabic", "he": "Hebrew", "hi": "Hindi", "th": "Thai", "vi": "Vietnamese", "id": "Indonesian",
}
MIN_LETTERS = 24  # fewer and a detector guesses
CONFIDENT = 0.9  # the probability `detect` needs (a German product name in an English reply reads as 0.6-0.9 German)
PARAGRAPH_LETTERS = 40  # a paragraph of the rewrite this long is judged on its own
FOREIGN = 0.98  # a rewrite or paragraph this sure of another language...
NONE_OF_IT = 0.01  # ...that gives the draft's language less than this is in another language

_NOISE = re.compile(
    r"\{\{[^{}]*\}\}|\{%[^%]*%\}|\[\[[^\]]*\]\]|%[A-Z_]+%|\$\{[^}]*\}"  # placeholders and tokens
    r"|\b(?:https?://|www\.)\S+|\S+@\S+\.\w+"  # links and addresses
    r"|[#\w-]*\d[\w./:,-]*"  # numbers, amounts, codes, dates
)
_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(LANGUAGES)
    return identifier


def warm() -> None:
    """Load the model (about a second) before the first request needs it."""
    with _LOCK:
        _identifier()


def _letters(text: str) -> int:
    return sum(ch.isalpha() for ch in text)


def _clean(text: str) -> str:
    return _NOISE.sub(" ", text)


def _ranked(text: str) -> dict[str, float]:
    with _LOCK:
        identifier = _identifier()
    return {lang: float(p) for lang, p in identifier.rank(text)}


def _judged(text: str) -> dict[str, float] | None:
    """Each language's probability for `text` (noise taken out), or None when it is too short."""
    clean = _clean(text)
    return _ranked(clean) if _letters(clean) >= MIN_LETTERS else None


def _top(ranked: dict[str, float]) -> tuple[str, float]:
    return max(ranked.items(), key=lambda item: item[1])


def _foreign(ranked: dict[str, float], language: str) -> str | None:
    """The language `ranked` is all but certainly in, when that is not `language` and `language`
    has almost no chance; else None."""
    lang, p = _top(ranked)
    return lang if lang != language and p >= FOREIGN and ranked.get(language, 0.0) < NONE_OF_IT else None


def detect(text: str) -> str | None:
    """The language `text` is written in, or None when it is too short or unclear."""
    ranked = _judged(text)
    if ranked is None:
        return None
    lang, p = _top(ranked)
    return lang if p >= CONFIDENT else None


def surely_not(text: str, language: str) -> str | None:
    """The language `text` is all but certainly in, when that is not `language` and `text` gives
    `language` almost no chance; else None (an English reply naming a German product is English)."""
    ranked = _judged(text)
    return _foreign(ranked, language) if ranked is not None else None


def mismatch(draft: str, rewrite: str) -> list[Violation]:
    """A `language` violation when the rewrite (or a paragraph of it) is in another language
    than the draft; nothing when the draft's language is unclear."""
    draft_ranked = _judged(draft)
    if draft_ranked is None:
        return []
    expected = _top(draft_ranked)[0]
    # what the rewrite took from the draft as it was (a code line, a quoted English product name) is
    # in the draft's own mix of languages: only what the model wrote is judged
    for line in sorted({line.strip() for line in draft.splitlines() if len(line.strip()) >= 12}, key=len, reverse=True):
        rewrite = rewrite.replace(line, " ")
    clean = _clean(rewrite)
    paragraphs = [p for p in re.split(r"\n\s*\n", clean) if _letters(p) >= PARAGRAPH_LETTERS]
    for part in [clean, *paragraphs] if len(paragraphs) > 1 else [clean]:
        if _letters(part) < MIN_LETTERS:
            continue
        lang = _foreign(_ranked(part), expected)
        if lang is not None and draft_ranked.get(lang, 0.0) < NONE_OF_IT:
            where = "the rewrite" if part is clean else "a paragraph of the rewrite"
            return [Violation(
                "language", "language", lang,
                f"{where} is in {NAMES.get(lang, lang)}; the draft is in {NAMES.get(expected, expected)}",
            )]
    return []
