"""Who may call `/v1`, and how often: API keys and per-key rate limits, as pure ASGI middleware.

It runs around the whole response, so a request holds its in-flight lease until its last byte
(a stream included) has gone. Rejections are problem+json: 401 with `WWW-Authenticate`, 429 with
`Retry-After`. The key's name is put in the request's state for the logs and metrics.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Receive, Scope, Send

from .keys import ANONYMOUS, KeyChecker, presented_key
from .problems import problem, send_problem
from .ratelimit import RateLimiter, Rejection
from api.core.settings import Settings


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
                send, state, 429, "Too many requests",
                f"rate limit for {name}: {outcome.detail}; retry after {outcome.retry_after_s} s",
                {"retry-after": str(outcome.retry_after_s)}, limit=outcome.limit,
            )
            return
        renewing = outcome.lease_id is not None and self.limiter.backend == "redis"
        keeper = asyncio.create_task(self.limiter.hold(outcome)) if renewing else None
        try:
            await self.app(scope, receive, send)
        finally:
            if keeper is not None:
                keeper.cancel()
            await self.limiter.release(outcome)


async def _reject(send: Send, state: dict, status: int, title: str, detail: str,
                  headers: dict[str, str], **extra) -> None:
    await send_problem(send, problem(status, title, detail, state.get("request_id"), **extra), headers)
