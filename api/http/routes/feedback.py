"""Feedback routes: what an agent did with a rewrite, a summary of it for prompt engineers, and
deleting a recorded rewrite. They answer 404 while feedback is off (REWRITER_FEEDBACK)."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response

from api.core import metrics
from api.core.errors import Conflict, Forbidden, InvalidRequest, NotFound
from api.feedback.answers import stored_answer
from api.feedback.recorder import Recorder
from api.feedback.schemas import FeedbackIn, FeedbackOut, Summary
from api.feedback.summary import SUMMARY_COLUMNS, parse_since, summarize

from ..bodies import BoundedJSONRoute
from ..keys import key_schemes
from .rewrites import PROBLEM_RESPONSES, problem_response

router = APIRouter(prefix="/v1", tags=["feedback"], dependencies=[Depends(key_schemes)], route_class=BoundedJSONRoute)

_ID = re.compile(r"rw_[0-9a-f]{32}")


COMMON = {**{status: PROBLEM_RESPONSES[status] for status in (401, 429)},
          503: problem_response("The feedback store did not answer"),
          404: problem_response("Feedback is off, or no such rewrite (unknown, deleted, or purged after the retention)")}


def recorder_of(request: Request) -> Recorder:
    recorder = request.app.state.feedback
    if recorder is None:
        raise NotFound("feedback is off on this service (REWRITER_FEEDBACK=true turns it on)")
    return recorder


async def _own_row(request: Request, rewrite_id: str) -> tuple[Recorder, dict[str, Any]]:
    """The stored rewrite, if it exists and the caller's key made it."""
    recorder = recorder_of(request)
    row = await recorder.find(rewrite_id) if _ID.fullmatch(rewrite_id) else None
    if row is None:
        raise NotFound(f"no rewrite {rewrite_id} here: unknown, deleted, or older than the "
                       f"{recorder.settings.feedback_retention_days} days feedback is kept")
    if row["key_name"] != getattr(request.state, "key_name", None):
        raise Forbidden(f"rewrite {rewrite_id} was made with another API key; only that key may give its feedback")
    return recorder, row


RewriteId = Annotated[str, Path(description="the rewrite's `id` (rw_...); anything else is a 404")]


@router.post("/rewrites/{rewrite_id}/feedback", response_model=FeedbackOut,
             responses={**COMMON, 403: problem_response("The rewrite was made with another API key"),
                        409: problem_response("The rewrite is older than the retention; it is about to be deleted"),
                        400: PROBLEM_RESPONSES[400], 413: PROBLEM_RESPONSES[413], 422: PROBLEM_RESPONSES[422]})
async def give_feedback(rewrite_id: RewriteId, body: FeedbackIn, request: Request) -> FeedbackOut:
    """Record what the agent did with a rewrite: sent it as is, edited it (with what was sent), or
    discarded it. Giving feedback again replaces it; `revision` counts the answers."""
    recorder, row = await _own_row(request, rewrite_id)
    if recorder.expired(row):
        raise Conflict(f"rewrite {rewrite_id} is older than the {recorder.settings.feedback_retention_days} "
                       "days feedback is kept; it is deleted at the next purge")
    values = stored_answer(row, body, max_sent_chars=recorder.settings.max_draft_chars * 2)
    revision = await recorder.store.give_feedback(rewrite_id, values)
    if revision is None:  # deleted meanwhile
        raise NotFound(f"no rewrite {rewrite_id} here: it was deleted")
    metrics.FEEDBACK.labels(f"{row['template']}@{row['template_version']}", row["model"], body.outcome).inc()
    request.state.log = {"rewrite_id": rewrite_id, "outcome": body.outcome, "revision": revision}
    return FeedbackOut(id=rewrite_id, outcome=body.outcome, revision=revision, edit_distance=values["edit_distance"],
                       edit_ratio=values["edit_ratio"])


@router.delete("/rewrites/{rewrite_id}", status_code=204, response_class=Response,
               responses={**COMMON, 403: problem_response("The rewrite was made with another API key")})
async def delete_rewrite(rewrite_id: RewriteId, request: Request) -> Response:
    """Delete a recorded rewrite and its feedback now (the key that made it only)."""
    recorder, _ = await _own_row(request, rewrite_id)
    await recorder.store.delete(rewrite_id=rewrite_id)
    return Response(status_code=204)


@router.get("/feedback/summary", response_model=Summary, responses={**COMMON, 422: PROBLEM_RESPONSES[422]})
async def feedback_summary(
    request: Request,
    since: Annotated[str, Query(description="a span back from now (7d, 24h, 90m) or an ISO 8601 date",
                                max_length=40)] = "7d",
    template: Annotated[str | None, Query(description="only this template: name or name@version",
                                          max_length=120)] = None,
) -> Summary:
    """Per template@version and model: how many rewrites, the share sent as is, edited and
    discarded, the median edit distance to what was sent, ratings and the guard's outcomes; and
    the versions of a template experiment compared on the share sent as is."""
    recorder = recorder_of(request)
    now = datetime.now(timezone.utc)
    try:
        start = parse_since(since, now)
    except ValueError as exc:
        raise InvalidRequest(f"since: {exc}", field="since") from None
    if template is not None and not re.fullmatch(r"[A-Za-z0-9_.-]{1,100}(@v?\d{1,6})?", template):
        raise InvalidRequest("template: use name or name@version", field="template")
    rows = await recorder.store.rows(start, template=template, columns=SUMMARY_COLUMNS)
    return summarize(rows, start, now)
