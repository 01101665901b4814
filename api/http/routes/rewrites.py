"""Rewrite routes: single (JSON or SSE stream), batch, and the plain-text endpoint for agents."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse
from pydantic import ValidationError
from sse_starlette import EventSourceResponse, ServerSentEvent

from ..bodies import BoundedJSONRoute
from ..keys import key_schemes
from api.core import limits
from api.core.errors import InvalidRequest, RewriterError, UpstreamError
from ..problems import (
    PROBLEM_JSON,
    UnsupportedMediaType,
    problem,
    problem_from_error,
    request_id_of,
    unexpected,
    validation_problem,
)
from api.core.rewriter import Rewriter
from api.core.schemas import BatchRequest, BatchResult, Delta, Problem, RewriteRequest, RewriteResult

log = logging.getLogger(__name__)

router = APIRouter(
    prefix="/v1", tags=["rewrites"], dependencies=[Depends(key_schemes)], route_class=BoundedJSONRoute
)

def problem_response(description: str) -> dict[str, Any]:
    """An error response as a route declares it: a Problem, as application/problem+json."""
    return {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": description}


PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: problem_response(text)
    for status, text in {
        400: "The body could not be parsed (not valid JSON; for the simple route, not UTF-8)",
        401: "API key missing or wrong",
        413: "Request body too large",
        422: "Invalid input (the detail names the field)",
        429: "Over the key's rate limit; retry after the Retry-After header",
        502: "The model provider failed after retries and fallbacks",
        503: "Overloaded; retry after the Retry-After header",
        504: "The deadline passed",
    }.items()
}


# One event of the stream (OpenAPI 3.1 describes a text/event-stream by its events): the name,
# and the data as JSON: {"text"} for a delta, a RewriteResult for result, a Problem for error.
SSE_EVENT: dict[str, Any] = {
    "type": "object",
    "required": ["event", "data"],
    "properties": {
        "event": {"type": "string", "enum": ["delta", "result", "error"]},
        "data": {"type": "string", "contentMediaType": "application/json"},
    },
    "oneOf": [
        {"properties": {"event": {"const": "delta"}, "data": {"contentSchema": {
            "type": "object", "required": ["text"], "properties": {"text": {"type": "string"}}}}}},
        {"properties": {"event": {"const": "result"},
                        "data": {"contentSchema": {"$ref": "#/components/schemas/RewriteResult"}}}},
        {"properties": {"event": {"const": "error"},
                        "data": {"contentSchema": {"$ref": "#/components/schemas/Problem"}}}},
    ],
}


def _record(request: Request, body: RewriteRequest, result: RewriteResult) -> None:
    """Keep the rewrite for feedback (api/feedback), when the store is on."""
    recorder = request.app.state.feedback
    if recorder is not None:
        assigned = request.app.state.rewriter.preparer.split_applies(body)
        recorder.record(result, body, getattr(request.state, "key_name", None), assigned)


def _served(request: Request, body: RewriteRequest, result: RewriteResult) -> None:
    """A rewrite was answered: log it, and keep it for feedback."""
    _log_result(request, body, result)
    _record(request, body, result)


def _log_result(request: Request, body: RewriteRequest, result: RewriteResult) -> None:
    """What the access log line says about a rewrite (api/http/context.py writes it)."""
    fields: dict[str, Any] = {
        "template": f"{result.template.name}@{result.template.version}",
        "model": result.model,
        "guard": result.guard.status,
        "attempts": result.attempts,
        "retries": max(0, result.attempts - 1),
        "fallback_from": result.fallback_from,
    }
    if request.app.state.settings.log_content:
        fields.update(draft=body.draft, customer_message=body.customer_message, rewrite=result.rewrite)
    request.state.log = fields


async def get_rewriter(request: Request) -> Rewriter:
    return request.app.state.rewriter


RewriterDep = Annotated[Rewriter, Depends(get_rewriter)]


@router.post(
    "/rewrites",
    response_model=RewriteResult,
    responses={
        **PROBLEM_RESPONSES,
        200: {
            "description": "The rewrite. With `stream: true`, `text/event-stream`: any number of `delta` "
            "events (`{\"text\": ...}`, the model's text as it is generated), then exactly one `result` "
            "event (a RewriteResult, guard verdict included) or one `error` event (a Problem). Failures "
            "before the first token are answered as ordinary problem responses instead.",
            "content": {"text/event-stream": {"schema": SSE_EVENT}},
        },
    },
)
async def create_rewrite(body: RewriteRequest, rewriter: RewriterDep, request: Request):
    """Rewrite one draft with empathy."""
    if not body.stream:
        result = await rewriter.rewrite(body)
        _served(request, body, result)
        return result
    events = await rewriter.stream(body)
    # Pull the first item before answering, so failures before any text get a real status code.
    first = await anext(events, None)
    if first is None:
        raise UpstreamError("the model stream ended before it said anything")
    return EventSourceResponse(
        _sse(first, events, request_id_of(request), lambda result: _served(request, body, result)),
        ping=15,
        # sse-starlette cuts every open stream as soon as uvicorn is asked to exit; a rewrite in
        # flight gets the same grace period as any other request instead.
        shutdown_grace_period=rewriter.settings.shutdown_grace_s,
    )


async def _sse(first, events: AsyncIterator[Delta | RewriteResult], request_id: str | None, on_result=None):
    item = first
    try:
        while True:
            if isinstance(item, Delta):
                yield ServerSentEvent(data=json.dumps({"text": item.text}), event="delta")
            else:
                if on_result is not None:
                    on_result(item)
                yield ServerSentEvent(data=item.model_dump_json(), event="result")
                return
            item = await anext(events)
    except RewriterError as exc:
        yield ServerSentEvent(data=json.dumps(problem_from_error(exc, request_id)), event="error")
    except StopAsyncIteration:
        body = problem(502, "Upstream model failed", "the stream ended without a result", request_id)
        yield ServerSentEvent(data=json.dumps(body), event="error")
    except Exception:  # noqa: BLE001 - the client must learn the stream failed, not see a cut
        yield ServerSentEvent(data=json.dumps(unexpected(request_id)), event="error")
        raise
    finally:
        # A client that went away stops the generation too (the local model checks for this).
        await events.aclose()


@router.post("/rewrites:batch", response_model=BatchResult, responses=PROBLEM_RESPONSES)
async def create_rewrites_batch(body: BatchRequest, rewriter: RewriterDep, request: Request):
    """Rewrite many drafts concurrently; every item gets a result or a problem, in input order."""
    settings = rewriter.settings
    limits.check_batch(len(body.items), settings)
    charge = getattr(request.state, "charge_rpm", None)
    if charge is not None:
        await charge(len(body.items) - 1)  # the request itself counted as the first item
    request_id = request_id_of(request)
    bound = asyncio.Semaphore(settings.batch_concurrency)

    async def one(index: int, raw: Any) -> dict[str, Any]:
        if not isinstance(raw, dict):
            return problem(422, "Invalid request", f"items[{index}]: must be a JSON object", request_id, index=index)
        try:
            item = RewriteRequest.model_validate(raw)
        except ValidationError as exc:
            return validation_problem(list(exc.errors()), request_id, index=index)
        if item.stream:
            return problem(422, "Invalid request", "stream: not supported inside a batch", request_id, index=index)
        async with bound:
            try:
                result = await rewriter.rewrite(item)
                _record(request, item, result)
                return result.model_dump(mode="json")
            except RewriterError as exc:
                return {**problem_from_error(exc, request_id), "index": index}
            except Exception:  # noqa: BLE001 - one broken item never fails the others
                log.exception("unhandled error in a batch item", extra={"request_id": request_id, "index": index})
                return unexpected(request_id, index=index)

    results = await asyncio.gather(*(one(i, raw) for i, raw in enumerate(body.items)))
    guard_counts: dict[str, int] = {}
    for item in results:
        status = item["guard"]["status"] if "guard" in item else f"problem_{item['status']}"
        guard_counts[status] = guard_counts.get(status, 0) + 1
    request.state.log = {"items": len(results), "outcomes": guard_counts}
    return {"results": results}


SIMPLE_FORMATS = {"text/plain": "text", "text/markdown": "markdown", "text/html": "html"}


@router.post(
    "/rewrite/simple",
    response_class=PlainTextResponse,
    responses={
        **PROBLEM_RESPONSES,
        200: {
            "content": {media: {"schema": {"type": "string"}} for media in SIMPLE_FORMATS},
            "description": "The rewrite in the draft's media type, one line feed at the end",
        },
        415: problem_response("The body is not text/plain, text/markdown or text/html"),
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                media: {"schema": {"type": "string", "minLength": 1, "pattern": r"\S"}} for media in SIMPLE_FORMATS
            },
        }
    },
)
async def simple_rewrite(
    request: Request,
    rewriter: RewriterDep,
    template: Annotated[str | None, Query(description="template name or name@version")] = None,
    tone: Annotated[str | None, Query(max_length=64, description="tone variable, where the template has one")] = None,
) -> PlainTextResponse:
    """The draft in (text/plain, text/markdown or text/html), the rewrite out in the same media
    type: for scripts, macros, text expanders and helpdesk HTML bodies."""
    content_type = request.headers.get("content-type", "text/plain").split(";")[0].strip().lower() or "text/plain"
    if content_type not in SIMPLE_FORMATS:
        raise UnsupportedMediaType(f"send the draft as text/plain, text/markdown or text/html, not {content_type}")
    raw = await request.body()
    try:
        draft = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidRequest("draft: the body is not valid UTF-8", field="draft") from exc
    if not draft.strip():
        raise InvalidRequest("draft: must not be empty or whitespace only", field="draft")
    variables = {"tone": tone} if tone else {}
    try:
        body = RewriteRequest(draft=draft, template=template, variables=variables,
                              format=SIMPLE_FORMATS[content_type])
    except ValidationError as exc:  # e.g. `?template=` (empty)
        raise RequestValidationError(exc.errors()) from exc
    result = await rewriter.rewrite(body)
    _served(request, body, result)
    # The id is what feedback on this rewrite names (POST /v1/rewrites/{id}/feedback).
    return PlainTextResponse(result.rewrite + "\n", headers={"X-Rewrite-Id": result.id}, media_type=content_type)
