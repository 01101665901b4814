"""API keys for the service itself: one per integration, configured as sha256 digests with a name.

`REWRITER_API_KEYS` holds comma-separated entries `NAME:SHA256HEX`, optionally followed by the
key's own limits, `NAME:SHA256HEX:RPM:CONCURRENT` (0 or empty = the service-wide default). Keys
are random, high-entropy strings, so a plain sha256 digest is enough to keep the configuration
free of secrets; `python -m api new-key NAME` makes a key and its entry. A presented key is
compared against every configured digest with `hmac.compare_digest`, without stopping early, so
timing tells nothing about which key (or how much of one) matched. The name, never the key, is
what logs and metrics show.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from typing import Annotated

from fastapi import Depends
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

ANONYMOUS = "anonymous"
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_HEX = re.compile(r"^[0-9a-f]{64}$")


class KeyConfigError(ValueError):
    """A `REWRITER_API_KEYS` entry is malformed; stops start-up, naming the entry (not its value)."""


@dataclass(frozen=True)
class ApiKey:
    name: str
    digest: bytes
    rpm: int | None = None  # None: the service-wide default
    concurrent: int | None = None


def digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def entry_for(name: str, key: str) -> str:
    """The `REWRITER_API_KEYS` entry for `key`."""
    return f"{name}:{digest(key).hex()}"


def new_key() -> str:
    return "rr_" + secrets.token_urlsafe(32)


def _limit(text: str, what: str, position: int) -> int | None:
    if text in ("", "0"):
        return None
    if not text.isdigit():
        raise KeyConfigError(f"REWRITER_API_KEYS entry {position}: {what} must be a whole number")
    return int(text)


NAME_RULE = "1 to 64 letters, digits, '_', '.' or '-'"


def name_problem(name: str) -> str | None:
    """What is wrong with a key's name, in words (a ':' or ',' in it would split the
    REWRITER_API_KEYS entry elsewhere); None for a good one."""
    if _NAME.fullmatch(name):
        return None
    if not name:
        problem = "it is empty"
    elif len(name) > 64:
        problem = f"it is {len(name)} characters long"
    else:
        problem = "it has " + ", ".join(repr(c) for c in sorted({c for c in name if not _NAME.fullmatch(c)})) + " in it"
    return f"{problem}; a name is {NAME_RULE}"


def parse_entry(entry: str, position: int = 1) -> ApiKey:
    parts = entry.strip().split(":")
    if len(parts) not in (2, 3, 4):
        raise KeyConfigError(
            f"REWRITER_API_KEYS entry {position}: expected NAME:SHA256HEX[:RPM[:CONCURRENT]] "
            "(make one with `python -m api new-key NAME`)"
        )
    name, hexdigest = parts[0], parts[1].lower()
    problem = name_problem(name)
    if problem:
        raise KeyConfigError(f"REWRITER_API_KEYS entry {position}: bad name: {problem}")
    if not _HEX.match(hexdigest):
        raise KeyConfigError(
            f"REWRITER_API_KEYS entry {position} ({name}): the digest must be 64 hex characters, the "
            "sha256 of the key, not the key itself"
        )
    rpm = _limit(parts[2], "RPM", position) if len(parts) > 2 else None
    concurrent = _limit(parts[3], "CONCURRENT", position) if len(parts) > 3 else None
    return ApiKey(name=name, digest=bytes.fromhex(hexdigest), rpm=rpm, concurrent=concurrent)


class KeyChecker:
    """Holds the configured keys; none means auth is off."""

    def __init__(self, entries: list[str]) -> None:
        self.keys = [parse_entry(entry, i) for i, entry in enumerate(entries, start=1)]
        names = [k.name for k in self.keys]
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise KeyConfigError(f"REWRITER_API_KEYS: key names must be unique; repeated: {', '.join(duplicated)}")

    @property
    def enabled(self) -> bool:
        return bool(self.keys)

    def identify(self, presented: str | None) -> ApiKey | None:
        """The key `presented` matches, or None. Constant time in which key matched."""
        if not presented:
            return None
        given = digest(presented)
        found: ApiKey | None = None
        for key in self.keys:
            if hmac.compare_digest(given, key.digest) and found is None:
                found = key
        return found


def presented_key(headers: dict[str, str]) -> str | None:
    """The key from `Authorization: Bearer <key>` or `X-API-Key` (lower-cased header names)."""
    scheme, _, token = headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return headers.get("x-api-key") or None


# Declared on the /v1 routes so the OpenAPI schema shows how to authenticate. Enforcement (and
# the rate limits) happens earlier, in `api.http.access.AccessMiddleware`, around the whole response.
_bearer = HTTPBearer(auto_error=False, description="an API key, when the service has keys configured")
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="the same key, as a header")


async def key_schemes(
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)] = None,
    header: Annotated[str | None, Depends(_header)] = None,
) -> None:
    """Documents the security schemes; `AccessMiddleware` has already enforced them."""
