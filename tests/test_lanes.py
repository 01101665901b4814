"""The gateway's two lanes behave alike: the same upstream answers and faults, mocked with respx
at the HTTP layer, give the same results and problems through the openai SDK lane (the default
for OpenAI-compatible providers) and through the litellm lane (`REWRITER_LITELLM_ONLY=true`).
Which lane a model takes, and a fallback chain that crosses lanes, are checked too.
"""

from __future__ import annotations

import asyncio
import json

import httpx
import litellm
import pytest

from api.core import metrics
from api.core.settings import Settings
from api.models.openai_lane import lane_of

from .conftest import CHAT_URL, chat_json, chat_reply, parse_sse, sse_body

DRAFT = "Your order #4821 shipped on May 2."
REWRITE = "I'm sorry for the wait. Your order #4821 shipped on May 2."
LANES = ["openai", "litellm"]


@pytest.fixture(params=LANES)
def lane(request) -> str:
    return request.param


@pytest.fixture
def lane_client(client_for, lane):
    def build(**overrides) -> httpx.AsyncClient:
        return client_for(litellm_only=lane == "litellm", **overrides)
    return build


def calls_through_litellm(monkeypatch) -> list[str]:
    """Record the models litellm is asked for (it still makes the call)."""
    seen: list[str] = []
    real = litellm.acompletion

    async def spy(*args, **kwargs):
        seen.append(kwargs.get("model"))
        return await real(*args, **kwargs)

    monkeypatch.setattr(litellm, "acompletion", spy)
    return seen


async def test_a_plain_rewrite_has_the_same_usage_and_cost(lane_client, upstream, lane, monkeypatch):
    through_litellm = calls_through_litellm(monkeypatch)
    route = upstream.post(CHAT_URL).mock(return_value=chat_reply(REWRITE, prompt_tokens=20, completion_tokens=10))
    response = await lane_client().post("/v1/rewrites", json={"draft": DRAFT})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["rewrite"] == REWRITE and body["guard"]["status"] == "passed"
    assert body["usage"] == {"prompt_tokens": 20, "completion_tokens": 10, "total_tokens": 30}
    assert body["cost_usd"] == pytest.approx(9e-6)  # gpt-4o-mini: $0.15 and $0.60 per million tokens
    sent = json.loads(route.calls.last.request.content)
    assert sent["model"] == "gpt-4o-mini" and sent["messages"][0]["role"] == "system"
    assert route.calls.last.request.headers["authorization"] == "Bearer sk-test"
    assert through_litellm == (["openai/gpt-4o-mini"] if lane == "litellm" else [])


async def test_429_with_retry_after_is_retried(lane_client, upstream):
    before = metrics.REGISTRY.get_sample_value(
        "rewriter_upstream_retries_total", {"model": "openai/gpt-4o-mini", "reason": "429"}) or 0
    upstream.post(CHAT_URL).mock(side_effect=[
        httpx.Response(429, json={"error": {"message": "slow down"}}, headers={"retry-after": "0"}),
        chat_reply(REWRITE),
    ])
    response = await lane_client().post("/v1/rewrites", json={"draft": DRAFT})
    assert response.status_code == 200 and response.json()["attempts"] == 2
    after = metrics.REGISTRY.get_sample_value(
        "rewriter_upstream_retries_total", {"model": "openai/gpt-4o-mini", "reason": "429"})
    assert after == before + 1


async def test_server_errors_end_in_a_502_in_our_words(lane_client, upstream):
    route = upstream.post(CHAT_URL).mock(return_value=httpx.Response(500, json={"error": {"message": "upstream broke"}}))
    response = await lane_client(max_retries=2).post("/v1/rewrites", json={"draft": DRAFT})
    assert response.status_code == 502 and route.call_count == 3
    problem = response.json()
    assert problem["failures"] == ["openai/gpt-4o-mini: HTTP 500: upstream broke (retried)"] * 2 + [
        "openai/gpt-4o-mini: HTTP 500: upstream broke"]
    assert "litellm" not in problem["detail"] and "Error code" not in problem["detail"]


async def test_an_auth_failure_is_not_retried(lane_client, upstream):
    route = upstream.post(CHAT_URL).mock(return_value=httpx.Response(401, json={"error": {"message": "bad key"}}))
    response = await lane_client().post("/v1/rewrites", json={"draft": DRAFT})
    assert response.status_code == 502 and route.call_count == 1
    assert response.json()["failures"] == ["openai/gpt-4o-mini: HTTP 401: bad key"]


async def test_a_body_that_is_not_json_is_a_bad_response(lane_client, upstream):
    upstream.post(CHAT_URL).mock(return_value=httpx.Response(
        200, content=b'{"choices": [{', headers={"content-type": "application/json"}))
    response = await lane_client(max_retries=1).post("/v1/rewrites", json={"draft": DRAFT})
    assert response.status_code == 502
    assert "not valid JSON" in response.json()["detail"], response.json()


async def test_a_dropped_connection_is_retried(lane_client, upstream):
    upstream.post(CHAT_URL).mock(side_effect=[httpx.ConnectError("connection refused"), chat_reply(REWRITE)])
    response = await lane_client().post("/v1/rewrites", json={"draft": DRAFT})
    assert response.status_code == 200 and response.json()["attempts"] == 2


async def test_a_hanging_provider_meets_the_deadline(lane_client, upstream):
    async def hang(request):
        await asyncio.sleep(5)
        return chat_reply(REWRITE)

    upstream.post(CHAT_URL).mock(side_effect=hang)
    loop = asyncio.get_running_loop()
    started = loop.time()
    response = await lane_client(timeout_s=0.5).post("/v1/rewrites", json={"draft": DRAFT})
    assert response.status_code == 504 and loop.time() - started < 3


async def test_missing_usage_is_counted(lane_client, upstream):
    answer = chat_json(REWRITE)
    del answer["usage"]
    upstream.post(CHAT_URL).mock(return_value=httpx.Response(200, json=answer))
    body = (await lane_client().post("/v1/rewrites", json={"draft": DRAFT})).json()
    assert body["usage"]["prompt_tokens"] > 20 and body["usage"]["completion_tokens"] > 5


async def test_a_stream_streams_with_its_usage(lane_client, upstream):
    pieces = ["I'm sorry for the wait. ", "Your order #4821 ", "shipped on May 2."]
    upstream.post(CHAT_URL).mock(return_value=httpx.Response(
        200, headers={"content-type": "text/event-stream"}, content=sse_body(pieces, usage=(55, 21))))
    response = await lane_client().post("/v1/rewrites", json={"draft": DRAFT, "stream": True})
    events = parse_sse(response.text)
    assert [name for name, _ in events] == ["delta"] * 3 + ["result"]
    assert [data["text"] for _, data in events[:3]] == pieces
    result = events[-1][1]
    assert result["usage"]["total_tokens"] == 76 and result["finish_reason"] == "stop"


async def test_a_stream_cut_short_is_an_error_event(lane_client, upstream):
    """No finish chunk, no usage, no [DONE]: the text so far may stop mid-sentence, so the
    stream fails after its deltas (the text cannot be taken back, the result never comes)."""
    cut = sse_body(["I'm sorry for the wait. ", "Your order #4821 shipped on May 2."], done=False)
    upstream.post(CHAT_URL).mock(return_value=httpx.Response(
        200, headers={"content-type": "text/event-stream"}, content=cut))
    response = await lane_client().post("/v1/rewrites", json={"draft": DRAFT, "stream": True})
    events = parse_sse(response.text)
    assert [name for name, _ in events] == ["delta", "delta", "error"]
    assert events[-1][1]["status"] == 502 and "the model stream broke off" in events[-1][1]["detail"]


async def test_a_stream_without_text_is_retried_then_a_502(lane_client, upstream):
    route = upstream.post(CHAT_URL).mock(return_value=httpx.Response(
        200, headers={"content-type": "text/event-stream"}, content=b"data: [DONE]\n\n"))
    response = await lane_client(max_retries=1).post("/v1/rewrites", json={"draft": DRAFT, "stream": True})
    assert response.status_code == 502 and route.call_count == 2
    assert "ended before any text" in response.json()["detail"]


async def test_an_error_inside_a_stream_is_an_error_event(lane_client, upstream):
    body = sse_body(["I'm sorry for the wait. "], done=False) + b'data: {"error": {"message": "model overloaded"}}\n\n'
    upstream.post(CHAT_URL).mock(return_value=httpx.Response(
        200, headers={"content-type": "text/event-stream"}, content=body))
    response = await lane_client().post("/v1/rewrites", json={"draft": DRAFT, "stream": True})
    events = parse_sse(response.text)
    assert events[0] == ("delta", {"text": "I'm sorry for the wait. "})
    assert events[-1][0] == "error" and events[-1][1]["status"] == 502
    assert "model overloaded" in events[-1][1]["detail"]


ANTHROPIC_URL = "https://api.anthropic.com/v1/messages"


async def test_a_fallback_chain_crosses_lanes(client_for, upstream, monkeypatch):
    """An OpenAI-compatible primary that fails falls back to a model only litellm speaks to."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test")
    through_litellm = calls_through_litellm(monkeypatch)
    upstream.post(CHAT_URL).mock(return_value=httpx.Response(503, json={"error": {"message": "down"}}))
    claude = upstream.post(ANTHROPIC_URL).mock(return_value=httpx.Response(200, json={
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-3-5-haiku-latest",
        "content": [{"type": "text", "text": REWRITE}], "stop_reason": "end_turn",
        "usage": {"input_tokens": 30, "output_tokens": 12},
    }))
    client = client_for(fallback_models=["anthropic/claude-3-5-haiku-latest"], max_retries=0)
    response = await client.post("/v1/rewrites", json={"draft": DRAFT})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model"] == "anthropic/claude-3-5-haiku-latest" and body["fallback_from"] == "openai/gpt-4o-mini"
    assert body["rewrite"] == REWRITE and claude.call_count == 1
    assert through_litellm == ["anthropic/claude-3-5-haiku-latest"]  # the primary went through the SDK


@pytest.mark.parametrize(("model", "litellm_only", "expected"), [
    ("openai/gpt-4o-mini", False, "openai"),
    ("gpt-4o-mini", False, "openai"),
    ("hosted_vllm/meta-llama/Llama-3.1-8B-Instruct", False, "openai"),
    ("groq/llama-3.1-8b-instant", False, "openai"),
    ("anthropic/claude-3-5-haiku-latest", False, "litellm"),
    ("ollama/llama3.1", False, "litellm"),
    ("local/gemma3-270m", False, "litellm"),
    ("openai/gpt-4o-mini", True, "litellm"),
])
def test_which_lane_a_model_takes(model, litellm_only, expected):
    assert lane_of(model, Settings(_env_file=None, litellm_only=litellm_only)) == expected


async def test_a_vllm_server_without_a_key_gets_a_placeholder(client_for, upstream, monkeypatch):
    monkeypatch.delenv("HOSTED_VLLM_API_KEY", raising=False)
    route = upstream.post("http://vllm.test/v1/chat/completions").mock(return_value=chat_reply(REWRITE))
    client = client_for(model="hosted_vllm/meta-llama/Llama-3.1-8B-Instruct", model_api_base="http://vllm.test/v1",
                        model_api_key=None)
    response = await client.post("/v1/rewrites", json={"draft": DRAFT})
    assert response.status_code == 200 and response.json()["cost_usd"] is None  # not in the price map
    assert json.loads(route.calls.last.request.content)["model"] == "meta-llama/Llama-3.1-8B-Instruct"
    # The SDK insists on a key: a server that needs none gets a placeholder, never another provider's.
    assert route.calls.last.request.headers["authorization"] == "Bearer no-key"


async def test_a_hosted_provider_without_a_key_is_told_so(client_for, upstream, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_API_BASE", raising=False)
    client = client_for(model="openai/gpt-4o-mini", model_api_base=None, model_api_key=None)
    response = await client.post("/v1/rewrites", json={"draft": DRAFT})
    assert response.status_code == 502
    assert response.json()["failures"] == [
        "openai/gpt-4o-mini: not configured: no API key for openai/gpt-4o-mini: set OPENAI_API_KEY or REWRITER_MODEL_API_KEY"]


async def test_an_error_before_any_text_is_retried(lane_client, upstream):
    """A stream whose first event is an error failed on the server's side: retried like a 500."""
    route = upstream.post(CHAT_URL).mock(side_effect=[
        httpx.Response(200, headers={"content-type": "text/event-stream"},
                       content=b'data: {"error": {"message": "model overloaded"}}\n\n'),
        httpx.Response(200, headers={"content-type": "text/event-stream"}, content=sse_body([REWRITE])),
    ])
    response = await lane_client().post("/v1/rewrites", json={"draft": DRAFT, "stream": True})
    events = parse_sse(response.text)
    assert events[-1][0] == "result" and events[-1][1]["attempts"] == 2 and route.call_count == 2


async def test_failures_without_a_status_read_alike(lane_client, upstream):
    """A refused connection and a read timeout are named the same on both lanes."""
    upstream.post(CHAT_URL).mock(side_effect=httpx.ConnectError("connection refused"))
    failures = (await lane_client(max_retries=0).post("/v1/rewrites", json={"draft": DRAFT})).json()["failures"]
    assert failures[0].startswith("openai/gpt-4o-mini: APIConnectionError: "), failures
    upstream.post(CHAT_URL).mock(side_effect=httpx.ReadTimeout("slow"))
    failures = (await lane_client(max_retries=0).post("/v1/rewrites", json={"draft": DRAFT})).json()["failures"]
    assert failures == ["openai/gpt-4o-mini: Timeout: no answer in time"], failures


async def test_zero_usage_and_provider_finish_reasons_read_alike(lane_client, upstream):
    answer = chat_json(REWRITE)
    answer["usage"] = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
    answer["choices"][0]["finish_reason"] = "eos"  # Together's, TGI's word for stop
    upstream.post(CHAT_URL).mock(return_value=httpx.Response(200, json=answer))
    body = (await lane_client().post("/v1/rewrites", json={"draft": DRAFT})).json()
    assert body["usage"]["prompt_tokens"] > 20 and body["cost_usd"] > 0
    assert body["finish_reason"] == "stop"


def test_reasoning_models_take_the_litellm_lane():
    """o-series and gpt-5 take max_completion_tokens and no temperature: litellm maps that."""
    settings = Settings(_env_file=None)
    assert lane_of("openai/o4-mini", settings) == "litellm" and lane_of("openai/gpt-5", settings) == "litellm"
    assert lane_of("openai/gpt-4o-mini", settings) == "openai"


# --- the openai lane on its default transport, aiohttp, against a real socket ----------------
# respx mocks httpx's transport (the tests run with REWRITER_HTTP_TRANSPORT=httpx); these answer
# from a small HTTP/1.1 server on loopback, so aiohttp's pool, its errors and their translation
# run for real.


class SocketUpstream:
    """Answers each request with the next scripted behaviour: a (status, headers, body) to send,
    "drop" (close the connection without answering) or ("cut", body) (send a stream's head and
    part of its body, then close)."""

    def __init__(self) -> None:
        self.script: list = []
        self.requests: list[dict] = []
        self.server: asyncio.Server | None = None

    @property
    def url(self) -> str:
        host, port = self.server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}/v1"

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                               if line.lower().startswith(b"content-length:")), 0)
                self.requests.append(json.loads(await reader.readexactly(length)))
                step = self.script.pop(0)
                if step == "drop":
                    return
                if step[0] == "cut":
                    writer.write(b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\n"
                                 b"transfer-encoding: chunked\r\n\r\n" + f"{len(step[1]):x}\r\n".encode() + step[1] + b"\r\n")
                    await writer.drain()
                    return
                status, headers, body = step
                lines = [f"HTTP/1.1 {status} X", f"content-length: {len(body)}",
                         *(f"{name}: {value}" for name, value in headers.items())]
                writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def socket_upstream():
    upstream = SocketUpstream()
    upstream.server = await asyncio.start_server(upstream.serve, "127.0.0.1", 0)
    yield upstream
    upstream.server.close()


def ok(text: str = REWRITE) -> tuple:
    return 200, {"content-type": "application/json"}, json.dumps(chat_json(text)).encode()


def aiohttp_app(socket_upstream: SocketUpstream, **overrides):
    from api.http.app import create_app

    from .conftest import make_settings
    return create_app(make_settings(http_transport="auto", model_api_base=socket_upstream.url, **overrides))


async def test_on_aiohttp_a_rewrite_retries_a_429_and_a_dropped_connection(socket_upstream):
    socket_upstream.script = [(429, {"retry-after": "0", "content-type": "application/json"},
                               b'{"error": {"message": "slow down"}}'), "drop", ok()]
    app = aiohttp_app(socket_upstream)
    async with app.router.lifespan_context(app), \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        response = await client.post("/v1/rewrites", json={"draft": DRAFT})
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["rewrite"] == REWRITE and body["attempts"] == 3 and body["cost_usd"] == pytest.approx(9e-6)
        assert socket_upstream.requests[0]["model"] == "gpt-4o-mini"
        session = app.state.rewriter.gateway.lanes["openai"]._client("openai/gpt-4o-mini")._client._transport.client
    assert session.closed  # the lifespan's end closed the pool: no "Unclosed client session"


async def test_on_aiohttp_a_provider_that_hangs_up_is_a_connection_failure_not_a_timeout(socket_upstream):
    """httpx-aiohttp maps aiohttp's lost connection to httpx's ConnectTimeout; the lane reads it
    as what it is (a 502 naming the dropped connection), not as a slow provider (504)."""
    socket_upstream.script = ["drop", "drop"]
    app = aiohttp_app(socket_upstream, max_retries=1)
    async with app.router.lifespan_context(app), \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        response = await client.post("/v1/rewrites", json={"draft": DRAFT})
    assert response.status_code == 502, response.text
    assert "disconnected" in response.json()["detail"].lower(), response.json()


async def test_on_aiohttp_a_stream_streams_and_one_cut_short_is_an_error_event(socket_upstream):
    pieces = ["I'm sorry for the wait. ", "Your order #4821 ", "shipped on May 2."]
    socket_upstream.script = [(200, {"content-type": "text/event-stream"}, sse_body(pieces, usage=(55, 21))),
                              ("cut", sse_body(pieces[:2], done=False))]
    app = aiohttp_app(socket_upstream)
    async with app.router.lifespan_context(app), \
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        events = parse_sse((await client.post("/v1/rewrites", json={"draft": DRAFT, "stream": True})).text)
        assert [data.get("text") for _, data in events[:3]] == pieces
        assert events[-1][0] == "result" and events[-1][1]["usage"]["total_tokens"] == 76
        events = parse_sse((await client.post("/v1/rewrites", json={"draft": DRAFT, "stream": True})).text)
        assert [name for name, _ in events] == ["delta", "delta", "error"]
        assert events[-1][1]["status"] == 502
