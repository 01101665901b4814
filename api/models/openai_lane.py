"""Model calls to OpenAI-compatible servers through the official `openai` SDK: OpenAI itself,
vLLM, llama.cpp's server, Ollama's `/v1`, LM Studio, TGI, Groq, Together, or any
`REWRITER_MODEL_API_BASE` that speaks the chat completions protocol.

It exists for speed: a call through `AsyncOpenAI`'s `post` costs an eighth of one through
`litellm.acompletion` in CPU time (about 1 ms against 7.6, benchmarks/README.md). One client per (base URL, key), kept
for the life of the process, so connections are reused. Requests go through the SDK's
low-level `post` (its base URL, auth, errors and connection pool, without the typed-parameter
transform that costs more CPU than the call), answers are read into our own `Completion` from
the JSON (no response models built), and the SDK's and httpx's exceptions
are translated once, here, into `ProviderFailure`, as the litellm lane does for litellm's.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import aiohttp
import httpx
import httpx_aiohttp
import litellm
import openai
from litellm.litellm_core_utils.core_helpers import map_finish_reason

from api.core.settings import Settings
from api.core.templates import RenderedPrompt

from .completion import Completion, PromptFor, Usage
from .failures import ProviderFailure, first_line, kind_of_status, parse_retry_after, translating
from .streams import OpenStream
from .tokens import count_tokens


@dataclass(frozen=True)
class Provider:
    """An OpenAI-compatible provider litellm knows by a prefix: where it is unless configured,
    and the environment variables litellm reads for its base URL and key (kept, so moving a
    model between lanes needs no new configuration)."""

    base_url: str | None
    base_env: tuple[str, ...]
    key_env: tuple[str, ...]


PROVIDERS: dict[str, Provider] = {
    "openai": Provider("https://api.openai.com/v1", ("OPENAI_BASE_URL", "OPENAI_API_BASE"), ("OPENAI_API_KEY",)),
    "hosted_vllm": Provider(None, ("HOSTED_VLLM_API_BASE",), ("HOSTED_VLLM_API_KEY",)),
    "lm_studio": Provider(None, ("LM_STUDIO_API_BASE",), ("LM_STUDIO_API_KEY",)),
    "groq": Provider("https://api.groq.com/openai/v1", ("GROQ_API_BASE",), ("GROQ_API_KEY",)),
    "together_ai": Provider("https://api.together.ai/v1", ("TOGETHER_AI_API_BASE",),
                            ("TOGETHER_API_KEY", "TOGETHER_AI_API_KEY", "TOGETHERAI_API_KEY", "TOGETHER_AI_TOKEN")),
}
_PATH = "/chat/completions"
# The connections to one provider. With httpx, httpcore's pool looks at every connection it holds
# (and polls each idle one's socket) whenever a request starts or ends, so its cost grows with the
# idle connections it keeps: with the SDK's 100 it was most of the service's CPU at 64 concurrent
# requests (55 requests/s against a 200 ms upstream, benchmarks/README.md); keeping 16 idle, about
# 140. aiohttp's pool has no such scan, and a call through it costs 0.7 of the CPU: the lane's
# default (REWRITER_HTTP_TRANSPORT), the same as httpx at 64 connections and 198-239 against
# 170-180 requests/s at 256. In use, up to 1000 connections.
_POOL = httpx.Limits(max_connections=1000, max_keepalive_connections=16, keepalive_expiry=5.0)
_NO_KEY = "no-key"  # the SDK insists on a key; a local server (vLLM, llama.cpp) may need none


def translate(exc: BaseException) -> ProviderFailure:
    label = type(exc).__name__
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        retry_after = parse_retry_after(exc.response.headers.get("retry-after"))
        return ProviderFailure(kind_of_status(status), _message_of(exc), status=status,
                               retry_after_s=retry_after, label=label)
    dropped = _dropped_connection(exc)
    if dropped is not None:
        return ProviderFailure("connection", first_line(str(dropped)) or "the connection failed",
                               label="APIConnectionError")
    if isinstance(exc, (openai.APITimeoutError, httpx.TimeoutException, asyncio.TimeoutError, TimeoutError)):
        return ProviderFailure("timeout", "no answer in time", label="Timeout")
    if isinstance(exc, (openai.APIConnectionError, httpx.TransportError)):
        cause = exc.__cause__ or exc
        return ProviderFailure("connection", first_line(str(cause)) or "the connection failed",
                               label="APIConnectionError")
    if isinstance(exc, json.JSONDecodeError):
        return ProviderFailure("bad_response", "the provider's answer is not valid JSON", label="invalid answer")
    if isinstance(exc, (KeyError, IndexError, TypeError, AttributeError)):
        return ProviderFailure("bad_response", "the provider's answer is not a chat completion", label="invalid answer")
    if isinstance(exc, openai.APIError):  # an `error` event in a stream: the server failed, as a 500 would say
        return ProviderFailure("server_error", _message_of(exc), status=500, label=label)
    return ProviderFailure("other", first_line(str(exc)), label=label)


def _dropped_connection(exc: BaseException) -> aiohttp.ClientConnectionError | None:
    """A connection aiohttp lost (refused, reset, closed by the server), found down the chain of
    causes. httpx-aiohttp maps these to httpx's ConnectTimeout, and the SDK that to its timeout
    error: without this, a provider that hung up would read as one that was too slow."""
    seen = 0
    while exc is not None and seen < 8:
        if isinstance(exc, aiohttp.ClientConnectionError) and not isinstance(exc, TimeoutError):
            return exc
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return None


def _message_of(exc: openai.APIError) -> str:
    """The provider's own message (`{"error": {"message": ...}}`), not the SDK's wrapping."""
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else inner
        if isinstance(message, str) and message.strip():
            return first_line(message)
    return first_line(exc.message)


class OpenAILane:
    """Calls one model of an OpenAI-compatible provider; retries, fallbacks and the deadline
    are the gateway's."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._clients: dict[tuple[str, str], openai.AsyncOpenAI] = {}
        for model in settings.models:  # the configured chain's clients are built at start-up
            if lane_of(model, settings) == "openai":
                with contextlib.suppress(ProviderFailure):  # not configured: said on each call instead
                    self._client(model)

    def _client(self, model: str) -> openai.AsyncOpenAI:
        provider_name, _ = split(model)
        provider = PROVIDERS[provider_name]
        configured = self.settings.provider_kwargs(model)
        base = (configured.get("api_base") or _env(provider.base_env) or provider.base_url)
        if not base:
            raise ProviderFailure("bad_request", f"no base URL for {model}: set REWRITER_MODEL_API_BASE or "
                                  f"{provider.base_env[0]}", label="not configured")
        key = configured.get("api_key") or _env(provider.key_env)
        if not key and base == provider.base_url:  # a hosted provider: a call without a key is a 401
            raise ProviderFailure("auth", f"no API key for {model}: set {provider.key_env[0]} or REWRITER_MODEL_API_KEY",
                                  label="not configured")
        key = key or _NO_KEY
        client = self._clients.get((base, key))
        if client is None:
            client = openai.AsyncOpenAI(base_url=base, api_key=key, max_retries=0, timeout=self.settings.timeout_s,
                                        http_client=_http_client(self.settings))
            self._clients[(base, key)] = client
        return client

    async def aclose(self) -> None:
        """Close every client's connections (at shutdown)."""
        clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            await client.close()

    def _request(self, model: str, prompt: RenderedPrompt, params: dict[str, Any]) -> dict[str, Any]:
        body: dict[str, Any] = {"model": split(model)[1], "messages": prompt.messages}
        body.update({k: v for k, v in params.items() if v is not None})
        if prompt.stop:
            body["stop"] = prompt.stop
        return body

    async def complete(self, model: str, prompt: PromptFor, params: dict[str, Any]) -> Completion:
        rendered = prompt(model)
        with translating(translate):
            client = self._client(model)
            # The SDK's own request path (base URL, key, errors, connection pool) with our body as
            # is: `chat.completions.create` would spend more CPU transforming it than the rest.
            response = await client.post(_PATH, cast_to=httpx.Response, body=self._request(model, rendered, params))
            data = json.loads(response.content)
            choice = data["choices"][0]
            text = choice["message"].get("content") or ""
            usage = data.get("usage") or {}
            used = Usage(int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0))
            if not used.total_tokens:  # none sent (or zeros): counted, as the litellm lane does
                used = Usage(count_tokens(model, messages=rendered.messages), count_tokens(model, text=text))
            return Completion(text, model, _finish(choice.get("finish_reason")), used)

    async def open_stream(self, model: str, prompt: PromptFor, params: dict[str, Any]) -> "OpenAIStream":
        """Start a stream and wait for its first text (as the litellm lane does: failing before
        any text is retryable; a stream that ends without any is a bad response)."""
        rendered = prompt(model)
        with translating(translate):
            client = self._client(model)
            body = {**self._request(model, rendered, params), "stream": True,
                    "stream_options": {"include_usage": True}}
            # The SDK's event-stream reader gives each event's JSON as is (no chunk models built).
            events = await client.post(_PATH, cast_to=object, body=body, stream=True,
                                       stream_cls=openai.AsyncStream[object])
        stream = OpenAIStream(model, rendered, events=events)
        first = await stream.next_text()
        if first is None:
            await stream.aclose()
            raise ProviderFailure("bad_response", "the model's stream ended before any text")
        stream.unread = first  # the caller reads it first
        return stream


@dataclass(kw_only=True)
class OpenAIStream(OpenStream):
    """An open stream: `next_text` gives its text pieces, then None; `completion` the totals."""

    events: openai.AsyncStream
    unread: str | None = None  # the first text, read while opening the stream

    async def next_text(self) -> str | None:
        if self.unread is not None:
            text, self.unread = self.unread, None
            return text
        with translating(translate):
            while True:
                try:  # not `async for`: each loop over the stream would leave a generator to finalise
                    chunk = await self.events.__anext__()
                except StopAsyncIteration:
                    break
                text = self._read(chunk)
                if text:
                    self.parts.append(text)
                    return text
        if self.parts and self.finish_reason is None:  # cut short: the text so far may stop mid-sentence
            raise ProviderFailure("bad_response", "the stream ended before the model finished", label="stream cut short")
        return None

    def _read(self, chunk: dict[str, Any]) -> str:
        text = ""
        for choice in chunk.get("choices") or []:
            text += (choice.get("delta") or {}).get("content") or ""
            if choice.get("finish_reason"):
                self.finish_reason = _finish(choice["finish_reason"])
        usage = chunk.get("usage")
        if usage and usage.get("completion_tokens"):
            self.usage = Usage(int(usage.get("prompt_tokens") or 0), int(usage["completion_tokens"]))
        return text

    async def aclose(self) -> None:
        """Stop reading and give the connection back (a stream left before its end)."""
        with contextlib.suppress(Exception):
            await self.events.close()


def _http_client(settings: Settings) -> httpx.AsyncClient:
    """The SDK's HTTP client on the configured transport: aiohttp unless REWRITER_HTTP_TRANSPORT
    is httpx (what respx mocks in the tests; aiohttp's is tested on real sockets)."""
    if settings.http_transport == "httpx":
        return openai.DefaultAsyncHttpxClient(limits=_POOL)

    def session() -> aiohttp.ClientSession:  # made on the first request, inside the event loop
        # TLS as httpx verifies it (certifi's roots, or SSL_CERT_FILE), proxies as it reads them
        # (HTTPS_PROXY, NO_PROXY): the transport changes nothing a deployment configured.
        connector = aiohttp.TCPConnector(limit=_POOL.max_connections, keepalive_timeout=_POOL.keepalive_expiry,
                                         ssl=httpx.create_ssl_context(trust_env=True))
        return aiohttp.ClientSession(connector=connector, trust_env=True)

    return httpx_aiohttp.HttpxAiohttpClient(transport=httpx_aiohttp.AiohttpTransport(client=session),
                                            timeout=settings.timeout_s, follow_redirects=True)


def split(model: str) -> tuple[str, str]:
    """(provider, the provider's own model name): `openai/gpt-4o-mini` -> (openai, gpt-4o-mini);
    a bare name is OpenAI's, as litellm reads it."""
    provider, slash, name = model.partition("/")
    return (provider, name) if slash else ("openai", model)


def lane_of(model: str, settings: Settings) -> str:
    """`openai` for a model of an OpenAI-compatible provider (unless REWRITER_LITELLM_ONLY),
    `litellm` for everything else, the embedded local model included, and for reasoning models
    (o-series, gpt-5: they take `max_completion_tokens` and no temperature, which litellm maps)."""
    if settings.litellm_only or split(model)[0] not in PROVIDERS:
        return "litellm"
    return "litellm" if _reasons(model) else "openai"


@lru_cache(maxsize=512)
def _reasons(model: str) -> bool:
    """Does litellm's model map say the model reasons? (Unknown models: no.)"""
    try:
        return bool(litellm.get_model_info(model).get("supports_reasoning"))
    except Exception:  # noqa: BLE001 - not in the map
        return False


def _finish(reason: str | None) -> str | None:
    """Providers' own words for why the answer ended ("eos", "end_turn") in OpenAI's, as litellm maps them."""
    return map_finish_reason(reason) if reason else reason


def _env(names: tuple[str, ...]) -> str | None:
    return next((os.environ[n] for n in names if os.environ.get(n)), None)
