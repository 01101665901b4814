"""Protected facts: the things a rewrite must carry over exactly, found in text and normalised so
that the same fact written two ways compares equal (`$49.99` and `49.99 USD`, `March 3` and
`3 March`, `14:00` and `2pm`, `3-5 business days` and `3 to 5 business days`).

`extract(text)` returns the facts in order of appearance. Patterns run in priority order and a
span claimed by one kind is not seen by the next, so the `4821` inside a URL is not also an ID.
All regexes are compiled once, at import.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

# --- vocabulary ------------------------------------------------------------------------------

MONTHS = {
    "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4, "apr": 4,
    "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8, "september": 9,
    "sept": 9, "sep": 9, "october": 10, "oct": 10, "november": 11, "nov": 11, "december": 12, "dec": 12,
}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
NUMBER_WORDS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "forty-eight": 48, "sixty": 60, "ninety": 90, "a": 1, "an": 1,
}
CURRENCY_SYMBOLS = {"$": "USD", "us$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR",
                    "c$": "CAD", "ca$": "CAD", "a$": "AUD", "au$": "AUD"}
CURRENCY_WORDS = {"dollar": "USD", "dollars": "USD", "euro": "EUR", "euros": "EUR", "pound": "GBP",
                  "pounds": "GBP", "yen": "JPY", "rupees": "INR"}
CURRENCY_CODES = ("USD", "EUR", "GBP", "CAD", "AUD", "JPY", "INR", "CHF", "SEK", "NOK", "DKK",
                  "PLN", "MXN", "BRL", "NZD", "SGD", "ZAR")
UNITS = {"minute": "minute", "minutes": "minute", "min": "minute", "mins": "minute", "hour": "hour",
         "hours": "hour", "hr": "hour", "hrs": "hour", "day": "day", "days": "day", "week": "week",
         "weeks": "week", "month": "month", "months": "month", "year": "year", "years": "year"}
QUALIFIERS = {"business": "business", "working": "business", "calendar": "calendar"}

_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
_NUMWORD_RE = "|".join(sorted((w for w in NUMBER_WORDS if len(w) > 2), key=len, reverse=True))
_AMOUNT = r"(?:\d{1,3}(?:[,.\u00a0 ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)(?![\d])"
_SYMBOL = r"(?:us\$|ca\$|au\$|c\$|a\$|[$€£¥₹])"
_CODES = "|".join(code.lower() for code in CURRENCY_CODES)
_CURWORDS = "|".join(CURRENCY_WORDS)
_UNIT_RE = "|".join(sorted(UNITS, key=len, reverse=True))
_QUAL_RE = "|".join(QUALIFIERS)
_NUM_OR_WORD = rf"(?:\d+(?:\.\d+)?|{_NUMWORD_RE})"
_CURRENCY_HINTS = (*CURRENCY_SYMBOLS, *(code.lower() for code in CURRENCY_CODES), *CURRENCY_WORDS)


@dataclass(frozen=True)
class Pattern:
    """How one kind of fact is found. `lower` patterns run on an ASCII-lower-cased copy of the
    text (same length, so spans map back) without re.IGNORECASE, which is several times faster;
    `gate` is a cheap test on (text, lower-cased text, its words, has a digit) that skips a
    pattern which cannot match."""

    kind: str
    regex: re.Pattern[str]
    lower: bool
    gate: Callable[[str, str, frozenset[str], bool], bool]


def _p(kind: str, pattern: str, gate, lower: bool = True, flags: int = 0) -> Pattern:
    return Pattern(kind, re.compile(pattern, flags | (re.ASCII if lower else 0)), lower, gate)


# In priority order: a span claimed by one kind is not seen by the next.
PATTERNS: list[Pattern] = [
    _p("placeholder",
       r"\{\{.*?\}\}|\{%.*?%\}|\[\[.*?\]\]|\$\{[^{}\s]{1,80}\}|%[A-Za-z][A-Za-z0-9_.]{0,60}%",
       lambda t, low, w, d: any(ch in t for ch in "{[%$"), lower=False, flags=re.S),
    _p("url",
       r"\bhttps?://[^\s<>\"'`]+|\bwww\.[^\s<>\"'`]+"
       r"|(?<![@\w.-])[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}/[^\s<>\"'`]*",  # example.com/path
       lambda t, low, w, d: "/" in t or "www." in low),
    _p("email", r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b", lambda t, low, w, d: "@" in t, lower=False),
    _p("code", r"`([^`\n]{1,60})`|[\"“'‘]([A-Z0-9][A-Z0-9_-]{2,39})[\"”'’]",
       lambda t, low, w, d: any(q in t for q in "`\"“'‘"), lower=False),
    _p("money",
       rf"{_SYMBOL}\s?(?:{_AMOUNT})"
       rf"|\b(?:{_CODES})\s?(?:{_AMOUNT})"
       rf"|(?<![\w.,#/-])(?:{_AMOUNT})\s?(?:(?:{_CODES})\b|(?:{_CURWORDS})\b|[€£¥₹](?!\s?\d))",
       lambda t, low, w, d: d and any(hint in low for hint in _CURRENCY_HINTS)),
    _p("percent", r"(?<![\w.,])\d+(?:[.,]\d+)?\s?(?:%|percent\b|per cent\b)",
       lambda t, low, w, d: d and ("%" in t or "per" in low)),
    _p("date",
       r"\b\d{4}-\d{1,2}-\d{1,2}\b"
       r"|\b(?!24/7\b)\d{1,2}/\d{1,2}(?:/\d{2,4})?\b|\b\d{1,2}\.\d{1,2}\.\d{2,4}\b",  # 24/7 is no date
       lambda t, low, w, d: d and any(ch in t for ch in "-/.")),
    _p("date",
       rf"\b(?:{_MONTH_RE})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}}\b)?"
       rf"|\b\d{{1,2}}(?:st|nd|rd|th)?(?:\s+of)?\s+(?:{_MONTH_RE})\b\.?(?:,?\s+\d{{4}}\b)?"
       rf"|\b(?:{_MONTH_RE})\s+\d{{4}}\b",
       lambda t, low, w, d: d and not w.isdisjoint(MONTHS)),
    _p("weekday", rf"\b(?:{'|'.join(WEEKDAYS)})\b", lambda t, low, w, d: not w.isdisjoint(WEEKDAYS)),
    # case matters for the time zone ("at" is not one), so this one runs on the original text
    _p("time",
       r"\b\d{1,2}:\d{2}(?:\s?[aApP]\.?[mM]\b\.?)?(?:\s?(?:UTC|GMT|[A-Z]{1,3}[SD]?T)\b)?"
       r"|\b\d{1,2}\s?[aApP]\.?[mM]\b\.?(?:\s?(?:UTC|GMT|[A-Z]{1,3}[SD]?T)\b)?"
       r"|\b(?:[nN]oon|[mM]idnight)\b",
       lambda t, low, w, d: (d and (":" in t or not w.isdisjoint({"am", "pm", "a", "p"})))
       or "noon" in w or "midnight" in w,
       lower=False),
    _p("duration",
       rf"\b{_NUM_OR_WORD}(?:\s?(?:-|–|to)\s?{_NUM_OR_WORD})?[\s-](?:(?:{_QUAL_RE})\s)?(?:{_UNIT_RE})\b",
       lambda t, low, w, d: not w.isdisjoint(UNITS)),
    _p("phone",
       r"(?<![\w#/-])(?:\+\d{1,3}[\s.-]?)?(?:\(\d{1,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]\d{2,4}){1,4}(?![\w-])",
       lambda t, low, w, d: d),
    # any token with a digit: order/ticket/tracking/invoice IDs, plain numbers
    _p("id", r"(?<![\w#@/-])#?(?:[a-z]+[-_/])*[a-z]*\d[a-z0-9]*(?:[-_/][a-z0-9]+)*(?:\.\d+)?(?![\w])",
       lambda t, low, w, d: d),
]
PLACEHOLDER_RE = PATTERNS[0].regex
_WORDS = re.compile(r"[a-z]+")
_DIGIT = re.compile(r"\d")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


_TIME_SPLIT = re.compile(r"(\d{1,2})(?::(\d{2}))?\s?(?:([ap])\.?m\.?)?", re.I)
_NUMBER_WORD_TOKEN = re.compile(rf"\b(?:{_NUMWORD_RE})\b", re.I)


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
    raw = text.replace("\u00a0", "").replace(" ", "")
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
    amount = re.search(_AMOUNT, text)
    value = _decimal(amount.group(0)) if amount else None
    return frozenset({("money", currency, _num(value))})


def _date_keys(text: str) -> frozenset:
    lowered = text.lower().replace(",", " ")
    iso = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", lowered.strip())
    if iso:
        return frozenset({("date", int(iso[2]), int(iso[3]), int(iso[1]))})
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
    month = next(MONTHS[w] for w in re.findall(r"[a-z]+", lowered) if w in MONTHS)
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
    words = re.findall(rf"\d+(?:\.\d+)?|{_NUMWORD_RE}|[a-z]+", lowered)
    values = [v for v in (_number_value(w) for w in words if w not in UNITS and w not in QUALIFIERS and w != "to") if v is not None]
    unit = next(UNITS[w] for w in reversed(words) if w in UNITS)
    qualifier = next((QUALIFIERS[w] for w in words if w in QUALIFIERS), None)
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
        keys = frozenset({("weekday", text.lower())})
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
    return {Decimal(NUMBER_WORDS[w.lower()]) for w in _NUMBER_WORD_TOKEN.findall(text)}


def present_verbatim(literal: str, text: str) -> bool:
    return re.search(rf"(?<![\w]){re.escape(literal)}(?![\w])", text) is not None
