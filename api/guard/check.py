"""`check(draft, rewrite, customer_message)`: does the rewrite say the same things as the draft?

Every protected fact of the draft (`api.guard.facts`) must survive (normalised), and the rewrite
may add none that neither the draft nor the customer's message had; a lost and an added fact of
the same kind read as one `altered` violation. The draft's content beyond its facts (statements
and steps, quoted labels, menu paths, conditions: `api.guard.content`) must survive too. A meaning
flip (`api.guard.meaning`) is a `flipped` violation, or only a warning with `flips_block=False`;
new commitments are warnings. The output check (`api.guard.output_check`) adds an `injection`
violation for leaked instructions, markup and chat role markers that the draft does not have. A
rewrite in another language than the draft's (`api.guard.language`) is a `language` violation.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from . import content, language, meaning, output_check
from . import facts as factlib
from .facts import Fact
from .verdict import Caution, Verdict, Violation


def check(
    draft: str,
    rewrite: str,
    customer_message: str | None = None,
    *,
    invented_tokens: Sequence[str] = (),
    truncated: bool = False,
    instructions: Sequence[str] = (),
    flips_block: bool = True,
    examples: Sequence[Fact] = (),
    format: str = "text",
) -> Verdict:
    """Compare the rewrite with the draft. `invented_tokens`: placeholder tokens the model made
    up. `truncated`: the model stopped at its token limit, so the end of the reply is missing.
    `instructions`: the template's own, which the rewrite must not repeat. `flips_block`: a
    meaning flip is a violation (True) or a warning. `examples`: the facts of the template's own
    examples and instructions; an added fact among them is named as copied. `format`: the
    draft's and the rewrite's (`html`: Markdown the model writes is markup it must not)."""
    draft_facts = factlib.extract(draft)
    rewrite_facts = factlib.extract(rewrite)
    verdict = Verdict()
    verdict.kept, verdict.lost = _kept_and_lost(draft_facts, rewrite, rewrite_facts)
    added = _added(rewrite_facts, draft_facts + factlib.extract(customer_message or ""), invented_tokens)
    changed, new = _fact_violations(verdict.lost, added, examples)
    verdict.violations += changed
    verdict.violations += [
        Violation("lost", "content", unit.text, unit.detail())  # instructions, steps, labels, conditions
        for unit in content.missing(draft, rewrite, draft_facts, rewrite_facts)
    ]
    verdict.violations += new
    verdict.violations += _text_violations(rewrite, truncated, invented_tokens)
    verdict.violations += [
        Violation("injection", finding.kind, finding.value, finding.detail)
        for finding in output_check.findings(draft, rewrite, customer_message, instructions=instructions, format=format)
    ]
    verdict.violations += language.mismatch(draft, rewrite)
    flips = meaning.flips_between(draft, rewrite)
    if flips_block:
        verdict.violations += [Violation("flipped", flip.fact, flip.value, flip.detail) for flip in flips]
    else:
        verdict.warnings += [Caution("negation_flip", flip.value, flip.detail) for flip in flips]
    verdict.warnings += meaning.new_commitments(draft, rewrite)
    return verdict


def _kept_and_lost(draft_facts: list[Fact], rewrite: str, rewrite_facts: list[Fact]) -> tuple[list[Fact], list[Fact]]:
    """The draft's distinct facts, split into those the rewrite keeps and those it does not."""
    words = factlib.number_words(rewrite)
    residue = factlib.blank(rewrite, rewrite_facts)
    kept: list[Fact] = []
    lost: list[Fact] = []
    for fact in _distinct(draft_facts):
        (kept if _is_kept(fact, rewrite_facts, residue, words) else lost).append(fact)
    return kept, lost


def _is_kept(fact: Fact, found: list[Fact], residue: str, words: set) -> bool:
    if any(fact.covered_by(other) for other in found):
        return True
    # e.g. a code written without its backticks; never inside another fact ("0000" in a date)
    if fact.literal and factlib.present_verbatim(fact.literal, residue):
        return True
    if fact.kind == "number":  # "3 items" may become "three items"
        return Decimal(fact.text.lstrip("#")) in words
    return False


def _added(rewrite_facts: list[Fact], known: list[Fact], invented_tokens: Sequence[str]) -> list[Fact]:
    """The rewrite's distinct facts that neither the draft nor the customer's message has (a
    made-up placeholder token is reported on its own)."""
    return [
        fact for fact in _distinct(rewrite_facts)
        if fact.text not in invented_tokens
        and not any(other.covered_by(fact) for other in known)
        and not (fact.literal and any(other.literal == fact.literal for other in known))
    ]


def _distinct(found: list[Fact]) -> list[Fact]:
    seen: set[tuple[str, str]] = set()
    out = []
    for fact in found:
        if (fact.kind, fact.text) not in seen:
            seen.add((fact.kind, fact.text))
            out.append(fact)
    return out


def _fact_violations(
    lost: list[Fact], added: list[Fact], examples: Sequence[Fact]
) -> tuple[list[Violation], list[Violation]]:
    """The altered and lost facts, then the added ones: a lost fact and an added fact of the
    same kind read best as one altered fact."""

    def copied(fact: Fact) -> str:
        if any(example.keys & fact.keys or (fact.literal and example.literal == fact.literal) for example in examples):
            return ", copied from the template's examples"
        return ""

    lost, added = list(lost), list(added)
    violations = []
    for old in list(lost):
        new = next((a for a in added if a.kind == old.kind), None)
        if new is not None:
            lost.remove(old)
            added.remove(new)
            violations.append(Violation(
                "altered", old.kind, old.text, f"{old.kind} {old.text!r} was changed to {new.text!r}{copied(new)}"
            ))
    violations += [Violation("lost", old.kind, old.text, f"{old.kind} {old.text!r} is missing") for old in lost]
    return violations, [
        Violation("added", new.kind, new.text, f"{new.kind} {new.text!r} is not in the draft{copied(new)}")
        for new in added
    ]


def _text_violations(rewrite: str, truncated: bool, invented_tokens: Sequence[str]) -> list[Violation]:
    violations = []
    if not rewrite.strip():
        violations.append(Violation("incomplete", "text", "", "the rewrite is empty"))
    elif truncated:
        violations.append(Violation("incomplete", "text", rewrite[-40:], "the rewrite was cut off at the token limit"))
    violations += [
        Violation("placeholder", "placeholder", token, f"placeholder token {token!r} was made up")
        for token in invented_tokens
    ]
    return violations
