"""Fuzz the HTTP API from its own OpenAPI schema with schemathesis: every operation in
`/openapi.json`, schema-valid and schema-invalid inputs, against the in-process app whose upstream
(respx) always answers a faithful rewrite. No 5xx, and every response (status code, content type,
headers, body) must match what the schema declares.

Each operation's test also checks, once all its cases ran, that the fuzzing was not all rejected
at the door: rewrites (plain and streamed) reached the model and succeeded, bad input got its
problem responses, batches went through. That check lives in the same test item (the `reached`
fixture), so it holds whatever `-k`, the order or the other tests do.

Bounded: at most MAX_EXAMPLES generated cases per operation and phase, no Hypothesis deadline
(the first rewrite pays for litellm's lazy imports). Derandomized: the same cases on every run, so
a failure reproduces as is. Schemathesis checks every response's content type against the
declared ones (errors: `application/problem+json` only) and its body against the schema, a
stream event by event. The web page and the API reference pages are HTML, left out of the schema,
so they are not fuzzed.
"""

from __future__ import annotations

import collections
import json

import httpx
import pytest
import respx
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode

from api.http.app import create_app
from api.http.keys import entry_for
from api.core.schemas import RewriteResult
from benchmarks.fake_upstream import _DRAFT  # the delimited draft in the rendered prompt

from .conftest import CHAT_URL, chat_json, make_settings, parse_sse, sse_body

MAX_EXAMPLES = 30

KEY = "fuzz-key-0123456789abcdef"  # with a key configured, every /v1 operation declares its security for real
# What the fuzzing of an operation must reach, at least once each: (status, media type).
MUST_REACH = {
    "POST /v1/rewrites": [(200, "application/json"), (200, "text/event-stream"), (422, "application/problem+json")],
    "POST /v1/rewrites:batch": [(200, "application/json")],
}
MODEL_OPERATIONS = set(MUST_REACH)  # their successes went through the (fake) model
app = create_app(make_settings(timeout_s=5.0, api_keys=[entry_for("fuzz", KEY)]))
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@schema.hook
def map_case(context, case):
    """Most schema-valid cases name things that do not exist (a random template, model or
    variables: a 422 at once). Three in four positive cases keep the fuzzed draft, message and
    options but name the default template and model, so the fuzzing also reaches the model, the
    guard and the streaming path. Negative cases are left alone."""
    if case.meta is None or case.meta.generation.mode is not GenerationMode.POSITIVE:
        return case
    if len(json.dumps([case.body, case.path_parameters], default=str)) % 4 == 0:
        return case
    operation = f"{case.method} {case.path}"
    if operation == "POST /v1/rewrites" and isinstance(case.body, dict):
        body = {**case.body, "template": None, "template_version": None, "model": None, "variables": {}}
        body.setdefault("stream", len(str(body.get("draft"))) % 2 == 0)  # hypothesis mostly omits it
        case.body = body
    elif operation == "POST /v1/rewrites:batch" and isinstance(case.body, dict):
        items = case.body.get("items") or []
        case.body = {"items": [{"draft": json.dumps(item)} for item in items[:4]]}
    elif operation == "GET /v1/templates/{name}":
        names = app.state.rewriter.templates.names()
        case.path_parameters = {"name": names[len(str(case.path_parameters.get("name"))) % len(names)]}
    return case


def faithful_rewrite(request: httpx.Request) -> httpx.Response:
    """An upstream that keeps every fact: an apology, then the (masked) draft word for word."""
    body = json.loads(request.content)
    prompt = "\n".join(str(m.get("content") or "") for m in body.get("messages") or [])
    found = _DRAFT.search(prompt)
    text = f"I'm sorry for the trouble. {found.group(1) if found else ''}".strip()
    if body.get("stream"):
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=sse_body([text]))
    return httpx.Response(200, json=chat_json(text))


@pytest.fixture(scope="module", autouse=True)
def upstream():
    with respx.mock(assert_all_called=False) as router:
        route = router.post(CHAT_URL).mock(side_effect=faithful_rewrite)
        yield route


class Reached:
    """What one operation's cases got back: counts by (status, media type)."""

    def __init__(self) -> None:
        self.seen: collections.Counter[tuple[int, str]] = collections.Counter()
        self.failed = False


@pytest.fixture
def reached(request, upstream):
    """Per test item, that is one operation and all its generated cases: set up before the first
    case, checked after the last one (unless a case already failed the test)."""
    operation = getattr(request.node, "operation_label", request.node.name)
    calls_before = upstream.call_count
    got = Reached()
    yield got
    print(f"\n{operation}: " + ", ".join(f"{status} {media} x{count}" for (status, media), count in sorted(got.seen.items())))
    if got.failed:
        return
    missing = [want for want in MUST_REACH.get(operation, []) if got.seen[want] == 0]
    assert not missing, f"{operation}: the fuzzing never got {missing}; it got {dict(got.seen)}"
    if operation in MODEL_OPERATIONS:
        assert upstream.call_count > calls_before, f"{operation}: the fuzzing never reached the model"


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True,
          database=None)
def test_api_conforms_to_its_schema(case, reached):
    try:
        check_case(case, reached)
    except BaseException:
        reached.failed = True
        raise


def check_case(case, reached: Reached) -> None:
    response = case.call_and_validate(
        headers={"Authorization": f"Bearer {KEY}"},
        # Valid by the schema yet refused with a 422 on purpose: an unknown template, variables
        # the template does not declare, a model not allowed, a blank draft, limits from the
        # settings. OpenAPI cannot express these rules, so "schema-valid means accepted" is not
        # a property of this API; the 422 itself is still checked against the schema.
        # And the other way round, pydantic's lax mode accepts what the schema does not promise to
        # (0 and 1 for a boolean, "0.5" for a number): lenient, never a wrong answer.
        excluded_checks=[schemathesis.checks.positive_data_acceptance, schemathesis.checks.negative_data_rejection],
    )
    media_type = (response.headers.get("content-type") or [""])[0].split(";")[0]  # schemathesis: lists
    reached.seen[(response.status_code, media_type)] += 1
    # The upstream never fails here, so even the documented 502/503/504 must not happen.
    assert response.status_code < 500, response.text
    if media_type == "text/event-stream":  # the schema cannot describe the events: check them here
        events = parse_sse(response.text)
        assert [name for name, _ in events[:-1]] == ["delta"] * (len(events) - 1), events
        assert events[-1][0] == "result", events
        RewriteResult.model_validate(events[-1][1])
