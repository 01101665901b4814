"""Meaning checks: what a rewrite says against the draft, beyond its facts.

- A meaning flip: a term the draft negates that the rewrite states plainly (or the other way
  round: "can't be refunded" -> "can be refunded"), or a decision or availability turned round
  ("rejected" -> "approved"). The guard makes it a `flipped` violation or a `negation_flip`
  warning (`REWRITER_FLIPS_BLOCK`).
- A new commitment: a refund, discount, guarantee... that the rewrite mentions and the draft does
  not (a `new_commitment` warning).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from .verdict import Caution

# Single-word negation cues (after lower-casing and ’ -> '); "unable to" and "no longer" are
# covered by "unable" and "no".
_NEGATIONS = frozenset(
    "not no never cannot can't won't isn't aren't wasn't weren't don't doesn't didn't nothing "
    "neither nor couldn't shouldn't wouldn't hasn't haven't unable ineligible non-refundable".split()
)
# In Portuguese "no" is "in the" ("no seu cartão", "no dia 3"), not a negation: when the draft or
# the rewrite reads as Portuguese (one of these words, or an "ã" or "õ"), both are read without it.
_NEGATIONS_PT = _NEGATIONS - {"no"}
_PORTUGUESE_WORDS = frozenset("seu sua seus suas pelo pela uma ao aos em na nas ou isso muito".split())
_PORTUGUESE_MARKS = ("ã", "õ", "você", "até", "às")

_WORD = re.compile(r"[a-z][a-z'’-]+")  # run on lower-cased text
_CLAUSES = re.compile(r"[.;:!?\n]|,\s+(?:but|so|and|however)\b")
# Words skipped when looking for what a negation governs ("can't *be* refunded", "no *longer* supported").
_FILLER = {
    "to", "be", "been", "being", "a", "an", "the", "any", "able", "longer", "yet", "currently", "at",
    "all", "so", "we", "i", "you", "it", "this", "that", "your", "our", "my", "have", "has", "had",
    "get", "got", "do", "does", "did", "still", "even", "really", "also", "just", "quite", "very",
    "there", "is", "are", "was", "were", "will", "can", "could", "would", "should", "for", "of", "us",
}
# Spanish says "no" too: its function words are no terms of their own ("no cubre daños *por* agua"
# and "gracias *por* su paciencia" do not contradict each other).
_FILLER |= {
    "que", "por", "para", "los", "las", "del", "una", "uno", "unos", "unas", "con", "sus", "nos", "les",
    "muy", "este", "esta", "esto", "estos", "estas", "ese", "esa", "eso", "pero", "como", "hay", "son",
    "fue", "han", "hemos", "usted", "ustedes", "ser", "sea", "est", "todo", "toda", "todos", "todas",  # est(á)
}


@lru_cache(maxsize=4096)
def _stem(word: str) -> str:
    for suffix in ("able", "ed", "ing", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _clauses(text: str) -> tuple[str, list[list[str]]]:
    """The lower-cased text and the words of each of its clauses."""
    low = text.lower().replace("’", "'")
    return low, [_WORD.findall(clause) for clause in _CLAUSES.split(low)]


def _negations(*texts: tuple[str, list[list[str]]]) -> frozenset[str]:
    """The negation cues for reading these texts (`_clauses`): without "no" if one is Portuguese."""
    portuguese = any(
        any(mark in low for mark in _PORTUGUESE_MARKS) or any(not _PORTUGUESE_WORDS.isdisjoint(w) for w in clauses)
        for low, clauses in texts
    )
    return _NEGATIONS_PT if portuguese else _NEGATIONS


def _polarity(clauses: list[list[str]], negations: frozenset[str] = _NEGATIONS) -> tuple[set[str], set[str]]:
    """Stemmed content words that a negation governs (the first two after "not", "can't",
    "no longer", "unable to"..., within five words), and those that stand in a clause with no
    negation at all (plainly affirmed); `clauses` as `_clauses` splits a text."""
    negated: set[str] = set()
    affirmed: set[str] = set()
    for words in clauses:
        cues = [i for i, word in enumerate(words) if word in negations]
        content = [i for i, word in enumerate(words) if word not in _FILLER and word not in negations and len(word) > 2]
        for cue in cues:
            governed = [i for i in content if cue < i <= cue + 5][:2]
            negated.update(_stem(words[i]) for i in governed)
        if not cues:
            affirmed.update(_stem(words[i]) for i in content)
    return negated, affirmed


@dataclass(frozen=True)
class Flip:
    fact: Literal["negation", "decision", "availability"]
    value: str
    detail: str


def _negation_flips(draft: str, rewrite: str) -> list[Flip]:
    """A term the draft negates that the rewrite states plainly (and never negates), or the
    other way round."""
    drafted, rewritten = _clauses(draft), _clauses(rewrite)
    negations = _negations(drafted, rewritten)
    draft_no, draft_yes = _polarity(drafted[1], negations)
    rewrite_no, rewrite_yes = _polarity(rewritten[1], negations)
    flips = [
        Flip("negation", term, f"the draft says no to {term!r}; the rewrite does not")
        for term in sorted(draft_no & rewrite_yes - rewrite_no)
    ]
    flips += [
        Flip("negation", term, f"the rewrite negates {term!r}; the draft does not")
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
    """Per family, the "no" and "yes" outcomes a text states: plainly, in clauses without a
    negation, and a negated "yes" as a "no" ("was not approved", "isn't available"). A negated
    "no" ("wasn't rejected") says too little either way and counts as neither."""
    found: dict[str, tuple[set[str], set[str]]] = {family: (set(), set()) for family in _STATES}
    for clause in _CLAUSES.split(text.lower().replace("’", "'")):
        negated = any(word in _NEGATIONS for word in _WORD.findall(clause))
        for family, (no, yes) in _STATE_RES.items():
            if negated:
                found[family][0].update(
                    "not " + " ".join(m.group(0).split()) for m in yes.finditer(clause) if _negates(clause[: m.start()])
                )
            else:
                found[family][0].update(" ".join(m.split()) for m in no.findall(clause))
                found[family][1].update(" ".join(m.split()) for m in yes.findall(clause))
    return found


def _negates(before: str) -> bool:
    """Whether the words right before a term negate it: a negation, then only fillers ("was not
    approved", "couldn't be approved", "isn't currently available")."""
    for word in reversed(_WORD.findall(before)[-4:]):
        if word in _NEGATIONS:
            return True
        if word not in _FILLER:
            return False
    return False


def _state_flips(draft: str, rewrite: str) -> list[Flip]:
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
        flips.append(Flip(family, f"{old} -> {new}", f"the draft says {old!r}; the rewrite says {new!r}"))
    return flips


def flips_between(draft: str, rewrite: str) -> list[Flip]:
    """Every meaning flip from the draft to the rewrite: negations, then decisions."""
    return _negation_flips(draft, rewrite) + _state_flips(draft, rewrite)


def flips(draft: str, text: str, customer_message: str = "") -> list[str]:
    """What `text`, standing alone, says against the draft: the terms it affirms that the draft
    negates (or the other way round), except terms the customer used (restating "you'd like a
    refund" is no flip), and the decisions it turns round. Wrap mode checks its opening with
    this: beside the draft verbatim, the whole reply always contains both sides."""
    if customer_message:
        negations = _negations(_clauses(draft), _clauses(text))
        said = set().union(*_polarity(_clauses(customer_message)[1], negations))
    else:
        said = set()
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


def new_commitments(draft: str, rewrite: str) -> list[Caution]:
    new = _commitments(rewrite) - _commitments(draft)
    return [
        Caution("new_commitment", name, f"the rewrite mentions {name!r}, which the draft does not")
        for name in _COMMITMENTS
        if name in new
    ]
