"""What a rewrite came to (`Decision`: the text returned, the guard's verdict and status, what was
spent on it) and the `RewriteResult` every caller gets."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from api import formats, guard
from api.models.completion import Completion, Usage

from . import metrics
from .deadline import Deadline
from .schemas import GuardOut, GuardStatus, RewriteResult, TemplateRef, UsageOut

if TYPE_CHECKING:
    from .prepare import Prepared
    from .rewriter import Attempt


@dataclass(frozen=True)
class Decision:
    text: str
    verdict: guard.Verdict
    status: GuardStatus | str  # "rejected" only until the repair policy settles it
    completion: Completion  # the last one
    usage: Usage  # of every call
    cost_usd: float | None  # None when any call's cost is unknown
    attempts: int
    rejected: str | None = None  # with a fallback: the rewrite that was rejected
    first: guard.Verdict | None = None  # after a repair: the verdict on the first rewrite

    @classmethod
    def of(cls, attempt: "Attempt", status: str, *, spent: Completion | None = None,
           first: guard.Verdict | None = None) -> "Decision":
        """`attempt`'s outcome; `spent`: an earlier completion whose usage, cost and calls count too."""
        completion = attempt.completion
        usage, cost, attempts = completion.usage, completion.cost_usd, completion.attempts
        if spent is not None:
            usage = spent.usage + usage
            cost = None if cost is None or spent.cost_usd is None else spent.cost_usd + cost
            attempts += spent.attempts
        return cls(attempt.text, attempt.verdict, status, completion, usage, cost, attempts, first=first)


def result_of(prepared: "Prepared", decision: Decision, deadline: Deadline) -> RewriteResult:
    completion, verdict = decision.completion, decision.verdict
    metrics.REWRITES.labels(prepared.template.ref, completion.model, "ok").inc()
    # with a fallback the returned text is the draft: it keeps every fact
    facts = verdict.kept + verdict.lost if decision.status == "fallback" else verdict.kept
    rewrite, visible = _texts(prepared, decision)
    return RewriteResult(
        id=f"rw_{uuid.uuid4().hex}",
        rewrite=rewrite,
        template=TemplateRef(name=prepared.template.name, version=prepared.template.version),
        model=completion.model,
        usage=UsageOut(**decision.usage.as_dict()),
        cost_usd=None if decision.cost_usd is None else round(decision.cost_usd, 10),
        latency_ms=deadline.elapsed_ms(),
        finish_reason=completion.finish_reason,
        attempts=decision.attempts,
        fallback_from=completion.fallback_from,
        guard=GuardOut(
            status=decision.status,
            facts=[f.as_dict() for f in facts],
            violations=[v.as_dict() for v in verdict.violations],
            warnings=[w.as_dict() for w in verdict.warnings],
            rejected_rewrite=decision.rejected,
        ),
        diff=guard.word_diff(prepared.draft_text, visible),
        pii_masked=prepared.masked.pii,
        format=prepared.request.format,
        language=prepared.language,
    )


def _texts(prepared: "Prepared", decision: Decision) -> tuple[str, str]:
    """The rewrite as returned (in the draft's format) and its visible text (for the diff)."""
    document = prepared.document
    if document.format == "text":
        return decision.text, decision.text
    if decision.status == "fallback":
        return document.fallback, document.text
    return formats.render(document, decision.completion.text, prepared.masked), decision.text
