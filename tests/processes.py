"""Real processes for the fault, load and shutdown tests: a fake upstream and `python -m api serve`,
each on a free loopback port, with their output in a log file and a `stop()` that always kills."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen
    log: Path
    port: int
    scratch: Path | None = None  # a directory of its own, removed with the log on stop()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.popen.pid

    def output(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError(f"no VmRSS for {self.name} (pid {self.pid})")

    def wait_http(self, path: str = "/healthz", seconds: float = 60) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.popen.returncode}:\n{self.output()[-3000:]}")
            try:
                if httpx.get(self.url + path, timeout=1, trust_env=False).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not answer {path} within {seconds} s:\n{self.output()[-3000:]}")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
        try:
            self.popen.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL does not wait
            pass
        self.log.unlink(missing_ok=True)  # failing assertions quote `output()` before this runs
        if self.scratch is not None:
            shutil.rmtree(self.scratch, ignore_errors=True)


def start(name: str, args: list[str], env: dict[str, str] | None = None, port: int | None = None,
          cwd: Path = ROOT) -> Proc:
    port = port or free_port()
    log = Path(tempfile.mkstemp(prefix=f"rewriter-{name}-", suffix=".log")[1])
    handle = log.open("wb")
    popen = subprocess.Popen(
        [PYTHON, *[a.replace("{port}", str(port)) for a in args]],
        cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    handle.close()
    return Proc(name, popen, log, port, scratch=None if cwd == ROOT else cwd)


def base_env() -> dict[str, str]:
    """The test process's environment without any REWRITER_* setting, loopback never proxied."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REWRITER_")}
    env.update({"LITELLM_LOCAL_MODEL_COST_MAP": "True", "NO_PROXY": "127.0.0.1,localhost",
                "no_proxy": "127.0.0.1,localhost", "PYTHONUNBUFFERED": "1"})
    return env


def start_service(upstream_url: str, **settings: object) -> Proc:
    """`python -m api serve` on a free port against an OpenAI-compatible upstream (`.../v1`)."""
    env = base_env()
    env.update({"REWRITER_MODEL": "openai/x", "REWRITER_MODEL_API_BASE": upstream_url,
                "REWRITER_MODEL_API_KEY": "x", "REWRITER_LOG_LEVEL": "warning"})
    env.update({f"REWRITER_{k.upper()}": str(v) for k, v in settings.items()})
    # Run from an empty directory, so no developer's `.env` leaks in (the defaults' paths are absolute).
    env["PYTHONPATH"] = str(ROOT)
    empty = Path(tempfile.mkdtemp(prefix="rewriter-cwd-"))
    return start("service", ["-m", "api", "serve", "--port", "{port}"], env=env, cwd=empty)


def start_upstream(script: str, *args: str) -> Proc:
    """A fake upstream (`tests/fault_upstream.py`, `benchmarks/fake_upstream.py`) on a free port."""
    module = script.removesuffix(".py").replace("/", ".")
    return start(Path(script).stem, ["-m", module, "--port", "{port}", *args], env=base_env())


def run_python(code: str, timeout: float) -> subprocess.CompletedProcess:
    """`code` in a fresh interpreter from the project root (a clean sys.modules), its output kept."""
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=timeout)
