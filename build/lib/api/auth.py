"""API keys for the service itself: optional, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac

from fastapi import Request

from .errors import Unauthorized


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


class KeyChecker:
    """Holds the digests of the configured keys; empty means auth is off."""

    def __init__(self, keys: list[str]) -> None:
        self._digests = [_digest(k) for k in keys]

    @property
    def enabled(self) -> bool:
        return bool(self._digests)

    def check(self, presented: str | None) -> bool:
        if not self._digests:
            return True
        if not presented:
            return False
        given = _digest(presented)
        # Compare against every key, without stopping early, so timing says nothing about which.
        matched = False
        for digest in self._digests:
            matched |= hmac.compare_digest(given, digest)
        return matched


def presented_key(request: Request) -> str | None:
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return request.headers.get("x-api-key") or None


async def require_key(request: Request) -> None:
    """FastAPI dependency for every /v1 route."""
    checker: KeyChecker = request.app.state.keys
    if not checker.enabled:
        return
    key = presented_key(request)
    if key is None:
        raise Unauthorized("an API key is required: send `Authorization: Bearer <key>` or `X-API-Key`")
    if not checker.check(key):
        raise Unauthorized("the API key is not valid")
