"""Protected facts: the things a rewrite must carry over exactly, found in text and normalised so
that the same fact written two ways compares equal (`$49.99` and `49.99 USD`, `March 3` and
`3 March`, `14:00` and `2pm`, `3-5 business days` and `3 to 5 business days`), in English, Spanish,
French, German and Portuguese (`fact_patterns_i18n.py`): `3 de marzo`, `le 3 mars` and `3. März`
are `March 3`, `14h30` and `14.30 Uhr` are `2:30 PM`, `12,50 €` is `€12.50`.

`extract(text)` returns the facts in order of appearance. The patterns (fact_patterns.py) run
in priority order and a span claimed by one kind is not seen by the next, so the `4821` inside a
URL is not also an ID.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from text_to_num import text2num

from . import fact_patterns_i18n as i18n
from .fact_patterns import (
    AMOUNT_RE, CURRENCY_CODES, CURRENCY_SYMBOLS, CURRENCY_WORDS, MONTHS, NUMBER_WORD_RE, NUMBER_WORDS, PATTERNS,
    QUALIFIERS, UNITS,
)

_WORDS = re.compile(r"[a-z]+")
_DIGIT = re.compile(r"\d")
# ASCII letters lower-cased and the no-break spaces (`1\u202f234,56 €`, `15\u00a0%`) made plain
# spaces: one character for one, so spans map back
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ\u00a0\u202f\u2009", "abcdefghijklmnopqrstuvwxyz   ")
_SPACES = str.maketrans("", "", "\u00a0\u202f\u2009 ")


# 14:30, 2pm, 14h30, 14 h 30, 14.30 Uhr
_TIME_SPLIT = re.compile(r"(\d{1,2})(?:\s?[:h.]\s?(\d{2}))?\s?(?:([ap])\.?m\.?)?", re.I)
_ALL_NUMBER_WORDS = {**{w: n for w, n in NUMBER_WORDS.items() if len(w) > 2}, **i18n.NUMBER_WORDS}
_NUMBER_WORD_TOKEN = re.compile(i18n.words_regex(_ALL_NUMBER_WORDS), re.I)
_ALL_MONTHS = {**MONTHS, **i18n.MONTHS}


@dataclass(frozen=True)
class Fact:
    """One protected item: its kind, the text as written, and normalised keys for comparison."""

    kind: str
    text: str
    keys: frozenset = field(compare=False)
    start: int = field(default=0, compare=False)
    end: int = field(default=0, compare=False)
    literal: str | None = field(default=None, compare=False)  # searched verbatim as a fallback

    def covered_by(self, other: "Fact") -> bool:
        """Does `other` (in the rewrite) state this fact (from the draft)? Directional for dates:
        the rewrite must keep the draft's day and month and may drop, but not add, a year."""
        if self.kind == "date" and other.kind == "date":
            return any(_date_covers(a, b) for a in self.keys for b in other.keys)
        return bool(self.keys & other.keys)

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "value": self.text}


def _date_covers(draft: tuple, rewrite: tuple) -> bool:
    # keys are ("date", month, day|None, year|None)
    return draft[1] == rewrite[1] and draft[2] == rewrite[2] and (rewrite[3] is None or draft[3] == rewrite[3])


# --- normalisers -----------------------------------------------------------------------------


def _decimal(text: str) -> Decimal | None:
    raw = text.translate(_SPACES)
    if "," in raw and "." in raw:
        # the later separator is the decimal one
        raw = raw.replace(",", "") if raw.rfind(".") > raw.rfind(",") else raw.replace(".", "").replace(",", ".")
    elif "," in raw:
        whole, _, frac = raw.rpartition(",")
        raw = f"{whole.replace(',', '')}.{frac}" if len(frac) <= 2 else raw.replace(",", "")
    elif raw.count(".") > 1 or (raw.count(".") == 1 and len(raw.rpartition(".")[2]) == 3):
        raw = raw.replace(".", "")  # 1.200 is a thousands separator in many locales
    try:
        return Decimal(raw)
    except InvalidOperation:
        return None


def _num(value: Decimal | None) -> str:
    """A canonical string for a number: 12, 12.0 and 12.00 are all '12'."""
    if value is None:
        return "?"
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _number_value(token: str) -> Decimal | None:
    word = NUMBER_WORDS.get(token.lower())
    if word is not None:
        return Decimal(word)
    return _decimal(token)


_SYMBOLS_LONGEST_FIRST = sorted(CURRENCY_SYMBOLS.items(), key=lambda kv: -len(kv[0]))


def _spelled_value(words: str) -> Decimal | None:
    try:
        return Decimal(text2num(words.lower().replace(" and ", " "), "en"))
    except ValueError:
        return None


def _money_keys(text: str) -> frozenset:
    lowered = text.lower()
    currency = None
    for symbol, code in _SYMBOLS_LONGEST_FIRST:
        if symbol in lowered:
            currency = code
            break
    if currency is None:
        for code in CURRENCY_CODES:
            if re.search(rf"\b{code.lower()}\b", lowered):
                currency = code
                break
    if currency is None:
        for word, code in CURRENCY_WORDS.items():
            if re.search(rf"\b{word}\b", lowered):
                currency = code
                break
    if not _DIGIT.search(text):  # an amount in words: the words before the currency
        return frozenset({("money", currency, _num(_spelled_value(text.rsplit(maxsplit=1)[0])))})
    amount = re.search(AMOUNT_RE, text)
    value = _decimal(amount.group(0)) if amount else None
    return frozenset({("money", currency, _num(value))})


def _date_keys(text: str) -> frozenset:
    lowered = text.lower().replace(",", " ")
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", lowered.strip())
    if iso:
        return frozenset({("date", int(iso[2]), int(iso[3]), int(iso[1]))})
    german = re.fullmatch(r"(\d{1,2})\.(\d{1,2})\.", lowered.strip())
    if german:  # am 03.03.: day first
        return frozenset({("date", int(german[2]), int(german[1]), None)})
    numeric = re.fullmatch(r"(\d{1,2})[/.](\d{1,2})(?:[/.](\d{2,4}))?", lowered.strip())
    if numeric:
        a, b = int(numeric[1]), int(numeric[2])
        year = _year(numeric[3])
        keys = set()
        if 1 <= a <= 12 and 1 <= b <= 31:
            keys.add(("date", a, b, year))  # month/day
        if 1 <= b <= 12 and 1 <= a <= 31:
            keys.add(("date", b, a, year))  # day/month
        return frozenset(keys or {("date", a, b, year)})
    if not lowered.isascii():
        lowered = i18n.fold(lowered)
    month = next(_ALL_MONTHS[w] for w in re.findall(r"[a-z]+", lowered) if w in _ALL_MONTHS)
    numbers = [int(n) for n in re.findall(r"\d+", lowered)]
    day = next((n for n in numbers if n <= 31), None)
    year = next((n for n in numbers if n > 31), None)
    return frozenset({("date", month, day, year)})


def _year(text: str | None) -> int | None:
    if not text:
        return None
    value = int(text)
    return value + 2000 if value < 100 else value


def _time_keys(text: str) -> frozenset:
    lowered = text.lower()
    if "noon" in lowered:
        return frozenset({("time", 12 * 60)})
    if "midnight" in lowered:
        return frozenset({("time", 0)})
    match = _TIME_SPLIT.search(lowered)
    hours, minutes, half = int(match[1]), int(match[2] or 0), match[3]
    if half == "p" and hours < 12:
        hours += 12
    if half == "a" and hours == 12:
        hours = 0
    return frozenset({("time", hours * 60 + minutes)})


def _duration_keys(text: str) -> frozenset:
    lowered = text.lower().replace("–", "-")
    if not _ENGLISH_UNIT.search(lowered):
        return _duration_keys_i18n(lowered)
    words = re.findall(rf"\d+(?:\.\d+)?|{NUMBER_WORD_RE}|[a-z]+", lowered)
    values = [v for v in (_number_value(w) for w in words if w not in UNITS and w not in QUALIFIERS and w != "to") if v is not None]
    unit = next(UNITS[w] for w in reversed(words) if w in UNITS)
    qualifier = next((QUALIFIERS[w] for w in words if w in QUALIFIERS), None)
    low, high = (values[0], values[-1]) if values else (None, None)
    return frozenset({("duration", _num(low), _num(high), unit, qualifier)})


_ENGLISH_UNIT = re.compile(rf"\b(?:{'|'.join(UNITS)})\b")


def _duration_keys_i18n(lowered: str) -> frozenset:
    """`3 a 5 días hábiles`, `48 heures`, `3–5 Werktage`: the keys of `3-5 business days`."""
    words = re.findall(r"\d+(?:[.,]\d+)?|[a-z]+", i18n.fold(lowered))
    values = [_decimal(w) if w[0].isdigit() else Decimal(i18n.FOLDED_NUMBER_WORDS[w])
              for w in words if w[0].isdigit() or w in i18n.FOLDED_NUMBER_WORDS]
    unit = qualifier = None
    for word in words:
        if word in i18n.QUALIFIERS:
            qualifier = i18n.QUALIFIERS[word]
            continue
        prefix = next((p for p in i18n.DAY_PREFIXES if word.startswith(p) and word[len(p):] in i18n.UNITS), None)
        if prefix:  # Werktage: a business day
            qualifier, word = i18n.DAY_PREFIXES[prefix], word[len(prefix):]
        unit = i18n.UNITS.get(word, unit)
    low, high = (values[0], values[-1]) if values else (None, None)
    return frozenset({("duration", _num(low), _num(high), unit, qualifier)})


def _url_keys(text: str) -> frozenset:
    """Scheme and a leading www. do not matter, nor the host's case; the path's case does
    (reset tokens, case-sensitive routes)."""
    rest = re.sub(r"^(?:https?://)?(?:www\.)?", "", text, flags=re.I).rstrip("/")
    host, slash, path = rest.partition("/")
    return frozenset({("url", host.lower() + slash + path)})


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _make(kind: str, text: str, start: int, end: int) -> Fact | None:
    literal: str | None = None
    if kind == "placeholder":
        keys = frozenset({("placeholder", text)})
        literal = text
    elif kind == "url":
        keys = _url_keys(text)
        literal = text
    elif kind == "email":
        keys = frozenset({("email", text.lower())})
        literal = text
    elif kind == "code":
        inner = text.strip("`\"“”'‘’")
        keys = frozenset({("id", inner.upper().lstrip("#")), ("code", inner)})
        literal = inner
    elif kind == "money":
        keys = _money_keys(text)
    elif kind == "percent":
        keys = frozenset({("percent", _num(_decimal(re.search(r"\d+(?:[.,]\d+)?", text).group(0))))})
    elif kind == "date":
        keys = _date_keys(text)
    elif kind == "weekday":
        day = text.lower()
        keys = frozenset({("weekday", i18n.WEEKDAYS.get(i18n.fold(day).replace(" ", "-"), day))})
    elif kind == "time":
        keys = _time_keys(text)
    elif kind == "duration":
        keys = _duration_keys(text)
    elif kind == "phone":
        digits = _digits(text)
        if len(digits) < 7:
            return None
        keys = frozenset({("digits", digits), ("digits", digits[-10:])})
    else:  # id or plain number
        bare = text.lstrip("#")
        if not any(ch.isdigit() for ch in bare):
            return None
        if re.fullmatch(r"\d+\.\d+", bare):
            kind = "number"
            keys = frozenset({("number", _num(_decimal(bare)))})
        elif bare.isdigit():
            if len(bare) <= 3 and not text.startswith("#"):
                kind = "number"
            keys = frozenset({("digits", bare), ("id", bare)})
        else:
            keys = frozenset({("id", bare.upper())})
            ordinal = i18n.ORDINAL_FORM.fullmatch(bare)
            if ordinal:  # 1st, 1er, 1º: the same ordinal in any language
                keys |= {("ordinal", int(ordinal[1]))}
        literal = bare if kind == "id" else None
    return Fact(kind=kind, text=text, keys=keys, start=start, end=end, literal=literal)


_TRAILING = ".,;:!?)]}'\""


def extract(text: str) -> list[Fact]:
    """Every protected fact in `text`, in order of appearance."""
    claimed = bytearray(len(text))
    facts: list[Fact] = []
    low = text.translate(_ASCII_LOWER)
    words = frozenset(_WORDS.findall(low))
    digits = _DIGIT.search(text) is not None
    for pattern in PATTERNS:
        if not pattern.gate(text, low, words, digits):
            continue
        kind = pattern.kind
        for match in pattern.regex.finditer(low if pattern.lower else text):
            start, end = match.span()
            value = text[start:end]
            if kind in {"url", "email", "id"}:
                stripped = value.rstrip(_TRAILING)
                end -= len(value) - len(stripped)
                value = stripped
            if not value or claimed.find(1, start, end) != -1:
                continue
            fact = _make(kind, value, start, end)
            if fact is None:
                continue
            claimed[start:end] = b"\x01" * (end - start)
            facts.append(fact)
    facts.sort(key=lambda f: f.start)
    return facts


def blank(text: str, found: list[Fact]) -> str:
    """`text` with the given facts blanked out (same length, so offsets still hold)."""
    chars = list(text)
    for fact in found:
        chars[fact.start : fact.end] = " " * (fact.end - fact.start)
    return "".join(chars)


def number_words(text: str) -> set[Decimal]:
    """Numbers written as words ("three"), accepted in place of small digits the draft had."""
    return {Decimal(_ALL_NUMBER_WORDS[w.lower()]) for w in _NUMBER_WORD_TOKEN.findall(text)}


def present_verbatim(literal: str, text: str) -> bool:
    return re.search(rf"(?<![\w]){re.escape(literal)}(?![\w])", text) is not None
