"""The OpenAPI document, said the way the service answers: FastAPI's generated schema, then in
one place what it cannot say by itself.

- Every error is `application/problem+json` with the `Problem` schema (FastAPI would also list
  the route's own media type), with an example of each status (`/readyz`'s 503 excepted: it is
  the readiness report); FastAPI's default 422 with its
  `HTTPValidationError` goes, since our 422 is a problem too (and a route with no body and no
  query cannot answer 422 at all).
- Each request and response has a realistic example (the README's), the stream is a described
  `text/event-stream`, and `/metrics` is Prometheus text.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from api.guard.diff import word_diff

from .problems import PROBLEM_JSON

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_REQUEST_ID = "6f1c0b7e9a2d4c5e8f3a1b2c3d4e5f60"

DRAFT = "Your refund for order #4821 was rejected because the item was used. Nothing we can do."
OPENING = "I'm sorry, I know this isn't the answer you hoped for. "
REWRITE = (f"{OPENING}Your refund for order #4821 was rejected because the item was used, so I can't "
           "process it. If anything is unclear, just reply here.")

REWRITE_REQUEST = {
    "draft": DRAFT,
    "customer_message": "I sent the blender back two weeks ago and still have no refund!",
    "template": "empathetic",
    "variables": {"customer_name": "Ana"},
}

def _result(draft: str, rewrite: str, facts: list[dict[str, str]], template: dict[str, Any] | None = None,
            **changes: Any) -> dict[str, Any]:
    """A result as the service answers it, its diff computed from the draft and the rewrite."""
    return {
        "id": "rw_5f0c2a9e41d84b7f",
        "rewrite": rewrite,
        "template": template or {"name": "empathetic", "version": 3},
        "model": "openai/gpt-4o-mini",
        "usage": {"prompt_tokens": 412, "completion_tokens": 61, "total_tokens": 473},
        "cost_usd": 0.0000984,
        "latency_ms": 812.4,
        "finish_reason": "stop",
        "attempts": 1,
        "fallback_from": None,
        "guard": {"status": "passed", "facts": facts, "violations": [], "warnings": [], "rejected_rewrite": None},
        "diff": word_diff(draft, rewrite),
        "pii_masked": None,
        "format": "text",
        "language": "en",
        **changes,
    }


REWRITE_RESULT = _result(DRAFT, REWRITE, [{"kind": "id", "value": "#4821"}])


def _formatted(draft: str, fmt: str, model_output: str) -> str:
    """What the service answers for `draft` when the model writes `model_output` (its tokens
    numbered as the model saw them): the example is the code's own rendering."""
    from api import formats
    from api.guard import mask

    document = formats.parse(draft, fmt)  # type: ignore[arg-type]
    return formats.render(document, model_output, mask(document.text, atoms=document.atoms))


HTML_DRAFT = (
    '<div dir="ltr"><div>Your refund of <b>$42.00</b> for order #4821 is approved. Track it '
    '<a href="https://help.example.com/refunds?o=4821">here</a>.</div><div><br></div>'
    '<div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Mon, 3 Mar 2026 at 10:02, Ana wrote:<br></div>'
    '<blockquote class="gmail_quote">Where is my refund?</blockquote></div></div>'
)
HTML_REWRITE = _formatted(HTML_DRAFT, "html", "Thanks for your patience, and sorry for the wait. Your refund of "
                          "{{PH1}} for order #4821 is approved; you can track it {{PH2}}.")
MARKDOWN_DRAFT = ("Refund of **$42.00** for order #4821 approved. Track it [here](https://help.example.com/refunds)."
                  "\n\nRun `sync --all` in the app if it does not show.")
MARKDOWN_REWRITE = _formatted(MARKDOWN_DRAFT, "markdown", "Thanks for your patience! Your refund of {{PH1}} for "
                              "order #4821 is approved, and you can track it {{PH2}}.\n\nIf it does not show "
                              "yet, run {{PH3}} in the app.")

STREAM_EXAMPLE = (
    'event: delta\ndata: {"text": "I\'m sorry, I know this isn\'t the answer you hoped for."}\n\n'
    'event: delta\ndata: {"text": " Your refund for order #4821 was rejected because the item was used, '
    'so I can\'t process it."}\n\n'
    'event: result\ndata: {"id": "rw_5f0c2a9e41d84b7f", "rewrite": "...", "guard": {"status": "passed", ...}, ...}\n\n'
)

BATCH_REQUEST = {
    "items": [{"draft": "Order #1 shipped."}, {"draft": ""}, {"draft": "Refund sent.", "template": "concise"}],
}


def _problem(status: int, title: str, detail: str, **extra: Any) -> dict[str, Any]:
    return {"type": "about:blank", "title": title, "status": status, "detail": detail,
            "request_id": _REQUEST_ID, **extra}


BATCH_RESULT = {
    "results": [
        _result("Order #1 shipped.", "Good news: order #1 shipped.", [{"kind": "id", "value": "#1"}],
                usage={"prompt_tokens": 301, "completion_tokens": 9, "total_tokens": 310}, cost_usd=0.0000506),
        _problem(422, "Invalid request", "draft: must not be empty or whitespace only", index=1,
                 errors=[{"field": "draft", "message": "must not be empty or whitespace only"}]),
        _result("Refund sent.", "Thanks for your patience: your refund has been sent.", [],
                template={"name": "concise", "version": 1},
                usage={"prompt_tokens": 288, "completion_tokens": 12, "total_tokens": 300}, cost_usd=0.0000504),
    ],
}

PROBLEM_EXAMPLES: dict[str, dict[str, Any]] = {
    "400": _problem(400, "Malformed body", "the body is not valid JSON: expecting value at character 9"),
    "401": _problem(401, "Unauthorized",
                    "an API key is required: send `Authorization: Bearer <key>` or `X-API-Key`"),
    "404": _problem(404, "Not found",
                    "unknown template 'chummy'; available: concise, deescalate, empathetic, formal, friendly"),
    "413": _problem(413, "Request body too large", "request body is over the limit of 65536 bytes"),
    "415": _problem(415, "Unsupported media type",
                    "send the draft as text/plain, text/markdown or text/html, not application/json"),
    "422": _problem(422, "Invalid template variable",
                    "variables.tone: not allowed here; use up to 40 letters, spaces, commas and hyphens, "
                    "starting with a letter (for example: calm, upbeat) (template empathetic@v3)",
                    field="variables.tone", variables=["tone"]),
    "429": _problem(429, "Too many requests",
                    "rate limit for helpdesk: over 60 requests per minute; retry after 12 s", limit="rpm"),
    "502": _problem(502, "Upstream model failed",
                    "the model provider failed after retries and fallbacks: openai/gpt-4o-mini: HTTP 500: "
                    "server error (retried) | openai/gpt-4o-mini: HTTP 500: server error",
                    failures=["openai/gpt-4o-mini: HTTP 500: server error (retried)",
                              "openai/gpt-4o-mini: HTTP 500: server error"]),
    "503": _problem(503, "Service overloaded",
                    "local/gemma3-270m: the local model is busy (8 requests in progress or queued)"),
    "504": _problem(504, "Deadline exceeded", "no answer within 30 s"),
    "403": _problem(403, "Forbidden", "rewrite rw_3f1c0b7e9a2d4c55b8e61f0a7d93c2e4 was made with another API key; "
                    "only that key may give its feedback"),
    "409": _problem(409, "Conflict", "rewrite rw_3f1c0b7e9a2d4c55b8e61f0a7d93c2e4 is older than the 30 days "
                    "feedback is kept; it is deleted at the next purge"),
}
_NO_REWRITE = _problem(404, "Not found", "no rewrite rw_3f1c0b7e9a2d4c55b8e61f0a7d93c2e4 here: unknown, deleted, "
                       "or older than the 30 days feedback is kept")
# A route whose problem of some status reads differently from the one above.
ROUTE_PROBLEM_EXAMPLES: dict[tuple[str, str], dict[str, Any]] = {
    ("post /v1/rewrites/{rewrite_id}/feedback", "404"): _NO_REWRITE,
    ("delete /v1/rewrites/{rewrite_id}", "404"): _NO_REWRITE,
    ("get /v1/feedback/summary", "404"): _problem(
        404, "Not found", "feedback is off on this service (REWRITER_FEEDBACK=true turns it on)"),
    **{(route, "503"): _problem(503, "Feedback store unavailable",
                                "the feedback store did not answer: OperationalError: connection refused")
       for route in ("post /v1/rewrites/{rewrite_id}/feedback", "delete /v1/rewrites/{rewrite_id}",
                     "get /v1/feedback/summary")},
    ("get /v1/feedback/summary", "422"): _problem(
        422, "Invalid request", "since: use a span like 7d, 24h or 90m, or an ISO 8601 date like 2026-11-01",
        field="since"),
}

FEEDBACK_REQUEST = {"outcome": "edited", "rating": 4,
                    "sent_text": REWRITE.replace("If anything is unclear, just reply here.",
                                                 "If you'd like, I can look into a repair instead; just reply here.")}
FEEDBACK_RESULT = {"id": "rw_3f1c0b7e9a2d4c55b8e61f0a7d93c2e4", "outcome": "edited", "revision": 1,
                   "edit_distance": 35, "edit_ratio": 0.1659}
FEEDBACK_SUMMARY = {
    "since": "2026-11-24T09:00:00Z", "until": "2026-12-01T09:00:00Z",
    "groups": [
        {"template": "empathetic@2", "model": "openai/gpt-4o-mini", "rewrites": 1180, "with_feedback": 1052,
         "share": {"sent": 0.61, "edited": 0.31, "discarded": 0.08}, "median_edit_distance": 23.0,
         "median_edit_ratio": 0.11, "mean_rating": 4.1, "guard": {"fallback": 9, "passed": 1139, "repaired": 32}},
        {"template": "empathetic@3", "model": "openai/gpt-4o-mini", "rewrites": 131, "with_feedback": 117,
         "share": {"sent": 0.7094, "edited": 0.2393, "discarded": 0.0513}, "median_edit_distance": 14.0,
         "median_edit_ratio": 0.07, "mean_rating": 4.3, "guard": {"passed": 128, "repaired": 3}},
    ],
    "experiments": [{
        "template": "empathetic", "model": "openai/gpt-4o-mini",
        "test": "Newcombe's hybrid score interval (method 10) for the difference of two independent proportions, 95%",
        "arms": [
            {"template": "empathetic@2", "with_feedback": 1052, "sent": 642, "share_sent": 0.6103,
             "interval": {"low": 0.5804, "high": 0.6393}},
            {"template": "empathetic@3", "with_feedback": 117, "sent": 83, "share_sent": 0.7094,
             "interval": {"low": 0.6215, "high": 0.784}},
        ],
        "comparisons": [{"template": "empathetic@3", "baseline": "empathetic@2", "difference": 0.0991,
                         "interval": {"low": 0.0066, "high": 0.1794}, "conclusive": True}],
    }],
}

TEMPLATE_VERSION = {
    "name": "concise", "version": 1, "ref": "concise@v1",
    "description": "A short, kind rewrite for chat and SMS; acknowledges the customer in a few words, keeps every fact.",
    "variables": {
        "tone": {"description": "An extra tone hint: warm, calm, upbeat, ...", "required": False, "default": "kind",
                 "pattern": "[A-Za-z][A-Za-z ,-]{0,39}",
                 "allowed": "up to 40 letters, spaces, commas and hyphens, starting with a letter (for example: calm, upbeat)"},
    },
    "parameters": {"temperature": 0.2, "max_tokens": 200},
    "forms": ["chat", "completion"],
    "sha256": "b78e5bfce394965fb89f87508d2c75ff80e4c2c9932d1bf40ab5bfdffb3514dc",
}
TEMPLATE_SUMMARY = {"name": "concise", "latest_version": 1, "description": TEMPLATE_VERSION["description"],
                    "versions": [TEMPLATE_VERSION]}
TEMPLATE_LIST = {"default": "empathetic", "templates": [TEMPLATE_SUMMARY]}

READY = {"status": "ready", "model": "local/gemma3-270m",
         "checks": {"templates": True, "model": True, "local_model_loaded": True}}
NOT_READY = {"status": "not ready", "model": "local/gemma3-270m",
             "checks": {"templates": True, "model": True, "local_model_loaded": False}}

# Success examples by (method path, status, media type).
EXAMPLES: dict[tuple[str, str, str], Any] = {
    ("post /v1/rewrites", "200", "application/json"): REWRITE_RESULT,
    ("post /v1/rewrites", "200", "text/event-stream"): STREAM_EXAMPLE,
    ("post /v1/rewrites:batch", "200", "application/json"): BATCH_RESULT,
    ("post /v1/rewrite/simple", "200", "text/plain"): REWRITE + "\n",
    ("post /v1/rewrites/{rewrite_id}/feedback", "200", "application/json"): FEEDBACK_RESULT,
    ("get /v1/feedback/summary", "200", "application/json"): FEEDBACK_SUMMARY,
    ("get /v1/templates", "200", "application/json"): TEMPLATE_LIST,
    ("get /v1/templates/{name}", "200", "application/json"): TEMPLATE_SUMMARY,
    ("get /healthz", "200", "application/json"): {"status": "ok"},
    ("get /readyz", "200", "application/json"): READY,
    ("get /readyz", "503", "application/json"): NOT_READY,
    ("get /metrics", "200", "text/plain"): (
        "# HELP rewriter_requests_total Rewrite requests by outcome\n"
        '# TYPE rewriter_requests_total counter\nrewriter_requests_total{outcome="passed"} 42.0\n'
    ),
}
EXAMPLES[("post /v1/rewrite/simple", "200", "text/html")] = HTML_REWRITE + "\n"
EXAMPLES[("post /v1/rewrite/simple", "200", "text/markdown")] = MARKDOWN_REWRITE + "\n"
# Request examples by method path, or by (method path, media type).
REQUEST_EXAMPLES: dict[str | tuple[str, str], Any] = {
    "post /v1/rewrites": REWRITE_REQUEST,
    "post /v1/rewrites:batch": BATCH_REQUEST,
    "post /v1/rewrite/simple": DRAFT,
    ("post /v1/rewrite/simple", "text/html"): HTML_DRAFT,
    ("post /v1/rewrite/simple", "text/markdown"): MARKDOWN_DRAFT,
    "post /v1/rewrites/{rewrite_id}/feedback": FEEDBACK_REQUEST,
}


def install(app: FastAPI) -> None:
    """Amend what FastAPI's own `app.openapi` generates (its arguments, servers and root path
    included), once per document it builds."""
    generate = app.openapi
    amended: list[dict[str, Any]] = []  # the document last amended (held, so it is told apart by identity)

    def openapi() -> dict[str, Any]:
        schema = generate()
        if not amended or amended[0] is not schema:
            amend(schema)
            amended[:] = [schema]
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def amend(schema: dict[str, Any]) -> dict[str, Any]:
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            where = f"{method} {path}"
            responses = operation["responses"]
            for status in list(responses):
                response = responses[status]
                if _is_fastapi_default_422(response):
                    del responses[status]
                    continue
                if int(status) >= 400 and _is_problem(response):
                    response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_REF}}
                    example = ROUTE_PROBLEM_EXAMPLES.get((where, status), PROBLEM_EXAMPLES.get(status))
                    if example is not None:
                        response["content"][PROBLEM_JSON]["example"] = example
                for media, body in (response.get("content") or {}).items():
                    if (where, status, media) in EXAMPLES:
                        body["example"] = EXAMPLES[(where, status, media)]
            for media, body in (operation.get("requestBody", {}).get("content") or {}).items():
                example = REQUEST_EXAMPLES.get((where, media), REQUEST_EXAMPLES.get(where))
                if example is not None:
                    body["example"] = example
    for unused in ("HTTPValidationError", "ValidationError"):
        schema.get("components", {}).get("schemas", {}).pop(unused, None)
    return schema


def _is_problem(response: dict[str, Any]) -> bool:
    """An error response declared with the Problem model, or with no body schema at all."""
    schemas = [body.get("schema", {}) for body in (response.get("content") or {}).values()]
    return not any(schemas) or any(s.get("$ref", "").endswith("/Problem") for s in schemas)


def _is_fastapi_default_422(response: dict[str, Any]) -> bool:
    for body in (response.get("content") or {}).values():
        if body.get("schema", {}).get("$ref", "").endswith("/HTTPValidationError"):
            return True
    return False
