"""The API's reference: `/openapi.json` says what the service answers (problem+json errors with
their schema, examples, the stream's events, `/metrics`), and `/docs` and `/redoc` render it in
a browser with no network, from files the service serves itself under a CSP.

Conformance of real responses to the document is checked by tests/test_fuzz.py (schemathesis).
"""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from api.core.schemas import (
    BatchRequest, BatchResult, Health, Problem, Readiness, RewriteRequest, RewriteResult, TemplateList,
    TemplateSummary,
)
from api.feedback.schemas import FeedbackIn, FeedbackOut, Summary
from api.http import openapi
from api.http.problems import PROBLEM_JSON
from tests.test_web_page import Service, browser, new_page  # noqa: F401 - the browser fixture

# Each example the document shows, and the model it must be an instance of.
EXAMPLE_MODELS: list[tuple[object, type[BaseModel]]] = [
    (openapi.REWRITE_REQUEST, RewriteRequest),
    (openapi.REWRITE_RESULT, RewriteResult),
    (openapi.BATCH_REQUEST, BatchRequest),
    (openapi.BATCH_RESULT, BatchResult),
    (openapi.TEMPLATE_LIST, TemplateList),
    (openapi.TEMPLATE_SUMMARY, TemplateSummary),
    (openapi.READY, Readiness),
    (openapi.NOT_READY, Readiness),
    ({"status": "ok"}, Health),
    *[(example, Problem) for example in openapi.PROBLEM_EXAMPLES.values()],
    *[(example, Problem) for example in openapi.ROUTE_PROBLEM_EXAMPLES.values()],
    (openapi.FEEDBACK_REQUEST, FeedbackIn),
    (openapi.FEEDBACK_RESULT, FeedbackOut),
    (openapi.FEEDBACK_SUMMARY, Summary),
]


@pytest.mark.parametrize("example, model", EXAMPLE_MODELS, ids=lambda x: getattr(x, "__name__", ""))
def test_every_example_is_an_instance_of_its_model(example, model):
    model.model_validate(example)


async def test_errors_are_problem_json_with_the_problem_schema(client):
    document = (await client.get("/openapi.json")).json()
    problem = document["components"]["schemas"]["Problem"]["properties"]
    for extra in ("errors", "index", "limit", "violations", "field", "failures", "request_id"):
        assert extra in problem, extra
    assert "HTTPValidationError" not in document["components"]["schemas"]
    seen = 0
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if int(status) < 400 or path == "/readyz":
                    continue
                seen += 1
                assert list(response["content"]) == [PROBLEM_JSON], (method, path, status)
                body = response["content"][PROBLEM_JSON]
                assert body["schema"] == {"$ref": "#/components/schemas/Problem"}
                assert body["example"]["status"] == int(status), (method, path, status)
    assert seen > 20
    # A template's name is a plain path segment: nothing about it can be a 422.
    assert "422" not in document["paths"]["/v1/templates/{name}"]["get"]["responses"]
    ready = document["paths"]["/readyz"]["get"]["responses"]["503"]["content"]["application/json"]
    assert ready["schema"] == {"$ref": "#/components/schemas/Readiness"} and ready["example"]["status"] == "not ready"


async def test_every_request_and_success_has_an_example(client):
    document = (await client.get("/openapi.json")).json()
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for media, body in operation.get("requestBody", {}).get("content", {}).items():
                assert "example" in body, (method, path, media)
            for status, response in operation["responses"].items():
                for media, body in response.get("content", {}).items():
                    assert "example" in body, (method, path, status, media)
    batch = document["components"]["schemas"]["BatchRequest"]["properties"]["items"]
    assert batch["items"] == {"$ref": "#/components/schemas/RewriteRequest"}
    stream = document["paths"]["/v1/rewrites"]["post"]["responses"]["200"]["content"]["text/event-stream"]
    assert stream["schema"]["properties"]["event"]["enum"] == ["delta", "result", "error"]
    assert "delta" in document["paths"]["/v1/rewrites"]["post"]["responses"]["200"]["description"]
    metrics = document["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
    assert list(metrics) == ["text/plain"]


def test_the_example_diffs_rebuild_their_drafts_and_rewrites():
    pairs = [(openapi.REWRITE_REQUEST["draft"], openapi.REWRITE_RESULT)]
    pairs += [(item["draft"], result) for item, result in zip(openapi.BATCH_REQUEST["items"],
                                                                openapi.BATCH_RESULT["results"]) if "rewrite" in result]
    assert len(pairs) == 3
    for draft, result in pairs:
        diff = result["diff"]
        assert "".join(o["text"] for o in diff if o["op"] != "insert") == draft
        assert "".join(o["text"] for o in diff if o["op"] != "delete") == result["rewrite"]


async def test_the_document_keeps_fastapis_servers_behind_a_path_prefix():
    """Behind a proxy that strips /rewriter, "Try it out" must call /rewriter/v1/...: FastAPI puts
    the root path in `servers`, and the amended document keeps it."""
    import httpx

    from api.http.app import create_app
    from tests.conftest import make_settings

    app = create_app(make_settings())
    transport = httpx.ASGITransport(app=app, root_path="/rewriter")
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        document = (await client.get("/rewriter/openapi.json")).json()
    assert document["servers"] == [{"url": "/rewriter"}]
    assert list(document["paths"]["/v1/templates"]["get"]["responses"]["401"]["content"]) == [PROBLEM_JSON]


# Last in the module: the sync browser keeps an event loop running that async tests after it would meet.
@pytest.mark.parametrize("path, rendered", [
    ("/docs", ".opblock-summary-path"),  # Swagger UI's operation rows
    ("/redoc", "[role=menuitem], li[data-item-id]"),  # ReDoc's side menu
])
def test_the_reference_pages_render_with_no_network(browser, path, rendered):  # noqa: F811
    """Every request the page makes stays on the service; the scripts run under the page's CSP."""
    with Service() as service:
        page = new_page(browser)
        elsewhere: list[str] = []
        page.on("request", lambda r: r.url.startswith(service.url) or r.url.startswith(("data:", "blob:"))
                or elsewhere.append(r.url))
        # Anything that would leave the machine is cut, as it would be offline.
        page.context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(service.url)
                           else route.abort())
        response = page.goto(service.url + path.lstrip("/"))
        assert "script-src 'self'" in response.headers["content-security-policy"]
        assert "unsafe-eval" not in response.headers["content-security-policy"]
        page.wait_for_selector(rendered)
        text = page.inner_text("body")
        assert "/v1/rewrites" in text and "Reply Rewriter" in text
        assert not [e for e in page.errors if "cdn.redoc.ly" not in e], page.errors
        # ReDoc's footer logo is the one thing it fetches from elsewhere; the CSP blocks it.
        assert all("cdn.redoc.ly" in url for url in elsewhere), elsewhere
        page.context.close()
