"""What the feedback store keeps of a text: unless REWRITER_FEEDBACK_STORE_PII=true, personal data
(emails, phones, card numbers, IBANs, national ID numbers: `api.guard.pii`, and the customer's
name) is replaced by its kind in brackets, `[email]`, before anything is written. Helpdesk
placeholders stay as they are: they hold no data."""

from __future__ import annotations

import difflib
import re

from api.guard import pii as piilib
from api.guard.fact_patterns import PLACEHOLDER_RE

# Words next to a name that are not the name: greetings, titles, and what opens a sentence.
_NOT_NAME = frozenset(
    "hi hello hey dear thanks thank good morning afternoon evening welcome sorry so "
    "mr mrs ms miss mx dr prof sir madam team customer".split()
)


def names_of(customer_name: object, customer_message: str | None) -> tuple[str, ...]:
    """The customer's names to redact: the `customer_name` variable and the name the customer
    message is signed with, each whole and word by word ("Ana Lopez", "Ana", "Lopez")."""
    found = [customer_name.strip()] if isinstance(customer_name, str) and customer_name.strip() else []
    found += piilib.signature_names(customer_message or "")
    return _with_parts(found)


def _with_parts(names: list[str]) -> tuple[str, ...]:
    out: list[str] = []
    for name in names:
        words = [w for w in re.findall(r"[^\W\d_][\w'-]*", name) if len(w) > 1 and w.lower() not in _NOT_NAME]
        out += [name, *words]
    # Written any way round: "ana", "ANA", "Ana" (pii.find matches names as given).
    return tuple(dict.fromkeys(v for name in out for v in (name, name.lower(), name.upper(), name.title())))


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


def _is_name_word(token: str) -> bool:
    return token[:1].isupper() and token.isalpha() and token.lower() not in _NOT_NAME


def redact_like(sent: str, stored_rewrite: str) -> str:
    """What an agent sent, redacted as the stored rewrite it started from was: personal data
    found in it, and the customer's name, which only the rewrite's request knew: where the stored
    rewrite has `[name]` and the agent's text differs, the capitalised words at that place (counted
    from either end of the changed stretch, as an agent edits a greeting or the sentence around
    it) are taken for the name, and redacted wherever they appear."""
    theirs = [m.group() for m in _TOKEN.finditer(stored_rewrite)]
    ours = [m.group() for m in _TOKEN.finditer(sent)]
    names: list[str] = []
    matcher = difflib.SequenceMatcher(None, theirs, ours, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag != "replace":
            continue
        changed = ours[j1:j2]
        for k, token in enumerate(theirs[i1:i2]):
            if token != "[name]":
                continue
            for at in (k, len(changed) - (i2 - i1 - k)):  # the same place, from the start and from the end
                if not 0 <= at < len(changed) or not _is_name_word(changed[at]):
                    continue
                start, end = at, at + 1
                while start > 0 and _is_name_word(changed[start - 1]) and end - start < 3:
                    start -= 1
                while end < len(changed) and _is_name_word(changed[end]) and end - start < 3:
                    end += 1
                names.append(" ".join(changed[start:end]))
    return redact(sent, _with_parts(names)) or sent
