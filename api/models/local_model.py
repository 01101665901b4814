"""The embedded local model: llama.cpp running a GGUF file in-process on the CPU.

- Loaded once per process, on first use or at start-up (`LocalModel.load`), after a child process
  has proved that this llama.cpp build generates on this CPU (`api.models.local_probe`). Importing
  this module loads nothing (llama_cpp is imported only when a model loads).
- One generation at a time per model, in a dedicated thread off the event loop; at most
  `queue_size` requests wait, more are refused at once (`LocalModelBusy`, an HTTP 503 upstream).
"""

from __future__ import annotations

import asyncio
import atexit
import importlib.util
import logging
import os
import threading
import time
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litellm.llms.custom_llm import CustomLLMError

from .llama_logs import route_llama_logs
from .local_files import LocalModelError, check_gguf

log = logging.getLogger(__name__)


class LocalModelBusy(CustomLLMError):
    """The local model's queue is full."""

    def __init__(self, message: str) -> None:
        super().__init__(status_code=503, message=message)


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

    def _generate_sync(self, prompt: str, params: dict[str, Any], cancelled: threading.Event) -> Generation:
        self.load()
        from llama_cpp import StoppingCriteriaList  # imported by load() already
        tokens = self._llama.tokenize(prompt.encode(), add_bos=True)
        max_tokens = self._fit_max_tokens(len(tokens), int(params.get("max_tokens") or 256))
        out = self._llama.create_completion(
            prompt=prompt, max_tokens=max_tokens, **self._kwargs(params),
            # Checked after every token: a request given up (client gone, deadline) stops here.
            stopping_criteria=StoppingCriteriaList([lambda _ids, _logits: cancelled.is_set()]),
        )
        choice = out["choices"][0]
        usage = out.get("usage") or {}
        return Generation(
            text=choice.get("text") or "",
            finish_reason=choice.get("finish_reason") or "stop",
            prompt_tokens=int(usage.get("prompt_tokens") or len(tokens)),
            completion_tokens=int(usage.get("completion_tokens") or 0),
        )

    async def generate(self, prompt: str, params: dict[str, Any]) -> Generation:
        """One generation in the model thread. A caller that gives up (cancelled: client gone,
        deadline) stops it at the next token; its place in the queue is given back only when the
        thread is done with it, so admission never counts fewer generations than there are."""
        self._admit()
        cancelled = threading.Event()
        try:
            done = self._executor.submit(self._generate_sync, prompt, params, cancelled)
        except BaseException:
            self._release()
            raise
        done.add_done_callback(lambda _: self._release())
        try:
            return await asyncio.wrap_future(done)
        except asyncio.CancelledError:
            cancelled.set()  # a generation not started yet is dropped from the queue instead
            raise

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
            # The place in the queue comes back when the thread is done (it notices the flag at
            # its next token); the loop does not wait for it.
            future.add_done_callback(lambda f: (self._release(), f.exception()))


_DONE = object()
