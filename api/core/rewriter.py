"""The core rewriter: the one function the API, the CLI and the eval harness all call.

It resolves the template, masks the draft's placeholders, renders the prompt (chat messages, or
the completion form for base models), asks the gateway for a completion, unmasks it and runs the
fact guard (with its output check). A rewrite that lost or invented facts, or that leaks the
template's instructions or carries markup, gets one repair attempt; if that fails too the
caller's `on_violation` decides: the original draft (fallback), an error, or the rewrite as is
(allow). No web imports here.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

from api.guard import facts as factlib
from api import guard
from . import metrics
from . import wrap
from .errors import (
    DeadlineExceeded, InvalidRequest, ModelNotAllowed, Overloaded, RewriteRejected, RewriterError, UpstreamError,
)
from api.guard.facts import Fact
from api.models.gateway import Completion, Gateway, Usage
from .schemas import Delta, GuardOut, RewriteRequest, RewriteResult, TemplateRef, UsageOut
from .settings import Settings
from .templates import RenderedPrompt, Template, TemplateRegistry

REPAIR_INSTRUCTION = (
    "Your rewrite did not keep the facts of the draft: {problems}. Write the rewrite again. "
    "Keep every fact of the draft exactly as written (numbers, amounts, dates, links, codes and "
    "placeholders like {{{{...}}}}), add no facts, amounts, links or promises that the draft does "
    "not have, and answer with the rewritten reply only."
)


@dataclass(frozen=True)
class Prepared:
    """A validated request, ready for the gateway."""

    request: RewriteRequest
    template: Template
    context: dict[str, Any]
    params: dict[str, Any]
    model: str
    masked: guard.Masked
    mode: str = "free"  # or "wrap" (api/wrap.py)


@dataclass
class Outcome:
    """What the guard made of a generation, with everything spent to get there."""

    text: str
    verdict: guard.Verdict
    status: str
    completion: Completion
    usage: Usage
    cost_usd: float | None
    attempts: int
    rejected: str | None = None


class Rewriter:
    def __init__(self, settings: Settings, templates: TemplateRegistry, gateway: Gateway) -> None:
        self.settings = settings
        self.templates = templates
        self.gateway = gateway
        self._example_facts: dict[str, list[Fact]] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> "Rewriter":
        return cls(settings, TemplateRegistry.load(settings.prompts_dir), Gateway(settings))

    # --- preparation -----------------------------------------------------------------------

    def prepare(self, request: RewriteRequest) -> Prepared:
        """Validate against the settings and the template; raise a typed error naming the field."""
        for name in ("draft", "customer_message"):
            value = getattr(request, name) or ""
            if len(value) > self.settings.max_draft_chars:
                raise InvalidRequest(
                    f"{name}: {len(value)} characters is over the limit of {self.settings.max_draft_chars}",
                    field=name,
                )
        self._check_variables(request.variables)
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
        pii = self.settings.mask_pii if request.mask_pii is None else request.mask_pii
        masked = guard.mask(
            request.draft.strip(), pii=pii, customer_message=(request.customer_message or "").strip()
        )
        context = {**variables, "draft": masked.text, "customer_message": masked.customer_message}
        wrappable = template.has_wrap_form and self.settings.uses_completion_form(model)
        if request.mode == "wrap" and not wrappable:
            raise InvalidRequest(
                f"mode: wrap needs a template with a wrap form ({template.ref} has "
                f"{'one' if template.has_wrap_form else 'none'}) and a base model prompted in completion "
                f"form (REWRITER_COMPLETION_MODELS; {model} is not)",
                field="mode",
            )
        # By default only the embedded model wraps: other base models may rewrite well enough.
        mode = request.mode or ("wrap" if wrappable and model.startswith("local/") else "free")
        defaults = template.spec.parameters
        params = {
            "temperature": request.temperature if request.temperature is not None else defaults.temperature,
            "max_tokens": request.max_tokens if request.max_tokens is not None else defaults.max_tokens,
            "top_p": defaults.top_p,
        }
        return Prepared(request, template, context, params, model, masked, mode)

    def _check_variables(self, variables: dict) -> None:
        limit = self.settings.max_variables
        if len(variables) > limit:
            raise InvalidRequest(
                f"variables: {len(variables)} variables is over the limit of {limit}", field="variables"
            )
        for name, value in variables.items():
            if isinstance(value, str) and len(value) > self.settings.max_variable_chars:
                raise InvalidRequest(
                    f"variables.{name}: {len(value)} characters is over the limit of "
                    f"{self.settings.max_variable_chars}",
                    field=f"variables.{name}",
                )

    def render(self, prepared: Prepared, model: str) -> RenderedPrompt:
        """The prompt for `model`: the completion form for base models when the template has one."""
        template = prepared.template
        if template.has_completion_form and self.settings.uses_completion_form(model):
            return template.render(prepared.context, form="completion")
        return template.render(prepared.context, form="chat")

    def sample_prompt(self) -> RenderedPrompt | None:
        """The default template's prompt for the default model on a one-line draft (in wrap mode,
        the opening's prompt), or None when the template cannot render without the caller's
        variables. A local model generates a
        token from it at start-up, which leaves the prompt's shared prefix in its cache."""
        try:
            prepared = self.prepare(RewriteRequest(draft="Your order has shipped."))
        except RewriterError:
            return None
        if prepared.mode == "wrap":
            return prepared.template.render_opening(prepared.context)[0]
        return self.render(prepared, self.settings.model)

    def example_facts(self, template: Template) -> list[Fact]:
        """The protected facts of a template's own text (its worked examples and instructions,
        rendered without a draft): a small model copies them into unrelated replies, and the
        guard names such a fact as copied. Computed once per template."""
        facts = self._example_facts.get(template.ref)
        if facts is None:
            context = {name: spec.default or "" for name, spec in template.spec.variables.items()}
            context.update(draft="", customer_message="")
            texts = [m["content"] for m in template.render(context, form="chat").messages]
            if template.has_completion_form:
                texts += [m["content"] for m in template.render(context, form="completion").messages]
            # Bare numbers ("1." of a numbered instruction) are too common to call copied.
            facts = [f for f in factlib.extract("\n".join(texts)) if f.kind != "number"]
            self._example_facts[template.ref] = facts
        return facts

    @staticmethod
    def instructions(prepared: Prepared) -> tuple[str, ...]:
        """The template's own instructions, which no rewrite may repeat (the guard's output check):
        its system messages, the opening paragraph of its completion form, the repair message."""
        template = prepared.template
        chat = template.render(prepared.context, form="chat").messages
        texts = [message["content"] for message in chat if message["role"] == "system"]
        if template.has_completion_form:
            prompt = template.render(prepared.context, form="completion").messages[0]["content"]
            texts.append(prompt.split("\n\n", 1)[0])
        return (*texts, REPAIR_INSTRUCTION)

    # --- rewriting -------------------------------------------------------------------------

    async def rewrite(self, request: RewriteRequest) -> RewriteResult:
        prepared = self.prepare(request)
        started = time.monotonic()
        return self._result(prepared, await self._attempt(prepared, started), started)

    async def _attempt(self, prepared: Prepared, started: float) -> Outcome:
        """Generate (not streamed), unmask, judge (repairing or falling back as needed)."""
        try:
            completion = await self._complete(prepared, started)
            text, invented = prepared.masked.unmask(completion.text.strip())
            return await self._judge(prepared, completion, text, invented, started)
        except Exception:
            metrics.REWRITES.labels(prepared.template.ref, prepared.model, "error").inc()
            raise

    async def stream(self, request: RewriteRequest) -> AsyncIterator[Delta | RewriteResult]:
        """Yield `Delta`s as text arrives, then the `RewriteResult` (whose guard verdict decides
        the final text). Validation errors raise here, before the first item, so a caller can
        still answer them with a plain error status."""
        prepared = self.prepare(request)
        return self._stream(prepared)

    async def _stream(self, prepared: Prepared) -> AsyncIterator[Delta | RewriteResult]:
        started = time.monotonic()
        if prepared.mode == "wrap":
            async for item in self._stream_wrapped(prepared, started):
                yield item
            return
        unmasker = guard.StreamUnmasker(prepared.masked)
        try:
            async for item in self.gateway.stream(
                lambda model: self.render(prepared, model),
                prepared.params,
                model=prepared.model,
                deadline=started + self.settings.timeout_s,
            ):
                if isinstance(item, Completion):
                    if tail := unmasker.flush():
                        yield Delta(text=tail)
                    text, invented = prepared.masked.unmask(item.text.strip())
                    outcome = await self._judge(prepared, item, text, invented, started)
                    yield self._result(prepared, outcome, started)
                elif piece := unmasker.feed(item):
                    yield Delta(text=piece)
        except Exception:
            metrics.REWRITES.labels(prepared.template.ref, prepared.model, "error").inc()
            raise

    async def _stream_wrapped(self, prepared: Prepared, started: float) -> AsyncIterator[Delta | RewriteResult]:
        """Wrap mode streamed: once the opening is written and the guard has judged the reply, its
        three parts (opening, draft, closing) as three deltas; none when the draft comes back."""
        outcome = await self._attempt(prepared, started)
        if outcome.status != "fallback" and outcome.completion.parts:
            for part in outcome.completion.parts:
                yield Delta(text=prepared.masked.unmask(part)[0])
        yield self._result(prepared, outcome, started)

    async def _wrapped(self, prepared: Prepared, started: float, repair: bool, model: str | None) -> Completion:
        """Wrap mode (api/wrap.py): the model writes the opening; the draft and a closing follow.
        On a repair the template's default opening replaces the model's (nothing to generate)."""
        template, spec = prepared.template, prepared.template.spec.wrap
        assert spec is not None
        prompt, name, start = template.render_opening(prepared.context)
        if repair:
            first, completion = None, None
        else:
            params = {**prepared.params, "max_tokens": spec.max_tokens}
            completion = await self.gateway.complete(
                lambda _model: prompt, params, model=model or prepared.model,
                deadline=started + self.settings.timeout_s,
            )
            first = wrap.opening(completion.text, prepared.request.customer_message, prepared.request.draft)
        body = f"{start} {first}".strip() if first else spec.default_opening
        if wrap.greets(prepared.masked.text):
            name = ""  # the draft's own greeting addresses the customer
        if name and not body.startswith("I "):
            body = body[0].lower() + body[1:]  # "Ana, thank you ..."
        opening = f"{name} {body}" if name else body
        parts = wrap.compose(opening, prepared.masked.text, wrap.closing(spec.closings, prepared.request.draft))
        if completion is None:
            return Completion("".join(parts), model or prepared.model, "stop", Usage(), 0.0, attempts=0, parts=parts)
        return replace(completion, text="".join(parts), finish_reason="stop", parts=parts)

    async def _complete(self, prepared: Prepared, started: float, repair: tuple[str, str] | None = None,
                        model: str | None = None) -> Completion:
        """One completion through the gateway; with `repair` = (rejected rewrite, what was wrong),
        the conversation goes on with the rejected rewrite and a message naming the problems."""
        if prepared.mode == "wrap":
            return await self._wrapped(prepared, started, repair is not None, model)

        def prompt_for(name: str) -> RenderedPrompt:
            prompt = self.render(prepared, name)
            if repair is None or prompt.form == "completion":
                return prompt  # a base model cannot follow a repair instruction; it just tries again
            return RenderedPrompt(
                messages=[*prompt.messages, *self._repair_turns(prepared, repair)], stop=prompt.stop
            )

        params = prepared.params
        if repair is not None:
            params = {**params, "temperature": 0.0}
        return await self.gateway.complete(
            prompt_for, params, model=model or prepared.model, deadline=started + self.settings.timeout_s
        )

    @staticmethod
    def _repair_turns(prepared: Prepared, repair: tuple[str, str]) -> list[dict[str, str]]:
        rejected, problems = repair
        # The model saw masked placeholders (and personal data); name them the way it saw them.
        return [
            {"role": "assistant", "content": prepared.masked.hide(rejected)},
            {"role": "user", "content": REPAIR_INSTRUCTION.format(problems=prepared.masked.hide(problems))},
        ]

    async def _judge(self, prepared: Prepared, completion: Completion, text: str, invented: list[str], started: float) -> Outcome:
        request = prepared.request
        hidden = self.instructions(prepared)
        verdict = guard.check(
            request.draft, text, request.customer_message, invented_tokens=invented,
            truncated=completion.finish_reason == "length", instructions=hidden,
            flips_block=self.settings.flips_block, examples=self.example_facts(prepared.template),
        )
        verdict.violations += prepared.masked.missing(completion.text, verdict)
        usage = Usage(completion.usage.prompt_tokens, completion.usage.completion_tokens)
        outcome = Outcome(text, verdict, "passed", completion, usage, completion.cost_usd, completion.attempts)
        if verdict.ok:
            return self._count(outcome)
        if request.on_violation == "allow":
            outcome.status = "allowed"
            return self._count(outcome)

        # One repair attempt, on the model that answered, naming exactly what went wrong.
        try:
            repaired = await self._complete(
                prepared, started, repair=(completion.text.strip(), verdict.describe_for_model()), model=completion.model
            )
        except (UpstreamError, DeadlineExceeded, Overloaded):
            # The repair call itself failed: the first rewrite stays rejected, and the caller
            # still gets its fallback (or error) rather than losing the answer to a 5xx.
            repaired = None
        if repaired is None:
            first, fixed, second = None, text, verdict  # nothing new to judge, nothing more spent
        else:
            first = verdict
            fixed, invented = prepared.masked.unmask(repaired.text.strip())
            second = guard.check(
                request.draft, fixed, request.customer_message, invented_tokens=invented,
                truncated=repaired.finish_reason == "length", instructions=hidden,
                flips_block=self.settings.flips_block, examples=self.example_facts(prepared.template),
            )
            second.violations += prepared.masked.missing(repaired.text, second)
            repaired.fallback_from = repaired.fallback_from or completion.fallback_from
            outcome.usage.prompt_tokens += repaired.usage.prompt_tokens
            outcome.usage.completion_tokens += repaired.usage.completion_tokens
            # unknown if either call's cost is unknown
            outcome.cost_usd = None if repaired.cost_usd is None or outcome.cost_usd is None else outcome.cost_usd + repaired.cost_usd
            outcome.attempts += repaired.attempts
            outcome.completion = repaired
        if second.ok:
            outcome.text, outcome.verdict, outcome.status = fixed, second, "repaired"
            return self._count(outcome, first)
        if request.on_violation == "error":
            self._count(Outcome(fixed, second, "rejected", outcome.completion, outcome.usage, outcome.cost_usd,
                                outcome.attempts), first)
            raise RewriteRejected(
                "the rewrite did not keep the draft's facts, even after a repair attempt: " + second.describe(),
                violations=[v.as_dict() for v in second.violations],
            )
        outcome.text, outcome.verdict, outcome.status, outcome.rejected = request.draft, second, "fallback", fixed
        return self._count(outcome, first)

    @staticmethod
    def _count(outcome: Outcome, first: guard.Verdict | None = None) -> Outcome:
        metrics.GUARD_OUTCOMES.labels(outcome.status).inc()
        for verdict in (first, outcome.verdict) if first is not None else (outcome.verdict,):
            for violation in verdict.violations:
                metrics.GUARD_VIOLATIONS.labels(violation.kind, violation.fact).inc()
        return outcome

    def _result(self, prepared: Prepared, outcome: Outcome, started: float) -> RewriteResult:
        completion = outcome.completion
        metrics.REWRITES.labels(prepared.template.ref, completion.model, "ok").inc()
        verdict = outcome.verdict
        return RewriteResult(
            id=f"rw_{uuid.uuid4().hex}",
            rewrite=outcome.text,
            template=TemplateRef(name=prepared.template.name, version=prepared.template.version),
            model=completion.model,
            usage=UsageOut(**outcome.usage.as_dict()),
            cost_usd=None if outcome.cost_usd is None else round(outcome.cost_usd, 10),
            latency_ms=round((time.monotonic() - started) * 1000, 1),
            finish_reason=completion.finish_reason,
            attempts=outcome.attempts,
            fallback_from=completion.fallback_from,
            guard=GuardOut(
                status=outcome.status,
                # with a fallback the returned text is the draft: it keeps every fact
                facts=[f.as_dict() for f in (verdict.kept + verdict.lost if outcome.status == "fallback" else verdict.kept)],
                violations=[v.as_dict() for v in verdict.violations],
                warnings=[w.as_dict() for w in verdict.warnings],
                rejected_rewrite=outcome.rejected,
            ),
            diff=guard.word_diff(prepared.request.draft, outcome.text),
            pii_masked=prepared.masked.pii,
        )
