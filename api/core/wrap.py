"""Wrap mode: the draft, word for word, between an opening the model writes and a closing.

A small base model (the embedded Gemma 3 270M) cannot rewrite a draft freely without losing
steps or inventing them. What it can do is one short sentence. So in wrap mode the model writes
only the opening, one sentence that names the customer's feeling and restates their problem (the
template's `wrap.opening` few-shot prompt); the draft follows exactly as the agent wrote it, and
a closing that invites a reply comes from the template's `wrap.closings` (picked by the draft, so
the same draft gets the same closing). No fact, step or condition of the draft can be lost.

The opening is checked before it is used: its first sentence only, plain words (no markup, no
braces, no digits the customer did not write), no negation (no assumption that the customer
cannot do something, no decision the draft does not make), nothing the draft says the
opposite of (checked on the opening alone: beside the verbatim draft, the whole reply always
holds both sides), and no topic that neither the customer nor the draft brought up. Anything
else gives way to the template's default opening.
"""

from __future__ import annotations

import hashlib
import re

from api.guard import content
from api import guard

_SENTENCE_END = re.compile(r"(?<=[.!?])(?:\s|$)")
_FORBIDDEN = re.compile(r"[<>{}\[\]|*_`\\]|https?:|www\.|@")
# Any negation: "you can't ...", "it's not possible" assume or decide what the draft does not
# (and read as meaning flips against a draft that explains how to do it). An opening needs none.
_ASSUMPTION = re.compile(r"n't\b|\b(?:not|no|never|cannot|unable|impossible|nothing|nobody)\b", re.I)
_DIGITS = re.compile(r"\d+(?:[.,-]\d+)*")

MIN_CHARS, MAX_CHARS = 12, 220
LANGUAGE = "en"  # the templates' openings and closings are English; a draft in another language is not wrapped


# Words an opening may use beyond the customer's and the draft's: feelings and the verbs of
# restating a request (Snowball stems, as `api.guard.content.words` gives them).
_FEELINGS = content.words(
    "annoying annoyed disappointing disappointed stressful stressed worrying worried upset confusing "
    "confused difficult inconvenient trouble hoping hoped waiting wait different answer like want wanted "
    "trying tried looking wondering glad happy sorry walk through sort right away quickly soon "
    # the generic nouns of any support request, which name no topic of their own
    "account order purchase new information concerned"
)


def _grounded(sentence: str, customer_message: str | None, draft: str) -> bool:
    """Every content word of the opening comes from the customer, the draft or `_FEELINGS`: a
    small model otherwise brings in a worked example's topic ("your refund" for an invoice)."""
    return not (content.words(sentence) - content.words(f"{customer_message or ''} {draft}") - _FEELINGS)


def opening(generated: str, customer_message: str | None, draft: str = "") -> str | None:
    """The usable first sentence of what the model wrote, or None."""
    text = " ".join(generated.replace("’", "'").split())
    match = _SENTENCE_END.search(text)
    sentence = text[: match.start()] if match else ""
    if not (MIN_CHARS <= len(sentence) <= MAX_CHARS) or not sentence[0].isalpha():
        return None
    if _FORBIDDEN.search(sentence) or _ASSUMPTION.search(sentence):
        return None
    if any(number not in (customer_message or "") for number in _DIGITS.findall(sentence)):
        return None
    if not _grounded(sentence, customer_message, draft):
        return None
    if draft and guard.flips(draft, sentence, customer_message or ""):  # "you're eligible" before "not eligible"
        return None
    return sentence


def closing(closings: list[str], draft: str) -> str:
    """One of the template's closings, the same for the same draft."""
    index = int.from_bytes(hashlib.sha256(draft.encode()).digest()[:4], "big") % len(closings)
    return closings[index]


# A greeting line ("Hi {{PH1}},\n\n") or a greeting that starts the first line ("Hi {{PH1}}, your ...").
_GREETING = re.compile(
    r"\s*(?:hi|hello|hey|dear|good (?:morning|afternoon|evening))\b[^\n]{0,80}?(?:\n+|,[ \t]+(?=\S))", re.I
)
_SIGN_OFF = re.compile(
    r"\n+[ \t]*(?:(?:best|kind|warm|many)\s+)?(?:regards|wishes|thanks|thank you|cheers|sincerely|best)\b"
    r"[^\n]{0,40}(?:\n[^\n]{0,60}){0,3}\s*$",
    re.I,
)


# A plain lower-case word (not a code, a URL, "iOS" or an email): only such a first word is capitalised.
_PLAIN_WORD = re.compile(r"[a-z]+(?=[ \t\n,;!?]|$)")


def greets(draft: str) -> bool:
    """Does the draft open with its own greeting line ("Hi {{name}},")? Then the opening goes
    after it and does not repeat the customer's name."""
    return _GREETING.match(draft) is not None


def compose(first: str, draft: str, last: str) -> list[str]:
    """The reply's three parts as they are sent (joined, they are the reply): the opening after
    the draft's greeting line if it has one, the draft's body, and the closing before the
    draft's sign-off if it has one. Nothing of the draft is changed or left out, except the first
    letter of a body that followed a greeting on the same line, when it is a plain lower-case word
    ("your"): after the opening, it starts a sentence. A code, a URL or "iOS" stays as it is."""
    greeting = _GREETING.match(draft)
    start = greeting.end() if greeting else 0
    inline = greeting is not None and not greeting.group().endswith("\n")
    if inline and not first.startswith("I "):
        first = first[0].lower() + first[1:]  # "Hi Ana, thank you for ..."
    sign_off = _SIGN_OFF.search(draft, start)
    end = sign_off.start() if sign_off else len(draft)
    body = draft[start:end].strip()
    if inline and _PLAIN_WORD.match(body):
        body = body[:1].upper() + body[1:]  # "Hi Ana, your refund" now starts a sentence: "Your refund"
    sep = "\n\n" if "\n" in draft else " "
    return [draft[:start] + first, sep + body, sep + last + draft[end:]]
