"""Provider failures in our own words. A provider's exceptions are translated once, where its
client is called (`api.models.litellm_lane`); retries, fallbacks, metrics and messages dispatch on
`ProviderFailure` only."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Literal

FailureKind = Literal[
    "rate_limited", "auth", "not_found", "bad_request", "server_error", "timeout", "connection",
    "overloaded", "bad_response", "other",
]
TRANSIENT_STATUS = {408, 409, 425, 429}


class ProviderFailure(Exception):
    """One failed model call: its HTTP status if it had one, the server's `Retry-After`, a kind
    from a small fixed vocabulary (metrics), a one-line message, and a label naming the failure
    when it had no status (the provider's exception type: `Timeout`, `APIConnectionError`)."""

    def __init__(
        self, kind: FailureKind, message: str, *, status: int | None = None, retry_after_s: float | None = None,
        label: str | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.status = status
        self.retry_after_s = retry_after_s
        self.label = label or kind

    @property
    def transient(self) -> bool:
        """Worth retrying the same model: rate limits, server errors, timeouts, dropped connections."""
        if self.kind in ("timeout", "connection", "bad_response"):
            return True
        return self.status is not None and (self.status in TRANSIENT_STATUS or self.status >= 500)

    @property
    def reason(self) -> str:
        """The label for retry metrics: the status, or what failed."""
        return str(self.status) if self.status is not None else self.label

    def describe(self, model: str) -> str:
        prefix = f"HTTP {self.status}" if self.status is not None else self.label
        return f"{model}: {prefix}: {self.message}"


def kind_of_status(status: int) -> FailureKind:
    if status == 429:
        return "rate_limited"
    if status in (401, 403):
        return "auth"
    if status == 404:
        return "not_found"
    if status >= 500:
        return "server_error"
    return "bad_request" if status >= 400 else "other"


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a `Retry-After` header value; None for none or an HTTP date (rare from
    model APIs: our own backoff applies)."""
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def first_line(text: str) -> str:
    """A provider's message as one short line."""
    return (text.strip().splitlines() or [""])[0][:200]


@contextmanager
def translating(translate: Callable[[BaseException], ProviderFailure]) -> Iterator[None]:
    """Any exception a lane's client raises leaves as a `ProviderFailure`, by the lane's
    `translate` (one already translated passes as it is)."""
    try:
        yield
    except ProviderFailure:
        raise
    except Exception as exc:  # noqa: BLE001 - every provider failure, in our own words
        raise translate(exc) from exc
