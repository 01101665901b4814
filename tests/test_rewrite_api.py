"""POST /v1/rewrites through the real litellm -> httpx path, the upstream mocked with respx."""

from __future__ import annotations

import json

import httpx

from .conftest import CHAT_URL, chat_reply

DRAFT = "Your refund for order #4821 was rejected because the item was used. Nothing we can do."
REWRITE = (
    "I'm sorry, I know this isn't the answer you hoped for. Your refund for order #4821 was "
    "rejected because the item was used, so I can't process it. If anything is unclear, reply here."
)


async def test_round_trip_returns_result_and_sends_delimited_draft(client, upstream):
    route = upstream.post(CHAT_URL).mock(return_value=chat_reply(REWRITE, prompt_tokens=120, completion_tokens=40))
    response = await client.post("/v1/rewrites", json={"draft": DRAFT, "customer_message": "Where is my refund?"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["rewrite"] == REWRITE
    assert body["id"].startswith("rw_")
    assert body["template"] == {"name": "empathetic", "version": 3}
    assert body["model"] == "openai/gpt-4o-mini"
    assert body["usage"] == {"prompt_tokens": 120, "completion_tokens": 40, "total_tokens": 160}
    assert body["cost_usd"] is not None and body["cost_usd"] > 0
    assert body["finish_reason"] == "stop"
    assert body["latency_ms"] >= 0
    assert body["attempts"] == 1

    sent = json.loads(route.calls.last.request.content)
    assert sent["model"] == "gpt-4o-mini"
    assert route.calls.last.request.headers["authorization"] == "Bearer sk-test"
    user = sent["messages"][-1]["content"]
    # The draft sits between tags that carry a digest, and nothing else is inside them.
    opening = user.index("<draft-")
    tag = user[opening + 1 : user.index(">", opening)]
    assert f"<{tag}>\n{DRAFT}\n</{tag}>" in user
    assert "<customer-" in user and "Where is my refund?" in user
    assert sent["messages"][0]["role"] == "system"


async def test_template_pin_and_parameters_reach_upstream(client, upstream):
    route = upstream.post(CHAT_URL).mock(return_value=chat_reply("Thanks!"))
    response = await client.post(
        "/v1/rewrites",
        json={"draft": "Done.", "template": "empathetic@v1", "temperature": 0.9, "max_tokens": 77},
    )
    assert response.status_code == 200, response.text
    assert response.json()["template"] == {"name": "empathetic", "version": 1}
    sent = json.loads(route.calls.last.request.content)
    assert sent["temperature"] == 0.9 and sent["max_tokens"] == 77

    response = await client.post("/v1/rewrites", json={"draft": "Done.", "template": "formal", "template_version": "v1"})
    assert response.json()["template"] == {"name": "formal", "version": 1}
    sent = json.loads(route.calls.last.request.content)
    assert sent["temperature"] == 0.2  # the template's own default


async def test_variables_are_rendered(client, upstream):
    route = upstream.post(CHAT_URL).mock(return_value=chat_reply("Hi Ana."))
    response = await client.post(
        "/v1/rewrites", json={"draft": "Fixed.", "variables": {"customer_name": "Ana", "tone": "calm"}}
    )
    assert response.status_code == 200, response.text
    sent = json.loads(route.calls.last.request.content)
    assert "Tone: calm" in sent["messages"][0]["content"]
    assert "Ana" in sent["messages"][-1]["content"]


async def test_retry_on_429_then_success(client, upstream):
    route = upstream.post(CHAT_URL).mock(
        side_effect=[
            httpx.Response(429, headers={"retry-after": "0"}, json={"error": {"message": "slow down"}}),
            chat_reply(REWRITE),
        ]
    )
    response = await client.post("/v1/rewrites", json={"draft": DRAFT})
    assert response.status_code == 200, response.text
    assert route.call_count == 2
    assert response.json()["attempts"] == 2


async def test_retry_on_500_then_success(client, upstream):
    route = upstream.post(CHAT_URL).mock(
        side_effect=[httpx.Response(500, json={"error": {"message": "boom"}}), chat_reply(REWRITE)]
    )
    response = await client.post("/v1/rewrites", json={"draft": DRAFT})
    assert response.status_code == 200, response.text
    assert route.call_count == 2


async def test_retry_after_header_is_honoured(client_for, upstream):
    import time

    client = client_for(retry_max_backoff_s=2.0)
    upstream.post(CHAT_URL).mock(
        side_effect=[
            httpx.Response(429, headers={"retry-after": "0.4"}, json={"error": {"message": "slow"}}),
            chat_reply(REWRITE),
        ]
    )
    started = time.monotonic()
    response = await client.post("/v1/rewrites", json={"draft": DRAFT})
    assert response.status_code == 200
    assert time.monotonic() - started >= 0.4  # waited as told, not our 10 ms backoff


async def test_no_retry_on_400(client, upstream):
    route = upstream.post(CHAT_URL).mock(return_value=httpx.Response(400, json={"error": {"message": "bad"}}))
    response = await client.post("/v1/rewrites", json={"draft": DRAFT})
    assert response.status_code == 502
    assert response.headers["content-type"] == "application/problem+json"
    assert route.call_count == 1
    assert "HTTP 400" in response.json()["detail"]


async def test_no_retry_on_auth_error(client, upstream):
    route = upstream.post(CHAT_URL).mock(return_value=httpx.Response(401, json={"error": {"message": "no key"}}))
    response = await client.post("/v1/rewrites", json={"draft": DRAFT})
    assert response.status_code == 502
    assert route.call_count == 1


async def test_persistent_failure_gives_502_after_retries(client_for, upstream):
    client = client_for(max_retries=2)
    route = upstream.post(CHAT_URL).mock(return_value=httpx.Response(503, json={"error": {"message": "down"}}))
    response = await client.post("/v1/rewrites", json={"draft": DRAFT})
    assert response.status_code == 502
    assert route.call_count == 3
    assert response.json()["title"] == "Upstream model failed"


async def test_fallback_model_used_after_persistent_failure(client_for, upstream):
    client = client_for(fallback_models="openai/gpt-4o", max_retries=1)

    def by_model(request: httpx.Request) -> httpx.Response:
        model = json.loads(request.content)["model"]
        if model == "gpt-4o-mini":
            return httpx.Response(500, json={"error": {"message": "primary down"}})
        return chat_reply(REWRITE, model="gpt-4o")

    route = upstream.post(CHAT_URL).mock(side_effect=by_model)
    response = await client.post("/v1/rewrites", json={"draft": DRAFT})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["model"] == "openai/gpt-4o"
    assert body["fallback_from"] == "openai/gpt-4o-mini"
    models = [json.loads(c.request.content)["model"] for c in route.calls]
    assert models == ["gpt-4o-mini", "gpt-4o-mini", "gpt-4o"]


async def test_deadline_gives_504(client_for, upstream):
    import asyncio

    client = client_for(timeout_s=0.3)

    async def hang(request):
        await asyncio.sleep(5)
        return chat_reply(REWRITE)

    upstream.post(CHAT_URL).mock(side_effect=hang)
    response = await client.post("/v1/rewrites", json={"draft": DRAFT})
    assert response.status_code == 504
    assert response.json()["title"] == "Deadline exceeded"


async def test_backoff_longer_than_deadline_is_not_slept(client_for, upstream):
    import time

    client = client_for(timeout_s=0.5, retry_max_backoff_s=30)
    route = upstream.post(CHAT_URL).mock(
        return_value=httpx.Response(429, headers={"retry-after": "20"}, json={"error": {"message": "slow"}})
    )
    started = time.monotonic()
    response = await client.post("/v1/rewrites", json={"draft": DRAFT})
    assert time.monotonic() - started < 0.5
    assert response.status_code == 502
    assert route.call_count == 1


async def test_caller_model_must_be_allowed(client_for, upstream):
    client = client_for(allowed_models="openai/gpt-4o-mini,openai/gpt-4o")
    upstream.post(CHAT_URL).mock(return_value=chat_reply(REWRITE, model="gpt-4o"))
    ok = await client.post("/v1/rewrites", json={"draft": DRAFT, "model": "openai/gpt-4o"})
    assert ok.status_code == 200 and ok.json()["model"] == "openai/gpt-4o"
    refused = await client.post("/v1/rewrites", json={"draft": DRAFT, "model": "openai/o1"})
    assert refused.status_code == 422
    assert "model" in refused.json()["detail"] and "openai/o1" in refused.json()["detail"]
