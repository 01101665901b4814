"""A request made ready for the model: validated against the settings and the template, the
draft masked, the prompt's context and parameters resolved, the mode chosen."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from api import formats, guard
from api.guard import facts as factlib
from api.guard import language as languages
from api.guard.facts import Fact

from . import limits
from .errors import InvalidRequest, ModelNotAllowed, TemplateLoadError, UnknownTemplate
from .schemas import RewriteRequest
from .settings import Settings
from .split import parse as parse_split
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
    settings: Settings
    document: formats.Document  # the draft as read in its format (api/formats)
    examples: tuple[Fact, ...] = ()  # the facts of the template's own text (`Preparer.example_facts`)
    mode: str = "free"  # or "wrap" (api/core/wrap.py)
    language: str | None = None  # the draft's (`api.guard.language`)

    @property
    def draft_text(self) -> str:
        """The draft's visible text (a text draft as sent): what the guard compares the rewrite with."""
        return self.document.text

    def render(self, model: str) -> RenderedPrompt:
        """The prompt for `model`: the completion form for base models when the template has one."""
        if self.template.has_completion_form and self.settings.uses_completion_form(model):
            return self.template.render(self.context, form="completion")
        return self.template.render(self.context, form="chat")

    @cached_property
    def instructions(self) -> tuple[str, ...]:
        """The template's own instructions, which no rewrite may repeat (the guard's output check):
        its system messages, the opening paragraph of its completion form, the repair message."""
        chat = self.template.render(self.context, form="chat").messages
        texts = [message["content"] for message in chat if message["role"] == "system"]
        if self.template.has_completion_form:
            prompt = self.template.render(self.context, form="completion").messages[0]["content"]
            texts.append(prompt.split("\n\n", 1)[0])
        return (*texts, REPAIR_INSTRUCTION)


class Preparer:
    def __init__(self, settings: Settings, templates: TemplateRegistry) -> None:
        self.settings = settings
        self.templates = templates
        self._example_facts: dict[str, tuple[Fact, ...]] = {}
        self.split = parse_split(settings.template_split)
        for name, arms in self.split.arms.items():  # a split naming a missing version stops start-up
            for arm in arms:
                try:
                    templates.get(name, arm.version)
                except UnknownTemplate as exc:
                    raise TemplateLoadError(f"REWRITER_TEMPLATE_SPLIT: {exc}") from None

    def prepare(self, request: RewriteRequest) -> Prepared:
        """Validate against the settings and the template; raise a typed error naming the field."""
        limits.check_request(request, self.settings)
        model = request.model or self.settings.model
        if request.model and not self.settings.is_model_allowed(request.model):
            raise ModelNotAllowed(
                f"model: {request.model!r} is not allowed here; allowed: "
                + ", ".join(self.settings.allowed_models or self.settings.models),
                field="model",
            )
        name = request.template or self.settings.default_template
        version = self.split.choose(name, request.conversation_id) if self.split_applies(request) \
            else request.template_version
        template = self.templates.get(name, version)
        variables = template.resolve_variables(request.variables)
        pii = self.settings.mask_pii if request.mask_pii is None else request.mask_pii
        # The customer's name is personal data too: the model sees its token, in the texts and the variable.
        name = variables.get("customer_name") if pii else None
        names = (name.strip(),) if isinstance(name, str) and name.strip() else ()
        try:
            document = formats.parse(request.draft, request.format)
        except formats.TooDeep as exc:
            raise InvalidRequest(f"draft: {exc}", field="draft") from None
        limits.check_visible(document.text, request.format, self.settings)
        if not document.text.strip():
            raise InvalidRequest(
                f"draft: the {request.format} draft has no text to rewrite"
                + (" before its quoted thread or signature" if document.tail else ""),
                field="draft",
            )
        masked = guard.mask(document.text.strip(), pii=pii, customer_message=(request.customer_message or "").strip(),
                            names=names, atoms=document.atoms)
        if names:
            variables = {**variables, "customer_name": masked.token_of(names[0])}
        context = {**variables, "draft": masked.text, "customer_message": masked.customer_message}
        defaults = template.spec.parameters
        params = {
            "temperature": request.temperature if request.temperature is not None else defaults.temperature,
            "max_tokens": request.max_tokens if request.max_tokens is not None else defaults.max_tokens,
            "top_p": defaults.top_p,
        }
        return Prepared(
            request, template, context, params, model, masked, self.settings, document, self.example_facts(template),
            self._mode(request, template, model), languages.detect(document.text),
        )

    def split_applies(self, request: RewriteRequest) -> bool:
        """Whether REWRITER_TEMPLATE_SPLIT chooses this request's version: it names (or defaults
        to) a template the split covers, and pins no version."""
        name = request.template or self.settings.default_template
        return request.template_version is None and "@" not in name and self.split.covers(name)

    def _mode(self, request: RewriteRequest, template: Template, model: str) -> str:
        wrappable = template.has_wrap_form and self.settings.uses_completion_form(model)
        if request.mode == "wrap" and not wrappable:
            raise InvalidRequest(
                f"mode: wrap needs a template with a wrap form ({template.ref} has "
                f"{'one' if template.has_wrap_form else 'none'}) and a base model prompted in completion "
                f"form (REWRITER_COMPLETION_MODELS; {model} is not)",
                field="mode",
            )
        # By default only the embedded model wraps: other base models may rewrite well enough.
        return request.mode or ("wrap" if wrappable and model.startswith("local/") else "free")

    def example_facts(self, template: Template) -> tuple[Fact, ...]:
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
            facts = tuple(f for f in factlib.extract("\n".join(texts)) if f.kind != "number")
            self._example_facts[template.ref] = facts
        return facts
