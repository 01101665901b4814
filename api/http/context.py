"""One pure-ASGI middleware for what every request needs: a request id (echoed or made), a body
size limit (413 before the route reads too much), and the HTTP metrics by route template."""

from __future__ import annotations

import asyncio
import re
import time
import uuid

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.core import metrics
from .problems import BodyTooLarge, problem, send_problem, unexpected

log = logging.getLogger(__name__)

_QUIET_ROUTES = {"/healthz", "/readyz", "/metrics"}  # probes and scrapes: no access line
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:/+=-]{1,128}$")


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value
    return None


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        given = _header(scope, b"x-request-id")
        request_id = given.decode("latin-1") if given else ""
        if not _SAFE_ID.match(request_id):
            request_id = uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        raw_id = request_id.encode()
        status_holder = [500]
        limit = self.max_body_bytes

        length = _header(scope, b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            too_big = True
        else:
            too_big = False
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            if too_big:
                raise BodyTooLarge(f"request body is over the limit of {limit} bytes")
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(f"request body is over the limit of {limit} bytes")
            return message

        started_response = False

        async def send_with_id(message: Message) -> None:
            nonlocal started_response
            if message["type"] == "http.response.start":
                started_response = True
                status_holder[0] = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", raw_id)]
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_id)
        except Exception:
            # Last resort: a generic problem with the request id, never a stack trace.
            log.exception("unhandled error", extra={"request_id": request_id})
            if started_response:
                raise
            await send_problem(send_with_id, unexpected(request_id))
        except asyncio.CancelledError:
            # uvicorn cancels the requests still running when its shutdown grace period ends
            # (REWRITER_SHUTDOWN_GRACE_S). One not yet answered gets a 503 the caller can retry
            # on another replica, not uvicorn's bare 500; the task ends right after either way.
            if started_response:
                raise
            log.warning("request cut short by shutdown", extra={"request_id": request_id})
            await send_problem(send_with_id, problem(
                503, "Service unavailable", "the service is shutting down; retry the request", request_id
            ), {"Retry-After": "1"})
        finally:
            route = scope.get("route")
            status = status_holder[0]
            path = getattr(route, "path", None) or (
                "/v1/*" if status in (401, 429) and scope["path"].startswith("/v1") else "unmatched"
            )  # rejected before routing: one label, whatever path was asked for
            method = scope.get("method", "")
            elapsed = time.perf_counter() - started
            metrics.HTTP_REQUESTS.labels(path, method, str(status)).inc()
            metrics.HTTP_LATENCY.labels(path, method).observe(elapsed)
            state = scope["state"]
            key_name = state.get("key_name")
            if key_name is not None:
                metrics.KEY_REQUESTS.labels(key_name, str(status)).inc()
            if path not in _QUIET_ROUTES:
                # One access line per request: ids, names, statuses and timings; no content
                # unless REWRITER_LOG_CONTENT put some in `state["log"]`.
                log.info("request", extra={
                    "request_id": request_id, "key": key_name, "method": method, "route": path,
                    "status": status, "latency_ms": round(elapsed * 1000, 1), **state.get("log", {}),
                })
