"""Issue 15's defects from a black-box attack run, each a regression test: invalid Unicode, a
broken stream before its first token, the concurrency slot of a finished stream, errors a client
causes in our own words, and batch items counted against `rpm`."""

from __future__ import annotations

import json
import socket
import time

import httpx
import pytest

from api.http.app import create_app

from .conftest import CHAT_URL, chat_reply, make_settings, parse_sse, sse_body
from .processes import run_python, start_service, start_upstream

PROBLEM = "application/problem+json"
DRAFT = "Your order #12 shipped on March 3. Track it at https://example.com/t/12."
LONE = "\ud800"


def raw_json(body: dict) -> bytes:
    """JSON with non-ASCII escaped, so a lone surrogate travels as `\\ud800` (valid JSON text)."""
    return json.dumps(body, ensure_ascii=True).encode()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"draft": f"Your order {LONE} shipped."}, "draft"),
        ({"draft": "ok", "customer_message": f"where {LONE}"}, "customer_message"),
        ({"draft": "ok", "variables": {"customer_name": f"Ana{LONE}"}}, "variables.customer_name"),
        ({"draft": "ok", "stream": True, "customer_message": LONE}, "customer_message"),
        ({"draft": "ok", "template": f"empathetic{LONE}"}, "template"),
        # pydantic's error location cannot hold the surrogate itself: shown as U+FFFD
        ({"draft": "ok", "variables": {f"na{LONE}me": "x"}}, "variables.na\ufffd\ufffd\ufffdme.[key]"),
    ],
)
async def test_a_lone_surrogate_is_a_422_naming_the_field(client, upstream, body, field):
    route = upstream.post(CHAT_URL).mock(return_value=chat_reply("x"))
    response = await client.post("/v1/rewrites", content=raw_json(body), headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["errors"][0]["field"] == field and "surrogate" in problem["detail"]
    assert route.call_count == 0


async def test_a_lone_surrogate_in_a_batch_item_fails_that_item_only(client, upstream):
    upstream.post(CHAT_URL).mock(return_value=chat_reply("I'm sorry. Your order shipped."))
    body = {"items": [{"draft": "Your order shipped."}, {"draft": f"bad {LONE}"}]}
    response = await client.post("/v1/rewrites:batch", content=raw_json(body),
                                 headers={"content-type": "application/json"})
    results = response.json()["results"]
    assert "rewrite" in results[0]
    assert results[1]["status"] == 422 and results[1]["index"] == 1 and "draft" in results[1]["detail"]


async def test_a_stream_whose_upstream_answers_200_with_garbage_is_retried_then_a_502(client_for, upstream):
    client = client_for(max_retries=2, retry_backoff_s=0.0)
    route = upstream.post(CHAT_URL).mock(return_value=httpx.Response(
        200, content=b"this is not an event stream {", headers={"content-type": "text/event-stream"}
    ))
    response = await client.post("/v1/rewrites", json={"draft": "Your order #12 shipped.", "stream": True})
    assert response.status_code == 502, response.text
    assert response.headers["content-type"] == PROBLEM
    assert route.call_count == 3  # retried like any upstream failure before the first token


async def test_a_stream_that_ends_before_any_text_is_retried(client_for, upstream):
    client = client_for(max_retries=2, retry_backoff_s=0.0)
    answers = iter([
        httpx.Response(200, content=b"data: [DONE]\n\n", headers={"content-type": "text/event-stream"}),
        httpx.Response(200, content=sse_body(["I'm sorry. ", "Your order #12 shipped."]),
                       headers={"content-type": "text/event-stream"}),
    ])
    route = upstream.post(CHAT_URL).mock(side_effect=lambda request: next(answers))
    response = await client.post("/v1/rewrites", json={"draft": "Your order #12 shipped.", "stream": True})
    events = parse_sse(response.text)
    assert events[-1][0] == "result" and events[-1][1]["guard"]["status"] == "passed", events[-1]
    assert events[-1][1]["attempts"] == 2 and route.call_count == 2


async def test_a_finished_stream_gives_its_concurrency_slot_back_at_once(processes):
    """A real server (the in-process transport buffers whole responses): with one request in
    flight allowed, a caller that has read a stream's `result` and asks again at once is served."""
    upstream = processes(start_upstream("benchmarks/fake_upstream.py", "--latency-ms", "0",
                                        "--tokens-per-s", "10000"), "/")
    service = processes(start_service(f"{upstream.url}/v1", rate_limit_concurrent=1), "/healthz")
    statuses = []
    async with httpx.AsyncClient(base_url=service.url, timeout=30, trust_env=False) as client:
        for _ in range(10):
            async with client.stream("POST", "/v1/rewrites", json={"draft": DRAFT, "stream": True}) as response:
                async for line in response.aiter_lines():
                    if line.startswith("data:") and '"guard"' in line:
                        break  # the caller has its result and asks again at once
            statuses.append((await client.post("/v1/rewrites", json={"draft": DRAFT})).status_code)
    assert statuses == [200] * 10


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"draft": "ok", "template": "empathetic@"}, "template"),
        ({"draft": "ok", "template": "@3"}, "template"),
        ({"draft": "ok", "model": ""}, "model"),
        ({"draft": "ok", "template": ""}, "template"),
    ],
)
async def test_empty_names_are_refused_not_taken_as_the_default(client, upstream, body, field):
    route = upstream.post(CHAT_URL).mock(return_value=chat_reply("x"))
    response = await client.post("/v1/rewrites", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"].startswith(field)
    assert route.call_count == 0


@pytest.mark.parametrize(("body", "field"), [
    (b'{"draft": "ok", "max_tokens": ' + b"9" * 5000 + b"}", "max_tokens"),
    (b'{"draft": "ok", "max_tokens": ' + b"9" * 150 + b"}", "max_tokens"),
    (b'{"draft": "ok", "variables": {"customer_name": ' + b"9" * 150 + b"}}", "variables.customer_name"),
])
async def test_a_huge_integer_is_a_422_naming_its_field(client, upstream, body, field):
    response = await client.post("/v1/rewrites", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"].startswith(field)


async def test_a_404_does_not_echo_a_long_path(client):
    response = await client.get("/" + "a" * 5000)
    assert response.status_code == 404 and response.headers["content-type"] == PROBLEM
    assert len(response.json()["detail"]) < 200


async def test_a_batch_counts_each_item_against_rpm(upstream):
    upstream.post(CHAT_URL).mock(return_value=chat_reply("I'm sorry. Your order shipped."))
    app = create_app(make_settings(rate_limit_rpm=3))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://rewriter.test") as client:
        too_many = await client.post("/v1/rewrites:batch", json={"items": [{"draft": "Your order shipped."}] * 5})
        assert too_many.status_code == 429, too_many.text
        assert too_many.json()["limit"] == "rpm" and "5 items" in too_many.json()["detail"]
        fits = await client.post("/v1/rewrites:batch", json={"items": [{"draft": "Your order shipped."}] * 2})
        assert fits.status_code == 200
        # 2 items and the refused batch's own request used the minute's 3: nothing more fits.
        after = await client.post("/v1/rewrites", json={"draft": "Your order shipped."})
        assert after.status_code == 429


def raw_exchange(port: int, request: bytes, read_s: float = 10.0) -> bytes:
    """Send raw bytes to the server and read what it answers until it closes (or `read_s`)."""
    with socket.create_connection(("127.0.0.1", port), timeout=read_s) as conn:
        try:
            conn.sendall(request)
        except (BrokenPipeError, ConnectionResetError):
            pass  # it may answer and close before taking all of an oversized head
        chunks = []
        try:
            while chunk := conn.recv(65536):
                chunks.append(chunk)
        except (ConnectionResetError, socket.timeout):
            pass
    return b"".join(chunks)


def problem_of(answer: bytes) -> tuple[int, dict[str, str], dict]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in lines[1:])
    return int(lines[0].split()[1]), headers, json.loads(body)


async def test_oversized_headers_and_protocol_errors_are_problems_from_the_server(processes):
    upstream = processes(start_upstream("benchmarks/fake_upstream.py", "--latency-ms", "0"), "/")
    service = processes(start_service(f"{upstream.url}/v1"), "/healthz")
    big = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 2_000_000 + b"\r\n\r\n"
    status, headers, body = problem_of(raw_exchange(service.port, big))
    assert status == 431 and headers["content-type"] == PROBLEM, (status, headers)
    assert body["status"] == 431 and "64 KiB" in body["detail"]
    long_line = b"GET /" + b"a" * 200_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    status, headers, body = problem_of(raw_exchange(service.port, long_line))
    assert status == 431 and headers["content-type"] == PROBLEM
    bad_header = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Request-ID: a\x0bb\r\n\r\n"
    status, headers, body = problem_of(raw_exchange(service.port, bad_header))
    assert status == 400 and headers["content-type"] == PROBLEM and body["title"] == "Bad request"
    # a head over the cap in two pieces, each under it
    with socket.create_connection(("127.0.0.1", service.port), timeout=10) as conn:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: " + b"a" * 40_000 + b"\r\n")
        time.sleep(0.2)
        conn.sendall(b"X-B: " + b"b" * 40_000 + b"\r\n\r\n")
        assert conn.recv(65536).startswith(b"HTTP/1.1 431")
    # a small head with a large body in the same read is no oversized head
    body = json.dumps({"items": [{"draft": "Your order #12 shipped. " * 45}] * 100}).encode()
    assert len(body) > 100_000
    big_post = (b"POST /v1/rewrites:batch HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                b"Connection: close\r\nContent-Length: %d\r\n\r\n" % len(body)) + body
    assert not raw_exchange(service.port, big_post, read_s=60).startswith(b"HTTP/1.1 431")
    # keep-alive: the second request's head is capped too
    with socket.create_connection(("127.0.0.1", service.port), timeout=10) as conn:
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        first = b""
        while not first.endswith(b'{"status":"ok"}'):  # the head and the body may come in two reads
            first += conn.recv(65536) or b"<closed>"
            assert not first.endswith(b"<closed>"), first
        assert first.startswith(b"HTTP/1.1 200")
        conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"c" * 100_000 + b"\r\n\r\n")
        assert conn.recv(65536).startswith(b"HTTP/1.1 431")
    # the server still serves normal requests, with headers well under the cap
    ok = raw_exchange(service.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Some: "
                      + b"b" * 30_000 + b"\r\n\r\n")
    assert ok.startswith(b"HTTP/1.1 200"), ok[:200]


async def test_upstream_failures_are_described_in_our_words(client_for, upstream):
    """A 200 whose body is not JSON, and a 500 with the provider's message: the 502's detail
    says what happened, never litellm's exception names."""
    client = client_for(max_retries=1, retry_backoff_s=0.0)
    upstream.post(CHAT_URL).mock(return_value=httpx.Response(
        200, content=b'{"choices": [{', headers={"content-type": "application/json"}))
    response = await client.post("/v1/rewrites", json={"draft": "Your order #12 shipped."})
    assert response.status_code == 502
    detail = response.json()["detail"]
    assert "not valid JSON" in detail and "litellm" not in detail and "Exception" not in detail, detail
    upstream.post(CHAT_URL).mock(return_value=httpx.Response(500, json={"error": {"message": "upstream broke"}}))
    detail = (await client.post("/v1/rewrites", json={"draft": "Your order #12 shipped."})).json()["detail"]
    assert "HTTP 500: upstream broke" in detail and "litellm" not in detail and "Exception" not in detail, detail


async def test_the_simple_route_refuses_an_empty_template_with_a_422(client, upstream):
    """Found by the schema fuzzer: `?template=` reached the core's validation as a 500."""
    route = upstream.post(CHAT_URL).mock(return_value=chat_reply("x"))
    response = await client.post("/v1/rewrite/simple?template=", content=b"Your order shipped.",
                                 headers={"content-type": "text/plain"})
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM, response.text
    assert response.json()["errors"][0]["field"] == "template" and route.call_count == 0


@pytest.mark.parametrize(("draft", "rewrite"), [
    ("Your refund is approved.", "I'm sorry for the wait. Your refund is approved and you won't be charged again."),
    ("The replacement is available now.", "The replacement is available now, if you haven't ordered yet."),
    ("It's in stock.", "Good news: it's in stock, no backorder."),
    ("Your laptop, model XPS 13, is covered.", "I'm glad to help. Your laptop is covered.\nModel: XPS 13"),
    ("Your refund of $1 is on its way.", "Your refund of one dollar is on its way."),
    ("The parcel weighs 8 lb.", "The parcel weighs eight pounds."),
])
def test_faithful_rewrites_the_new_defences_must_not_reject(draft, rewrite):
    """Found by review of issue 15's defences: a negation elsewhere in the clause, a spec line, an
    amount or a weight in words are no reason to reject a rewrite."""
    from api.guard import check

    assert check(draft, rewrite).violations == []


def test_the_new_patterns_finish_on_hostile_input():
    """Found by review: a sign-off followed by a long run of spaces took minutes (cubic
    backtracking). A liveness check, not a timing: milliseconds now, a generous minute allowed."""
    code = (
        "from api.guard import facts, mask, pii\n"
        "for n in (2000, 8000):\n"
        "    pii.signature_names('Thanks' + ' ' * n + 'a')\n"
        "    pii.signature_names('Thanks' + '\\n' * n + 'a')\n"
        "    facts.extract('one ' * (n // 4) + 'x dollars')\n"
        "    mask('Thanks' + ' ' * n + 'a', pii=True, customer_message='Regards' + ' ' * n + 'Bob')\n"
    )
    proc = run_python(code, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_common_words_are_no_signed_names_and_names_leave_emails_whole():
    from api.guard import mask, pii

    assert pii.signature_names("Can you help?\nThanks,\nWill") == []
    assert pii.signature_names("Regards, Customer Service") == []
    masked = mask("Write to John@example.com, John.", pii=True, names=("John",))
    assert masked.pii == {"name": 1, "email": 1} and "example.com" not in masked.text
