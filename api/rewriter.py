"""The core rewriter: the one function the API, the CLI and the eval harness all call.

It resolves the template, renders the prompt (chat messages, or the completion form for base
models), asks the gateway for a completion and shapes the `RewriteResult`. No web imports here.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from . import metrics
from .errors import InvalidRequest, ModelNotAllowed
from .gateway import Completion, Gateway
from .schemas import Delta, RewriteRequest, RewriteResult, TemplateRef, UsageOut
from .settings import Settings
from .templates import RenderedPrompt, Template, TemplateRegistry


@dataclass(frozen=True)
class Prepared:
    """A validated request, ready for the gateway."""

    request: RewriteRequest
    template: Template
    context: dict[str, Any]
    params: dict[str, Any]
    model: str


class Rewriter:
    def __init__(self, settings: Settings, templates: TemplateRegistry, gateway: Gateway) -> None:
        self.settings = settings
        self.templates = templates
        self.gateway = gateway

    @classmethod
    def from_settings(cls, settings: Settings) -> "Rewriter":
        return cls(settings, TemplateRegistry.load(settings.prompts_dir), Gateway(settings))

    # --- preparation -----------------------------------------------------------------------

    def prepare(self, request: RewriteRequest) -> Prepared:
        """Validate against the settings and the template; raise a typed error naming the field."""
        if len(request.draft) > self.settings.max_draft_chars:
            raise InvalidRequest(
                f"draft: {len(request.draft)} characters is over the limit of "
                f"{self.settings.max_draft_chars}",
                field="draft",
            )
        if request.customer_message and len(request.customer_message) > self.settings.max_draft_chars:
            raise InvalidRequest(
                f"customer_message: {len(request.customer_message)} characters is over the limit "
                f"of {self.settings.max_draft_chars}",
                field="customer_message",
            )
        model = request.model or self.settings.model
        if request.model and not self.settings.is_model_allowed(request.model):
            raise ModelNotAllowed(
                f"model: {request.model!r} is not allowed here; allowed: "
                + ", ".join(self.settings.allowed_models or self.settings.models),
                field="model",
            )
        template = self.templates.get(
            request.template or self.settings.default_template, request.template_version
        )
        variables = template.resolve_variables(request.variables)
        context = {
            **variables,
            "draft": request.draft.strip(),
            "customer_message": (request.customer_message or "").strip(),
        }
        defaults = template.spec.parameters
        params = {
            "temperature": request.temperature if request.temperature is not None else defaults.temperature,
            "max_tokens": request.max_tokens if request.max_tokens is not None else defaults.max_tokens,
            "top_p": defaults.top_p,
        }
        return Prepared(request, template, context, params, model)

    def render(self, prepared: Prepared, model: str) -> RenderedPrompt:
        """The prompt for `model`: the completion form for base models when the template has one."""
        template = prepared.template
        if template.has_completion_form and self.settings.uses_completion_form(model):
            return template.render(prepared.context, form="completion")
        return template.render(prepared.context, form="chat")

    # --- rewriting -------------------------------------------------------------------------

    async def rewrite(self, request: RewriteRequest) -> RewriteResult:
        prepared = self.prepare(request)
        started = time.monotonic()
        try:
            completion = await self.gateway.complete(
                lambda model: self.render(prepared, model),
                prepared.params,
                model=prepared.model,
                deadline=started + self.settings.timeout_s,
            )
        except Exception:
            metrics.REWRITES.labels(prepared.template.ref, prepared.model, "error").inc()
            raise
        return self._result(prepared, completion, started)

    async def stream(self, request: RewriteRequest) -> AsyncIterator[Delta | RewriteResult]:
        """Yield `Delta`s as text arrives, then the `RewriteResult`. Validation errors raise
        before the first item, so a caller can still answer them with a plain error status."""
        prepared = self.prepare(request)
        return self._stream(prepared)

    async def _stream(self, prepared: Prepared) -> AsyncIterator[Delta | RewriteResult]:
        started = time.monotonic()
        try:
            async for item in self.gateway.stream(
                lambda model: self.render(prepared, model),
                prepared.params,
                model=prepared.model,
                deadline=started + self.settings.timeout_s,
            ):
                if isinstance(item, Completion):
                    yield self._result(prepared, item, started)
                else:
                    yield Delta(text=item)
        except Exception:
            metrics.REWRITES.labels(prepared.template.ref, prepared.model, "error").inc()
            raise

    def _result(self, prepared: Prepared, completion: Completion, started: float) -> RewriteResult:
        metrics.REWRITES.labels(prepared.template.ref, completion.model, "ok").inc()
        return RewriteResult(
            id=f"rw_{uuid.uuid4().hex}",
            rewrite=completion.text.strip(),
            template=TemplateRef(name=prepared.template.name, version=prepared.template.version),
            model=completion.model,
            usage=UsageOut(**completion.usage.as_dict()),
            cost_usd=completion.cost_usd,
            latency_ms=round((time.monotonic() - started) * 1000, 1),
            finish_reason=completion.finish_reason,
            attempts=completion.attempts,
            fallback_from=completion.fallback_from,
        )
