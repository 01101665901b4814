"""One pure-ASGI middleware for what every request needs: a request id (echoed or made), a body
size limit (413 before the route reads too much), the HTTP metrics by route template, and
stopping the work on a request whose client has gone away.

A client that disconnects before its answer (a timeout, a closed tab, a load generator at the end
of its run) no longer costs the service the rest of the request: once the body is read, a watcher
is the only reader of the server's `receive()`, and its `http.disconnect` cancels the handler.
The cancellation runs every `finally` on its way out (the key's in-flight lease, the upstream
connection, the local model's place in its queue: it stops at its next token), and the request
is recorded as 499 (`rewriter_http_abandoned_total`), without a traceback."""

from __future__ import annotations

import asyncio
import logging
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.core import metrics

from .problems import BodyTooLarge, problem, send_problem, unexpected

log = logging.getLogger(__name__)

_CLIENT_GONE = "the client disconnected"  # the cancel message that marks our own cancellation

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
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        exchange = _Exchange(send, receive, request_id, self.max_body_bytes, _header(scope, b"content-length"))
        try:
            await self.app(scope, exchange.receive, exchange.send)
        except Exception:
            # Last resort: a generic problem with the request id, never a stack trace.
            log.exception("unhandled error", extra={"request_id": request_id})
            if exchange.started:
                raise
            await send_problem(exchange.send, unexpected(request_id))
        except asyncio.CancelledError as exc:
            if exchange.abandoned(exc):
                exchange.status = 499  # nginx's "client closed request": nobody is left to answer
                metrics.ABANDONED.inc()
            elif exchange.started:
                raise
            else:
                # uvicorn cancels the requests still running when its shutdown grace period ends
                # (REWRITER_SHUTDOWN_GRACE_S). One not yet answered gets a 503 the caller can retry
                # on another replica, not uvicorn's bare 500; the task ends right after either way.
                log.warning("request cut short by shutdown", extra={"request_id": request_id})
                await send_problem(exchange.send, problem(
                    503, "Service unavailable", "the service is shutting down; retry the request", request_id
                ), {"Retry-After": "1"})
        finally:
            exchange.close()
            _record(scope, request_id, exchange.status, time.perf_counter() - started)


def _request_id(scope: Scope) -> str:
    """The caller's `X-Request-ID` when it is safe to echo and log, else a new one."""
    given = _header(scope, b"x-request-id")
    request_id = given.decode("latin-1") if given else ""
    return request_id if _SAFE_ID.match(request_id) else uuid.uuid4().hex


class _Exchange:
    """One request's receive and send: the body limit on the way in, the request id header and
    the status on the way out."""

    def __init__(self, send: Send, receive: Receive, request_id: str, limit: int, length: bytes | None) -> None:
        self._send, self._receive = send, receive
        self._raw_id = request_id.encode()
        self._limit = limit
        self._too_big = length is not None and length.isdigit() and int(length) > limit
        self._received = 0
        self.started = False
        self.status = 500
        self._handler = asyncio.current_task()
        self._watcher: asyncio.Task | None = None
        self._gone = asyncio.Event()
        self._cancelled = False

    async def receive(self) -> Message:
        if self._too_big:
            raise BodyTooLarge(f"request body is over the limit of {self._limit} bytes")
        if self._watcher is not None:
            # The body is read; the app listens for a disconnect (a streaming response does):
            # the watcher is the one reader of the server's receive() now, and tells it.
            await self._gone.wait()
            return {"type": "http.disconnect"}
        message = await self._receive()
        if message["type"] == "http.request":
            self._received += len(message.get("body", b""))
            if self._received > self._limit:
                raise BodyTooLarge(f"request body is over the limit of {self._limit} bytes")
            if not message.get("more_body"):
                self._watcher = asyncio.create_task(self._watch())
        elif message["type"] == "http.disconnect":
            self._gone.set()
        return message

    async def _watch(self) -> None:
        """After the body, the server's receive() says only one thing: the client is gone."""
        try:
            message = await self._receive()
        except Exception:  # noqa: BLE001 - a server that cannot say: treat the client as gone, and log why
            message = {"type": "http.disconnect"}
            log.warning("receive() failed while watching for a disconnect", exc_info=True)
        if message["type"] != "http.disconnect":
            return
        self._gone.set()
        # Before the answer starts. A stream under way learns of it from receive() instead (its
        # own disconnect listener ends it, and the generation with it).
        if not self.started and self._handler is not None:
            self._cancelled = True
            self._handler.cancel(_CLIENT_GONE)

    def abandoned(self, exc: asyncio.CancelledError) -> bool:
        """Was this our cancellation (the client left), not uvicorn's? Then it is taken back
        from the task, which ends normally."""
        if not self._cancelled or (exc.args and _CLIENT_GONE not in exc.args):
            return False
        if self._handler is not None:
            self._handler.uncancel()
        return True

    def close(self) -> None:
        if self._watcher is not None and not self._watcher.done():
            self._watcher.cancel()

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.started = True
            self.status = message["status"]
            message["headers"] = [*message.get("headers", []), (b"x-request-id", self._raw_id)]
        await self._send(message)


def _record(scope: Scope, request_id: str, status: int, elapsed: float) -> None:
    """The HTTP metrics by route template, and one access line per request."""
    route = scope.get("route")
    path = getattr(route, "path", None) or (
        "/v1/*" if status in (401, 429) and scope["path"].startswith("/v1") else "unmatched"
    )  # rejected before routing: one label, whatever path was asked for
    method = scope.get("method", "")
    metrics.HTTP_REQUESTS.labels(path, method, str(status)).inc()
    metrics.HTTP_LATENCY.labels(path, method).observe(elapsed)
    state = scope["state"]
    key_name = state.get("key_name")
    if key_name is not None:
        metrics.KEY_REQUESTS.labels(key_name, str(status)).inc()
    if path not in _QUIET_ROUTES:
        # One access line per request: ids, names, statuses and timings; no content unless
        # REWRITER_LOG_CONTENT put some in `state["log"]`.
        log.info("request", extra={
            "request_id": request_id, "key": key_name, "method": method, "route": path,
            "status": status, "latency_ms": round(elapsed * 1000, 1), **state.get("log", {}),
        })
