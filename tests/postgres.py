"""A real PostgreSQL server for the feedback store's tests: Debian's `postgresql` package (CI
installs it, as it does redis-server), a cluster made with initdb in a temporary directory and
started on a free loopback port, then removed. PostgreSQL will not run as root, so as root the
cluster belongs to the `postgres` user the package creates."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from .processes import free_port


def binaries() -> str | None:
    """The directory holding initdb and pg_ctl: on PATH, or Debian's /usr/lib/postgresql/N/bin."""
    found = shutil.which("initdb")
    if found:
        return os.path.dirname(os.path.realpath(found))
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return os.path.dirname(candidates[-1]) if candidates else None


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a throwaway server; yield a postgresql+asyncpg URL to its `feedback` database."""
    bindir = binaries()
    if bindir is None:
        if os.environ.get("REWRITER_TEST_REQUIRE_SYSTEM") == "1":
            pytest.fail("PostgreSQL is not installed (CI installs Debian's postgresql package)")
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
    root = tempfile.mkdtemp(prefix="rewriter-pg-")
    data, port = os.path.join(root, "data"), free_port()
    as_user: list[str] = []
    if os.geteuid() == 0:
        user = pwd.getpwnam("postgres")
        os.chown(root, user.pw_uid, user.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    run = lambda *args: subprocess.run([*as_user, *args], check=True, capture_output=True, text=True)  # noqa: E731
    try:
        run(f"{bindir}/initdb", "-D", data, "-U", "rewriter", "--auth=trust", "--no-sync", "-E", "UTF8")
        run(f"{bindir}/pg_ctl", "-D", data, "-l", os.path.join(root, "log"), "-w", "-t", "60", "-o",
            f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off", "start")
        run(f"{bindir}/createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "rewriter", "feedback")
        yield f"postgresql+asyncpg://rewriter@127.0.0.1:{port}/feedback"
    except subprocess.CalledProcessError as exc:
        pytest.fail(f"PostgreSQL did not start: {exc.cmd[len(as_user)]}: {exc.stderr or exc.stdout}")
    finally:
        subprocess.run([*as_user, f"{bindir}/pg_ctl", "-D", data, "-m", "immediate", "stop"], capture_output=True)
        time.sleep(0.1)
        shutil.rmtree(root, ignore_errors=True)
