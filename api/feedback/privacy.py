"""What the feedback store keeps of a text: unless REWRITER_FEEDBACK_STORE_PII=true, personal data
(emails, phones, card numbers, IBANs, national ID numbers: `api.guard.pii`, and the customer's
name) is replaced by its kind in brackets, `[email]`, before anything is written. Helpdesk
placeholders stay as they are: they hold no data."""

from __future__ import annotations

import difflib
import re

from api.guard import pii as piilib
from api.guard.fact_patterns import PLACEHOLDER_RE


def names_of(customer_name: object, customer_message: str | None) -> tuple[str, ...]:
    """The customer's names to redact: the `customer_name` variable and the name the customer
    message is signed with."""
    found = [customer_name.strip()] if isinstance(customer_name, str) and customer_name.strip() else []
    found += piilib.signature_names(customer_message or "")
    return tuple(dict.fromkeys(found))


def redact(text: str | None, names: tuple[str, ...] = ()) -> str | None:
    """`text` with each piece of personal data replaced by `[kind]`."""
    if not text:
        return text
    skip = [m.span() for m in PLACEHOLDER_RE.finditer(text)]
    out, last = [], 0
    for found in piilib.find(text, skip=skip, names=names):
        out += [text[last:found.start], f"[{found.kind}]"]
        last = found.end
    return "".join(out) + text[last:]


_TOKEN = re.compile(r"\[[a-z_]+\]|\w+|[^\w\s]")


def redact_like(sent: str, stored_rewrite: str) -> str:
    """What an agent sent, redacted as the stored rewrite it started from was: personal data
    found in it, and the words standing where the stored rewrite has `[name]` (the customer's name,
    which only the rewrite's request knew) wherever they appear."""
    theirs = [m.group() for m in _TOKEN.finditer(stored_rewrite)]
    ours = list(_TOKEN.finditer(sent))
    names: list[str] = []
    matcher = difflib.SequenceMatcher(None, theirs, [m.group() for m in ours], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "replace":
            continue
        for k, token in enumerate(theirs[i1:i2]):
            if token != "[name]":
                continue
            words = []  # the capitalised words at the same place in what was sent (up to 3)
            for m in ours[j1 + k:j2]:
                if not (m.group()[:1].isupper() and m.group().isalpha()) or len(words) == 3:
                    break
                words.append(m.group())
            if words:
                names += [" ".join(words), *words]
    return redact(sent, tuple(dict.fromkeys(names))) or sent
