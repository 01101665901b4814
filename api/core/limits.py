"""Every size limit on a request, stated once. The hard caps bound what the settings may allow;
the settings hold each deployment's own values; `check_request` and `check_batch` apply them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .errors import InvalidRequest

if TYPE_CHECKING:
    from .schemas import RewriteRequest
    from .settings import Settings

MAX_VARIABLES = 50  # template variables in one request
MAX_VARIABLE_NAME = 64  # characters of a variable's name
MAX_VARIABLE_CHARS = 2000  # characters of one variable's value
MAX_TOKENS = 8192  # a request's max_tokens
MAX_TEMPERATURE = 2.0
# An HTML or Markdown draft may be this many times the draft limit as written (mail HTML is mostly
# markup and styles); its visible text, what the model reads, is held to the draft limit itself.
MARKUP_FACTOR = 8


def check_request(request: "RewriteRequest", settings: "Settings") -> None:
    """The deployment's limits on one request; `InvalidRequest` naming the field."""
    for name in ("draft", "customer_message"):
        value = getattr(request, name) or ""
        limit = settings.max_draft_chars * (MARKUP_FACTOR if name == "draft" and request.format != "text" else 1)
        if len(value) > limit:
            raise InvalidRequest(f"{name}: {len(value)} characters is over the limit of {limit}", field=name)
    if len(request.variables) > settings.max_variables:
        raise InvalidRequest(
            f"variables: {len(request.variables)} variables is over the limit of {settings.max_variables}",
            field="variables",
        )
    for name, value in request.variables.items():
        if isinstance(value, str) and len(value) > settings.max_variable_chars:
            raise InvalidRequest(
                f"variables.{name}: {len(value)} characters is over the limit of {settings.max_variable_chars}",
                field=f"variables.{name}",
            )


def check_visible(text: str, format: str, settings: "Settings") -> None:
    """An HTML or Markdown draft's visible text is held to the draft limit."""
    if len(text) > settings.max_draft_chars:
        raise InvalidRequest(
            f"draft: its {format} has {len(text)} characters of text, over the limit of {settings.max_draft_chars}",
            field="draft",
        )


def check_batch(items: int, settings: "Settings") -> None:
    if not items:
        raise InvalidRequest("items: at least one item is required", field="items")
    if items > settings.max_batch_items:
        raise InvalidRequest(f"items: {items} items is over the limit of {settings.max_batch_items}", field="items")
