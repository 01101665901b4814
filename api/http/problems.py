"""RFC 9457 problem responses: every error the service answers is shaped here, in one place."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.core.errors import RewriterError, describe_fields, field_errors


PROBLEM_JSON = "application/problem+json"


class BodyTooLarge(StarletteHTTPException):
    """Raised while reading the body; an HTTPException so FastAPI's body parsing re-raises it."""

    def __init__(self, detail: str) -> None:
        super().__init__(status_code=413, detail=detail)


class UnsupportedMediaType(RewriterError):
    status = 415
    title = "Unsupported media type"


def problem(status: int, title: str, detail: str, request_id: str | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if request_id:
        body["request_id"] = request_id
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def problem_from_error(exc: RewriterError, request_id: str | None = None) -> dict[str, Any]:
    return problem(exc.status, exc.title, exc.detail, request_id, **exc.extra)


def validation_problem(errors: list[dict[str, Any]], request_id: str | None = None, **extra: Any) -> dict[str, Any]:
    return problem(422, "Invalid request", describe_fields(errors), request_id, errors=field_errors(errors), **extra)


def not_json(error: dict[str, Any], request_id: str | None) -> dict[str, Any]:
    """The 400 for a body that is not JSON, from FastAPI's `json_invalid` error."""
    reason = str((error.get("ctx") or {}).get("error") or "it cannot be parsed")
    where = error.get("loc", ())[-1] if error.get("loc") else None
    at = f" at character {where}" if isinstance(where, int) else ""
    return problem(400, "Malformed body", f"the body is not valid JSON: {reason[0].lower() + reason[1:]}{at}", request_id)


def unexpected(request_id: str | None, **extra: Any) -> dict[str, Any]:
    """The 500 for a failure we did not foresee: no detail but the id to quote (the log has it)."""
    return problem(500, "Internal error", f"unexpected error; quote request id {request_id}", request_id, **extra)


def request_id_of(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def respond(body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=body["status"], media_type=PROBLEM_JSON, headers=headers)


async def send_problem(send: Callable[[dict], Awaitable[None]], body: dict[str, Any],
                       headers: dict[str, str] | None = None) -> None:
    """Answer a problem from pure ASGI code (middleware), where there is no Response class."""
    payload = json.dumps(body).encode()
    await send({
        "type": "http.response.start",
        "status": body["status"],
        "headers": [
            (b"content-type", PROBLEM_JSON.encode()),
            (b"content-length", str(len(payload)).encode()),
            *[(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        ],
    })
    await send({"type": "http.response.body", "body": payload})


def install(app: FastAPI) -> None:
    @app.exception_handler(RewriterError)
    async def _rewriter_error(request: Request, exc: RewriterError) -> JSONResponse:
        headers = {}
        retry_after = getattr(exc, "retry_after_s", None)  # Overloaded, RateLimited
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        return respond(problem_from_error(exc, request_id_of(request)), headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        unparsable = next((err for err in errors if err.get("type") == "json_invalid"), None)
        if unparsable is not None:  # the body could not be read at all: no field to name
            return respond(not_json(unparsable, request_id_of(request)))
        return respond(validation_problem(errors, request_id_of(request)))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        title = {
            400: "Malformed body", 404: "Not found", 405: "Method not allowed", 413: "Request body too large"
        }.get(exc.status_code, "HTTP error")
        detail = exc.detail if isinstance(exc.detail, str) else title
        if exc.status_code == 400 and detail == "There was an error parsing the body":  # FastAPI's, e.g. not UTF-8
            detail = "the body could not be read as JSON (send it as UTF-8 JSON)"
        if exc.status_code == 404 and detail == "Not Found":
            path = request.url.path
            detail = f"no route {request.method} {path if len(path) <= 100 else path[:100] + '...'}"
        return respond(problem(exc.status_code, title, detail, request_id_of(request)), exc.headers)
