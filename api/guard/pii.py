"""Personal data in free text: emails, phone numbers, payment card numbers, IBANs and national
identity numbers (a US Social Security number, a UK National Insurance number); and the names
the caller gives (`names`: the `customer_name` variable) or the customer signs with
(`signature_names`).

`find(text)` returns the spans `guard.mask(..., pii=True)` swaps for tokens before a model sees
the text. It is tuned to mask what is clearly personal and leave the facts of a support reply
alone (order and tracking numbers, amounts, dates): a card number must pass the Luhn check and
an IBAN the ISO 13616 check (python-stdnum), and a phone number must look like one (an international
`+` or `00` prefix, an area code in brackets, a national number with a leading 0, or
`555-123-4567`), not any run of digits. Values are never logged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

import phonenumbers
from stdnum import iban as stdnum_iban
from stdnum.us import ssn as stdnum_ssn

Kind = Literal["email", "iban", "card", "phone", "national_id", "name"]


@dataclass(frozen=True)
class Found:
    kind: Kind
    start: int
    end: int
    value: str


# Any address RFC 5322 allows in practice: a quoted local part ("john doe"@...), apostrophes and
# percent signs in it (o'brien@, bob%relay@), a domain without dots (admin@localhost) or an IP
# literal (user@[192.168.1.10]). Wider than the guard's email fact, so no part of one is left.
_EMAIL = re.compile(
    r"(?:\"[^\"\n@]{1,64}\"|(?<![\w.'%+-])[\w.'%+-]*\w)"
    r"@(?:\[(?:IPv6:)?[0-9A-Fa-f.:]{2,45}\]|[\w-]+(?:\.[\w-]+)*\b)"
)

# Two letters, two check digits, then the account: compact, or in groups of four.
_IBAN = re.compile(
    r"(?<![\w-])[A-Z]{2}\d{2}(?:[A-Z0-9]{11,30}|(?:[ \u00a0-][A-Z0-9]{1,4}){3,8})(?![\w-])", re.I
)
# Groups of digits with spaces (one or two, non-breaking too), dashes or dots between them, also
# right after "#" or "no."; `_card` picks the card number out (Luhn, 13-19 digits).
_CARD = re.compile(r"(?<![\w+,/-])(?<!\d\.)\d+(?:(?:[ \u00a0]{1,2}|[.-])\d+)*(?![\w])")
_NOT_AFTER = r"(?![\w/:]|[.,-]\d)"  # a phone does not run into a word, a time or a decimal
_PHONE = re.compile(
    "|".join(
        f"(?:{pattern}){_NOT_AFTER}"
        for pattern in (
            # +44 20 7946 0958, +1 (800) 555-0199, +33 1 23 45 67 89, +49 30 1234567
            # (only the first group may follow without a separator: no ambiguous backtracking)
            r"(?<![\w+])(?:\(\+\d{1,3}\)|\+\d{1,3})(?:[ .-]?\(\d{1,5}\))?[ .-]?\d+(?:[ .-]\d+){0,6}",
            # 0044 20 7946 0958, 020 7946 0958, 030 1234567, 01 23 45 67 89, 06-12345678
            r"(?<![\w#/.,+-])0\d{1,4}(?:[ .-]\d{2,8}){1,5}",
            # (555) 123-4567, (020) 7946 0958
            r"(?<![\w#/+-])\(\d{2,5}\)[ .-]?\d{3,4}[ .-]?\d{3,4}",
            # 1-800-555-0199, 1 (800) 555-0199 (North American, with the country's 1)
            r"(?<![\w#/.,+-])1[ .-]?(?:\(\d{3}\)|\d{3})[ .-]?\d{3}[ .-]\d{4}",
            # 555-123-4567, 555.123.4567, 555 123 4567
            r"(?<![\w#/.,+-])\d{3}(?P<sep>[ .-])\d{3}(?P=sep)\d{4}",
        )
    )
)
# by the first character; else exactly 10 ("1": a North American number with or without its 1)
# US SSN as written (123-45-6789), checked by python-stdnum (no 000/666/9xx area, no 00 group...);
# UK National Insurance number (AB 12 34 56 C), by its published prefix rules.
_SSN = re.compile(r"(?<![\w-])\d{3}-\d{2}-\d{4}(?![\w-])")
_NINO = re.compile(r"(?<![\w-])(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TY][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![\w-])")
_DIGIT_COUNT = {"+": (8, 15), "0": (9, 15), "(": (9, 12), "1": (10, 11)}


def luhn_ok(digits: str) -> bool:
    """The Luhn checksum of a string of digits (the last one is the check digit)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def iban_ok(iban: str) -> bool:
    """ISO 13616 (python-stdnum): the mod-97 check and the country's IBAN length; spaces,
    non-breaking spaces and dashes between groups allowed. Not the national account checks (a
    bank unknown to python-stdnum's registry is still a bank account to mask)."""
    return stdnum_iban.is_valid(re.sub(r"[\s\u00a0-]", "", iban), check_country=False)


def _iban(match: re.Match[str]) -> list[tuple[int, int]]:
    """Valid IBANs the match starts with, longest first (its last groups may be words that
    follow the IBAN)."""
    text, start = match.group(0), match.start()
    cuts = [len(text)] + [i for i in range(len(text) - 1, 4, -1) if text[i] in " \u00a0-"]
    return [(start, start + cut) for cut in cuts if iban_ok(text[:cut])]


def _card(match: re.Match[str]) -> list[tuple[int, int]]:
    """Runs of the match's digit groups shaped like a card number (a first group of 4+ digits,
    inner groups of 3+) with 13 to 19 digits that pass the Luhn check, those ending in a group of
    3+ digits first, then the longest, so numbers written next to a card ("2 x 4111 1111 1111
    1111 2") do not hide it."""
    text, offset = match.group(0), match.start()
    groups = [m.span() for m in re.finditer(r"\d+", text)]
    runs = []
    for i, (first, first_end) in enumerate(groups):
        if first_end - first < 4:
            continue
        for j in range(i, len(groups)):
            last_start, last = groups[j]
            digits = re.sub(r"\D", "", text[first:last])
            if len(digits) > 19:
                break
            if len(digits) >= 13 and luhn_ok(digits):
                runs.append((last - last_start < 3, first - last, first, last))
            if j > i and last - last_start < 3:
                break  # a short group can only end a card number
    return [(offset + first, offset + last) for *_, first, last in sorted(runs)]


def _phone(match: re.Match[str]) -> list[tuple[int, int]]:
    """The match, or the match without its last digit groups (numbers written after a phone
    number), when it has as many digits as a phone number of its form."""
    text, offset = match.group(0), match.start()
    low, high = _DIGIT_COUNT.get(text[0], (10, 10))
    ends = [len(text)] + [m.end() for m in re.finditer(r"\d+(?= )", text)][::-1]
    return [(offset, offset + end) for end in ends if low <= sum(ch.isdigit() for ch in text[:end]) <= high]


# National numbers our shapes do not know (a bare "2025550143", Spain's "612 345 678") are found
# by the phonenumbers library, valid for one of these regions, and only after a word that says a
# phone number follows: an invoice number can be a valid US number too.
_PHONE_CUE = re.compile(
    r"\b(?:call|called|calling|phone|telephone|tel|mobile|cell|cellphone|whatsapp|fax|ring|sms|text me|reach me)\b",
    re.I,
)
_PHONE_REGIONS = ("US", "GB", "DE", "FR", "ES", "IT", "NL", "AU", "CA", "IN", "BR", "MX", "JP")
_CUE_REACH = 40  # characters between the cue and the number


def _cued_phones(text: str) -> list[tuple[int, int]]:
    """The numbers phonenumbers finds in the stretch after each phone word (only there: the
    library is slow on whole texts)."""
    spans: set[tuple[int, int]] = set()
    for cue in _PHONE_CUE.finditer(text):
        window = text[cue.end() : cue.end() + _CUE_REACH + 25]
        if not any(ch.isdigit() for ch in window):
            continue
        for region in _PHONE_REGIONS:
            for match in phonenumbers.PhoneNumberMatcher(window, region, leniency=phonenumbers.Leniency.VALID):
                if match.start <= _CUE_REACH:
                    spans.add((cue.end() + match.start, cue.end() + match.end))
    return sorted(spans, key=lambda span: (span[0], -span[1]))  # the longest reading first


_FINDERS = (
    ("email", _EMAIL, lambda match: [match.span()]),
    ("national_id", _SSN, lambda match: [match.span()] if stdnum_ssn.is_valid(match.group(0)) else []),
    ("national_id", _NINO, lambda match: [match.span()]),
    ("iban", _IBAN, _iban),
    ("card", _CARD, _card),
    ("phone", _PHONE, _phone),
)


# A sign-off, then a capitalised name of one to three words that ends the message. Possessive
# quantifiers: the whitespace runs cannot trade characters (no backtracking on long runs).
_SIGNED = re.compile(
    r"(?:^|[\n.!?])\s*+(?i:many thanks|thank you|thanks|best regards|kind regards|warm regards|regards|best|"
    r"cheers|sincerely|--)[ \t]*+(?:[,!.][ \t]*+)?(?:\n\s*+)?(?P<name>[A-Z][\w'’-]*+(?: [A-Z][\w'’-]*+){0,2})$"
)
# Capitalised words that end a message without being a name (or are names and words alike).
_NOT_NAMES = frozenset(
    "will may bill mark grace hope joy june april august faith rose summer sunny please advise customer "
    "service support team the all everyone sent from get outlook iphone android mobile kind warm best".split()
)


def signature_names(text: str) -> list[str]:
    """The name a message is signed with ("Thanks,\nJohn Smith"), if it ends with one (only its
    last 200 characters are read); none when a word of it is also a common English word."""
    match = _SIGNED.search(text.rstrip()[-200:])
    if match is None or any(word.lower() in _NOT_NAMES for word in match.group("name").split()):
        return []
    return [match.group("name")]


def find(text: str, skip: list[tuple[int, int]] | None = None, names: tuple[str, ...] = ()) -> list[Found]:
    """Personal data in `text`, in order of appearance, never overlapping each other or a span in
    `skip` (e.g. helpdesk placeholders, which stay placeholders). `names` are found wherever they
    stand as whole words."""
    taken = list(skip or [])
    found: list[Found] = []

    def claim(kind: Kind, spans: list[tuple[int, int]]) -> None:
        """The first of `spans` that overlaps nothing taken is personal data of `kind`."""
        span = next((s for s in spans if not any(s[0] < b and a < s[1] for a, b in taken)), None)
        if span is not None:
            taken.append(span)
            found.append(Found(kind, span[0], span[1], text[span[0] : span[1]]))

    digits = any(ch.isdigit() for ch in text)
    for kind, regex, accept in _FINDERS if digits or "@" in text else ():
        for match in regex.finditer(text):
            spans = accept(match)
            if not spans and kind == "iban":
                taken.append(match.span())  # an IBAN with a typo: no card or phone inside either
            claim(kind, spans)  # type: ignore[arg-type]
    for span in _cued_phones(text) if digits else ():
        claim("phone", [span])
    # After the rest ("John@example.com" stays one email); a name that is also a common word
    # ("Will", "May") is not looked for in the text, where it is mostly the word.
    for name in (n for n in names if not all(word.lower() in _NOT_NAMES for word in n.split())):
        for match in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", text):
            claim("name", [match.span()])
    found.sort(key=lambda f: f.start)
    return found
