"""The failures the core can report, each a type a caller can catch precisely.

The HTTP layer maps them to RFC 9457 problems in one place (`api/problems.py`); the core never
imports web code. `status` is the HTTP status that fits the failure, `title` a stable short name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any


class RewriterError(Exception):
    """Base of every failure the rewriter reports on purpose."""

    status = 500
    title = "Internal error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class InvalidRequest(RewriterError):
    """The request itself is wrong (empty draft, too long, bad option)."""

    status = 422
    title = "Invalid request"


class TemplateError(InvalidRequest):
    """A template problem the caller can fix."""


class UnknownTemplate(TemplateError):
    title = "Unknown template"


class MissingVariables(TemplateError):
    title = "Missing template variables"


class UnknownVariables(TemplateError):
    title = "Unknown template variables"


class InvalidVariable(TemplateError):
    title = "Invalid template variable"


class ModelNotAllowed(InvalidRequest):
    title = "Model not allowed"


class RewriteRejected(InvalidRequest):
    """The rewrite lost or invented facts and the caller asked for an error, not a fallback."""

    title = "Rewrite rejected by the fact guard"


class NotFound(RewriterError):
    status = 404
    title = "Not found"


class Forbidden(RewriterError):
    status = 403
    title = "Forbidden"


class Conflict(RewriterError):
    status = 409
    title = "Conflict"


def field_errors(errors: Iterable[Mapping[str, Any]], *, whole: str = "body") -> list[dict[str, str]]:
    """Pydantic's errors as [{field, message}]: the location dotted (FastAPI's leading body, query,
    path or header dropped), "Value error, " dropped; `whole` names an error of the whole object."""
    out = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ())]
        if loc and loc[0] in {"body", "query", "path", "header"}:
            loc = loc[1:]
        message = str(err.get("msg", "invalid")).removeprefix("Value error, ")
        out.append({"field": ".".join(loc) or whole, "message": message})
    return out


def describe_fields(errors: Iterable[Mapping[str, Any]], *, whole: str = "body",
                    label: Callable[[str], str] = str) -> str:
    """The same as one line: "field: message; field: message"; `label` names a field the way
    the caller spells it (the CLI: "--var tone", "REWRITER_PORT")."""
    return "; ".join(f"{label(f['field'])}: {f['message']}" for f in field_errors(errors, whole=whole))


class TemplateLoadError(Exception):
    """A template file is broken; raised at start-up and stops it."""


class UpstreamError(RewriterError):
    """The model provider failed (after retries and fallbacks)."""

    status = 502
    title = "Upstream model failed"


class DeadlineExceeded(RewriterError):
    """The rewrite did not finish within the configured deadline."""

    status = 504
    title = "Deadline exceeded"


class Overloaded(RewriterError):
    """Too much work queued; the caller should retry later."""

    status = 503
    title = "Service overloaded"

    def __init__(self, detail: str, retry_after_s: int = 1, **extra: Any) -> None:
        super().__init__(detail, **extra)
        self.retry_after_s = retry_after_s

