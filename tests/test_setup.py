"""What a fresh machine depends on: a lock that installs anywhere, and no network at import."""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def check_lock(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", "check-lock", f"LOCK_FILE={path}"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_the_lock_pins_every_package_by_name_and_version():
    proc = check_lock(ROOT / "requirements.lock")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    pins = [line for line in (ROOT / "requirements.lock").read_text().splitlines()
            if line and not line.lstrip().startswith("#")]
    assert any(line.startswith("llama-cpp-python==") for line in pins)
    assert len(pins) > 100


def test_a_lock_with_a_local_wheel_or_url_is_refused_naming_the_line(tmp_path):
    lock = tmp_path / "requirements.lock"
    lock.write_text(
        "# a comment\n"
        "fastapi==0.163.2\n"
        "llama_cpp_python @ file:///tmp/inst/wheels/llama_cpp_python-0.3.36-py3-none-linux_x86_64.whl\n"
        "torch==2.13.0+cpu\n"
        "pkg @ git+https://example.com/pkg.git\n"
        "-e .\n"
        "tomli==2.0.1 ; python_version < \"3.11\"\n"
    )
    proc = check_lock(lock)
    assert proc.returncode != 0
    out = proc.stdout
    assert f"{lock}:3: not a name==version pin: llama_cpp_python @ file:///tmp" in out
    assert f"{lock}:5:" in out and f"{lock}:6:" in out
    assert f"{lock}:2:" not in out and f"{lock}:4:" not in out and f"{lock}:7:" not in out


ENTRY_POINTS = ["api.models.local_model", "api.cli", "api.http.app", "evals.cli", "evals.judge"]


@pytest.mark.parametrize("module", ENTRY_POINTS)
def test_importing_an_entry_point_touches_no_network(module):
    """Whichever module is imported first (litellm's price map was fetched, with retries, when
    `api.models.local_model` came first), no socket is opened or name looked up at import."""
    code = (
        "import importlib, json, sys\n"
        "seen = []\n"
        "watched = {'socket.connect', 'socket.getaddrinfo', 'socket.gethostbyname', 'socket.gethostbyname_ex'}\n"
        "sys.addaudithook(lambda event, args: seen.append(f'{event} {args!r}') if event in watched else None)\n"
        f"importlib.import_module({module!r})\n"
        "print(json.dumps(seen))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "LITELLM_LOCAL_MODEL_COST_MAP"}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []


def test_the_dockerfile_imports_modules_that_exist():
    """The image's build step imports our code by module name: a move must not leave it stale
    (the build would stop with ModuleNotFoundError, and no other test builds the image)."""
    names = re.findall(r"from (api[\w.]*) import (\w+)", (ROOT / "Dockerfile").read_text())
    assert names
    for module, attr in names:
        assert hasattr(importlib.import_module(module), attr), f"Dockerfile: {module}.{attr} does not exist"
