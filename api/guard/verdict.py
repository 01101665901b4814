"""The fact guard: a rewrite must say the same things as the draft.

- `mask(text)` swaps helpdesk placeholders for opaque tokens the model copies verbatim, and
  `Masked.unmask(output)` puts them back (and reports tokens the model invented). With
  `pii=True` emails, phone numbers, card numbers and IBANs (`api.guard.pii`) get tokens of the same
  shape, so the guard treats them exactly like placeholders.
- `check(draft, rewrite, customer_message)` compares the protected facts (`api.guard.facts`) of the
  draft with those of the rewrite: every draft fact must survive (normalised), and the rewrite
  may add none that neither the draft nor the customer's message had. The draft's content beyond
  its facts (statements and steps, quoted labels, menu paths, conditions: `api.guard.content`) must
  survive too: a `lost` violation of fact `content` names what is missing. Lost + added facts of the
  same kind are reported as one "altered" violation. A meaning flip (a negation dropped or added
  on the draft's key statements, a decision turned round: rejected -> approved) is a `flipped`
  violation, or a `negation_flip` warning with `flips_block=False`; new commitments (refunds,
  discounts, guarantees...) are warnings. The output check
  (`api.guard.output_check`) adds an `injection` violation for leaked instructions, markup and chat
  role markers that the draft does not have.
- `word_diff(a, b)` is the word-level diff returned to callers.
"""

from __future__ import annotations

import difflib
from decimal import Decimal
from functools import lru_cache
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from api.guard import content
from api.guard import facts as factlib
from api.guard import output_check
from api.guard import pii as piilib
from .facts import Fact

# --- placeholder masking ---------------------------------------------------------------------

_PLACEHOLDER = factlib.PLACEHOLDER_RE


@dataclass(frozen=True)
class Masked:
    text: str
    originals: dict[str, str]  # token -> placeholder (or personal data) as written
    prefix: str
    customer_message: str | None = None  # masked with the same tokens when PII is masked
    pii_tokens: dict[str, str] | None = None  # token -> kind of personal data; None: PII not masked
    # Facts the guard may name that hold part of a masked value ("23 45 67 89" of a phone
    # number) -> its token, so `hide` leaves nothing of it in a repair prompt.
    parts: dict[str, str] = field(default_factory=dict)

    def hide(self, text: str) -> str:
        """`text` (a rejected rewrite, the guard's description of it) with every masked value, or
        a quoted fact that is part of one, replaced by its token: what the model may see."""
        for part, token in self.parts.items():
            text = text.replace(repr(part), repr(token))
        for token, original in sorted(self.originals.items(), key=lambda item: -len(item[1])):
            text = text.replace(original, token)
        return text

    @property
    def pii(self) -> dict[str, int] | None:
        """Distinct values masked, by kind (email, phone, card, iban); None when PII was not masked
        or none was found."""
        if not self.pii_tokens:
            return None
        counts: dict[str, int] = {}
        for kind in self.pii_tokens.values():
            counts[kind] = counts.get(kind, 0) + 1
        return counts

    def _holds(self, fact_text: str, token: str) -> bool:
        """Whether a fact of the draft is, holds or is part of the value masked as `token`."""
        return self.originals[token] in fact_text or self.parts.get(fact_text) == token

    def missing(self, output: str, verdict: "Verdict") -> list["Violation"]:
        """Violations for the draft's personal data whose token the model's `output` (still
        masked) dropped, unless `verdict` already names it as lost: to the fact comparison the same
        phone number written in two formats is one fact, here it is two tokens. The lost and
        altered violations `verdict` has for masked values are relabelled, in place, with the
        value's kind (the fact extractor reads a card number as a phone, an IBAN as an id...)."""
        violations = []
        for token, kind in (self.pii_tokens or {}).items():
            value = self.originals[token]
            verdict.violations[:] = [  # in place: callers write `verdict.violations += missing(...)`
                Violation(v.kind, kind, v.value, kind + v.detail[len(v.fact):])
                if v.kind in ("lost", "altered") and v.fact != kind and self._holds(v.value, token) else v
                for v in verdict.violations
            ]
            if token in self.text and token not in output and not any(
                self._holds(fact.text, token) for fact in verdict.lost
            ):
                violations.append(Violation("lost", kind, value, f"{kind} {value!r} is missing"))
        return violations

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


def mask(text: str, *, pii: bool = False, customer_message: str | None = None) -> Masked:
    """Replace each placeholder with `{{PHn}}` (the prefix grows until the text cannot contain it,
    so unmasking is exact for any input). With `pii`, personal data (`api.guard.pii.find`) in `text`
    and in `customer_message` becomes `{{PHn}}` tokens too, one token per value across both, and
    `Masked.pii` counts them by kind; without, `customer_message` is kept as given."""
    texts = (text, customer_message or "") if pii else (text,)
    prefix = "PH"
    while any(prefix in t for t in texts):
        prefix += "X"
    originals: dict[str, str] = {}
    by_value: dict[str, str] = {}
    kinds: dict[str, str] = {}

    def token(value: str, kind: str | None) -> str:
        if value not in by_value:
            by_value[value] = f"{{{{{prefix}{len(by_value) + 1}}}}}"
            originals[by_value[value]] = value
            if kind is not None:
                kinds[by_value[value]] = kind
        return by_value[value]

    def swap(source: str, placeholders: bool) -> tuple[str, list[piilib.Found]]:
        spans = [(m.start(), m.end(), None) for m in _PLACEHOLDER.finditer(source)] if placeholders else []
        found = piilib.find(source, skip=[(a, b) for a, b, _ in spans]) if pii else []
        out, last = [], 0
        for start, end, kind in sorted([*spans, *((f.start, f.end, f.kind) for f in found)]):
            out += [source[last:start], token(source[start:end], kind)]
            last = end
        return "".join(out) + source[last:], found

    masked_text, found = swap(text, placeholders=True)
    if not pii:
        return Masked(masked_text, originals, prefix, customer_message)
    masked_customer = swap(customer_message, placeholders=False)[0] if customer_message else customer_message
    return Masked(masked_text, originals, prefix, masked_customer, kinds, _parts(text, found, by_value))


def _parts(text: str, found: list[piilib.Found], tokens: dict[str, str]) -> dict[str, str]:
    """The draft's facts that overlap masked personal data without being all of it (the guard
    may name them in a repair prompt) -> the token; facts also found elsewhere are left alone."""
    inside: dict[str, str] = {}
    outside: set[str] = set()
    for fact in factlib.extract(text) if found else []:
        hit = next((f for f in found if fact.start < f.end and f.start < fact.end), None)
        if hit is None:
            outside.add(fact.text)
        elif fact.text != hit.value:
            inside[fact.text] = tokens[hit.value]
    return {part: token for part, token in inside.items() if part not in outside}


# --- verdict ---------------------------------------------------------------------------------

ViolationKind = Literal["lost", "added", "altered", "placeholder", "incomplete", "injection", "flipped"]


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
        """One sentence for people."""
        return "; ".join(v.detail for v in self.violations)

    def describe_for_model(self) -> str:
        """The same for the repair prompt, without quoting the draft's sentences: the draft is
        untrusted text, which stays inside its delimiters and out of our instructions."""
        parts = []
        for v in self.violations:
            if v.kind == "lost" and v.fact == "content" and "statement" in v.detail:
                words = v.detail.rsplit("(missing words: ", 1)[-1].rstrip(")")
                parts.append(f"a statement of the draft is missing (its words: {words})")
            else:
                parts.append(v.detail)
        return "; ".join(parts)


def _kept(fact: Fact, found: list[Fact], residue: str, words: set) -> bool:
    if any(fact.covered_by(other) for other in found):
        return True
    # e.g. a code written without its backticks; never inside another fact ("0000" in a date)
    if fact.literal and factlib.present_verbatim(fact.literal, residue):
        return True
    if fact.kind == "number":  # "3 items" may become "three items"
        return Decimal(fact.text.lstrip("#")) in words
    return False


def check(
    draft: str,
    rewrite: str,
    customer_message: str | None = None,
    *,
    invented_tokens: list[str] | None = None,
    truncated: bool = False,
    instructions: Sequence[str] = (),
    flips_block: bool = True,
    examples: Sequence[Fact] = (),
) -> Verdict:
    """Compare the rewrite's facts with the draft's. `truncated` says the model stopped at its
    token limit: the end of the reply, and whatever it held, is missing. `instructions` are the
    template's own instructions, which the rewrite must not repeat (`api.guard.output_check`).
    `flips_block`: a meaning flip is a violation (True) or only a warning. `examples`: the facts
    of the template's own examples and instructions; an added fact among them is named as copied."""
    draft_facts = factlib.extract(draft)
    rewrite_facts = factlib.extract(rewrite)
    known = draft_facts + factlib.extract(customer_message or "")
    words = factlib.number_words(rewrite)
    residue = factlib.blank(rewrite, rewrite_facts)

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

    def copied(fact: Fact) -> str:
        if any(example.keys & fact.keys or (fact.literal and example.literal == fact.literal) for example in examples):
            return ", copied from the template's examples"
        return ""

    verdict.lost = list(lost)
    # A lost fact and an added fact of the same kind read best as one altered fact.
    for old in list(lost):
        new = next((a for a in added if a.kind == old.kind), None)
        if new is not None:
            lost.remove(old)
            added.remove(new)
            verdict.violations.append(Violation(
                "altered", old.kind, old.text, f"{old.kind} {old.text!r} was changed to {new.text!r}{copied(new)}"
            ))
    for old in lost:
        verdict.violations.append(Violation("lost", old.kind, old.text, f"{old.kind} {old.text!r} is missing"))
    for unit in content.missing(draft, rewrite, draft_facts, rewrite_facts):  # instructions, steps, labels, conditions
        verdict.violations.append(Violation("lost", "content", unit.text, unit.detail()))
    for new in added:
        verdict.violations.append(
            Violation("added", new.kind, new.text, f"{new.kind} {new.text!r} is not in the draft{copied(new)}")
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
    for finding in output_check.findings(draft, rewrite, customer_message, instructions=instructions):
        verdict.violations.append(Violation("injection", finding.kind, finding.value, finding.detail))
    flips = _negation_flips(draft, rewrite) + _state_flips(draft, rewrite)
    if flips_block:
        verdict.violations += [Violation("flipped", flip.fact, flip.value, flip.detail) for flip in flips]
        verdict.warnings = _new_commitments(draft, rewrite)
    else:
        verdict.warnings = [Warning("negation_flip", flip.value, flip.detail) for flip in flips]
        verdict.warnings += _new_commitments(draft, rewrite)
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


@dataclass(frozen=True)
class _Flip:
    fact: Literal["negation", "decision", "availability"]
    value: str
    detail: str


def _negation_flips(draft: str, rewrite: str) -> list[_Flip]:
    """A term the draft negates that the rewrite states plainly (and never negates), or the
    other way round."""
    draft_no, draft_yes = _polarity(draft)
    rewrite_no, rewrite_yes = _polarity(rewrite)
    flips = [
        _Flip("negation", term, f"the draft says no to {term!r}; the rewrite does not")
        for term in sorted(draft_no & rewrite_yes - rewrite_no)
    ]
    flips += [
        _Flip("negation", term, f"the rewrite negates {term!r}; the draft does not")
        for term in sorted(rewrite_no & draft_yes - draft_no)
    ]
    return flips


# Outcomes that cannot both be true of one thing: family -> (the "no" side, the "yes" side).
_STATES = {
    "decision": (
        r"reject(?:ed)?|denied|declined|refused|turned\s+down|unsuccessful",
        r"approved|accepted|issued|granted|successful",
    ),
    "availability": (
        r"unavailable|out\s+of\s+stock|sold\s+out|discontinued",
        r"(?<!un)available|in\s+stock",
    ),
}
_STATE_RES = {
    family: (re.compile(rf"\b(?:{no})\b"), re.compile(rf"\b(?:{yes})\b")) for family, (no, yes) in _STATES.items()
}


def _states(text: str) -> dict[str, tuple[set[str], set[str]]]:
    """Per family, the "no" and "yes" outcomes a text states plainly (in clauses without a
    negation: "couldn't be approved" states no approval)."""
    found: dict[str, tuple[set[str], set[str]]] = {family: (set(), set()) for family in _STATES}
    for clause in _CLAUSES.split(text.lower().replace("’", "'")):
        if any(word in _NEGATIONS for word in _WORD.findall(clause)):
            continue
        for family, (no, yes) in _STATE_RES.items():
            found[family][0].update(" ".join(m.split()) for m in no.findall(clause))
            found[family][1].update(" ".join(m.split()) for m in yes.findall(clause))
    return found


def _state_flips(draft: str, rewrite: str) -> list[_Flip]:
    """A decision or availability the rewrite turns round: the draft states only one side, the
    rewrite only the other ("your refund was rejected" -> "your refund was issued")."""
    before, after = _states(draft), _states(rewrite)
    flips = []
    for family in _STATES:
        (draft_no, draft_yes), (rewrite_no, rewrite_yes) = before[family], after[family]
        if draft_no and not draft_yes and rewrite_yes and not rewrite_no:
            old, new = sorted(draft_no)[0], sorted(rewrite_yes)[0]
        elif draft_yes and not draft_no and rewrite_no and not rewrite_yes:
            old, new = sorted(draft_yes)[0], sorted(rewrite_no)[0]
        else:
            continue
        flips.append(_Flip(family, f"{old} -> {new}", f"the draft says {old!r}; the rewrite says {new!r}"))
    return flips


def flips(draft: str, text: str, customer_message: str = "") -> list[str]:
    """What `text`, standing alone, says against the draft: the terms it affirms that the draft
    negates (or the other way round), except terms the customer used (restating "you'd like a
    refund" is no flip), and the decisions it turns round. Wrap mode checks its opening with
    this: beside the draft verbatim, the whole reply always contains both sides."""
    said = set().union(*_polarity(customer_message)) if customer_message else set()
    return [
        flip.value for flip in _negation_flips(draft, text)
        if flip.value not in said and "'" not in flip.value  # "i'm": no term of its own
    ] + [
        flip.value for flip in _state_flips(draft, text)
    ]


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
