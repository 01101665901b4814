"""Prometheus metrics, one registry per process, exposed at `GET /metrics`."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram

REGISTRY = CollectorRegistry(auto_describe=True)

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120)

HTTP_REQUESTS = Counter(
    "rewriter_http_requests_total", "HTTP requests by route template, method and status",
    ["route", "method", "status"], registry=REGISTRY,
)
HTTP_LATENCY = Histogram(
    "rewriter_http_request_duration_seconds", "HTTP request latency by route template",
    ["route", "method"], buckets=_LATENCY_BUCKETS, registry=REGISTRY,
)
UPSTREAM_LATENCY = Histogram(
    "rewriter_upstream_request_duration_seconds", "Latency of one model call by model and outcome",
    ["model", "outcome"], buckets=_LATENCY_BUCKETS, registry=REGISTRY,
)
UPSTREAM_RETRIES = Counter(
    "rewriter_upstream_retries_total", "Retries of model calls after transient failures",
    ["model", "reason"], registry=REGISTRY,
)
FALLBACKS = Counter(
    "rewriter_fallbacks_total", "Requests served by a fallback model",
    ["from_model", "to_model"], registry=REGISTRY,
)
TOKENS = Counter(
    "rewriter_tokens_total", "Tokens used by model and kind (prompt/completion)",
    ["model", "kind"], registry=REGISTRY,
)
COST = Counter(
    "rewriter_cost_usd_total", "Estimated upstream cost in US dollars by model",
    ["model"], registry=REGISTRY,
)
REWRITES = Counter(
    "rewriter_rewrites_total", "Rewrites by template, model and outcome",
    ["template", "model", "outcome"], registry=REGISTRY,
)
GUARD_OUTCOMES = Counter(
    "rewriter_guard_outcomes_total", "Fact guard outcomes by status (passed, repaired, fallback, allowed, rejected)",
    ["status"], registry=REGISTRY,
)
GUARD_VIOLATIONS = Counter(
    "rewriter_guard_violations_total", "Fact guard violations by kind (lost, added, altered, placeholder, incomplete, injection, flipped) and fact",
    ["kind", "fact"], registry=REGISTRY,
)
KEY_REQUESTS = Counter(
    "rewriter_key_requests_total", "Requests to /v1 by API key name (`anonymous` without keys) and status",
    ["key", "status"], registry=REGISTRY,
)
RATE_LIMITED = Counter(
    "rewriter_rate_limited_total", "Requests rejected with 429 by key name and limit (rpm, concurrent)",
    ["key", "limit"], registry=REGISTRY,
)
RATE_LIMIT_ERRORS = Counter(
    "rewriter_rate_limit_errors_total", "Rate limiter failures (the request was let through) by backend",
    ["backend"], registry=REGISTRY,
)
UPSTREAM_ERRORS = Counter(
    "rewriter_upstream_errors_total",
    "Failed model calls by model and kind (rate_limited, server_error, timeout, connection, "
    "bad_request, auth, not_found, overloaded, other)",
    ["model", "kind"], registry=REGISTRY,
)
