"""Validation errors, API keys, templates listing, health, metrics and request ids."""

from __future__ import annotations

import pytest

from .conftest import CHAT_URL, chat_reply

PROBLEM = "application/problem+json"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "draft"),
        ({"draft": ""}, "draft"),
        ({"draft": " \n\t "}, "draft"),
        ({"draft": 42}, "draft"),
        ({"draft": "ok", "temperature": 7}, "temperature"),
        ({"draft": "ok", "max_tokens": 0}, "max_tokens"),
        ({"draft": "ok", "unexpected": 1}, "unexpected"),
        ({"draft": "ok", "variables": {"customer_name": ["a"]}}, "variables"),
        ({"draft": "ok", "template": "nope"}, "nope"),
        ({"draft": "ok", "template": "empathetic@v9"}, "v9"),
        ({"draft": "ok", "template": "empathetic", "template_version": "banana"}, "banana"),
        ({"draft": "ok", "variables": {"colour": "red"}}, "colour"),
    ],
)
async def test_invalid_input_is_a_422_naming_the_field(client, upstream, body, field):
    route = upstream.post(CHAT_URL).mock(return_value=chat_reply("x"))
    response = await client.post("/v1/rewrites", json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert problem["status"] == 422 and problem["title"]
    assert field in problem["detail"]
    assert route.call_count == 0


async def test_draft_over_max_length(client_for, upstream):
    client = client_for(max_draft_chars=50)
    response = await client.post("/v1/rewrites", json={"draft": "x" * 51})
    assert response.status_code == 422
    assert "draft" in response.json()["detail"] and "50" in response.json()["detail"]


@pytest.mark.parametrize(("body", "where"), [(b"{not json", "at character 1"), (b'{"draft":', "at character 9")])
async def test_malformed_json_is_a_400_in_words(client, body, where):
    """Issue 16: a body that cannot be parsed is a 400 (as the schema says), not a 422 naming
    field "9"."""
    response = await client.post("/v1/rewrites", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM
    detail = response.json()["detail"]
    assert detail.startswith("the body is not valid JSON: ") and detail.endswith(where), detail


async def test_missing_required_variable(tmp_path, client_for, upstream):
    (tmp_path / "needs.yaml").write_text(
        "name: needs\nversion: 1\ndescription: d\nvariables:\n  order_id: {required: true}\n"
        "messages:\n  - {role: user, content: '{{ draft }} {{ order_id }}'}\n"
    )
    client = client_for(prompts_dir=tmp_path, default_template="needs")
    response = await client.post("/v1/rewrites", json={"draft": "ok"})
    assert response.status_code == 422
    assert "order_id" in response.json()["detail"]


async def test_oversized_body_is_413(client_for):
    client = client_for(max_body_bytes=2048)
    response = await client.post("/v1/rewrites", json={"draft": "x" * 5000})
    assert response.status_code == 413
    assert response.headers["content-type"] == PROBLEM


async def test_auth_off_by_default(client, upstream):
    upstream.post(CHAT_URL).mock(return_value=chat_reply("x"))
    assert (await client.post("/v1/rewrites", json={"draft": "ok"})).status_code == 200


async def test_auth_on_requires_a_valid_key(client_for, upstream):
    upstream.post(CHAT_URL).mock(return_value=chat_reply("x"))
    from api.http.keys import entry_for

    client = client_for(api_keys=f"{entry_for('one', 'key-one')},{entry_for('two', 'key-two')}")
    missing = await client.post("/v1/rewrites", json={"draft": "ok"})
    assert missing.status_code == 401 and missing.headers["content-type"] == PROBLEM
    assert "www-authenticate" in missing.headers
    wrong = await client.post("/v1/rewrites", json={"draft": "ok"}, headers={"authorization": "Bearer nope"})
    assert wrong.status_code == 401
    bearer = await client.post("/v1/rewrites", json={"draft": "ok"}, headers={"authorization": "Bearer key-two"})
    assert bearer.status_code == 200
    header = await client.get("/v1/templates", headers={"x-api-key": "key-one"})
    assert header.status_code == 200
    assert (await client.get("/v1/templates")).status_code == 401
    assert (await client.post("/v1/rewrite/simple", content=b"hi")).status_code == 401
    # operators' routes stay open
    assert (await client.get("/healthz")).status_code == 200


async def test_templates_listing(client):
    response = await client.get("/v1/templates")
    assert response.status_code == 200
    body = response.json()
    names = {t["name"] for t in body["templates"]}
    assert {"empathetic", "friendly", "formal", "concise", "deescalate"} <= names
    assert body["default"] == "empathetic"
    empathetic = next(t for t in body["templates"] if t["name"] == "empathetic")
    assert [v["version"] for v in empathetic["versions"]] == [1, 2, 3]
    assert empathetic["latest_version"] == 3
    v2 = empathetic["versions"][1]
    assert v2["variables"]["customer_name"]["required"] is False
    assert v2["variables"]["tone"]["default"] == "warm"
    assert v2["parameters"]["temperature"] == 0.3
    assert "completion" in v2["forms"] and "wrap" not in v2["forms"]
    assert "wrap" in empathetic["versions"][2]["forms"]

    one = await client.get("/v1/templates/deescalate")
    assert one.status_code == 200 and one.json()["name"] == "deescalate"
    missing = await client.get("/v1/templates/nope")
    assert missing.status_code == 404 and "nope" in missing.json()["detail"]


async def test_health_and_readiness(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["templates"] is True


async def test_metrics_exposed_after_a_request(client, upstream):
    upstream.post(CHAT_URL).mock(return_value=chat_reply("x", prompt_tokens=7, completion_tokens=3))
    await client.post("/v1/rewrites", json={"draft": "ok"})
    text = (await client.get("/metrics")).text
    assert 'rewriter_http_requests_total{method="POST",route="/v1/rewrites",status="200"}' in text
    assert "rewriter_http_request_duration_seconds_bucket" in text
    assert 'rewriter_upstream_request_duration_seconds_count{model="openai/gpt-4o-mini",outcome="ok"}' in text
    assert 'rewriter_tokens_total{kind="completion",model="openai/gpt-4o-mini"}' in text
    assert "rewriter_cost_usd_total" in text


async def test_metrics_count_retries_and_fallbacks(client_for, upstream):
    import httpx

    from api.core.metrics import FALLBACKS, UPSTREAM_RETRIES

    client = client_for(model="openai/m-one", fallback_models="openai/m-two", max_retries=1)
    before_retries = UPSTREAM_RETRIES.labels("openai/m-one", "500")._value.get()
    before_fallbacks = FALLBACKS.labels("openai/m-one", "openai/m-two")._value.get()

    def by_model(request):
        import json

        if json.loads(request.content)["model"] == "m-one":
            return httpx.Response(500, json={"error": {"message": "down"}})
        return chat_reply("x")

    upstream.post(CHAT_URL).mock(side_effect=by_model)
    assert (await client.post("/v1/rewrites", json={"draft": "ok"})).status_code == 200
    assert UPSTREAM_RETRIES.labels("openai/m-one", "500")._value.get() == before_retries + 1
    assert FALLBACKS.labels("openai/m-one", "openai/m-two")._value.get() == before_fallbacks + 1


async def test_request_id_echoed_or_generated(client):
    echoed = await client.get("/healthz", headers={"x-request-id": "abc-123"})
    assert echoed.headers["x-request-id"] == "abc-123"
    made = await client.get("/healthz")
    assert len(made.headers["x-request-id"]) == 32
    unsafe = await client.get("/healthz", headers={"x-request-id": "bad id\twith spaces"})
    assert unsafe.headers["x-request-id"] != "bad id\twith spaces"
    problem = await client.post("/v1/rewrites", json={}, headers={"x-request-id": "req-9"})
    assert problem.headers["x-request-id"] == "req-9"
    assert problem.json()["request_id"] == "req-9"


async def test_unknown_route_and_method_are_problems(client):
    missing = await client.get("/v2/nothing")
    assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM
    wrong = await client.get("/v1/rewrites")
    assert wrong.status_code == 405 and wrong.headers["content-type"] == PROBLEM


async def test_unexpected_error_is_a_generic_500_with_request_id(client_for, monkeypatch):
    from api.core.rewriter import Rewriter

    async def explode(self, request):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(Rewriter, "rewrite", explode)
    client = client_for()
    import httpx

    transport = httpx.ASGITransport(app=client._transport.app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as raw:
        response = await raw.post("/v1/rewrites", json={"draft": "ok"}, headers={"x-request-id": "r-500"})
    assert response.status_code == 500
    assert response.headers["content-type"] == PROBLEM
    assert "secret internals" not in response.text
    assert response.json()["request_id"] == "r-500"
    assert response.headers["x-request-id"] == "r-500"


async def test_openapi_lists_every_route(client):
    paths = (await client.get("/openapi.json")).json()["paths"]
    for path in ["/v1/rewrites", "/v1/rewrites:batch", "/v1/rewrite/simple", "/v1/templates",
                 "/v1/templates/{name}", "/healthz", "/readyz"]:
        assert path in paths
    assert (await client.get("/docs")).status_code == 200
