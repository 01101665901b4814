"""Model calls through litellm: requests built from the settings, answers read into our own
`Completion`, and litellm's exceptions translated once, into `ProviderFailure`, right where
litellm is called. litellm's process-wide switches are set here, the one module that calls it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

import httpx
import litellm  # api/__init__.py has set litellm's offline price-map switch

from api.core.settings import Settings
from api.core.templates import RenderedPrompt

from .local_model import LocalModelBusy
from .completion import Completion, PromptFor, Usage
from .failures import ProviderFailure, first_line, kind_of_status, parse_retry_after, translating
from .streams import OpenStream
from .tokens import count_tokens

# httpx by default: the transport respx intercepts, so tests run the production path. The
# REWRITER_HTTP_TRANSPORT setting can switch to litellm's aiohttp transport (benchmarks/README.md).
litellm.disable_aiohttp_transport = True
litellm.suppress_debug_info = True
litellm.drop_params = True
litellm.telemetry = False


# litellm's names in front of a provider's message: "litellm.InternalServerError: InternalServerError:
# OpenAIException - upstream broke" is the provider saying "upstream broke".
_WRAPPERS = re.compile(r"^(?:(?:litellm\.)?\w+(?:Error|Exception)\s*[:-]\s*)+")


def translate(exc: BaseException) -> ProviderFailure:
    # Some carry no message at all (a bare TimeoutError): "".splitlines() is empty.
    message = (str(getattr(exc, "message", "") or exc).strip().splitlines() or [""])[0]
    message = _WRAPPERS.sub("", message)[:200]
    if _caused_by(exc, LocalModelBusy):
        return ProviderFailure("overloaded", message, status=503, retry_after_s=2, label=type(exc).__name__)
    # Before the status: litellm gives these a 408 and a 500 of its own, the openai lane none.
    if isinstance(exc, (litellm.Timeout, asyncio.TimeoutError)) or _caused_by(exc, httpx.TimeoutException):
        return ProviderFailure("timeout", "no answer in time", label="Timeout")
    if _caused_by(exc, httpx.TransportError) or (
            isinstance(exc, litellm.APIConnectionError) and not _caused_by(exc, json.JSONDecodeError)):
        cause = _cause(exc, httpx.TransportError)
        return ProviderFailure("connection", first_line(str(cause or message)) or "the connection failed",
                               label="APIConnectionError")
    status = getattr(exc, "status_code", None)
    status = status if isinstance(status, int) else None
    if status in (None, 500) and _caused_by(exc, json.JSONDecodeError):  # litellm calls it a 500 of its own
        return ProviderFailure("bad_response", "the provider's answer is not valid JSON", label="invalid answer")
    retry_after = parse_retry_after(_header(exc, "retry-after"))
    kind = kind_of_status(status) if status is not None else "other"
    return ProviderFailure(kind, message, status=status, retry_after_s=retry_after, label=type(exc).__name__)


def _header(exc: BaseException, name: str) -> str | None:
    headers = getattr(exc, "litellm_response_headers", None)
    if headers is None:
        headers = getattr(getattr(exc, "response", None), "headers", None)
    if not headers:
        return None
    return headers.get(name) or headers.get(name.title())


def _caused_by(exc: BaseException, kind: type[BaseException]) -> bool:
    """litellm wraps provider exceptions; look down the chain for the original."""
    return _cause(exc, kind) is not None


def _cause(exc: BaseException, kind: type[BaseException]) -> BaseException | None:
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return None
        if isinstance(seen, kind):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


class LitellmLane:
    """Calls one model through litellm; retries, fallbacks and the deadline are the gateway's."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        litellm.disable_aiohttp_transport = settings.http_transport != "aiohttp"

    def _request(self, model: str, prompt: RenderedPrompt, params: dict[str, Any]) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"model": model, "num_retries": 0, "max_retries": 0}
        kwargs.update(self.settings.provider_kwargs(model))
        kwargs.update({k: v for k, v in params.items() if v is not None})
        kwargs["messages"] = prompt.messages
        if prompt.stop:
            kwargs["stop"] = prompt.stop
        # A constant timeout: litellm keys its cached provider clients (and their connection pools)
        # on it, so a per-request value would build a new client for every call. The deadline
        # itself is enforced around the call.
        kwargs["timeout"] = self.settings.timeout_s
        return kwargs

    async def complete(self, model: str, prompt: PromptFor, params: dict[str, Any]) -> Completion:
        with translating(translate):
            response = await litellm.acompletion(**self._request(model, prompt(model), params))
            choice = response.choices[0]
            text = choice.message.content or ""
            usage = getattr(response, "usage", None)
            used = Usage(
                prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
                completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
            )
            if not used.total_tokens:  # the provider sent none (litellm reads that as zeros)
                used = Usage(count_tokens(model, messages=prompt(model).messages), count_tokens(model, text=text))
            return Completion(text, model, choice.finish_reason, used)

    async def open_stream(self, model: str, prompt: PromptFor, params: dict[str, Any]) -> "LitellmStream":
        """Start a stream and wait for its first text: failing before any text is retryable, and
        a stream that ends without any (a body that is not an event stream reads as one empty
        chunk) is a bad response, retried like a failure."""
        with translating(translate):
            rendered = prompt(model)
            kwargs = self._request(model, rendered, params)
            kwargs["stream"] = True
            kwargs["stream_options"] = {"include_usage": True}
            iterator = (await litellm.acompletion(**kwargs)).__aiter__()
        stream = LitellmStream(model, rendered, iterator=iterator)
        first = await stream.next_text()
        if first is None:
            raise ProviderFailure("bad_response", "the model's stream ended before any text")
        stream.parts.clear()
        stream.pending.insert(0, _Text(first))
        return stream


@dataclass(frozen=True)
class _Text:
    """Text already read from the stream (the first piece, read while opening it)."""

    text: str


@dataclass(kw_only=True)
class LitellmStream(OpenStream):
    """An open stream: `next_text` gives its text pieces, then None; `completion` the totals."""

    iterator: Any
    pending: list[Any] = field(default_factory=list)  # chunks read but not yet looked at

    async def next_text(self) -> str | None:
        with translating(translate):
            while True:
                if not self.pending:
                    try:
                        self.pending.append(await self.iterator.__anext__())
                    except StopAsyncIteration:
                        return None
                chunk = self.pending.pop(0)
                text = chunk.text if isinstance(chunk, _Text) else self._read(chunk)
                if text:
                    self.parts.append(text)
                    return text

    def _read(self, chunk: Any) -> str:
        text = ""
        for choice in getattr(chunk, "choices", None) or []:
            delta = getattr(choice, "delta", None)
            text += (getattr(delta, "content", None) if delta is not None else None) or ""
            if getattr(choice, "finish_reason", None):
                self.finish_reason = choice.finish_reason
        usage = getattr(chunk, "usage", None)
        if usage and getattr(usage, "completion_tokens", None):
            self.usage = Usage(int(usage.prompt_tokens or 0), int(usage.completion_tokens or 0))
        return text

    async def aclose(self) -> None:
        """Stop reading: litellm closes the provider's response (its connection goes back)."""
        with contextlib.suppress(Exception):
            await self.iterator.aclose()

