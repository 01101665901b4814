"""Prove that llama.cpp can generate on this CPU before the service relies on it.

A llama.cpp build compiled for instructions this CPU cannot run (a `-march=native` build from
another machine, AMX or AVX-512 code on a VM that advertises but traps them) does not fail when it
loads a model: it dies with SIGILL on the first token, taking the whole process with it. So the
first generation happens in a child process (this file run as a script: MODEL THREADS), and a
child killed by a signal becomes a `LocalModelError` that names the signal, the build's
instruction sets and the way to rebuild, instead of a dead service on its first rewrite.

The child's prompt is long enough to take llama.cpp's batched (matrix-matrix) path, where
repacked weights and the widest kernels run, and then decodes two tokens one at a time.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

PROBE_PROMPT = (
    "Customer: My order arrived damaged and I need a replacement before the weekend.\n"
    "Agent: I'm sorry your order arrived damaged. I have sent a replacement by express delivery; "
    "it will arrive on Friday, and you can keep or recycle the damaged item.\n"
    "Customer: Thank you. Can I change the delivery address for the replacement?\n"
    "Agent:"
)
PROBE_TOKENS = 2
PROBE_TIMEOUT_S = 180.0

REBUILD_HINT = (
    "reinstall the portable build with `make clean && make run`; if that build fails too, this CPU "
    "lacks its AVX2 baseline: `make clean-llama` and build with LLAMA_CMAKE_ARGS for an older CPU "
    "(README: \"How llama.cpp is built\")"
)


class ProbeFailed(Exception):
    """The child could not generate; `str()` says why in words, naming the model file."""


@dataclass(frozen=True)
class ProbeResult:
    seconds: float
    completion_tokens: int
    system_info: str


_passed: dict[tuple[str, int], ProbeResult] = {}
_lock = threading.Lock()


def probe(path: Path, threads: int, command: list[str] | None = None, timeout_s: float = PROBE_TIMEOUT_S) -> ProbeResult:
    """Generate a couple of tokens with `path` in a child process; raise `ProbeFailed` if it
    crashes or fails. Passes are remembered for the life of this process. `command` replaces the
    child's command line (tests use it to stand in for a crashing build)."""
    key = (str(path), threads)
    with _lock:
        if command is None and key in _passed:
            return _passed[key]
        # The file as a script, so the child needs no import path to this package; -P keeps
        # its folder (api/models/) off sys.path.
        argv = command or [sys.executable, "-P", __file__, str(path), str(threads)]
        env = {**os.environ, "PYTHONFAULTHANDLER": "1"}
        try:
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout_s, env=env)
        except subprocess.TimeoutExpired as exc:
            raise ProbeFailed(
                f"llama.cpp did not generate {PROBE_TOKENS} tokens with {path} within {timeout_s:.0f} s"
            ) from exc
        if proc.returncode < 0:
            name = _signal_name(-proc.returncode)
            cause = (
                "the installed llama-cpp-python uses instructions this CPU cannot run"
                if name == "SIGILL" else "the model file or the llama-cpp-python build is broken"
            )
            raise ProbeFailed(f"llama.cpp crashed ({name}) generating with {path}: {cause}; {REBUILD_HINT}")
        lines = proc.stdout.strip().splitlines()
        if proc.returncode != 0 or not lines:
            reason = _last_line(proc.stderr) or f"exit status {proc.returncode}"
            raise ProbeFailed(f"llama.cpp could not generate with {path}: {reason}")
        try:
            report = json.loads(lines[-1])
            result = ProbeResult(report["seconds"], report["completion_tokens"], report["system_info"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ProbeFailed(f"llama.cpp's probe with {path} printed no report: {lines[-1][:200]!r}") from exc
        if command is None:
            _passed[key] = result
        return result


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""


def main(argv: list[str]) -> int:
    """The child: load, generate, print one JSON line. llama.cpp's own log is silenced here."""
    import time

    path, threads = argv[0], int(argv[1])
    import llama_cpp
    from llama_cpp import Llama

    started = time.perf_counter()
    llm = Llama(model_path=path, n_ctx=512, n_threads=threads, n_threads_batch=threads, verbose=False)
    out = llm.create_completion(PROBE_PROMPT, max_tokens=PROBE_TOKENS, temperature=0.0)
    report = {
        "seconds": round(time.perf_counter() - started, 3),
        "completion_tokens": int(out["usage"]["completion_tokens"]),
        "system_info": llama_cpp.llama_print_system_info().decode(errors="replace").strip(),
    }
    llm.close()
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
