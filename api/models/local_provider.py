"""The embedded model as litellm's custom provider `local`, so `model="local/..."` goes through
the same gateway as any other model string. Base models follow completion prompts, not chat turns:
a single user message is the raw prompt (the templates' completion form); several messages are
flattened into a transcript."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

from litellm import CustomLLM
from litellm.types.utils import ModelResponse

from .local_files import check_gguf, default_model_path
from .local_model import Generation, LocalModel, prove

PROVIDER = "local"


def flatten(messages: list[dict[str, Any]]) -> str:
    """The prompt for a base model: a lone user message as is, otherwise a plain transcript."""
    if len(messages) == 1 and messages[0].get("role") == "user":
        return str(messages[0].get("content") or "")
    lines = [f"{m.get('role', 'user').capitalize()}: {m.get('content') or ''}" for m in messages]
    return "\n\n".join(lines) + "\n\nAssistant:"


class LocalProvider(CustomLLM):
    """litellm custom handler for `local/<name>`: every name runs the configured GGUF."""

    def __init__(self, path: Path | None, cache_dir: Path, threads: int, n_ctx: int, queue_size: int) -> None:
        super().__init__()
        self._path = path
        self._cache_dir = cache_dir
        self._threads = threads
        self._n_ctx = n_ctx
        self._queue_size = queue_size
        self._model: LocalModel | None = None
        self._lock = threading.Lock()

    def model_path(self) -> Path:
        return self._path if self._path is not None else default_model_path(self._cache_dir)

    def check(self) -> None:
        """Cheap start-up check: the file exists and is GGUF (assembling the default if needed)."""
        check_gguf(self.model_path())

    def prove(self) -> None:
        """Generate a couple of tokens in a child process: a build that cannot run on this CPU
        is a `LocalModelError` here, before the service listens."""
        model = self.model()
        prove(model.path, model.threads)

    def model(self) -> LocalModel:
        with self._lock:
            if self._model is None:
                self._model = LocalModel(self.model_path(), self._threads, self._n_ctx, self._queue_size)
            return self._model

    @property
    def loaded(self) -> bool:
        return self._model is not None and self._model.loaded

    async def load(self, warm_prompt: str | None = None) -> None:
        await asyncio.to_thread(self.model().load, warm_prompt)

    @staticmethod
    def _params(optional_params: dict[str, Any]) -> dict[str, Any]:
        return {k: optional_params.get(k) for k in ("temperature", "top_p", "max_tokens", "stop")}

    @staticmethod
    def _response(model: str, result: Generation, kwargs: dict[str, Any]) -> ModelResponse:
        response: ModelResponse = kwargs.get("model_response") or ModelResponse()
        response.choices[0].message.content = result.text  # type: ignore[union-attr]
        response.choices[0].finish_reason = result.finish_reason
        response.model = f"{PROVIDER}/{model}"
        setattr(response, "usage", _usage(result.prompt_tokens, result.completion_tokens))
        return response

    @staticmethod
    def _chunk(item: str | Generation) -> dict[str, Any]:
        if isinstance(item, Generation):
            return {
                "text": "", "is_finished": True, "finish_reason": item.finish_reason, "index": 0,
                "usage": {
                    "prompt_tokens": item.prompt_tokens,
                    "completion_tokens": item.completion_tokens,
                    "total_tokens": item.prompt_tokens + item.completion_tokens,
                },
            }
        return {"text": item, "is_finished": False, "finish_reason": "", "index": 0, "usage": None}

    async def acompletion(self, model: str, messages: list, *args: Any, **kwargs: Any) -> ModelResponse:
        params = self._params(kwargs.get("optional_params") or {})
        result = await self.model().generate(flatten(messages), params)
        return self._response(model, result, kwargs)

    async def astreaming(self, model: str, messages: list, *args: Any, **kwargs: Any):
        params = self._params(kwargs.get("optional_params") or {})
        async for item in self.model().stream(flatten(messages), params):
            yield self._chunk(item)


def _usage(prompt_tokens: int, completion_tokens: int):
    from litellm.types.utils import Usage

    return Usage(
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        total_tokens=prompt_tokens + completion_tokens,
    )


_providers: dict[tuple, LocalProvider] = {}


def register(settings) -> LocalProvider:
    """Make the `local` provider for these settings the one litellm calls. litellm's provider map
    is process-wide, so one process serves one local configuration at a time; providers are kept
    by configuration so building the app twice does not load the model twice."""
    import litellm

    key = (
        settings.local_model_path, settings.cache_dir, settings.local_model_threads,
        settings.local_model_ctx, settings.local_queue_size,
    )
    provider = _providers.get(key)
    if provider is None:
        provider = _providers[key] = LocalProvider(*key)
    others = [p for p in (litellm.custom_provider_map or []) if p.get("provider") != PROVIDER]
    litellm.custom_provider_map = [*others, {"provider": PROVIDER, "custom_handler": provider}]
    # litellm reads the map into its provider list when asked to; keep it in step.
    litellm.utils.custom_llm_setup()
    return provider
