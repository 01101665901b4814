"""Facts written in Spanish, French, German and Portuguese: the vocabulary (months, weekdays, units,
number words) and the patterns `api.guard.fact_patterns` adds to its English ones, for

- dates: `3 de marzo (de 2026)`, `le 3 mars 2026`, `1er mars`, `3. März 2026`, `3 de março`,
  `1.º de julio`, abbreviations with their dot (`3 févr.`, `3. Mär.`, `3 de mar.`), month and year
  (`marzo de 2026`), and the German `am 03.03.` (day first);
- weekdays (`lunes`, `mardi`, `Freitag`, `sexta-feira`, `na sexta`);
- times: `14h30`, `14 h 30`, `9h`, `14:30 Uhr`, `14.30 Uhr`, `14 Uhr`, `às 14 horas`;
- durations: `3 a 5 días hábiles`, `48 heures`, `3–5 Werktage`, `duas semanas`, `24 h`;
- ordinals with a letter English has not: `2ème`, `1ère`, `3º`, `3.ª` (the ASCII ones, `1er`,
  `2e`, `2do`, are found as IDs already, as `1st` is).

Amounts need no pattern of their own (decimal commas, `R$`, a symbol after the amount are in the
English money pattern). Every pattern here runs on the ASCII-lower-cased copy of the text, so a
letter outside ASCII is matched in either case and without its accent (`_loose`); each has a gate
that keeps it off English text. Facts normalise to the same keys as English ones, so `3 de marzo`,
`3 March` and `03/03` are one date and `14h30` and `2:30 PM` one time.
"""

from __future__ import annotations

import re
import unicodedata

# --- vocabulary ------------------------------------------------------------------------------

_MONTH_NAMES = {  # full names, lower case
    1: "enero janvier januar jänner janeiro",
    2: "febrero février februar fevereiro",
    3: "marzo mars märz maerz março",
    4: "abril avril april",
    5: "mayo mai maio",
    6: "junio juin juni junho",
    7: "julio juillet juli julho",
    8: "agosto août august",
    9: "septiembre setiembre septembre september setembro",
    10: "octubre octobre oktober outubro",
    11: "noviembre novembre november novembro",
    12: "diciembre décembre dezember dezembro",
}
_MONTH_ABBREVIATIONS = {  # used with their dot, or before a year
    1: "ene janv jan", 2: "feb févr fév fev", 3: "mar mär mrz", 4: "abr avr apr", 5: "may mai",
    6: "jun juin", 7: "jul juil", 8: "ago aug", 9: "sep sept set", 10: "oct okt out", 11: "nov",
    12: "dic déc dez",
}
_WEEKDAY_NAMES = {
    "monday": "lunes lundi montag segunda-feira",
    "tuesday": "martes mardi dienstag terça-feira",
    "wednesday": "miércoles mercredi mittwoch quarta-feira",
    "thursday": "jueves jeudi donnerstag quinta-feira",
    "friday": "viernes vendredi freitag sexta-feira",
    "saturday": "sábado samedi samstag sonnabend",
    "sunday": "domingo dimanche sonntag",
}
# Portuguese short forms ("na sexta"), which are ordinals too ("a segunda opção"): only after these.
_PT_SHORT_WEEKDAYS = ("segunda", "terça", "quarta", "quinta", "sexta")
_PT_WEEKDAY_CUES = ("na", "nesta", "próxima", "proxima", "até", "ate", "desta", "à", "a partir da")
_NOT_A_WEEKDAY_AFTER = ("vez", "via", "opção", "opcao", "parcela", "tentativa", "etapa", "fase", "semana",
                        "metade")

# Number words, as in `facts.NUMBER_WORDS`. Left out: words that are something else as often
# ("un", "una", "ein": "a"; "once": English; "sept": September; Portuguese "dos": "of the").
NUMBER_WORDS = {
    # es
    "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8, "nueve": 9, "diez": 10,
    "doce": 12, "quince": 15, "veinte": 20, "treinta": 30,
    # fr
    "deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "huit": 8, "neuf": 9, "dix": 10, "douze": 12,
    "quinze": 15, "vingt": 20, "trente": 30,
    # de
    "zwei": 2, "drei": 3, "vier": 4, "fünf": 5, "fuenf": 5, "sechs": 6, "sieben": 7, "acht": 8,
    "neun": 9, "zehn": 10, "zwölf": 12, "vierzehn": 14, "fünfzehn": 15, "zwanzig": 20, "dreißig": 30,
    # pt
    "dois": 2, "duas": 2, "três": 3, "quatro": 4, "sete": 7, "oito": 8, "nove": 9, "dez": 10,
    "doze": 12, "vinte": 20, "trinta": 30,
}
# Spanish "dos" only before a noun Portuguese would not write after its "dos" ("of the").
_DOS = r"dos(?=\s+(?:d[íÍ]as|horas|semanas|a[ñÑ]os)\b)"

# unit -> the words for it (lower case); German compounds take a prefix (`_DAY_PREFIXES`)
_UNIT_WORDS = {
    "minute": "minuto minutos minute minutes minuten min",
    "hour": "hora horas heure heures stunde stunden std h",
    "day": "día días dia dias jour jours tag tage tagen",
    "week": "semana semanas semaine semaines woche wochen",
    "month": "mes meses mês mois monat monate monaten",
    "year": "año años ano anos ans année années jahr jahre jahren",  # not "an": German "to"
}
_QUALIFIER_WORDS = {
    "business": "hábiles hábil laborables laborable úteis útil ouvrés ouvrables ouvré ouvrable",
    "calendar": "naturales natural corridos corrido calendaires calendaire",
}
_DAY_PREFIXES = {"werk": "business", "arbeits": "business", "geschäfts": "business", "kalender": "calendar"}


def fold(text: str) -> str:
    """Lower case, without accents (`März` -> `marz`, `terça` -> `terca`, `1.º` -> `1.o`)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _words(table: dict) -> dict[str, object]:
    return {word: key for key, words in table.items() for word in words.split()}


MONTHS = {fold(w): month for w, month in {**_words(_MONTH_NAMES), **_words(_MONTH_ABBREVIATIONS)}.items()}
WEEKDAYS = {fold(w): day for w, day in _words(_WEEKDAY_NAMES).items()}
WEEKDAYS.update({fold(w): WEEKDAYS[fold(w) + "-feira"] for w in _PT_SHORT_WEEKDAYS})
UNITS = {fold(w): unit for w, unit in _words(_UNIT_WORDS).items()}
QUALIFIERS = {fold(w): q for w, q in _words(_QUALIFIER_WORDS).items()}
DAY_PREFIXES = {fold(p): q for p, q in _DAY_PREFIXES.items()}
FOLDED_NUMBER_WORDS = {fold(w): n for w, n in NUMBER_WORDS.items()} | {"dos": 2}


# --- regex building blocks -------------------------------------------------------------------


def _loose(word: str) -> str:
    """A regex for `word` on the ASCII-lower-cased text: a letter outside ASCII in either case or
    without its accent (`märz`: `m(?:ä|Ä|a|ae)rz`)."""
    out = []
    for ch in word:
        if ch.isascii():
            out.append(re.escape(ch))
            continue
        base = fold(ch)
        options = dict.fromkeys([ch, ch.upper(), base] + ([base + "e"] if ch in "äöü" else []))
        out.append("(?:" + "|".join(re.escape(o) for o in options if o) + ")")
    return "".join(out)


def _alternation(words) -> str:
    """An alternation of `words` (each `_loose`) as a trie, so a position whose letter starts none
    of them fails at once; a longer word is tried before its prefix ("marzo" before "mar")."""
    trie: dict = {}
    for word in set(words):
        node = trie
        for ch in word:
            node = node.setdefault(_loose(ch), {})
        node[""] = {}  # the end of a word

    def emit(node: dict) -> str:
        parts = [atom + emit(child) for atom, child in sorted(node.items(), key=lambda kv: kv[0]) if atom]
        if not parts:
            return ""
        body = parts[0] if len(parts) == 1 and "" not in node else "(?:" + "|".join(parts) + ")"
        return body + "?" if "" in node else body

    return emit(trie)


def _initials(words) -> str:
    """The letters `words` start with (either case, with or without accent), for a character class."""
    initials = {c for w in words for c in (w[0], w[0].upper(), fold(w[0]), fold(w[0]).upper())}
    return "".join(sorted(re.escape(c) for c in initials))


def _first_letters(words) -> str:
    """A lookahead for the letters `words` start with: a cheap test before the alternation."""
    return f"(?=[{_initials(words)}])"


def words_regex(words) -> str:
    """Any of `words`, as a whole word: a trie behind a test of their first letters."""
    return rf"\b{_first_letters(words)}(?:{_alternation(words)})\b"


def gate(words) -> tuple[frozenset[str], tuple[str, ...]]:
    """A cheap test that one of `words` may be in a text: the words `facts.extract` splits the
    lower-cased text into (`[a-z]+`) meet the first set (each word without its accents), or the
    text has one of the second (the words with a letter outside ASCII) as a substring."""
    tokens = frozenset(
        run for w in words for run in re.findall(r"[a-z]+", fold(w)) if len(run) > 1 or run == w
    )
    hints = tuple(sorted({w for w in words if not w.isascii()}))
    return tokens, hints


_full_months = _words(_MONTH_NAMES)
_abbreviations = _words(_MONTH_ABBREVIATIONS)
_FULL = _alternation(_full_months)
_ABBR = _alternation(_abbreviations)
_YEAR = r"(?:19|20)\d{2}"
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MONTH = rf"(?:(?:{_FULL})\b|(?:{_ABBR})\.|(?:{_ABBR})\b(?=,?\s+(?:de\s+)?{_YEAR}\b))"

DATE = (
    # 3 de marzo (de 2026), le 3 mars 2026, 1er mars, 1.º de julio, 3. März 2026, 3 févr.
    rf"\b(?:{_DAY}(?:er|\.?\s?[ºª°]|\.)?\s*(?:de\s+)?{_MONTH}(?:,?\s+(?:de\s+)?{_YEAR}\b)?"
    # marzo de 2026, März 2026
    rf"|{_first_letters(_full_months)}(?:{_FULL})\s+(?:de\s+)?{_YEAR}\b)"
)
GERMAN_DATE_CUES = ("am", "zum", "bis", "vom", "ab", "seit", "den", "dem", "der")
# German day-first dates without a year, after a preposition: "am 03.03.", "bis zum 3.3."
GERMAN_SHORT_DATE = (
    "(?:" + "|".join(rf"(?<=\b{cue} )" for cue in GERMAN_DATE_CUES) + ")"
    r"(?:0?[1-9]|[12]\d|3[01])\.(?:0?[1-9]|1[0-2])\.(?!\w|\.\d)"
)
DATE_GATE = gate([*_full_months, *_abbreviations])

_pt_short = "|".join(_loose(w) for w in _PT_SHORT_WEEKDAYS)
_pt_cues = "|".join(rf"(?<=\b{cue} )" if cue[0].isascii() else rf"(?<= {cue} )"  # \b needs an ASCII letter
                    for cue in _PT_WEEKDAY_CUES)
_not_after = "|".join(_loose(w) for w in _NOT_A_WEEKDAY_AFTER)
_weekdays = [w for w in _words(_WEEKDAY_NAMES) if "-" not in w]
WEEKDAY = (
    rf"\b{_first_letters([*_weekdays, *_PT_SHORT_WEEKDAYS])}(?:(?:{_alternation(_weekdays)})\b"
    rf"|(?:{_pt_short})[- ]feira\b"
    rf"|(?:{_pt_cues})(?:{_pt_short})\b(?![- ]feira)(?!\s+(?:{_not_after})\b))"
)
WEEKDAY_GATE = gate([*_words(_WEEKDAY_NAMES), *_PT_SHORT_WEEKDAYS])

_H = r"(?:[01]?\d|2[0-3])"
_M = r"[0-5]\d"
# "en 2 h", "dans 2 h", "innerhalb 2 h": a duration, not a time of day
_DURATION_CUES = ("en", "em", "in", "dans", "sous", "pendant", "durant", "durante", "within", "innerhalb",
                  "binnen", "nach", "tras", "dure", "prend", "tarda", "leva", "dauert", "demora")
_NOT_AFTER_DURATION_CUE = "".join(rf"(?<!\b{cue} )" for cue in _DURATION_CUES) + "(?<!après )(?<!após )"
TIME = (
    r"\b(?=\d)(?:"  # (the lookbehinds are tried only where a number starts)
    rf"{_H}[:.]{_M}\s?(?:uhr|h)\b"  # 14:30 Uhr, 14.30 Uhr, 14:30 h
    rf"|{_H}\s?uhr\b"  # 14 Uhr
    rf"|{_NOT_AFTER_DURATION_CUE}{_H}\s?h\s?{_M}\b(?!\s?min)"  # 14h30, 14 h 30
    rf"|{_NOT_AFTER_DURATION_CUE}{_H}\s?h(?![a-z0-9])"  # 14h, 9 h
    r"|(?:(?<= [àÀ]s )|(?<=\bas )|(?<= [àÀ] )|(?<=\ba las )|(?<=\ba la )|(?<=\bum ))"
    rf"{_H}(?::{_M})?\s?(?:horas|heures)\b)"  # às 14 horas, à 9 heures, um 14 horas
)

_NUM = rf"(?:\d+(?:[.,]\d+)?|{_alternation(NUMBER_WORDS)}|{_DOS})"
_unit_words = _alternation(w for w in _words(_UNIT_WORDS) if w not in {"h", "std", "min"})
_UNIT = rf"(?:(?:{_alternation(_DAY_PREFIXES)})?(?:{_unit_words})|std\.?|min\.?|h)(?![a-z])"
_QUALIFIER = rf"(?:\s(?:{_alternation(_words(_QUALIFIER_WORDS))})\b)?"
DURATION = (  # the number not inside an ID ("CASE-20931 an das Team")
    rf"\b(?=[\d{_initials([*NUMBER_WORDS, 'dos'])}])(?<![#@/.,-])(?:"
    # 3 a 5 días hábiles, 3-5 jours ouvrés, 3 bis 5 Werktage
    rf"{_NUM}(?:\s?[-–]\s?|\s(?:a|à|y|et|e|bis|und)\s){_NUM}[\s-]{_UNIT}{_QUALIFIER}"
    rf"|{_NUM}[\s-]?{_UNIT}{_QUALIFIER})"  # 48 heures, 24h, 30 Tage
)
DURATION_GATE = gate([*(w for w in _words(_UNIT_WORDS) if w != "min"),
                      *(prefix + day for prefix in _DAY_PREFIXES for day in ("tag", "tage", "tagen"))])

# Ordinals with a letter outside ASCII: 2ème, 1ère, 3º, 3.ª (the id pattern finds 1er, 2e, 2do)
ORDINAL = r"(?<![\w#@/.,-])\d{1,3}(?:\.?[ºª]|[èÈ](?:me|re))(?![a-z0-9])"
ORDINAL_HINTS = ("º", "ª", "è", "È")
# What an ordinal looks like once found (an id): 1st, 2nd, 1er, 1re, 2e, 2ème, 3º, 3.ª, 2do, 3ro, 4to
ORDINAL_FORM = re.compile(
    r"(\d{1,3})(?:st|nd|rd|th|er|re|[eè]re|[eè]me|e|nde?|\.?[ºª]|[dr][oa]|[tm][oa]|v[oa]|n[oa])", re.I
)
