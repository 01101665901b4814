"""Request and result shapes shared by the API, the CLI and the eval harness (no web imports)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator, BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, field_validator, model_serializer,
)

from api.guard.verdict import ViolationKind, WarningKind

from . import limits



def unicode_text(value: Any) -> Any:
    """Text must be encodable: a lone surrogate (`\\ud800`, valid in JSON, not in UTF-8) cannot be
    sent to a model or stored, so it is refused here, naming the field."""
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(f"contains a lone surrogate (\\u{ord(value[exc.start]):04x}) at character "
                             f"{exc.start}; send valid Unicode text") from None
    return value


Text = Annotated[str, AfterValidator(unicode_text)]
VariableValue = Annotated[str | int | float | bool, AfterValidator(unicode_text)]
GuardStatus = Literal["passed", "repaired", "fallback", "allowed"]


class RewriteRequest(BaseModel):
    """One draft to rewrite. Only `draft` is required."""

    model_config = ConfigDict(extra="forbid")

    draft: Text = Field(
        description="the agent's draft reply (untrusted text)",
        json_schema_extra={"minLength": 1, "pattern": r"\S"},  # declared; the validator below enforces it
    )
    customer_message: Text | None = Field(None, description="the customer's message, if any (untrusted text)")
    format: Literal["text", "markdown", "html"] = Field(
        "text",
        description="how the draft is written, and so the rewrite: html keeps links, emphasis, lists, tables and "
        "images (the model sees each as a token it cannot break), returns a quoted thread and a signature as they "
        "came without sending them to the model, and sanitises the result; markdown keeps links, code, lists and "
        "emphasis and never sends code blocks; text (the default) is plain text",
    )
    template: Text | None = Field(None, description="template name or name@version; default: empathetic, latest")
    template_version: int | str | None = Field(None, description="pin a version (2 or v2)")
    variables: dict[Text, VariableValue] = Field(default_factory=dict, max_length=limits.MAX_VARIABLES)
    conversation_id: Text | None = Field(
        None, min_length=1, max_length=200,
        description="the helpdesk's ticket or conversation id: under a template experiment "
        "(REWRITER_TEMPLATE_SPLIT) every request of a conversation gets the same version",
    )
    model: Text | None = Field(None, description="litellm model string; must be allowed by the service")
    temperature: float | None = Field(None, ge=0, le=limits.MAX_TEMPERATURE)
    max_tokens: int | None = Field(None, ge=1, le=limits.MAX_TOKENS)
    stream: bool = Field(False, description="answer text/event-stream (single rewrites only)")
    mode: Literal["wrap", "free"] | None = Field(
        None,
        description="wrap: the model writes only an opening sentence, the draft follows word for word, "
        "then a closing (templates with a wrap form, on base models such as local/...); free: the model "
        "rewrites the whole reply; null: wrap on the embedded local/... model when the template has a wrap "
        "form, else free",
    )
    on_violation: Literal["fallback", "error", "allow"] = Field(
        "fallback",
        description="when the rewrite loses or invents facts even after one repair: answer the "
        "draft unchanged (fallback), a 422 problem (error), or the rewrite as is (allow)",
    )
    mask_pii: bool | None = Field(
        None,
        description="mask emails, phone numbers, card numbers, IBANs and national ID numbers in the draft and the "
        "customer message before the model sees them (restored after); null: the service's setting",
    )

    @field_validator("draft")
    @classmethod
    def _draft_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty or whitespace only")
        return value

    @field_validator("template")
    @classmethod
    def _template_ref(cls, value: str | None) -> str | None:
        if value is not None:
            name, at, version = value.partition("@")
            if not name.strip():
                raise ValueError("a template name is required: name or name@version (leave it out for the default)")
            if at and not version.strip():
                raise ValueError(f"a version is required after '@': {name}@2 (or {name} for the latest)")
        return value

    @field_validator("model")
    @classmethod
    def _model_named(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must name a model (leave it out for the default model)")
        return value

    @field_validator("variables")
    @classmethod
    def _variable_sizes(cls, value: dict[str, Any]) -> dict[str, Any]:
        for name, item in value.items():
            if len(name) > limits.MAX_VARIABLE_NAME:
                raise ValueError(f"variable name {name[:20]!r}... is longer than {limits.MAX_VARIABLE_NAME} characters")
            if isinstance(item, str) and len(item) > limits.MAX_VARIABLE_CHARS:
                raise ValueError(f"variable {name!r} is longer than {limits.MAX_VARIABLE_CHARS} characters")
        return value


class TemplateRef(BaseModel):
    name: str
    version: int


class UsageOut(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class FactOut(BaseModel):
    kind: str
    value: str


class ViolationOut(BaseModel):
    kind: ViolationKind
    fact: str = Field(
        description="the kind of fact: money, date, id, placeholder, url...; for `injection`, what "
        "the output check found: instructions, markup or role_marker; for `flipped`, what turned "
        "round: negation, decision or availability"
    )
    value: str
    detail: str


class WarningOut(BaseModel):
    kind: WarningKind
    value: str
    detail: str


class GuardOut(BaseModel):
    """The fact guard's verdict on the returned text."""

    status: GuardStatus
    facts: list[FactOut] = Field(description="the draft's protected facts that the rewrite kept")
    violations: list[ViolationOut]
    warnings: list[WarningOut]
    rejected_rewrite: str | None = Field(
        None, description="with status fallback: the model's rewrite that was rejected"
    )


class DiffOp(BaseModel):
    op: Literal["equal", "insert", "delete"]
    text: str


class RewriteResult(BaseModel):
    """What every caller gets back for one rewrite."""

    id: str
    rewrite: str
    template: TemplateRef
    model: str
    usage: UsageOut
    cost_usd: float | None = Field(description="estimated cost in US dollars; null when unknown")
    latency_ms: float
    finish_reason: str | None
    attempts: int = Field(description="model calls made, retries included")
    fallback_from: str | None = Field(None, description="the model that failed when a fallback answered")
    guard: GuardOut
    diff: list[DiffOp] = Field(
        description="word-level diff from the draft to the rewrite; for html and markdown, of their visible text"
    )
    format: Literal["text", "markdown", "html"] = Field("text", description="the rewrite's format: the draft's")
    language: str | None = Field(
        None, description="the draft's language (ISO 639-1: en, es, fr, de, pt...), which the rewrite keeps; "
        "null when the draft is too short to tell",
    )
    pii_masked: dict[str, int] | None = Field(
        None,
        description="with PII masking on: how many distinct values of each kind (email, phone, "
        "card, iban, national_id, name) the model saw as tokens; null when masking was off",
    )


class Delta(BaseModel):
    """A piece of streamed text."""

    text: str


class FieldError(BaseModel):
    field: str = Field(description="where: a dotted path into the body (`variables.tone`), or `body`")
    message: str


class Problem(BaseModel):
    """RFC 9457 problem details: every error the service answers, as `application/problem+json`."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str = Field(description="a stable short name of the kind of problem")
    status: int = Field(description="the HTTP status")
    detail: str = Field(description="what happened, in words, naming the field at fault")
    request_id: str | None = Field(None, description="quote it when reporting a problem; the server log has it")
    field: str | None = Field(None, description="the request field at fault (`draft`, `variables.tone`, `model`, ...)")
    errors: list[FieldError] | None = Field(None, description="422 for an invalid body: every field at fault")
    index: int | None = Field(None, description="in a batch result: the position of the item this problem is about")
    limit: Literal["rpm", "concurrent"] | None = Field(None, description="429: which of the key's limits was reached")
    violations: list[ViolationOut] | None = Field(
        None, description="422 with `on_violation: error`: what the rewrite lost or invented"
    )
    variables: list[str] | None = Field(None, description="template variable problems: the variables at fault")
    template: str | None = Field(None, description="an unknown template or version: what was asked for")
    failures: list[str] | None = Field(None, description="502: each failed model call, in order (model: what happened)")

    @model_serializer(mode="wrap")
    def _without_unset(self, handler: SerializerFunctionWrapHandler):
        """A problem names only what applies: the optional members it has no value for are left
        out, not sent as null (the JSON the HTTP layer writes directly looks the same)."""
        return {key: value for key, value in handler(self).items() if value is not None}


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[Any] = Field(
        description="rewrite requests, each validated on its own: an invalid item gets its own 422 "
        "problem in `results`, the others are still rewritten",
        # declared; the route enforces the minimum (and the settings' maximum)
        json_schema_extra={"minItems": 1, "items": {"$ref": "#/components/schemas/RewriteRequest"}},
    )


class BatchResult(BaseModel):
    results: list[RewriteResult | Problem]



class VariableOut(BaseModel):
    description: str
    required: bool
    default: str | int | float | bool | None
    pattern: str | None = Field(description="the regular expression a value must match, if any")
    allowed: str | None = Field(description="the same rule in words")


class TemplateVersionOut(BaseModel):
    name: str
    version: int
    ref: str = Field(description="name@vN")
    description: str
    variables: dict[str, VariableOut]
    parameters: dict[str, float | int] = Field(description="model parameters: temperature, max_tokens, top_p")
    forms: list[Literal["chat", "completion", "wrap"]] = Field(description="the prompt forms the template has")
    sha256: str = Field(description="digest of the template file and the shared files it uses")


class TemplateSummary(BaseModel):
    name: str
    latest_version: int
    description: str
    versions: list[TemplateVersionOut]


class TemplateList(BaseModel):
    default: str = Field(description="the template used when a request names none")
    templates: list[TemplateSummary]


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready", "not ready"]
    model: str = Field(description="the default model")
    checks: dict[str, bool] = Field(description="each check; a false one is why the service is not ready")
