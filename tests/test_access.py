"""Named, hashed API keys; per-key rate limits (in memory and shared through a real Redis); CORS;
variable limits; the JSON access log and what it must never contain."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import shutil
import socket
import subprocess
import time

import httpx
import pytest

from api.http.app import create_app
from api.http.keys import KeyChecker, KeyConfigError, digest, entry_for, parse_entry
from api.cli import main as cli_main
from api.http.ratelimit import Rejection

from .conftest import CHAT_URL, chat_reply, make_settings, parse_sse, sse_body

PROBLEM = "application/problem+json"
DRAFT = "Your order #4821 shipped on May 2."


def _client(app) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://rewriter.test")


def _bearer(key: str) -> dict[str, str]:
    return {"authorization": f"Bearer {key}"}


def _sample(name: str, **labels: str) -> float:
    from api.core import metrics

    return metrics.REGISTRY.get_sample_value(name, labels) or 0.0


# --- keys ------------------------------------------------------------------------------------


def test_key_entries_parse_with_names_and_optional_limits():
    key = parse_entry(entry_for("helpdesk-a", "s3cret") + ":120:4")
    assert key.name == "helpdesk-a" and key.digest == digest("s3cret")
    assert (key.rpm, key.concurrent) == (120, 4)
    plain = parse_entry(entry_for("widget", "x"))
    assert (plain.rpm, plain.concurrent) == (None, None)


@pytest.mark.parametrize(
    ("entry", "says"),
    [
        ("just-a-key", "NAME:SHA256HEX"),
        ("bad name:" + "a" * 64, "bad name: it has ' ' in it; a name is 1 to 64 letters"),
        ("helpdesk:s3cret", "not the key itself"),
        ("helpdesk:" + "a" * 64 + ":many", "RPM must be a whole number"),
    ],
)
def test_malformed_key_entries_stop_start_up_without_echoing_the_value(entry, says):
    with pytest.raises(KeyConfigError) as caught:
        KeyChecker([entry_for("ok", "k"), entry])
    message = str(caught.value)
    assert says in message and "entry 2" in message
    assert "s3cret" not in message


def test_duplicate_key_names_are_refused():
    with pytest.raises(KeyConfigError, match="unique"):
        KeyChecker([entry_for("a", "k1"), entry_for("a", "k2")])


def test_identify_returns_the_matching_key_and_nothing_for_others():
    checker = KeyChecker([entry_for("one", "key-1"), entry_for("two", "key-2")])
    assert checker.identify("key-2").name == "two"
    assert checker.identify("key-1").name == "one"
    assert checker.identify("key-3") is None
    assert checker.identify("") is None and checker.identify(None) is None


def test_new_key_command_prints_a_key_and_an_entry_that_accepts_it(capsys):
    assert cli_main(["new-key", "helpdesk-a"]) == 0
    out = capsys.readouterr().out
    key = out.split("it is not stored anywhere): ")[1].split()[0]
    entry = out.split("REWRITER_API_KEYS entry: ")[1].strip()
    assert KeyChecker([entry]).identify(key).name == "helpdesk-a"


async def test_key_names_reach_metrics_and_keys_never_do(upstream):
    upstream.post(CHAT_URL).mock(return_value=chat_reply(DRAFT))
    app = create_app(make_settings(api_keys=f"{entry_for('metrics-a', 'key-aaa')},{entry_for('widget', 'key-bbb')}"))
    counted = [("metrics-a", "200"), ("widget", "200")]
    before = {c: _sample("rewriter_key_requests_total", key=c[0], status=c[1]) for c in counted}
    rejected = _sample("rewriter_http_requests_total", route="/v1/*", method="POST", status="401")
    async with _client(app) as client:
        assert (await client.post("/v1/rewrites", json={"draft": DRAFT}, headers=_bearer("key-aaa"))).status_code == 200
        assert (await client.get("/v1/templates", headers={"x-api-key": "key-bbb"})).status_code == 200
        wrong = await client.post("/v1/rewrites", json={"draft": DRAFT}, headers=_bearer("key-zzz"))
        assert wrong.status_code == 401 and wrong.headers["content-type"] == PROBLEM
        assert wrong.json()["detail"] == "the API key is not valid"
        assert "x-request-id" in wrong.headers
        metrics = (await client.get("/metrics")).text
    for c in counted:
        assert _sample("rewriter_key_requests_total", key=c[0], status=c[1]) - before[c] == 1
    assert _sample("rewriter_http_requests_total", route="/v1/*", method="POST", status="401") - rejected == 1
    assert "key-aaa" not in metrics and "key-zzz" not in metrics


# --- rate limits -----------------------------------------------------------------------------


async def test_requests_per_minute_limit_answers_429_with_retry_after(upstream):
    upstream.post(CHAT_URL).mock(return_value=chat_reply(DRAFT))
    entries = f"{entry_for('tight', 'key-t')}:2,{entry_for('roomy', 'key-r')}"
    app = create_app(make_settings(api_keys=entries, rate_limit_rpm=50))
    before = _sample("rewriter_rate_limited_total", key="tight", limit="rpm")
    async with _client(app) as client:
        statuses = [
            (await client.post("/v1/rewrites", json={"draft": DRAFT}, headers=_bearer("key-t"))).status_code
            for _ in range(3)
        ]
        assert statuses == [200, 200, 429]
        limited = await client.post("/v1/rewrites", json={"draft": DRAFT}, headers=_bearer("key-t"))
        # Another key has its own budget (the service-wide 50/min).
        other = await client.post("/v1/rewrites", json={"draft": DRAFT}, headers=_bearer("key-r"))
        metrics = (await client.get("/metrics")).text
    assert limited.status_code == 429 and limited.headers["content-type"] == PROBLEM
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    body = limited.json()
    assert body["limit"] == "rpm" and "tight" in body["detail"] and "2 requests per minute" in body["detail"]
    assert other.status_code == 200
    assert _sample("rewriter_rate_limited_total", key="tight", limit="rpm") - before == 2
    assert 'rewriter_rate_limited_total{key="tight",limit="rpm"}' in metrics


async def test_concurrency_limit_holds_a_slot_until_the_response_is_over(upstream):
    async def slow(request):
        await asyncio.sleep(0.3)
        return chat_reply(DRAFT)

    upstream.post(CHAT_URL).mock(side_effect=slow)
    app = create_app(make_settings(rate_limit_concurrent=2))
    async with _client(app) as client:
        results = await asyncio.gather(*(client.post("/v1/rewrites", json={"draft": DRAFT}) for _ in range(4)))
        statuses = sorted(r.status_code for r in results)
        assert statuses == [200, 200, 429, 429]
        rejected = next(r for r in results if r.status_code == 429)
        assert rejected.json()["limit"] == "concurrent" and rejected.headers["retry-after"] == "1"
        # The slots came back: the next requests go through.
        again = await asyncio.gather(*(client.post("/v1/rewrites", json={"draft": DRAFT}) for _ in range(2)))
        assert [r.status_code for r in again] == [200, 200]
    assert app.state.limiter._in_flight == {}


class _SlowStream(httpx.AsyncByteStream):
    """An upstream SSE body that arrives one chunk every 0.05 s."""

    def __init__(self, body: bytes) -> None:
        self.chunks = [part + b"\n\n" for part in body.split(b"\n\n") if part]

    async def __aiter__(self):
        for chunk in self.chunks:
            await asyncio.sleep(0.05)
            yield chunk


async def test_a_stream_holds_its_slot_until_its_last_event(upstream):
    upstream.post(CHAT_URL).mock(side_effect=lambda request: httpx.Response(
        200, stream=_SlowStream(sse_body(list(DRAFT))),  # one character a chunk: about 2 s
        headers={"content-type": "text/event-stream"},
    ))
    app = create_app(make_settings(rate_limit_concurrent=1))
    async with _client(app) as client:
        first = asyncio.create_task(client.post("/v1/rewrites", json={"draft": DRAFT, "stream": True}))
        for _ in range(100):  # until the first request holds its slot
            await asyncio.sleep(0.02)
            if app.state.limiter._in_flight:
                break
        await asyncio.sleep(0.3)  # the first delta is out; the rest of the stream is still coming
        assert not first.done()
        assert app.state.limiter._in_flight == {"client:127.0.0.1": 1}
        second = await client.post("/v1/rewrites", json={"draft": DRAFT, "stream": True})
        assert second.status_code == 429
        response = await first
        assert response.status_code == 200 and parse_sse(response.text)[-1][0] == "result"
        assert app.state.limiter._in_flight == {}
        third = await client.post("/v1/rewrites", json={"draft": DRAFT, "stream": True})
        assert third.status_code == 200


async def test_operator_routes_are_never_limited_or_keyed(upstream):
    app = create_app(make_settings(api_keys=entry_for("a", "k"), rate_limit_rpm=1))
    async with _client(app) as client:
        for _ in range(3):
            assert (await client.get("/healthz")).status_code == 200
            assert (await client.get("/metrics")).status_code == 200


# --- Redis: limits shared by replicas ----------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def redis_url():
    """A real redis-server started for these tests and stopped after them."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("REWRITER_TEST_REQUIRE_SYSTEM") == "1":
            pytest.fail("redis-server is not installed (CI installs Debian's redis-server package)")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = _free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2) as sock:
                    sock.sendall(b"PING\r\n")
                    if sock.recv(16).startswith(b"+PONG"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


async def test_replicas_share_the_per_minute_limit_through_redis(upstream, redis_url):
    upstream.post(CHAT_URL).mock(return_value=chat_reply(DRAFT))
    entries = f"{entry_for('shared-rpm', 'key-s')}:3"
    replicas = [create_app(make_settings(api_keys=entries, redis_url=redis_url)) for _ in range(2)]
    statuses = []
    for i in range(5):
        async with _client(replicas[i % 2]) as client:
            response = await client.post("/v1/rewrites", json={"draft": DRAFT}, headers=_bearer("key-s"))
            statuses.append(response.status_code)
    # Three in the minute across both replicas, not three each.
    assert statuses == [200, 200, 200, 429, 429]
    for app in replicas:
        await app.state.limiter.close()


async def test_replicas_share_the_concurrency_limit_through_redis(upstream, redis_url):
    async def slow(request):
        await asyncio.sleep(0.4)
        return chat_reply(DRAFT)

    upstream.post(CHAT_URL).mock(side_effect=slow)
    entries = f"{entry_for('shared-conc', 'key-c')}:0:2"
    replicas = [create_app(make_settings(api_keys=entries, redis_url=redis_url)) for _ in range(2)]
    clients = [_client(app) for app in replicas]
    try:
        calls = [
            clients[i % 2].post("/v1/rewrites", json={"draft": DRAFT}, headers=_bearer("key-c")) for i in range(4)
        ]
        results = await asyncio.gather(*calls)
        assert sorted(r.status_code for r in results) == [200, 200, 429, 429]
        # Leases were handed back: both replicas can serve again at once.
        again = await asyncio.gather(*(
            c.post("/v1/rewrites", json={"draft": DRAFT}, headers=_bearer("key-c")) for c in clients
        ))
        assert [r.status_code for r in again] == [200, 200]
        import redis.asyncio as aioredis

        probe = aioredis.from_url(redis_url)
        assert await probe.zcard("reply-rewriter:in-flight:key:shared-conc") == 0
        await probe.aclose()
    finally:
        for client, app in zip(clients, replicas):
            await client.aclose()
            await app.state.limiter.close()


async def test_unreachable_redis_lets_requests_through_and_counts_it(upstream):
    upstream.post(CHAT_URL).mock(return_value=chat_reply(DRAFT))
    app = create_app(make_settings(rate_limit_rpm=5, redis_url=f"redis://127.0.0.1:{_free_port()}/0"))
    before = _sample("rewriter_rate_limit_errors_total", backend="redis")
    async with _client(app) as client:
        response = await client.post("/v1/rewrites", json={"draft": DRAFT})
        again = await client.post("/v1/rewrites", json={"draft": DRAFT})
    assert response.status_code == 200 and again.status_code == 200
    # One failure counted; the second request skipped Redis instead of failing on it again.
    assert _sample("rewriter_rate_limit_errors_total", backend="redis") - before == 1
    await app.state.limiter.close()


async def test_a_hung_redis_is_skipped_after_its_first_timeout():
    """A Redis that accepts connections and never answers: the first request waits the short
    timeout and goes through; the next ones do not touch Redis at all for a while."""
    from api.http.ratelimit import RateLimiter

    connections = []

    async def swallow(reader, writer):
        connections.append(writer)
        await reader.read(1 << 16)

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    limiter = RateLimiter(f"redis://127.0.0.1:{port}/0")
    try:
        first = await limiter.acquire("key:x", "x", rpm=5, concurrent=2)
        opened = len(connections)
        later = [await limiter.acquire("key:x", "x", rpm=5, concurrent=2) for _ in range(5)]
        assert not isinstance(first, Rejection)  # let through
        assert all(lease.lease_id is None for lease in later)
        assert opened >= 1 and len(connections) == opened
    finally:
        server.close()
        for writer in connections:
            writer.close()


async def test_a_request_turned_away_for_concurrency_keeps_the_minute_budget(upstream, redis_url):
    async def slow(request):
        await asyncio.sleep(0.3)
        return chat_reply(DRAFT)

    upstream.post(CHAT_URL).mock(side_effect=slow)
    for url in (None, redis_url):
        entries = f"{entry_for('budget-' + ('redis' if url else 'memory'), 'key-b')}:3:1"
        app = create_app(make_settings(api_keys=entries, redis_url=url))
        async with _client(app) as client:
            call = lambda: client.post("/v1/rewrites", json={"draft": DRAFT}, headers=_bearer("key-b"))  # noqa: E731
            first = await asyncio.gather(call(), call(), call())
            assert sorted(r.status_code for r in first) == [200, 429, 429]
            assert {r.json()["limit"] for r in first if r.status_code == 429} == {"concurrent"}
            # Only one of the three used the minute's budget of 3: two more fit, then rpm says no.
            assert [(await call()).status_code for _ in range(3)] == [200, 200, 429]
        await app.state.limiter.close()


async def test_redis_leases_are_renewed_while_held_and_given_back_at_shutdown(redis_url):
    import redis.asyncio as aioredis

    from api.http.ratelimit import RateLimiter

    limiter = RateLimiter(redis_url, lease_ttl_s=0.6)
    probe = aioredis.from_url(redis_url)
    key = "reply-rewriter:in-flight:key:renewed"
    try:
        lease = await limiter.acquire("key:renewed", "renewed", rpm=0, concurrent=1)
        keeper = asyncio.create_task(limiter.hold(lease))
        await asyncio.sleep(1.5)  # well past the 0.6 s lease: only renewal keeps it
        assert await probe.zcard(key) == 1
        assert isinstance(await limiter.acquire("key:renewed", "renewed", rpm=0, concurrent=1), Rejection)
        keeper.cancel()
        # A request cut at shutdown never releases its lease; closing the limiter does.
        await limiter.close()
        assert await probe.zcard(key) == 0
    finally:
        await probe.aclose()


# --- CORS and input limits ---------------------------------------------------------------------


async def test_cors_is_off_by_default_and_allows_only_configured_origins():
    preflight = {"origin": "https://desk.example.com", "access-control-request-method": "POST",
                 "access-control-request-headers": "authorization,content-type"}
    async with _client(create_app(make_settings())) as client:
        response = await client.get("/v1/templates", headers={"origin": "https://desk.example.com"})
        assert "access-control-allow-origin" not in response.headers
    app = create_app(make_settings(cors_origins="https://desk.example.com", api_keys=entry_for("a", "k")))
    async with _client(app) as client:
        allowed = await client.options("/v1/rewrites", headers=preflight)
        assert allowed.status_code == 200
        assert allowed.headers["access-control-allow-origin"] == "https://desk.example.com"
        other = await client.options("/v1/rewrites", headers={**preflight, "origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        # Rejections carry CORS headers too, so a browser can read the 401.
        denied = await client.get("/v1/templates", headers={"origin": "https://desk.example.com"})
        assert denied.status_code == 401
        assert denied.headers["access-control-allow-origin"] == "https://desk.example.com"
        assert "x-request-id" in denied.headers["access-control-expose-headers"].lower()


async def test_variable_count_and_size_limits_name_the_field(upstream):
    upstream.post(CHAT_URL).mock(return_value=chat_reply(DRAFT))
    async with _client(create_app(make_settings(max_variables=2, max_variable_chars=10))) as client:
        many = await client.post("/v1/rewrites", json={"draft": DRAFT, "variables": {"a": 1, "b": 2, "c": 3}})
        assert many.status_code == 422 and "over the limit of 2" in many.json()["detail"]
        long = await client.post("/v1/rewrites", json={"draft": DRAFT, "variables": {"tone": "x" * 11}})
        assert long.status_code == 422 and "variables.tone" in long.json()["detail"]
        fine = await client.post("/v1/rewrites", json={"draft": DRAFT, "variables": {"tone": "calm"}})
        assert fine.status_code == 200


# --- logs --------------------------------------------------------------------------------------

SECRET_DRAFT = "Refund of $49.99 for order #998877 to jane.doe@example.com is on its way."


def _access_lines(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "api.http.context" and r.getMessage() == "request"]


async def test_access_log_has_the_fields_and_no_content_by_default(upstream, caplog):
    upstream.post(CHAT_URL).mock(return_value=chat_reply("I'm sorry for the wait. " + SECRET_DRAFT))
    app = create_app(make_settings(api_keys=entry_for("helpdesk-a", "key-l")))
    caplog.set_level(logging.DEBUG)
    async with _client(app) as client:
        response = await client.post(
            "/v1/rewrites", json={"draft": SECRET_DRAFT, "customer_message": "where is my refund??"},
            headers={**_bearer("key-l"), "x-request-id": "req-123"},
        )
    assert response.status_code == 200
    (line,) = _access_lines(caplog)
    assert line.request_id == "req-123" and line.key == "helpdesk-a"
    assert line.status == 200 and line.route == "/v1/rewrites" and line.latency_ms > 0
    assert line.template == "empathetic@3" and line.model == "openai/gpt-4o-mini"
    assert line.guard == "passed" and line.retries == 0 and line.fallback_from is None
    # Nothing anywhere in the logs (ours or litellm's, at DEBUG) carries the texts or the key.
    everything = "\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    for secret in ("998877", "jane.doe@example.com", "where is my refund", "key-l"):
        assert secret not in everything


async def test_log_content_puts_the_texts_in_the_access_line_when_enabled(upstream, caplog):
    upstream.post(CHAT_URL).mock(return_value=chat_reply(SECRET_DRAFT))
    caplog.set_level(logging.INFO)
    async with _client(create_app(make_settings(log_content=True))) as client:
        assert (await client.post("/v1/rewrites", json={"draft": SECRET_DRAFT})).status_code == 200
    (line,) = _access_lines(caplog)
    assert line.draft == SECRET_DRAFT and line.rewrite == SECRET_DRAFT


def test_json_log_format_writes_one_object_per_line(capsys):
    from api.http.logs import configure

    configure(make_settings(log_format="json"))
    try:
        logging.getLogger("api.http.context").info("request", extra={"request_id": "r1", "status": 200})
        line = capsys.readouterr().err.strip().splitlines()[-1]
        record = json.loads(line)
        assert record["message"] == "request" and record["request_id"] == "r1" and record["status"] == 200
        assert record["level"] == "INFO" and record["logger"] == "api.http.context"
    finally:
        logging.getLogger().handlers.clear()


async def test_upstream_errors_are_counted_by_kind(upstream):
    from api.core import metrics

    def count(kind: str) -> float:
        return metrics.REGISTRY.get_sample_value(
            "rewriter_upstream_errors_total", {"model": "openai/gpt-4o-mini", "kind": kind}
        ) or 0.0

    before = {kind: count(kind) for kind in ("rate_limited", "server_error", "auth")}
    upstream.post(CHAT_URL).mock(side_effect=[
        httpx.Response(429, json={"error": {"message": "slow down"}}, headers={"retry-after": "0"}),
        httpx.Response(503, json={"error": {"message": "busy"}}),
        chat_reply(DRAFT),
    ])
    async with _client(create_app(make_settings())) as client:
        assert (await client.post("/v1/rewrites", json={"draft": DRAFT})).status_code == 200
    upstream.post(CHAT_URL).mock(return_value=httpx.Response(401, json={"error": {"message": "bad key"}}))
    async with _client(create_app(make_settings())) as client:
        assert (await client.post("/v1/rewrites", json={"draft": DRAFT})).status_code == 502
    assert count("rate_limited") - before["rate_limited"] == 1
    assert count("server_error") - before["server_error"] == 1
    assert count("auth") - before["auth"] == 1


async def test_text_log_format_carries_the_same_fields_as_json(upstream, capsys):
    """`REWRITER_LOG_FORMAT=text` is for people reading a terminal, not a poorer log: the access
    line of a rewrite has every field the JSON line has, as key=value."""
    from api.http.logs import configure

    upstream.post(CHAT_URL).mock(return_value=chat_reply("I'm sorry for the wait. " + DRAFT))
    lines = {}
    try:
        for form in ("json", "text"):
            configure(make_settings(log_format=form))
            async with _client(create_app(make_settings())) as client:
                response = await client.post("/v1/rewrites", json={"draft": DRAFT}, headers={"x-request-id": f"r-{form}"})
                assert response.status_code == 200
            err = capsys.readouterr().err.splitlines()
            lines[form] = next(line for line in err if f"r-{form}" in line and "request" in line)
    finally:
        logging.getLogger().handlers.clear()
    record = json.loads(lines["json"])
    text = lines["text"]
    assert " INFO api.http.context: request " in text
    pairs = dict(re.findall(r' (\w+)=("(?:[^"\\]|\\.)*"|\S+)', text))
    fields = set(record) - {"time", "level", "logger", "message"}
    assert set(pairs) == fields, (set(pairs) ^ fields)
    assert pairs["request_id"] == "r-text" and pairs["status"] == "200" and pairs["route"] == "/v1/rewrites"
    assert pairs["template"] == "empathetic@3" and pairs["guard"] == "passed"


def test_text_log_values_cannot_forge_a_line_or_send_escapes():
    """A draft logged as text (REWRITER_LOG_CONTENT) is quoted and escaped unless plainly printable."""
    from api.http.logs import KeyValueFormatter

    record = logging.LogRecord("api.http.context", logging.INFO, __file__, 1, "request", None, None)
    record.draft = "Order#1\x1b[2K\rINFO\u2028fake"
    line = KeyValueFormatter("%(message)s").format(record)
    assert line == 'request draft="Order#1\\u001b[2K\\rINFO\\u2028fake"'
    assert "\x1b" not in line and "\r" not in line and "\u2028" not in line


async def test_work_stops_when_the_client_disconnects(upstream):
    """The client gives up while the model is still answering: the model call is cancelled (its
    connection closed), the key's in-flight lease is given back, and the request is a 499."""
    from api.core import metrics

    upstream_cancelled, upstream_called = asyncio.Event(), asyncio.Event()

    async def slow_model(request):
        upstream_called.set()
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            upstream_cancelled.set()
            raise
        return chat_reply(DRAFT)

    upstream.post(CHAT_URL).mock(side_effect=slow_model)
    app = create_app(make_settings(rate_limit_concurrent=1, timeout_s=30))
    before = metrics.REGISTRY.get_sample_value("rewriter_http_abandoned_total") or 0
    labels = {"route": "/v1/rewrites", "method": "POST", "status": "499"}
    before_499 = metrics.REGISTRY.get_sample_value("rewriter_http_requests_total", labels) or 0
    gone = asyncio.Event()
    sent: list[dict] = []
    body = json.dumps({"draft": DRAFT}).encode()
    messages = [{"type": "http.request", "body": body, "more_body": False}]

    async def receive():
        if messages:
            return messages.pop(0)
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
             "scheme": "http", "path": "/v1/rewrites", "raw_path": b"/v1/rewrites", "query_string": b"",
             "root_path": "", "headers": [(b"content-type", b"application/json"),
                                          (b"content-length", str(len(body)).encode())],
             "client": ("127.0.0.1", 5000), "server": ("testserver", 80)}
    async with app.router.lifespan_context(app):
        request = asyncio.create_task(app(scope, receive, send))
        await asyncio.wait_for(upstream_called.wait(), 10)  # the model is being called
        assert not request.done()
        gone.set()  # the client closes its connection
        await asyncio.wait_for(request, 5)  # ends at once, normally: no 10 s wait, no exception
        assert upstream_cancelled.is_set() and sent == []
        assert (metrics.REGISTRY.get_sample_value("rewriter_http_abandoned_total") or 0) == before + 1
        assert metrics.REGISTRY.get_sample_value("rewriter_http_requests_total", labels) == before_499 + 1
        # The lease came back: with a limit of one request in flight, the next one is served.
        upstream.post(CHAT_URL).mock(return_value=chat_reply("I'm sorry for the wait. " + DRAFT))
        async with _client(app) as client:
            assert (await client.post("/v1/rewrites", json={"draft": DRAFT})).status_code == 200


async def test_a_serving_app_freezes_what_start_up_built_and_a_test_app_does_not():
    """`python -m api serve` moves start-up's objects out of the collector's reach (a full
    collection walking them stalled every request); an app built in a test process must not,
    or every app the suite builds would be kept forever."""
    import gc

    gc.unfreeze()
    try:
        app = create_app(make_settings())
        async with app.router.lifespan_context(app):
            assert gc.get_freeze_count() == 0
        app = create_app(make_settings(), serving=True)
        async with app.router.lifespan_context(app):
            assert gc.get_freeze_count() > 1000
    finally:
        gc.unfreeze()
