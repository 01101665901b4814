"""One rewrite's time budget: it starts when the request is prepared and bounds every model call,
retry, backoff and stream chunk after that."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from .errors import DeadlineExceeded


@dataclass(frozen=True)
class Deadline:
    timeout_s: float
    started: float = field(default_factory=time.monotonic)  # time.monotonic()

    @property
    def at(self) -> float:
        return self.started + self.timeout_s

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def elapsed_ms(self) -> float:
        return round((time.monotonic() - self.started) * 1000, 1)

    def exceeded(self) -> DeadlineExceeded:
        return DeadlineExceeded(f"no answer within {self.timeout_s:g} s")

    @asynccontextmanager
    async def bound(self) -> AsyncIterator[None]:
        """Run the block within the time left; past it, `DeadlineExceeded`. (Providers' own
        timeouts arrive translated, as `ProviderFailure`: a `TimeoutError` here is ours.)"""
        remaining = self.remaining()
        if remaining <= 0:
            raise self.exceeded()
        try:
            async with asyncio.timeout(remaining):
                yield
        except TimeoutError as exc:
            # The deadline, even when it fires a little before time.monotonic() gets there
            # (uvloop's clock is libuv's cached milliseconds).
            raise self.exceeded() from exc
