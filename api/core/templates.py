"""Prompt templates: versioned YAML files under `prompts/`, rendered with sandboxed Jinja2.

A template file holds its name, version, description, declared variables (with defaults), model
parameters, the chat `messages`, and optionally a `completion` form (a single few-shot prompt with
stop sequences) for base models that do not follow chat turns. Every file is loaded, compiled and
test-rendered at start-up; a broken one raises `TemplateLoadError` naming the file.

The draft and the customer message are untrusted. Templates render them through the `untrusted`
filter, which wraps the text in tags whose name carries a digest of the text itself: content cannot
close the tag it sits in, because it cannot contain the digest of itself.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml
from jinja2 import StrictUndefined, TemplateError as JinjaTemplateError, meta
from jinja2.sandbox import ImmutableSandboxedEnvironment
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import (
    InvalidVariable, MissingVariables, TemplateLoadError, UnknownTemplate, UnknownVariables, describe_fields,
)

# Variables every template receives from the request itself.
BUILTIN_VARIABLES = ("draft", "customer_message")
NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")


def untrusted(text: str, label: str) -> str:
    """Wrap untrusted `text` in tags no content can spoof (see module docstring)."""
    digest = hashlib.sha256(f"{label}\0{text}".encode()).hexdigest()[:12]
    tag = f"{label}-{digest}"
    return f"<{tag}>\n{text}\n</{tag}>"


# Every line break, not only "\n": a lone "\r", U+2028 or NEL starts a new line for many readers.
_LINE_BREAK = re.compile(r"\s*[\n\r\v\f\x1c-\x1e\x85\u2028\u2029]\s*")


def oneline(text: str) -> str:
    """Untrusted text for a one-line slot of a few-shot completion prompt: line breaks and the
    example separator are flattened, so the text cannot forge an example or a new turn. Any run of
    three or more '#' becomes one ('#####' would otherwise leave '###' behind)."""
    return re.sub(r"#{3,}", "#", _LINE_BREAK.sub(" ", text))


def parse_version(value: str | int) -> int:
    """Accept 2, "2" and "v2"."""
    text = str(value).strip().lower().removeprefix("v")
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"template version must look like 2 or v2, got {value!r}")
    return int(text)


class VariableSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    required: bool = False
    default: str | int | float | bool | None = None
    # Callers' values are untrusted: a pattern keeps a value meant for the system prompt (a tone
    # word, say) from carrying instructions.
    pattern: str | None = None

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"pattern does not compile: {exc}") from exc
        return value


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Literal["system", "user", "assistant"]
    content: str


class CompletionForm(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    prompt: str
    stop: list[str] = Field(default_factory=list)


class WrapForm(BaseModel):
    """Wrap mode (api/wrap.py): the model writes only an opening sentence; the draft follows
    verbatim, then one of the closings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    opening: str = Field(description="few-shot completion prompt that ends where the opening begins")
    name_prefix: str = Field("", description="rendered and put before the opening (e.g. the customer's name)")
    start: str = Field("", description="words every opening starts with (after the name prefix)")
    default_opening: str = Field(min_length=1, description="used when the model's opening is unusable")
    closings: list[str] = Field(min_length=1, description="closings that invite a reply")
    max_tokens: int = Field(48, ge=8, le=200)
    stop: list[str] = Field(default_factory=lambda: ["\n", "###"])


class ModelParameters(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    temperature: float | None = Field(None, ge=0, le=2)
    max_tokens: int | None = Field(None, ge=1, le=32_000)
    top_p: float | None = Field(None, gt=0, le=1)


class TemplateFile(BaseModel):
    """The schema of one file under `prompts/`."""

    model_config = ConfigDict(extra="forbid")

    name: str
    version: int
    description: str
    variables: dict[str, VariableSpec] = Field(default_factory=dict)
    parameters: ModelParameters = Field(default_factory=ModelParameters)
    messages: list[Message] = Field(min_length=1)
    completion: CompletionForm | None = None
    wrap: WrapForm | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME_RE.match(value):
            raise ValueError("name must be lower-case letters, digits, '-' or '_'")
        return value

    @field_validator("version", mode="before")
    @classmethod
    def _version(cls, value: Any) -> int:
        return parse_version(value)

    @field_validator("variables")
    @classmethod
    def _no_builtin_override(cls, value: dict[str, VariableSpec]) -> dict[str, VariableSpec]:
        clash = sorted(set(value) & set(BUILTIN_VARIABLES))
        if clash:
            raise ValueError(f"{', '.join(clash)} are supplied by the request and cannot be declared")
        return value


@dataclass(frozen=True)
class RenderedPrompt:
    """What the gateway sends: chat messages, or one completion prompt with stop sequences."""

    messages: list[dict[str, str]]
    stop: list[str] = field(default_factory=list)
    form: Literal["chat", "completion"] = "chat"


_ENV = ImmutableSandboxedEnvironment(
    undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False, trim_blocks=True
)
_ENV.filters["untrusted"] = untrusted
_ENV.filters["oneline"] = oneline


class Template:
    """One compiled template version."""

    def __init__(self, spec: TemplateFile, path: Path, source: bytes) -> None:
        self.spec = spec
        self.path = path
        self.sha256 = hashlib.sha256(source).hexdigest()
        known = set(BUILTIN_VARIABLES) | set(spec.variables)
        self._messages = [(m.role, self._compile(m.content, known, path)) for m in spec.messages]
        self._completion = (
            self._compile(spec.completion.prompt, known, path) if spec.completion else None
        )
        self._wrap = (
            (self._compile(spec.wrap.opening, known, path), self._compile(spec.wrap.name_prefix, known, path))
            if spec.wrap else None
        )
        # Render once with sample values so errors surface at start-up, not at first request.
        sample = {name: "sample" for name in known}
        try:
            self.render(sample, form="chat")
            if self._completion is not None:
                self.render(sample, form="completion")
            if self._wrap is not None:
                self.render_opening(sample)
        except JinjaTemplateError as exc:
            raise TemplateLoadError(f"{path}: does not render: {exc}") from exc

    @staticmethod
    def _compile(source: str, known: set[str], path: Path):
        try:
            parsed = _ENV.parse(source)
        except JinjaTemplateError as exc:
            raise TemplateLoadError(f"{path}: Jinja2 syntax error: {exc}") from exc
        undeclared = meta.find_undeclared_variables(parsed) - known
        if undeclared:
            raise TemplateLoadError(
                f"{path}: uses undeclared variables {', '.join(sorted(undeclared))}; "
                "declare them under `variables:`"
            )
        return _ENV.from_string(source)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def version(self) -> int:
        return self.spec.version

    @property
    def ref(self) -> str:
        return f"{self.name}@v{self.version}"

    @property
    def has_completion_form(self) -> bool:
        return self._completion is not None

    def resolve_variables(self, given: dict[str, Any]) -> dict[str, Any]:
        """Apply defaults; reject unknown and missing variables, naming them."""
        unknown = sorted(set(given) - set(self.spec.variables))
        if unknown:
            raise UnknownVariables(
                f"template {self.ref} has no variable(s) {', '.join(unknown)}; "
                f"it declares: {', '.join(sorted(self.spec.variables)) or 'none'}",
                variables=unknown,
            )
        values: dict[str, Any] = {}
        missing = []
        for name, var in self.spec.variables.items():
            if name in given and given[name] is not None:
                if var.pattern and not re.fullmatch(var.pattern, str(given[name])):
                    raise InvalidVariable(
                        f"variable {name!r} of template {self.ref} must match {var.pattern}",
                        variables=[name],
                    )
                values[name] = given[name]
            elif var.required:
                missing.append(name)
            else:
                values[name] = var.default if var.default is not None else ""
        if missing:
            raise MissingVariables(
                f"template {self.ref} requires variable(s) {', '.join(missing)}",
                variables=missing,
            )
        return values

    def render(self, context: dict[str, Any], form: Literal["chat", "completion"]) -> RenderedPrompt:
        if form == "completion":
            if self._completion is None:
                raise ValueError(f"template {self.ref} has no completion form")
            prompt = self._completion.render(context)
            return RenderedPrompt(
                messages=[{"role": "user", "content": prompt}],
                stop=list(self.spec.completion.stop),  # type: ignore[union-attr]
                form="completion",
            )
        messages = [{"role": role, "content": tpl.render(context).strip()} for role, tpl in self._messages]
        return RenderedPrompt(messages=messages)

    @property
    def has_wrap_form(self) -> bool:
        return self._wrap is not None

    def render_opening(self, context: dict[str, Any]) -> tuple[RenderedPrompt, str, str]:
        """Wrap mode: the prompt for the opening sentence, which ends with the rendered name
        prefix and the opening's first words; and those two (the model writes what follows)."""
        if self._wrap is None or self.spec.wrap is None:
            raise ValueError(f"template {self.ref} has no wrap form")
        prompt, prefix = self._wrap
        name, start = prefix.render(context).strip(), self.spec.wrap.start.strip()
        seed = " ".join(part for part in (name, start) if part)
        text = prompt.render(context).rstrip() + (" " + seed if seed else "")
        return RenderedPrompt(messages=[{"role": "user", "content": text}], stop=list(self.spec.wrap.stop),
                              form="completion"), name, start

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "ref": self.ref,
            "description": self.spec.description,
            "variables": {
                name: {"description": v.description, "required": v.required, "default": v.default,
                       "pattern": v.pattern}
                for name, v in self.spec.variables.items()
            },
            "parameters": self.spec.parameters.model_dump(exclude_none=True),
            "forms": ["chat", *(["completion"] if self.has_completion_form else []),
                      *(["wrap"] if self.has_wrap_form else [])],
            "sha256": self.sha256,
        }


class TemplateRegistry:
    """All templates under a directory, by name and version."""

    def __init__(self, templates: list[Template]) -> None:
        self._by_name: dict[str, dict[int, Template]] = {}
        for tpl in templates:
            versions = self._by_name.setdefault(tpl.name, {})
            if tpl.version in versions:
                raise TemplateLoadError(
                    f"{tpl.path}: {tpl.ref} is already defined in {versions[tpl.version].path}"
                )
            versions[tpl.version] = tpl

    @classmethod
    def load(cls, directory: Path) -> "TemplateRegistry":
        if not directory.is_dir():
            raise TemplateLoadError(f"{directory}: template directory does not exist")
        templates = []
        for path in sorted(directory.rglob("*.yaml")):
            source = path.read_bytes()
            try:
                data = yaml.safe_load(source)
            except yaml.YAMLError as exc:
                raise TemplateLoadError(f"{path}: invalid YAML: {exc}") from exc
            try:
                spec = TemplateFile.model_validate(data)
            except ValidationError as exc:
                raise TemplateLoadError(f"{path}: {describe_fields(exc.errors(), whole='file')}") from exc
            templates.append(Template(spec, path, source))
        if not templates:
            raise TemplateLoadError(f"{directory}: no templates (*.yaml) found")
        return cls(templates)

    def names(self) -> list[str]:
        return sorted(self._by_name)

    def versions(self, name: str) -> list[Template]:
        if name not in self._by_name:
            raise UnknownTemplate(
                f"unknown template {name!r}; available: {', '.join(self.names())}", template=name
            )
        return [self._by_name[name][v] for v in sorted(self._by_name[name])]

    def get(self, ref: str, version: str | int | None = None) -> Template:
        """Resolve `name`, `name@version` or (`name`, version); latest version when unpinned."""
        name, _, pinned = ref.partition("@")
        versions = self.versions(name)
        try:
            numbers = {parse_version(v) for v in (pinned, version) if v not in (None, "")}
        except ValueError as exc:
            raise UnknownTemplate(f"template {ref!r}: {exc}", template=ref) from exc
        if len(numbers) > 1:
            raise UnknownTemplate(
                f"template {ref!r} and template_version {version!r} disagree", template=ref
            )
        if not numbers:
            return versions[-1]
        number = numbers.pop()
        wanted = pinned or version
        for tpl in versions:
            if tpl.version == number:
                return tpl
        raise UnknownTemplate(
            f"template {name!r} has no version {wanted!r}; versions: "
            + ", ".join(f"v{t.version}" for t in versions),
            template=ref,
        )

    def __iter__(self):
        for name in self.names():
            yield from self.versions(name)
