"""Who may call `/v1`, and how often: API keys and per-key rate limits, as pure ASGI middleware.

It runs around the whole response, so a request holds its in-flight lease until its last byte
(a stream included) has gone. Rejections are problem+json: 401 with `WWW-Authenticate`, 429 with
`Retry-After`. The key's name is put in the request's state for the logs and metrics.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .keys import ANONYMOUS, KeyChecker, presented_key
from .problems import problem, send_problem
from .ratelimit import Lease, RateLimiter, Rejection
from api.core.errors import RewriterError
from api.core.settings import Settings

# A stream's last event (api/http/routes/rewrites.py): the response is complete for the caller.
_LAST_EVENTS = (b"event: result", b"event: error")


class AccessMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings, keys: KeyChecker, limiter: RateLimiter) -> None:
        self.app = app
        self.settings = settings
        self.keys = keys
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/v1"):
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", ())}
        rpm, concurrent = self.settings.rate_limit_rpm, self.settings.rate_limit_concurrent
        if self.keys.enabled:
            given = presented_key(headers)
            key = self.keys.identify(given)
            if key is None:
                detail = (
                    "the API key is not valid" if given
                    else "an API key is required: send `Authorization: Bearer <key>` or `X-API-Key`"
                )
                await _reject(send, state, 401, "Unauthorized", detail,
                              {"www-authenticate": 'Bearer realm="reply-rewriter"'})
                return
            name = key.name
            bucket = f"key:{key.name}"
            rpm = key.rpm if key.rpm is not None else rpm
            concurrent = key.concurrent if key.concurrent is not None else concurrent
        else:
            name = ANONYMOUS
            client = scope.get("client")
            bucket = f"client:{client[0] if client else 'unknown'}"
        state["key_name"] = name
        if not (rpm or concurrent):
            await self.app(scope, receive, send)
            return
        outcome = await self.limiter.acquire(bucket, name, rpm, concurrent)
        if isinstance(outcome, Rejection):
            await _reject(
                send, state, 429, "Too many requests", _limited(name, outcome),
                {"retry-after": str(outcome.retry_after_s)}, limit=outcome.limit,
            )
            return
        if rpm:
            # A batch's items count against rpm too: the route charges those past the first.
            state["charge_rpm"] = functools.partial(self._charge, bucket, name, rpm)
        await self._run_holding(outcome, scope, receive, send)

    async def _charge(self, bucket: str, name: str, rpm: int, count: int) -> None:
        """Count `count` more requests against the key's rpm, or raise `RateLimited`."""
        rejection = await self.limiter.charge(bucket, name, rpm, count)
        if rejection is not None:
            raise RateLimited(_limited(name, rejection), retry_after_s=rejection.retry_after_s, limit=rejection.limit)

    async def _run_holding(self, lease: Lease, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the request holding its lease, and give the lease back as soon as the response is
        complete for the caller: its last body chunk, or a stream's last event (`result` or
        `error`), so a caller that asks again at once is not turned away by its own stream."""
        renewing = lease.lease_id is not None and self.limiter.backend == "redis"
        keeper = asyncio.create_task(self.limiter.hold(lease)) if renewing else None
        released = False

        async def release() -> None:
            nonlocal released
            if not released:
                released = True
                if keeper is not None:
                    keeper.cancel()
                await self.limiter.release(lease)

        async def send_releasing(message: Message) -> None:
            if message["type"] == "http.response.body" and (
                not message.get("more_body") or message.get("body", b"").startswith(_LAST_EVENTS)
            ):
                await release()
            await send(message)

        try:
            await self.app(scope, receive, send_releasing)
        finally:
            await release()


class RateLimited(RewriterError):
    """Over a rate limit, found after the request was let in (a batch's items)."""

    status = 429
    title = "Too many requests"

    def __init__(self, detail: str, retry_after_s: int, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.retry_after_s = retry_after_s


def _limited(name: str, rejection: Rejection) -> str:
    return f"rate limit for {name}: {rejection.detail}; retry after {rejection.retry_after_s} s"


async def _reject(send: Send, state: dict, status: int, title: str, detail: str,
                  headers: dict[str, str], **extra) -> None:
    await send_problem(send, problem(status, title, detail, state.get("request_id"), **extra), headers)
