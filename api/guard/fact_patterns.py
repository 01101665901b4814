"""What protected facts look like: the vocabulary (months, currencies, units, number words) and
the patterns that find each kind of fact, in priority order (a span claimed by one kind is not
seen by the next). Compiled once, at import. `api.guard.facts` extracts and normalises with them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from . import fact_patterns_i18n as i18n

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
                    "c$": "CAD", "ca$": "CAD", "a$": "AUD", "au$": "AUD", "r$": "BRL"}
CURRENCY_WORDS = {"dollar": "USD", "dollars": "USD", "euro": "EUR", "euros": "EUR", "pound": "GBP",
                  "pounds": "GBP", "yen": "JPY", "rupees": "INR", "reais": "BRL", "dólares": "USD",
                  "dolares": "USD", "franken": "CHF"}
CURRENCY_CODES = ("USD", "EUR", "GBP", "CAD", "AUD", "JPY", "INR", "CHF", "SEK", "NOK", "DKK",
                  "PLN", "MXN", "BRL", "NZD", "SGD", "ZAR")
UNITS = {"minute": "minute", "minutes": "minute", "min": "minute", "mins": "minute", "hour": "hour",
         "hours": "hour", "hr": "hour", "hrs": "hour", "day": "day", "days": "day", "week": "week",
         "weeks": "week", "month": "month", "months": "month", "year": "year", "years": "year"}
QUALIFIERS = {"business": "business", "working": "business", "calendar": "calendar"}

_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))
NUMBER_WORD_RE = "|".join(sorted((w for w in NUMBER_WORDS if len(w) > 2), key=len, reverse=True))
AMOUNT_RE = r"(?:\d{1,3}(?:[,.\u00a0\u202f\u2009 ]\d{3})+(?:[.,]\d{1,2})?|\d+(?:[.,]\d{1,2})?)(?![\d])"
_SYMBOL = r"(?:us\$|ca\$|au\$|c\$|a\$|(?<![a-z])r\$|[$€£¥₹])"
_CODES = "|".join(code.lower() for code in CURRENCY_CODES)
_CURWORDS = "|".join(CURRENCY_WORDS)
_UNIT_RE = "|".join(sorted(UNITS, key=len, reverse=True))
_QUAL_RE = "|".join(QUALIFIERS)
_NUM_OR_WORD = rf"(?:\d+(?:\.\d+)?|{NUMBER_WORD_RE})"
_SPELLED_NUMBER = (
    r"(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|"
    r"sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|"
    r"thousand|million)"
)
_SPELLED_CURRENCY = "|".join(word for word in CURRENCY_WORDS if not word.startswith("pound"))
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


def _gated(gate: tuple[frozenset[str], tuple[str, ...]], digits: bool = True):
    """A gate for a pattern of `fact_patterns_i18n`: one of its words may be in the text."""
    tokens, hints = gate

    def may_match(t: str, low: str, w: frozenset[str], d: bool) -> bool:
        if digits and not d:
            return False
        return not w.isdisjoint(tokens) or (not t.isascii() and any(h in low for h in hints))

    return may_match


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
       rf"{_SYMBOL}\s?(?:{AMOUNT_RE})"
       rf"|\b(?:{_CODES})\s?(?:{AMOUNT_RE})"
       # 12,50 €, 49,90 R$, 12,50 $ (French and Canadian French write the symbol after)
       rf"|(?<![\w.,#/-])(?:{AMOUNT_RE})\s?"
       rf"(?:(?:{_CODES})\b|(?:{_CURWORDS})\b|(?:[€£¥₹$]|(?<![a-z])r\$)(?!\s?\d))",
       lambda t, low, w, d: d and any(hint in low for hint in _CURRENCY_HINTS)),
    # an amount in words: "fifty dollars", "two hundred and fifty euros" (not "pounds": a weight too)
    _p("money", rf"\b{_SPELLED_NUMBER}(?:(?:[ -]|\s+and\s+){_SPELLED_NUMBER}){{0,6}}\s+(?:{_SPELLED_CURRENCY})\b",
       lambda t, low, w, d: not w.isdisjoint(CURRENCY_WORDS)),
    _p("percent",
       r"(?<![\w.,])\d+(?:[.,]\d+)?\s?"
       r"(?:%|percent\b|per cent\b|por ciento\b|pour cent\b|prozent\b|por cento\b)",
       lambda t, low, w, d: d and ("%" in t or "per" in low or "por c" in low or "pour c" in low or "prozent" in low)),
    _p("date",
       r"\b\d{4}-\d{1,2}-\d{1,2}\b"
       r"|\b(?!24/7\b)\d{1,2}/\d{1,2}(?:/\d{2,4})?\b|\b\d{1,2}\.\d{1,2}\.\d{2,4}\b",  # 24/7 is no date
       lambda t, low, w, d: d and any(ch in t for ch in "-/.")),
    _p("date",
       rf"\b(?:{_MONTH_RE})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b(?:,?\s+\d{{4}}\b)?"
       rf"|\b\d{{1,2}}(?:st|nd|rd|th)?(?:\s+of)?\s+(?:{_MONTH_RE})\b\.?(?:,?\s+\d{{4}}\b)?"
       rf"|\b(?:{_MONTH_RE})\s+\d{{4}}\b",
       lambda t, low, w, d: d and not w.isdisjoint(MONTHS)),
    # 3 de marzo de 2026, le 3 mars, 1er mars, 3. März 2026, 3 de março, 1.º de julio, marzo de 2026
    _p("date", i18n.DATE, _gated(i18n.DATE_GATE)),
    # am 03.03., bis zum 3.3. (German, day first)
    _p("date", i18n.GERMAN_SHORT_DATE,
       lambda t, low, w, d: d and "." in t and not w.isdisjoint(i18n.GERMAN_DATE_CUES)),
    _p("weekday", rf"\b(?:{'|'.join(WEEKDAYS)})\b", lambda t, low, w, d: not w.isdisjoint(WEEKDAYS)),
    # lunes, mardi, Freitag, sexta-feira, na sexta
    _p("weekday", i18n.WEEKDAY, _gated(i18n.WEEKDAY_GATE, digits=False)),
    # 14h30, 14 h 30, 9h, 14:30 Uhr, 14.30 Uhr, 14 Uhr, às 14 horas
    _p("time", i18n.TIME, lambda t, low, w, d: d and not w.isdisjoint({"h", "uhr", "horas", "heures"})),
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
    # 3 a 5 días hábiles, 48 heures, 3–5 Werktage, duas semanas, 24 h
    _p("duration", i18n.DURATION, _gated(i18n.DURATION_GATE, digits=False)),
    _p("phone",
       # after a country code, wider groups: +33 1 23 45 67 89, +55 11 91234-5678, +49 89 12345678
       r"(?<![\w#/-])(?:\+\d{1,3}[\s.-]?(?:\(\d{1,4}\)[\s.-]?)?\d{1,5}(?:[\s.-]\d{2,8}){1,4}"
       r"|(?:\(\d{1,4}\)[\s.-]?)?\d{2,4}(?:[\s.-]\d{2,4}){1,4})(?![\w-])",
       lambda t, low, w, d: d),
    # ordinals with a letter outside ASCII: 2ème, 1ère, 3º, 3.ª (1er, 2e, 2do are IDs below)
    _p("id", i18n.ORDINAL,
       lambda t, low, w, d: d and not t.isascii() and any(h in t for h in i18n.ORDINAL_HINTS)),
    # any token with a digit: order/ticket/tracking/invoice IDs, plain numbers
    _p("id", r"(?<![\w#@/-])#?(?:[a-z]+[-_/])*[a-z]*\d[a-z0-9]*(?:[-_/][a-z0-9]+)*(?:\.\d+)?(?![\w])",
       lambda t, low, w, d: d),
]
PLACEHOLDER_RE = PATTERNS[0].regex
