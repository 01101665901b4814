"""Prometheus metrics, one registry per process, exposed at `GET /metrics`."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)


def _counter(name: str, text: str, labels: str) -> Counter:
    return Counter(name, text, labels.split(), registry=REGISTRY)


def _latency(name: str, text: str, labels: str) -> Histogram:
    return Histogram(name, text, labels.split(), buckets=_LATENCY_BUCKETS, registry=REGISTRY)


HTTP_REQUESTS = _counter(
    "rewriter_http_requests_total", "HTTP requests by route template, method and status", "route method status"
)
ABANDONED = Counter(
    "rewriter_http_abandoned_total", "Requests whose work stopped because the client disconnected before the answer",
    registry=REGISTRY,
)
HTTP_LATENCY = _latency("rewriter_http_request_duration_seconds", "HTTP request latency by route template", "route method")
UPSTREAM_LATENCY = _latency(
    "rewriter_upstream_request_duration_seconds", "Latency of one model call by model and outcome", "model outcome"
)
UPSTREAM_RETRIES = _counter(
    "rewriter_upstream_retries_total", "Retries of model calls after transient failures", "model reason"
)
UPSTREAM_ERRORS = _counter(
    "rewriter_upstream_errors_total",
    "Failed model calls by model and kind (rate_limited, server_error, timeout, connection, "
    "bad_request, auth, not_found, overloaded, bad_response, other)",
    "model kind",
)
FALLBACKS = _counter("rewriter_fallbacks_total", "Requests served by a fallback model", "from_model to_model")
TOKENS = _counter("rewriter_tokens_total", "Tokens used by model and kind (prompt/completion)", "model kind")
COST = _counter("rewriter_cost_usd_total", "Estimated upstream cost in US dollars by model", "model")
REWRITES = _counter("rewriter_rewrites_total", "Rewrites by template, model and outcome", "template model outcome")
GUARD_OUTCOMES = _counter(
    "rewriter_guard_outcomes_total",
    "Fact guard outcomes by status (passed, repaired, fallback, allowed, rejected)", "status",
)
GUARD_VIOLATIONS = _counter(
    "rewriter_guard_violations_total",
    "Fact guard violations by kind (lost, added, altered, placeholder, incomplete, injection, flipped) and fact",
    "kind fact",
)
KEY_REQUESTS = _counter(
    "rewriter_key_requests_total", "Requests to /v1 by API key name (`anonymous` without keys) and status", "key status"
)
RATE_LIMITED = _counter(
    "rewriter_rate_limited_total", "Requests rejected with 429 by key name and limit (rpm, concurrent)", "key limit"
)
RATE_LIMIT_ERRORS = _counter(
    "rewriter_rate_limit_errors_total", "Rate limiter failures (the request was let through) by backend", "backend"
)
FEEDBACK = _counter(
    "rewriter_feedback_total", "Feedback given on rewrites, by template@version, model and outcome",
    "template model outcome",
)
FEEDBACK_RECORDS = _counter(
    "rewriter_feedback_records_total",
    "Rewrites for the feedback store: written, failed (the store refused; logged) or dropped (the queue was full)",
    "result",
)
