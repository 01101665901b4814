"""The one place that calls language models: two lanes behind retries, the request's deadline
and an ordered list of fallback models, with latency, retries, tokens and cost recorded.

The lanes: OpenAI-compatible providers through the `openai` SDK (`openai_lane`, the fast one),
every other provider and the embedded local model through litellm (`litellm_lane`). Each model
of a chain goes through its own lane, so an OpenAI-compatible primary may fall back to
`anthropic/...`. Both answer `complete` and `open_stream` in our own types.

Retries (tenacity, exponential backoff with jitter, honouring `Retry-After`) happen only on
transient failures: 408/409/425/429, 5xx, timeouts and connection errors. Anything else (bad
request, auth, not found) fails the model at once and moves on to the next fallback. The deadline
bounds everything: a backoff that would outlive it is not slept. Failures arrive as
`ProviderFailure` (translated by the lane); nothing here looks inside a provider's exceptions.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from api.core import metrics
from api.core.deadline import Deadline
from api.core.errors import DeadlineExceeded, Overloaded, UpstreamError
from api.core.settings import Settings

from .local_provider import register
from .completion import Completion, PromptFor
from .failures import ProviderFailure
from .litellm_lane import LitellmLane
from .openai_lane import OpenAILane, lane_of
from .prices import cost_usd

log = logging.getLogger(__name__)

T = TypeVar("T")
Call = Callable[[str, PromptFor, dict[str, Any]], Awaitable[T]]  # (model, prompt, params) -> T


@dataclass
class _Run:
    """One request's way through the chain: what failed, and how many calls it took."""

    errors: list[str] = field(default_factory=list)
    calls: int = 0
    fallback_from: str | None = None


class Gateway:
    """Calls models for the core rewriter. Built once per process; holds no per-request state."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.lanes = {"litellm": LitellmLane(settings), "openai": OpenAILane(settings)}
        # Registering loads nothing: the local model loads on first use or at start-up.
        provider = register(settings)
        self.local_model = provider if settings.uses_local_model else None

    async def aclose(self) -> None:
        """Close the lanes' connections to providers (at shutdown)."""
        await self.lanes["openai"].aclose()

    def chain(self, model: str | None) -> list[str]:
        """Models to try, in order: the requested (or default) model, then the configured
        fallbacks (the default model is not a fallback unless it is listed as one)."""
        first = model or self.settings.model
        return [first, *[m for m in self.settings.fallback_models if m != first]]

    async def complete(
        self, prompt: PromptFor, params: dict[str, Any], *, model: str | None, deadline: Deadline
    ) -> Completion:
        """One completion through the chain of models, within `deadline`."""
        run = _Run()
        completion = await self._through_chain(self._complete, prompt, params, model, deadline, run)
        return self._settle(completion, run)

    async def stream(
        self, prompt: PromptFor, params: dict[str, Any], *, model: str | None, deadline: Deadline
    ) -> AsyncIterator[str | Completion]:
        """Yield text deltas, then the `Completion`. Retries and fallbacks apply until the first
        chunk; a failure after that raises `UpstreamError` (the text so far cannot be taken back)."""
        run = _Run()
        opened = await self._through_chain(self._open_stream, prompt, params, model, deadline, run)
        try:
            while True:
                try:
                    async with deadline.bound():
                        piece = await opened.next_text()
                except ProviderFailure as exc:
                    raise UpstreamError(f"the model stream broke off: {exc.describe(opened.model)}") from exc
                if piece is None:
                    break
                yield piece
            yield self._settle(opened.completion(), run)
        finally:
            await opened.aclose()  # a stream left early (client gone, deadline) frees its connection now

    def lane(self, model: str):
        return self.lanes[lane_of(model, self.settings)]

    async def _complete(self, model: str, prompt: PromptFor, params: dict[str, Any]) -> Completion:
        return await self.lane(model).complete(model, prompt, params)

    async def _open_stream(self, model: str, prompt: PromptFor, params: dict[str, Any]):
        return await self.lane(model).open_stream(model, prompt, params)

    def _settle(self, completion: Completion, run: _Run) -> Completion:
        """Price the completion, count its tokens and cost, and say how it was reached."""
        completion.cost_usd = cost_usd(completion.model, completion.usage)
        completion.attempts = run.calls
        completion.fallback_from = run.fallback_from
        metrics.TOKENS.labels(completion.model, "prompt").inc(completion.usage.prompt_tokens)
        metrics.TOKENS.labels(completion.model, "completion").inc(completion.usage.completion_tokens)
        if completion.cost_usd:
            metrics.COST.labels(completion.model).inc(completion.cost_usd)
        return completion

    async def _through_chain(self, call: Call[T], prompt, params, model, deadline: Deadline, run: _Run) -> T:
        chain = self.chain(model)
        last: Exception | None = None
        for index, current in enumerate(chain):
            try:
                result = await self._with_retries(call, current, prompt, params, deadline, run)
            except Overloaded as exc:
                last = exc
                run.errors.append(f"{current}: {exc.detail}")
                continue
            except ProviderFailure as exc:  # every upstream failure moves to the next model
                last = exc
                run.errors.append(exc.describe(current))
                log.warning("model failed", extra={"model": current, "reason": exc.reason})
                continue
            if index > 0:
                metrics.FALLBACKS.labels(chain[0], current).inc()
                run.fallback_from = chain[0]
            return result
        if isinstance(last, Overloaded) and len(chain) == 1:
            raise last
        raise UpstreamError(
            "the model provider failed after retries and fallbacks: " + " | ".join(run.errors), failures=run.errors,
        )

    async def _with_retries(self, call: Call[T], model: str, prompt, params, deadline: Deadline, run: _Run) -> T:
        def out_of_time(state: RetryCallState) -> bool:
            return (state.upcoming_sleep or 0.0) >= deadline.remaining()

        def note_retry(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            if isinstance(exc, ProviderFailure):
                run.errors.append(exc.describe(model) + " (retried)")
                metrics.UPSTREAM_RETRIES.labels(model, exc.reason).inc()

        retrying = AsyncRetrying(
            retry=retry_if_exception(lambda exc: isinstance(exc, ProviderFailure) and exc.transient),
            stop=stop_after_attempt(self.settings.max_retries + 1) | out_of_time,
            wait=self._wait,
            before_sleep=note_retry,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                run.calls += 1
                return await self._call_once(call, model, prompt, params, deadline)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _call_once(self, call: Call[T], model: str, prompt, params, deadline: Deadline) -> T:
        if deadline.remaining() <= 0:
            raise deadline.exceeded()
        started = time.monotonic()
        try:
            async with deadline.bound():
                result = await call(model, prompt, params)
        except DeadlineExceeded:
            metrics.UPSTREAM_ERRORS.labels(model, "timeout").inc()
            metrics.UPSTREAM_LATENCY.labels(model, "deadline").observe(time.monotonic() - started)
            raise
        except ProviderFailure as exc:
            metrics.UPSTREAM_LATENCY.labels(model, "error").observe(time.monotonic() - started)
            metrics.UPSTREAM_ERRORS.labels(model, exc.kind).inc()
            if exc.kind == "overloaded":
                raise Overloaded(f"{model}: {exc.message}", retry_after_s=2) from exc
            raise
        metrics.UPSTREAM_LATENCY.labels(model, "ok").observe(time.monotonic() - started)
        return result

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hinted = exc.retry_after_s if isinstance(exc, ProviderFailure) else None
        if hinted is None:
            base = self.settings.retry_backoff_s * (2 ** (state.attempt_number - 1))
            hinted = base * (0.5 + random.random())  # full jitter around the exponential step
        return min(hinted, self.settings.retry_max_backoff_s)
