"""Graceful shutdown of `python -m api serve`: on SIGTERM it stops accepting connections, lets the
requests in flight finish (up to REWRITER_SHUTDOWN_GRACE_S), then exits with status 0.

Checked against uvicorn 0.54 as installed: it closes the listening socket on the first tick after
the signal, waits for open connections up to `timeout_graceful_shutdown`, then cancels what is left
(our middleware answers those a 503), runs the lifespan shutdown and re-raises the signal (which
`api.cli` turns into exit 0). Streams get the same grace (sse-starlette would cut them at once).
"""

from __future__ import annotations

import asyncio
import signal
import time

import httpx

from .conftest import parse_sse
from .processes import Proc, start_service, start_upstream

DRAFT = "Order #4821 ships on March 3; the refund of $49.99 arrives in 3-5 business days."


async def refused_after(url: str, pending: list[asyncio.Task], within_s: float) -> float:
    """Seconds until a new connection to `url` is refused; checks the requests in flight are
    still running at that moment (the server stopped accepting while it was still serving)."""
    started = time.monotonic()
    while time.monotonic() - started < within_s:
        try:
            async with httpx.AsyncClient(trust_env=False, timeout=1) as fresh:
                await fresh.get(url + "/healthz")
        except httpx.ConnectError:
            assert not any(task.done() for task in pending), "the in-flight requests ended before the refusal"
            return time.monotonic() - started
        except httpx.TransportError:
            pass  # accepted just before the listener closed, then dropped: not yet a refusal
        await asyncio.sleep(0.05)
    raise AssertionError(f"new connections still accepted {within_s} s after SIGTERM")


async def exit_code(proc: Proc, within_s: float) -> tuple[int | None, float]:
    started = time.monotonic()
    while proc.popen.poll() is None and time.monotonic() - started < within_s:
        await asyncio.sleep(0.05)
    return proc.popen.poll(), time.monotonic() - started


async def test_sigterm_lets_in_flight_requests_finish(processes):
    # The upstream takes 3 s to answer: the requests are still in flight ~2.5 s after the signal,
    # headroom for the refusal (the first tick after it, ~0.5 s on a loaded 2-core machine).
    upstream = processes(start_upstream("benchmarks/fake_upstream.py", "--latency-ms", "3000",
                                        "--tokens-per-s", "40"), "/")
    # Done and exited ~5 s after the signal here, ~9 s with two CPU hogs alongside: the requests,
    # then the interpreter's own teardown (2-4 s with litellm loaded) after uvicorn has finished.
    grace = 15.0
    service = processes(start_service(f"{upstream.url}/v1", timeout_s=15, shutdown_grace_s=grace), "/healthz")
    async with httpx.AsyncClient(base_url=service.url, timeout=30, trust_env=False) as client:
        plain = asyncio.create_task(client.post("/v1/rewrites", json={"draft": DRAFT}))
        streamed = asyncio.create_task(client.post("/v1/rewrites", json={"draft": DRAFT, "stream": True}))
        await asyncio.sleep(0.5)  # both are waiting on the upstream's 3 s
        assert not plain.done() and not streamed.done()
        service.popen.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        refused_s = await refused_after(service.url, [plain, streamed], within_s=2.0)
        plain_response, stream_response = await plain, await streamed
        finished_s = time.monotonic() - signalled
    code, exited_s = await exit_code(service, within_s=grace)
    print(f"\nrefused new connections {refused_s:.2f} s after SIGTERM; in-flight requests done after "
          f"{finished_s:.2f} s; exit {code} after {finished_s + exited_s:.2f} s (grace {grace:g} s)")

    assert plain_response.status_code == 200, plain_response.text
    assert plain_response.json()["guard"]["status"] == "passed"
    assert stream_response.status_code == 200, stream_response.text
    events = parse_sse(stream_response.text)
    assert [name for name, _ in events][-1] == "result" and events[-1][1]["guard"]["status"] == "passed"
    assert len(events) > 2  # the stream really streamed (deltas) while the server was shutting down
    assert finished_s > 0.5  # they finished after the signal, not before it
    assert code == 0, service.output()[-3000:]
    assert finished_s + exited_s < grace


async def test_sigterm_with_short_grace_exits_anyway(processes):
    # 15 s upstream, 30 s deadline: neither can explain an answer or an exit within seconds.
    upstream = processes(start_upstream("benchmarks/fake_upstream.py", "--latency-ms", "15000"), "/")
    grace = 0.5
    service = processes(start_service(f"{upstream.url}/v1", timeout_s=30, shutdown_grace_s=grace), "/healthz")
    async with httpx.AsyncClient(base_url=service.url, timeout=40, trust_env=False) as client:
        slow = asyncio.create_task(client.post("/v1/rewrites", json={"draft": DRAFT}))
        await asyncio.sleep(0.5)
        service.popen.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        response = await slow
        answered_s = time.monotonic() - signalled
    code, exited_s = await exit_code(service, within_s=grace + 12)
    print(f"\nshort grace: the 15 s request answered {response.status_code} after {answered_s:.2f} s; "
          f"exit {code} after {answered_s + exited_s:.2f} s (grace {grace:g} s)")

    assert code == 0, service.output()[-3000:]
    assert answered_s < grace + 3  # cut at the end of the grace (~1 s here, loaded or not)
    # Then it exits (the interpreter's teardown takes 2-4 s here), long before the upstream answers.
    assert answered_s + exited_s < grace + 9
    # Cut short by the grace period: a problem the caller can retry elsewhere, not a bare 500.
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["retry-after"] == "1"
    assert response.json()["status"] == 503 and response.json()["request_id"] == response.headers["x-request-id"]
