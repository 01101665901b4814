"""The core rewriter: the one function the API, the CLI and the eval harness all call.

`Preparer` (prepare.py) validates the request and masks the draft. An attempt asks the gateway for
a completion (chat messages, the completion form for base models, or in wrap mode only an
opening: wrap.py) and has the guard review it (`api.guard.review`: unmask, check). A rewrite the
guard rejects gets one repair attempt; if that fails too the caller's `on_violation` decides: the
original draft (fallback), an error, or the rewrite as is (allow). The result is built in
result.py. No web imports here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace

from api import guard
from api.models.completion import Completion, Usage
from api.models.gateway import Gateway
from api.models.local_provider import LocalProvider

from . import metrics, wrap
from .deadline import Deadline
from .errors import DeadlineExceeded, Overloaded, RewriteRejected, RewriterError, UpstreamError
from .prepare import REPAIR_INSTRUCTION, Prepared, Preparer
from .result import Decision, result_of
from .schemas import Delta, RewriteRequest, RewriteResult
from .settings import Settings
from .templates import RenderedPrompt, TemplateRegistry


@dataclass(frozen=True)
class Attempt:
    """One generation and the guard's review of it."""

    completion: Completion
    text: str  # unmasked
    verdict: guard.Verdict


class Rewriter:
    def __init__(self, settings: Settings, templates: TemplateRegistry, gateway: Gateway) -> None:
        self.settings = settings
        self.templates = templates
        self.gateway = gateway
        self.preparer = Preparer(settings, templates)

    @classmethod
    def from_settings(cls, settings: Settings) -> "Rewriter":
        return cls(settings, TemplateRegistry.load(settings.prompts_dir), Gateway(settings))

    @property
    def local_model(self) -> LocalProvider | None:
        """The embedded model's provider when a configured model uses it, else None."""
        return self.gateway.local_model

    def prepare(self, request: RewriteRequest) -> Prepared:
        return self.preparer.prepare(request)

    def sample_prompt(self) -> RenderedPrompt | None:
        """The default template's prompt for the default model on a one-line draft (in wrap mode,
        the opening's prompt), or None when the template cannot render without the caller's
        variables. A local model generates a token from it at start-up, which leaves the prompt's
        shared prefix in its cache."""
        try:
            prepared = self.prepare(RewriteRequest(draft="Your order has shipped."))
        except RewriterError:
            return None
        if prepared.mode == "wrap":
            return prepared.template.render_opening(prepared.context)[0]
        return prepared.render(self.settings.model)

    # --- rewriting -------------------------------------------------------------------------

    async def rewrite(self, request: RewriteRequest) -> RewriteResult:
        prepared = self.prepare(request)
        deadline = Deadline(self.settings.timeout_s)
        return result_of(prepared, await self._attempt(prepared, deadline), deadline)

    async def stream(self, request: RewriteRequest) -> AsyncIterator[Delta | RewriteResult]:
        """Yield `Delta`s as text arrives, then the `RewriteResult` (whose guard verdict decides
        the final text). Validation errors raise here, before the first item, so a caller can
        still answer them with a plain error status."""
        prepared = self.prepare(request)
        return self._stream(prepared, Deadline(self.settings.timeout_s))

    async def _attempt(self, prepared: Prepared, deadline: Deadline) -> Decision:
        """Generate (not streamed), review, and repair or fall back as needed."""
        if prepared.mode == "wrap" and guard.language.surely_not(prepared.draft_text, wrap.LANGUAGE):
            decision = self._count(self._unwrappable(prepared))
            if prepared.request.on_violation == "error":
                raise RewriteRejected(decision.verdict.describe(),
                                      violations=[v.as_dict() for v in decision.verdict.violations])
            return decision
        try:
            first = self._review(prepared, await self._generate(prepared, deadline))
            return await self._decide(prepared, first, deadline)
        except Exception:
            metrics.REWRITES.labels(prepared.template.ref, prepared.model, "error").inc()
            raise

    async def _stream(self, prepared: Prepared, deadline: Deadline) -> AsyncIterator[Delta | RewriteResult]:
        if prepared.mode == "wrap":
            # Once the opening is written and the guard has judged the reply: its three parts
            # (opening, draft, closing) as three deltas; none when the draft comes back.
            decision = await self._attempt(prepared, deadline)
            if decision.status != "fallback" and decision.completion.parts:
                for part in decision.completion.parts:
                    yield Delta(text=prepared.masked.unmask(part)[0])
            yield result_of(prepared, decision, deadline)
            return
        unmasker = guard.StreamUnmasker(prepared.masked)
        try:
            async for item in self.gateway.stream(
                prepared.render, prepared.params, model=prepared.model, deadline=deadline
            ):
                if isinstance(item, Completion):
                    if tail := unmasker.flush():
                        yield Delta(text=tail)
                    decision = await self._decide(prepared, self._review(prepared, item), deadline)
                    yield result_of(prepared, decision, deadline)
                elif piece := unmasker.feed(item):
                    yield Delta(text=piece)
        except Exception:
            metrics.REWRITES.labels(prepared.template.ref, prepared.model, "error").inc()
            raise

    def _review(self, prepared: Prepared, completion: Completion) -> Attempt:
        request = prepared.request
        review = guard.review(
            prepared.masked, completion.text, draft=prepared.draft_text, customer_message=request.customer_message,
            truncated=completion.finish_reason == "length", instructions=prepared.instructions,
            flips_block=self.settings.flips_block, examples=prepared.examples, format=request.format,
        )
        return Attempt(completion, review.text, review.verdict)

    async def _decide(self, prepared: Prepared, first: Attempt, deadline: Deadline) -> Decision:
        """The repair policy: a rejected attempt gets one repair, on the model that answered,
        naming exactly what went wrong; then `on_violation` decides."""
        on_violation = prepared.request.on_violation
        if first.verdict.ok or on_violation == "allow":
            return self._count(Decision.of(first, "passed" if first.verdict.ok else "allowed"))
        try:
            repaired = await self._generate(prepared, deadline, repair=first, model=first.completion.model)
        except (UpstreamError, DeadlineExceeded, Overloaded):
            # The repair call itself failed: the first rewrite stays rejected, and the caller
            # still gets its fallback (or error) rather than losing the answer to a 5xx.
            second, decision = first, Decision.of(first, "rejected")
        else:
            second = self._review(prepared, replace(
                repaired, fallback_from=repaired.fallback_from or first.completion.fallback_from
            ))
            decision = Decision.of(second, "rejected", spent=first.completion, first=first.verdict)
        if second.verdict.ok:
            return self._count(replace(decision, status="repaired"))
        if on_violation == "error":
            self._count(decision)
            raise RewriteRejected(
                "the rewrite did not keep the draft's facts, even after a repair attempt: "
                + second.verdict.describe(),
                violations=[v.as_dict() for v in second.verdict.violations],
            )
        return self._count(replace(decision, text=prepared.request.draft, status="fallback", rejected=second.text))

    async def _generate(self, prepared: Prepared, deadline: Deadline, repair: Attempt | None = None,
                        model: str | None = None) -> Completion:
        """One completion through the gateway; with `repair` (the rejected attempt) the
        conversation goes on with the rejected rewrite and a message naming its problems."""
        if prepared.mode == "wrap":
            return await self._wrapped(prepared, deadline, repair is not None, model)

        def prompt_for(name: str) -> RenderedPrompt:
            prompt = prepared.render(name)
            if repair is None or prompt.form == "completion":
                return prompt  # a base model cannot follow a repair instruction; it just tries again
            return RenderedPrompt(messages=[*prompt.messages, *_repair_turns(prepared, repair)], stop=prompt.stop)

        params = prepared.params if repair is None else {**prepared.params, "temperature": 0.0}
        return await self.gateway.complete(prompt_for, params, model=model or prepared.model, deadline=deadline)

    async def _wrapped(self, prepared: Prepared, deadline: Deadline, repair: bool, model: str | None) -> Completion:
        """Wrap mode (wrap.py): the model writes the opening; the draft and a closing follow.
        On a repair the template's default opening replaces the model's (nothing to generate)."""
        template, spec = prepared.template, prepared.template.spec.wrap
        assert spec is not None
        prompt, name, start = template.render_opening(prepared.context)
        first, completion = None, None
        if not repair:
            params = {**prepared.params, "max_tokens": spec.max_tokens}
            completion = await self.gateway.complete(
                lambda _model: prompt, params, model=model or prepared.model, deadline=deadline
            )
            first = wrap.opening(completion.text, prepared.request.customer_message, prepared.draft_text)
        body = f"{start} {first}".strip() if first else spec.default_opening
        if wrap.greets(prepared.masked.text):
            name = ""  # the draft's own greeting addresses the customer
        if name and not body.startswith("I "):
            body = body[0].lower() + body[1:]  # "Ana, thank you ..."
        opening = f"{name} {body}" if name else body
        parts = wrap.compose(opening, prepared.masked.text, wrap.closing(spec.closings, prepared.draft_text))
        if completion is None:
            return Completion("".join(parts), model or prepared.model, "stop", Usage(), 0.0, attempts=0, parts=parts)
        return replace(completion, text="".join(parts), finish_reason="stop", parts=parts)

    @staticmethod
    def _unwrappable(prepared: Prepared) -> Decision:
        """A draft in another language than the wrap form's openings and closings: it comes back
        as written, no model called (an English opening on it would only be rejected)."""
        language = guard.language.NAMES.get(prepared.language or "", prepared.language)
        verdict = guard.check(prepared.draft_text, prepared.draft_text)  # the facts it keeps
        verdict.violations = [guard.Violation(
            "language", "language", prepared.language or "",
            f"wrap mode writes its opening and closing in English; the draft is in {language}, so it "
            "comes back as written (use a model that rewrites freely for other languages)",
        )]
        completion = Completion(prepared.request.draft, prepared.model, "stop", Usage(), 0.0, attempts=0)
        return Decision(prepared.request.draft, verdict, "fallback", completion, Usage(), 0.0, 0,
                        rejected=None)

    @staticmethod
    def _count(decision: Decision) -> Decision:
        metrics.GUARD_OUTCOMES.labels(decision.status).inc()
        for verdict in (decision.first, decision.verdict) if decision.first is not None else (decision.verdict,):
            for violation in verdict.violations:
                metrics.GUARD_VIOLATIONS.labels(violation.kind, violation.fact).inc()
        return decision


def _repair_turns(prepared: Prepared, repair: Attempt) -> list[dict[str, str]]:
    # The model saw masked placeholders (and personal data); name them the way it saw them.
    problems = repair.verdict.describe_for_model()
    return [
        {"role": "assistant", "content": prepared.masked.hide(repair.completion.text.strip())},
        {"role": "user", "content": REPAIR_INSTRUCTION.format(problems=prepared.masked.hide(problems))},
    ]
