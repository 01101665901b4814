"""The fact guard: a rewrite must say the same things as the draft.

- `mask(text)` swaps helpdesk placeholders for opaque tokens the model copies verbatim, and
  `Masked.unmask(output)` puts them back (and reports tokens the model invented).
- `check(draft, rewrite, customer_message)` compares the protected facts (`api.facts`) of the
  draft with those of the rewrite: every draft fact must survive (normalised), and the rewrite
  may add none that neither the draft nor the customer's message had. Lost + added facts of the
  same kind are reported as one "altered" violation. Negation flips on the draft's key statements
  and new commitments (refunds, discounts, guarantees...) are warnings.
- `word_diff(a, b)` is the word-level diff returned to callers.
"""

from __future__ import annotations

import difflib
from decimal import Decimal
from functools import lru_cache
import re
from dataclasses import dataclass, field
from typing import Literal

from . import facts as factlib
from .facts import Fact

# --- placeholder masking ---------------------------------------------------------------------

_PLACEHOLDER = factlib.PLACEHOLDER_RE


@dataclass(frozen=True)
class Masked:
    text: str
    originals: dict[str, str]  # token -> placeholder as written
    prefix: str

    def unmask(self, output: str) -> tuple[str, list[str]]:
        """Restore placeholders; return the text and any tokens the model made up."""
        if not self.originals:
            return output, []
        invented: list[str] = []

        def restore(match: re.Match[str]) -> str:
            token = match.group(0)
            if token in self.originals:
                return self.originals[token]
            invented.append(token)
            return token

        return re.sub(rf"\{{\{{{re.escape(self.prefix)}\d+\}}\}}", restore, output), invented


def mask(text: str) -> Masked:
    """Replace each placeholder with `{{PHn}}` (the prefix grows until the text cannot contain it,
    so unmasking is exact for any input)."""
    prefix = "PH"
    while prefix in text:
        prefix += "X"
    originals: dict[str, str] = {}
    by_value: dict[str, str] = {}

    def swap(match: re.Match[str]) -> str:
        value = match.group(0)
        if value not in by_value:
            token = f"{{{{{prefix}{len(by_value) + 1}}}}}"
            by_value[value] = token
            originals[token] = value
        return by_value[value]

    return Masked(_PLACEHOLDER.sub(swap, text), originals, prefix)


# --- verdict ---------------------------------------------------------------------------------

ViolationKind = Literal["lost", "added", "altered", "placeholder", "incomplete"]


@dataclass(frozen=True)
class Violation:
    kind: ViolationKind
    fact: str  # the fact's kind: money, date, id, placeholder...
    value: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "fact": self.fact, "value": self.value, "detail": self.detail}


@dataclass(frozen=True)
class Warning:
    kind: Literal["negation_flip", "new_commitment"]
    value: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "value": self.value, "detail": self.detail}


@dataclass
class Verdict:
    kept: list[Fact] = field(default_factory=list)
    lost: list[Fact] = field(default_factory=list)  # draft facts the rewrite does not keep
    violations: list[Violation] = field(default_factory=list)
    warnings: list[Warning] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    def describe(self) -> str:
        """One sentence for people and for the repair prompt."""
        return "; ".join(v.detail for v in self.violations)


def _kept(fact: Fact, found: list[Fact], residue: str, words: set) -> bool:
    if any(fact.covered_by(other) for other in found):
        return True
    # e.g. a code written without its backticks; never inside another fact ("0000" in a date)
    if fact.literal and factlib.present_verbatim(fact.literal, residue):
        return True
    if fact.kind == "number":  # "3 items" may become "three items"
        return Decimal(fact.text.lstrip("#")) in words
    return False


def _residue(text: str, found: list[Fact]) -> str:
    """The text with every extracted fact blanked out."""
    chars = list(text)
    for fact in found:
        chars[fact.start : fact.end] = " " * (fact.end - fact.start)
    return "".join(chars)


def check(
    draft: str,
    rewrite: str,
    customer_message: str | None = None,
    *,
    invented_tokens: list[str] | None = None,
    truncated: bool = False,
) -> Verdict:
    """Compare the rewrite's facts with the draft's. `truncated` says the model stopped at its
    token limit: the end of the reply, and whatever it held, is missing."""
    draft_facts = factlib.extract(draft)
    rewrite_facts = factlib.extract(rewrite)
    known = draft_facts + factlib.extract(customer_message or "")
    words = factlib.number_words(rewrite)
    residue = _residue(rewrite, rewrite_facts)

    verdict = Verdict()
    lost: list[Fact] = []
    seen: set[tuple[str, str]] = set()
    for fact in draft_facts:
        if (fact.kind, fact.text) in seen:
            continue
        seen.add((fact.kind, fact.text))
        (verdict.kept if _kept(fact, rewrite_facts, residue, words) else lost).append(fact)

    added: list[Fact] = []
    seen.clear()
    for fact in rewrite_facts:
        if (fact.kind, fact.text) in seen:
            continue
        seen.add((fact.kind, fact.text))
        if fact.text in (invented_tokens or ()):
            continue  # reported below as a made-up placeholder token
        if not any(other.covered_by(fact) for other in known) and not (
            fact.literal and any(other.literal == fact.literal for other in known)
        ):
            added.append(fact)

    verdict.lost = list(lost)
    # A lost fact and an added fact of the same kind read best as one altered fact.
    for old in list(lost):
        new = next((a for a in added if a.kind == old.kind), None)
        if new is not None:
            lost.remove(old)
            added.remove(new)
            verdict.violations.append(
                Violation("altered", old.kind, old.text, f"{old.kind} {old.text!r} was changed to {new.text!r}")
            )
    for old in lost:
        verdict.violations.append(Violation("lost", old.kind, old.text, f"{old.kind} {old.text!r} is missing"))
    for new in added:
        verdict.violations.append(
            Violation("added", new.kind, new.text, f"{new.kind} {new.text!r} is not in the draft")
        )
    if not rewrite.strip():
        verdict.violations.append(Violation("incomplete", "text", "", "the rewrite is empty"))
    elif truncated:
        verdict.violations.append(
            Violation("incomplete", "text", rewrite[-40:], "the rewrite was cut off at the token limit")
        )
    for token in invented_tokens or []:
        verdict.violations.append(
            Violation("placeholder", "placeholder", token, f"placeholder token {token!r} was made up")
        )
    verdict.warnings = _negation_flips(draft, rewrite) + _new_commitments(draft, rewrite)
    return verdict


# --- warnings --------------------------------------------------------------------------------

# Single-word negation cues (after lower-casing and ’ -> '); "unable to" and "no longer" are
# covered by "unable" and "no".
_NEGATIONS = frozenset(
    "not no never cannot can't won't isn't aren't wasn't weren't don't doesn't didn't nothing "
    "neither nor couldn't shouldn't wouldn't hasn't haven't unable ineligible non-refundable".split()
)
_WORD = re.compile(r"[a-z][a-z'’-]+")  # run on lower-cased text
_CLAUSES = re.compile(r"[.;:!?\n]|,\s+(?:but|so|and|however)\b")
# Words skipped when looking for what a negation governs ("can't *be* refunded", "no *longer* supported").
_FILLER = {
    "to", "be", "been", "being", "a", "an", "the", "any", "able", "longer", "yet", "currently", "at",
    "all", "so", "we", "i", "you", "it", "this", "that", "your", "our", "my", "have", "has", "had",
    "get", "got", "do", "does", "did", "still", "even", "really", "also", "just", "quite", "very",
    "there", "is", "are", "was", "were", "will", "can", "could", "would", "should", "for", "of", "us",
}


@lru_cache(maxsize=4096)
def _stem(word: str) -> str:
    for suffix in ("able", "ed", "ing", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _polarity(text: str) -> tuple[set[str], set[str]]:
    """Stemmed content words that a negation governs (the first two after "not", "can't",
    "no longer", "unable to"..., within five words), and those that stand in a clause with no
    negation at all (plainly affirmed)."""
    negated: set[str] = set()
    affirmed: set[str] = set()
    for clause in _CLAUSES.split(text.lower().replace("’", "'")):
        words = _WORD.findall(clause)
        cues = [i for i, word in enumerate(words) if word in _NEGATIONS]
        content = [i for i, word in enumerate(words) if word not in _FILLER and word not in _NEGATIONS and len(word) > 2]
        for cue in cues:
            governed = [i for i in content if cue < i <= cue + 5][:2]
            negated.update(_stem(words[i]) for i in governed)
        if not cues:
            affirmed.update(_stem(words[i]) for i in content)
    return negated, affirmed


def _negation_flips(draft: str, rewrite: str) -> list[Warning]:
    """A term the draft negates that the rewrite states plainly (and never negates), or the
    other way round."""
    draft_no, draft_yes = _polarity(draft)
    rewrite_no, rewrite_yes = _polarity(rewrite)
    warnings = [
        Warning("negation_flip", term, f"the draft says no to {term!r}; the rewrite does not")
        for term in sorted(draft_no & rewrite_yes - rewrite_no)
    ]
    warnings += [
        Warning("negation_flip", term, f"the rewrite negates {term!r}; the draft does not")
        for term in sorted(rewrite_no & draft_yes - draft_no)
    ]
    return warnings


# name -> (a substring every match contains, the pattern); the substring test skips most regexes.
_COMMITMENTS = {
    "refund": ("refund", r"refund\w*"), "reimburse": ("reimburs", r"reimburs\w*"),
    "discount": ("discount", r"discount\w*"), "compensation": ("compensat", r"compensat\w*"),
    "credit": ("credit", r"credit(?:s|ed)?\b(?!\s+card)"), "voucher": ("voucher", r"voucher\w*"),
    "coupon": ("coupon", r"coupon\w*"), "free": ("free", r"free\s+of\s+charge|for\s+free|\bfree\b"),
    "waive": ("waive", r"waive\w*"), "guarantee": ("guarantee", r"guarantee\w*"),
    "promise": ("promise", r"promise\w*"), "replacement": ("replac", r"replac\w*"),
    "upgrade": ("upgrad", r"upgrad\w*"), "priority": ("priorit", r"priorit\w*"),
    "gift": ("gift", r"gift\s*card\w*"),
    "will be fixed": ("will be", r"will\s+be\s+(?:fixed|resolved|sorted|corrected)"),
}
_COMMITMENT_RES = {name: (hint, re.compile(rf"\b{pattern}")) for name, (hint, pattern) in _COMMITMENTS.items()}


def _commitments(text: str) -> set[str]:
    """The commitment kinds a text mentions."""
    low = text.lower()
    return {name for name, (hint, regex) in _COMMITMENT_RES.items() if hint in low and regex.search(low)}


def _new_commitments(draft: str, rewrite: str) -> list[Warning]:
    new = _commitments(rewrite) - _commitments(draft)
    return [
        Warning("new_commitment", name, f"the rewrite mentions {name!r}, which the draft does not")
        for name in _COMMITMENTS
        if name in new
    ]


# --- diff ------------------------------------------------------------------------------------

_TOKENS = re.compile(r"\s*\S+\s*|\s+")  # a word with the whitespace around it


def word_diff(before: str, after: str) -> list[dict[str, str]]:
    """[{op: equal|insert|delete, text}] over words (whitespace kept, so texts rebuild exactly)."""
    a, b = _TOKENS.findall(before), _TOKENS.findall(after)
    ops: list[dict[str, str]] = []

    def push(op: str, text: str) -> None:
        if not text:
            return
        if ops and ops[-1]["op"] == op:
            ops[-1]["text"] += text
        else:
            ops.append({"op": op, "text": text})

    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            push("equal", "".join(a[i1:i2]))
        else:
            push("delete", "".join(a[i1:i2]))
            push("insert", "".join(b[j1:j2]))
    return ops


class StreamUnmasker:
    """Unmask a stream of text pieces, holding back a token that is split across pieces."""

    def __init__(self, masked: Masked) -> None:
        self.masked = masked
        self._pending = ""
        self._longest = len(masked.prefix) + 10  # "{{" + prefix + up to 6 digits + "}}"
        self.invented: list[str] = []

    def feed(self, piece: str) -> str:
        if not self.masked.originals:
            return piece
        self._pending += piece
        start = self._pending.rfind("{")
        if start != -1 and "}}" not in self._pending[start:] and len(self._pending) - start <= self._longest:
            if start > 0 and self._pending[start - 1] == "{":
                start -= 1
            ready, self._pending = self._pending[:start], self._pending[start:]
        else:
            ready, self._pending = self._pending, ""
        return self._unmask(ready)

    def flush(self) -> str:
        ready, self._pending = self._pending, ""
        return self._unmask(ready)

    def _unmask(self, text: str) -> str:
        restored, invented = self.masked.unmask(text)
        self.invented += invented
        return restored
