"""The one place that calls language models: litellm's async API behind retries, a deadline and
an ordered list of fallback models, with latency, retries, tokens and cost recorded.

Retries (tenacity, exponential backoff with jitter, honouring `Retry-After`) happen only on
transient failures: 408/409/429, 5xx, timeouts and connection errors. Anything else (bad request,
auth, not found) fails the model at once and moves on to the next fallback. The caller's deadline
bounds everything: a backoff that would outlive it is not slept.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import litellm  # api/__init__.py has set litellm's offline price-map switch
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
)

from . import local_model
from api.core import metrics
from api.core.errors import DeadlineExceeded, Overloaded, RewriterError, UpstreamError
from api.core.settings import Settings
from api.core.templates import RenderedPrompt

PromptFor = Callable[[str], RenderedPrompt]  # renders the prompt in the form a model needs

# httpx by default: the transport respx intercepts, so tests run the production path. The
# REWRITER_HTTP_TRANSPORT setting can switch to litellm's aiohttp transport (benchmarks/README.md).
litellm.disable_aiohttp_transport = True
litellm.suppress_debug_info = True
litellm.drop_params = True
litellm.telemetry = False

log = logging.getLogger(__name__)

TRANSIENT_STATUS = {408, 409, 425, 429}


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def as_dict(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
        }


@dataclass
class Completion:
    """A finished model answer and what it cost."""

    text: str
    model: str
    finish_reason: str | None
    usage: Usage
    cost_usd: float | None
    attempts: int = 1
    fallback_from: str | None = None
    errors: list[str] = field(default_factory=list)
    parts: list[str] | None = None  # the text in the pieces a stream sends (the rewriter's wrap mode)


def is_transient(exc: BaseException) -> bool:
    """Worth retrying the same model: rate limits, server errors, timeouts, dropped connections."""
    if isinstance(exc, (litellm.Timeout, litellm.APIConnectionError, asyncio.TimeoutError)):
        return True
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return status in TRANSIENT_STATUS or status >= 500
    return False


def retry_after_s(exc: BaseException | None) -> float | None:
    """Seconds from a `Retry-After` header on the failed response, if it sent one."""
    if exc is None:
        return None
    headers = getattr(exc, "litellm_response_headers", None)
    if headers is None:
        response = getattr(exc, "response", None)
        headers = getattr(response, "headers", None)
    if not headers:
        return None
    value = headers.get("retry-after") or headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: rare from model APIs; fall back to our own backoff


def error_kind(exc: BaseException) -> str:
    """A small, fixed vocabulary of upstream failures for metrics and logs."""
    if isinstance(exc, Overloaded) or _caused_by(exc, local_model.LocalModelBusy):
        return "overloaded"
    if isinstance(exc, (litellm.Timeout, asyncio.TimeoutError, DeadlineExceeded)):
        return "timeout"
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        if status == 429:
            return "rate_limited"
        if status in (401, 403):
            return "auth"
        if status == 404:
            return "not_found"
        if status >= 500:
            return "server_error"
        if status >= 400:
            return "bad_request"
    if isinstance(exc, litellm.APIConnectionError):
        return "connection"
    return "other"


def _reason(exc: BaseException) -> str:
    status = getattr(exc, "status_code", None)
    if isinstance(status, int):
        return str(status)
    return type(exc).__name__


def _describe(model: str, exc: BaseException) -> str:
    status = getattr(exc, "status_code", None)
    # Some carry no message at all (a bare TimeoutError): "".splitlines() is empty.
    message = (str(getattr(exc, "message", "") or exc).strip().splitlines() or [""])[0][:200]
    prefix = f"HTTP {status}" if isinstance(status, int) else type(exc).__name__
    return f"{model}: {prefix}: {message}"


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    """litellm wraps provider exceptions; look down the chain for the original."""
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, kind):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _provider(model: str) -> str:
    return model.split("/", 1)[0] if "/" in model else "openai"


class Gateway:
    """Calls models for the core rewriter. Built once per process; holds no per-request state."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        litellm.disable_aiohttp_transport = settings.http_transport == "httpx"
        # Registering loads nothing: the local model loads on first use or at start-up.
        self.local = local_model.register(settings)

    def uses_local_model(self) -> bool:
        return any(_provider(m) == local_model.PROVIDER for m in self.settings.models)

    # --- configuration ---------------------------------------------------------------------

    def chain(self, model: str | None) -> list[str]:
        """Models to try, in order: the requested (or default) model, then the configured
        fallbacks (the default model is not a fallback unless it is listed as one)."""
        first = model or self.settings.model
        return [first, *[m for m in self.settings.fallback_models if m != first]]

    @staticmethod
    def call_kwargs(settings: Settings, model: str) -> dict[str, Any]:
        """litellm arguments for `model`: the configured api_base and key apply to models of the
        default model's provider (others use litellm's own environment variables)."""
        kwargs: dict[str, Any] = {"model": model, "num_retries": 0, "max_retries": 0}
        if _provider(model) == _provider(settings.model):
            if settings.model_api_base:
                kwargs["api_base"] = settings.model_api_base
            if settings.model_api_key:
                kwargs["api_key"] = settings.model_api_key.get_secret_value()
        return kwargs

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hinted = retry_after_s(exc)
        if hinted is None:
            base = self.settings.retry_backoff_s * (2 ** (state.attempt_number - 1))
            hinted = base * (0.5 + random.random())  # full jitter around the exponential step
        return min(hinted, self.settings.retry_max_backoff_s)

    # --- calls -----------------------------------------------------------------------------

    async def complete(
        self, prompt: PromptFor, params: dict[str, Any], *, model: str | None, deadline: float
    ) -> Completion:
        """One completion through the chain of models, within `deadline` (a `time.monotonic()`)."""
        return await self._through_chain(prompt, params, model, deadline, self._complete_once)

    async def stream(
        self, prompt: PromptFor, params: dict[str, Any], *, model: str | None, deadline: float
    ) -> AsyncIterator[str | Completion]:
        """Yield text deltas, then the `Completion`. Retries and fallbacks apply until the first
        delta; a failure after that raises `UpstreamError` (the text so far cannot be taken back)."""
        opened: _OpenStream = await self._through_chain(prompt, params, model, deadline, self._open_stream)
        async for item in opened.drain(self, deadline):
            yield item

    async def _through_chain(self, prompt, params, model, deadline, attempt_fn):
        chain = self.chain(model)
        errors: list[str] = []
        calls = [0]  # model calls across the whole chain
        last: BaseException | None = None
        for index, current in enumerate(chain):
            try:
                result = await self._with_retries(current, prompt, params, deadline, attempt_fn, errors, calls)
            except DeadlineExceeded:
                raise
            except Overloaded as exc:
                last = exc
                errors.append(f"{current}: {exc.detail}")
                continue
            except Exception as exc:  # noqa: BLE001 - every upstream failure moves to the next model
                last = exc
                errors.append(_describe(current, exc))
                log.warning("model failed", extra={"model": current, "reason": _reason(exc)})
                continue
            if index > 0:
                metrics.FALLBACKS.labels(chain[0], current).inc()
                result.fallback_from = chain[0]
            result.errors = errors
            result.attempts = calls[0]
            return result
        if isinstance(last, Overloaded) and len(chain) == 1:
            raise last
        raise UpstreamError(
            "the model provider failed after retries and fallbacks: " + " | ".join(errors),
            errors=errors,
        )

    async def _with_retries(self, model, prompt, params, deadline, attempt_fn, errors, calls):
        def out_of_time(state: RetryCallState) -> bool:
            sleep = state.upcoming_sleep or 0.0
            return time.monotonic() + sleep >= deadline

        def note_retry(state: RetryCallState) -> None:
            exc = state.outcome.exception() if state.outcome else None
            if exc is not None:
                errors.append(_describe(model, exc) + " (retried)")
                metrics.UPSTREAM_RETRIES.labels(model, _reason(exc)).inc()

        retrying = AsyncRetrying(
            retry=retry_if_exception(is_transient),
            stop=stop_after_attempt(self.settings.max_retries + 1) | out_of_time,
            wait=self._wait,
            before_sleep=note_retry,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                calls[0] += 1
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise DeadlineExceeded(f"no answer within {self.settings.timeout_s:g} s")
                started = time.monotonic()
                try:
                    async with asyncio.timeout(remaining) as budget:
                        result = await attempt_fn(model, prompt, params, remaining)
                except TimeoutError as exc:
                    metrics.UPSTREAM_ERRORS.labels(model, "timeout").inc()
                    # Our own timeout is the deadline, even when it fires a little before
                    # time.monotonic() gets there (uvloop's clock is libuv's cached milliseconds).
                    if budget.expired() or time.monotonic() >= deadline:
                        metrics.UPSTREAM_LATENCY.labels(model, "deadline").observe(time.monotonic() - started)
                        raise DeadlineExceeded(f"no answer within {self.settings.timeout_s:g} s") from exc
                    raise
                except RewriterError:
                    raise
                except Exception as exc:
                    metrics.UPSTREAM_LATENCY.labels(model, "error").observe(time.monotonic() - started)
                    metrics.UPSTREAM_ERRORS.labels(model, error_kind(exc)).inc()
                    if _caused_by(exc, local_model.LocalModelBusy):
                        raise Overloaded(f"{model}: {exc}", retry_after_s=2) from exc
                    raise exc
                metrics.UPSTREAM_LATENCY.labels(model, "ok").observe(time.monotonic() - started)
                return result
        raise AssertionError("unreachable")  # pragma: no cover

    def _request(self, model, prompt: RenderedPrompt, params) -> dict[str, Any]:
        kwargs = self.call_kwargs(self.settings, model)
        kwargs.update({k: v for k, v in params.items() if v is not None})
        kwargs["messages"] = prompt.messages
        if prompt.stop:
            kwargs["stop"] = prompt.stop
        # A constant timeout: litellm keys its cached provider clients (and their connection pools)
        # on it, so a per-request value would build a new client for every call. The deadline
        # itself is enforced around the call with asyncio.timeout.
        kwargs["timeout"] = self.settings.timeout_s
        return kwargs

    async def _complete_once(self, model, prompt, params, remaining) -> Completion:
        response = await litellm.acompletion(**self._request(model, prompt(model), params))
        choice = response.choices[0]
        usage = getattr(response, "usage", None)
        used = Usage(
            prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
            completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
        )
        return self._finish(model, choice.message.content or "", choice.finish_reason, used)

    async def _open_stream(self, model, prompt, params, remaining) -> "_OpenStream":
        rendered = prompt(model)
        kwargs = self._request(model, rendered, params)
        kwargs["stream"] = True
        kwargs["stream_options"] = {"include_usage": True}
        stream = await litellm.acompletion(**kwargs)
        iterator = stream.__aiter__()
        # The first chunk arrives inside the retry loop: failing before any text is retryable.
        first = await iterator.__anext__()
        return _OpenStream(model=model, prompt=rendered, iterator=iterator, first=first)

    def _finish(self, model: str, text: str, finish_reason: str | None, usage: Usage) -> Completion:
        cost = self.cost_usd(model, usage)
        metrics.TOKENS.labels(model, "prompt").inc(usage.prompt_tokens)
        metrics.TOKENS.labels(model, "completion").inc(usage.completion_tokens)
        if cost:
            metrics.COST.labels(model).inc(cost)
        return Completion(text=text, model=model, finish_reason=finish_reason, usage=usage, cost_usd=cost)

    @staticmethod
    def cost_usd(model: str, usage: Usage) -> float | None:
        """Price from litellm's bundled map; None when the model is not in it; 0 for local."""
        if _provider(model) == local_model.PROVIDER:
            return 0.0
        try:
            prompt_cost, completion_cost = litellm.cost_per_token(
                model=model,
                prompt_tokens=usage.prompt_tokens,
                completion_tokens=usage.completion_tokens,
            )
        except Exception:  # noqa: BLE001 - unknown model: cost unknown, not an error
            return None
        return round(prompt_cost + completion_cost, 10)


@dataclass
class _OpenStream:
    model: str
    prompt: RenderedPrompt
    iterator: Any
    first: Any
    attempts: int = 1
    fallback_from: str | None = None
    errors: list[str] = field(default_factory=list)

    async def drain(self, gateway: Gateway, deadline: float) -> AsyncIterator[str | Completion]:
        parts: list[str] = []
        finish_reason: str | None = None
        usage: Usage | None = None
        chunk = self.first
        try:
            while True:
                for choice in getattr(chunk, "choices", None) or []:
                    delta = getattr(choice, "delta", None)
                    text = getattr(delta, "content", None) if delta is not None else None
                    if text:
                        parts.append(text)
                        yield text
                    if getattr(choice, "finish_reason", None):
                        finish_reason = choice.finish_reason
                chunk_usage = getattr(chunk, "usage", None)
                if chunk_usage and getattr(chunk_usage, "completion_tokens", None):
                    usage = Usage(int(chunk_usage.prompt_tokens or 0), int(chunk_usage.completion_tokens or 0))
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise DeadlineExceeded(f"no answer within {gateway.settings.timeout_s:g} s")
                try:
                    async with asyncio.timeout(remaining):
                        chunk = await self.iterator.__anext__()
                except StopAsyncIteration:
                    break
                except TimeoutError as exc:
                    raise DeadlineExceeded(f"no answer within {gateway.settings.timeout_s:g} s") from exc
        except RewriterError:
            raise
        except Exception as exc:  # noqa: BLE001
            raise UpstreamError(f"the model stream broke off: {_describe(self.model, exc)}") from exc
        text = "".join(parts)
        if usage is None:
            usage = Usage(
                prompt_tokens=_count_tokens(self.model, messages=self.prompt.messages),
                completion_tokens=_count_tokens(self.model, text=text),
            )
        completion = gateway._finish(self.model, text, finish_reason, usage)
        completion.attempts = self.attempts
        completion.fallback_from = self.fallback_from
        completion.errors = self.errors
        yield completion


def _count_tokens(model: str, **kwargs: Any) -> int:
    try:
        return int(litellm.token_counter(model=model, **kwargs))
    except Exception:  # noqa: BLE001
        return 0
