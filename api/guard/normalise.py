"""Text as a reader sees it, whatever the spelling: `fold(text)` is what the output check compares,
so an injection written to slip past a check that goes by spelling reads the same as the plain one.

- HTML entities decoded (`&Tab;`, `&#106;`), then NFKC (fullwidth and other compatibility forms).
- Invisible characters dropped: Unicode format characters (category Cf: zero-width spaces, word
  joiners, soft hyphens, bidi controls) and control characters other than line breaks and tabs.
- Look-alike letters folded to the Latin letter they imitate ("Ѕеnіоr" -> "Senior"), by the
  Unicode confusables table that the `confusable-homoglyphs` package ships.
- Words spelled out letter by letter joined ("S.e.n.i.o.r", "S e n i o r", "S-e-n-i-o-r").
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from functools import lru_cache
from importlib import resources

_SPELLED = re.compile(r"(?<![^\W\d_])[^\W\d_](?:(?P<sep>[.\- _·•*/|])[^\W\d_])(?:(?P=sep)[^\W\d_])+(?![^\W\d_])")
_KEEP_CONTROLS = {"\n", "\t"}


@lru_cache(maxsize=1)
def _confusables() -> dict[int, str]:
    """Every character the Unicode confusables table says looks like one ASCII letter or digit."""
    data = json.loads((resources.files("confusable_homoglyphs") / "confusables.json").read_text(encoding="utf-8"))
    table: dict[int, str] = {}
    for char, homoglyphs in data.items():
        if len(char) != 1 or char.isascii():
            continue
        latin = [h["c"] for h in homoglyphs if len(h["c"]) == 1 and h["c"].isascii() and h["c"].isalnum()]
        if latin:
            table[ord(char)] = latin[0]
    return table


def _visible(char: str) -> bool:
    category = unicodedata.category(char)
    return char in _KEEP_CONTROLS or not (category == "Cf" or category == "Cc")


def fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", html.unescape(text))
    if not text.isascii():
        text = "".join(char for char in text if _visible(char)).translate(_confusables())
    else:
        text = "".join(char for char in text if _visible(char))
    return _SPELLED.sub(lambda match: re.sub(r"[^\w]|_", "", match.group(0)), text)
