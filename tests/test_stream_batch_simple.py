"""Streaming (SSE), batch and the plain-text endpoint."""

from __future__ import annotations

import json

import httpx

from .conftest import CHAT_URL, chat_reply, parse_sse, sse_body

DRAFT = "Order #4821 shipped on May 2. Tracking 1Z999AA10123456784."


async def test_stream_sends_deltas_then_result(client, upstream):
    pieces = ["I'm sorry for the wait. ", "Order #4821 shipped on May 2. ", "Tracking 1Z999AA10123456784."]
    route = upstream.post(CHAT_URL).mock(
        return_value=httpx.Response(200, headers={"content-type": "text/event-stream"}, content=sse_body(pieces, usage=(55, 21)))
    )
    response = await client.post("/v1/rewrites", json={"draft": DRAFT, "stream": True})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = parse_sse(response.text)
    names = [name for name, _ in events]
    assert names == ["delta"] * len(pieces) + ["result"]
    assert [data["text"] for name, data in events if name == "delta"] == pieces
    result = events[-1][1]
    assert result["rewrite"] == "".join(pieces).strip()
    assert result["usage"] == {"prompt_tokens": 55, "completion_tokens": 21, "total_tokens": 76}
    assert result["finish_reason"] == "stop"
    assert json.loads(route.calls.last.request.content)["stream"] is True


async def test_stream_without_usage_counts_tokens(client, upstream):
    upstream.post(CHAT_URL).mock(
        return_value=httpx.Response(200, headers={"content-type": "text/event-stream"}, content=sse_body(["Sorry! ", DRAFT], usage=None))
    )
    response = await client.post("/v1/rewrites", json={"draft": DRAFT, "stream": True})
    result = parse_sse(response.text)[-1][1]
    assert result["usage"]["completion_tokens"] > 0 and result["usage"]["prompt_tokens"] > 0


async def test_stream_cut_midway_ends_with_error_event(client, upstream):
    # The upstream sends two chunks and then the connection breaks.
    class Broken(httpx.AsyncByteStream):
        async def __aiter__(self):
            body = sse_body(["I'm sorry. ", "Order #4821 "], done=False)
            yield body
            raise httpx.ReadError("connection reset")

    upstream.post(CHAT_URL).mock(
        return_value=httpx.Response(200, headers={"content-type": "text/event-stream"}, stream=Broken())
    )
    response = await client.post("/v1/rewrites", json={"draft": DRAFT, "stream": True})
    assert response.status_code == 200
    events = parse_sse(response.text)
    assert [n for n, _ in events][:2] == ["delta", "delta"]
    name, problem = events[-1]
    assert name == "error"
    assert problem["status"] == 502 and "stream" in problem["detail"]


async def test_stream_failure_before_any_text_is_a_plain_error(client, upstream):
    upstream.post(CHAT_URL).mock(return_value=httpx.Response(400, json={"error": {"message": "bad"}}))
    response = await client.post("/v1/rewrites", json={"draft": DRAFT, "stream": True})
    assert response.status_code == 502
    assert response.headers["content-type"] == "application/problem+json"


async def test_stream_retries_before_first_token(client, upstream):
    route = upstream.post(CHAT_URL).mock(
        side_effect=[
            httpx.Response(503, json={"error": {"message": "busy"}}),
            httpx.Response(200, headers={"content-type": "text/event-stream"}, content=sse_body([DRAFT])),
        ]
    )
    response = await client.post("/v1/rewrites", json={"draft": DRAFT, "stream": True})
    assert parse_sse(response.text)[-1][0] == "result"
    assert route.call_count == 2


async def test_batch_returns_result_or_problem_per_item_in_order(client, upstream):
    def reply(request: httpx.Request) -> httpx.Response:
        user = json.loads(request.content)["messages"][-1]["content"]
        if "FAIL" in user:
            return httpx.Response(400, json={"error": {"message": "rejected"}})
        return chat_reply("Rewritten: " + ("first" if "first" in user else "other"))

    upstream.post(CHAT_URL).mock(side_effect=reply)
    items = [
        {"draft": "first draft"},
        {"draft": "   "},  # invalid
        {"draft": "FAIL please"},  # upstream failure
        {"draft": "fourth draft", "template": "nope"},  # unknown template
        {"draft": "fifth draft", "template": "concise"},
    ]
    response = await client.post("/v1/rewrites:batch", json={"items": items})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert len(results) == 5
    assert results[0]["rewrite"] == "Rewritten: first"
    assert results[1]["status"] == 422 and results[1]["index"] == 1 and "draft" in results[1]["detail"]
    assert results[2]["status"] == 502 and results[2]["index"] == 2
    assert results[3]["status"] == 422 and "nope" in results[3]["detail"]
    assert results[4]["rewrite"] == "Rewritten: other" and results[4]["template"]["name"] == "concise"


async def test_batch_runs_concurrently_under_the_bound(client_for, upstream):
    import asyncio

    client = client_for(batch_concurrency=3)
    active = peak = 0

    async def slow(request):
        nonlocal active, peak
        active += 1
        peak = max(peak, active)
        await asyncio.sleep(0.05)
        active -= 1
        return chat_reply("ok")

    upstream.post(CHAT_URL).mock(side_effect=slow)
    response = await client.post("/v1/rewrites:batch", json={"items": [{"draft": f"d{i}"} for i in range(9)]})
    assert all("rewrite" in r for r in response.json()["results"])
    assert peak == 3


async def test_batch_limits(client_for, upstream):
    client = client_for(max_batch_items=2)
    too_many = await client.post("/v1/rewrites:batch", json={"items": [{"draft": "a"}] * 3})
    assert too_many.status_code == 422 and "items" in too_many.json()["detail"]
    empty = await client.post("/v1/rewrites:batch", json={"items": []})
    assert empty.status_code == 422
    streamed = await client.post("/v1/rewrites:batch", json={"items": [{"draft": "a", "stream": True}]})
    assert streamed.json()["results"][0]["status"] == 422


async def test_simple_endpoint_plain_text_in_and_out(client, upstream):
    route = upstream.post(CHAT_URL).mock(return_value=chat_reply("  I'm sorry: order #4821 is late.  "))
    response = await client.post(
        "/v1/rewrite/simple?template=formal&tone=calm",
        content="Order #4821 is late.".encode(),
        headers={"content-type": "text/plain; charset=utf-8"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    assert response.text == "I'm sorry: order #4821 is late.\n"
    sent = json.loads(route.calls.last.request.content)
    assert "formal register" in sent["messages"][0]["content"]
    assert "Tone: calm" in sent["messages"][0]["content"]


async def test_simple_endpoint_errors(client, upstream):
    empty = await client.post("/v1/rewrite/simple", content=b"  \n", headers={"content-type": "text/plain"})
    assert empty.status_code == 422 and "draft" in empty.json()["detail"]
    wrong_type = await client.post("/v1/rewrite/simple", json={"draft": "x"})
    assert wrong_type.status_code == 415
    bad_utf8 = await client.post("/v1/rewrite/simple", content=b"\xff\xfe", headers={"content-type": "text/plain"})
    assert bad_utf8.status_code == 422
