"""The template file format: what a YAML file under `prompts/` may hold, validated by pydantic.

A file holds its name, version, description, declared variables (with defaults; common ones
shared from `prompts/_shared/variables.yaml`), model parameters, the chat `messages`, and
optionally a `completion` form (a single few-shot prompt with stop sequences) for base models that
do not follow chat turns, and a `wrap` form (api/core/wrap.py).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator, model_validator

from .errors import TemplateLoadError, describe_fields

# Variables every template receives from the request itself.
BUILTIN_VARIABLES = ("draft", "customer_message")
NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,63}$")
SHARED_DIR = "_shared"  # under the template directory: partials to include, shared variables
SHARED_VARIABLES = "variables.yaml"


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
    # What the pattern allows, in words: the error a caller sees ("letters, spaces, ...").
    allowed: str | None = None

    @model_validator(mode="after")
    def _pattern_in_words(self) -> "VariableSpec":
        if self.pattern is not None and not self.allowed:
            raise ValueError("a variable with a pattern needs `allowed:`, the pattern in words for callers")
        return self

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
    """Wrap mode (api/core/wrap.py): the model writes only an opening sentence; the draft follows
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
    """The schema of one file under `prompts/`. `shared_variables` names variables declared once
    in `prompts/_shared/variables.yaml`; an entry of the same name under `variables` overrides
    their fields (a template's own default tone, say)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    version: int
    description: str
    shared_variables: list[str] = Field(default_factory=list)
    variables: dict[str, VariableSpec] = Field(default_factory=dict)
    parameters: ModelParameters = Field(default_factory=ModelParameters)
    messages: list[Message] = Field(min_length=1)
    completion: CompletionForm | None = None
    wrap: WrapForm | None = None

    @model_validator(mode="before")
    @classmethod
    def _shared(cls, data: Any, info: ValidationInfo) -> Any:
        if not isinstance(data, dict) or not data.get("shared_variables"):
            return data
        shared: dict[str, Any] = (info.context or {}).get("shared_variables", {})
        names, own = data["shared_variables"], data.get("variables") or {}
        unknown = [name for name in names if name not in shared]
        if unknown:
            raise ValueError(f"shared_variables: {', '.join(map(str, unknown))} not in {SHARED_DIR}/{SHARED_VARIABLES}")
        variables = {name: {**shared[name], **(own.get(name) or {})} for name in names}
        variables.update({name: spec for name, spec in own.items() if name not in variables})
        return {**data, "variables": variables}

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


def read_yaml(path: Path, source: bytes) -> Any:
    try:
        return yaml.safe_load(source)
    except yaml.YAMLError as exc:
        raise TemplateLoadError(f"{path}: invalid YAML: {exc}") from exc


def parse_file(path: Path, source: bytes, shared_variables: dict[str, Any]) -> TemplateFile:
    """One template file, validated; `TemplateLoadError` naming the file and the fields."""
    try:
        return TemplateFile.model_validate(
            read_yaml(path, source), context={"shared_variables": shared_variables}
        )
    except ValidationError as exc:
        raise TemplateLoadError(f"{path}: {describe_fields(exc.errors(), whole='file')}") from exc


def shared_variables(directory: Path) -> dict[str, Any]:
    """The variable specs templates may share (each checked as a `VariableSpec`)."""
    path = directory / SHARED_DIR / SHARED_VARIABLES
    if not path.is_file():
        return {}
    data = read_yaml(path, path.read_bytes()) or {}
    if not isinstance(data, dict):
        raise TemplateLoadError(f"{path}: expected a mapping of variable names to their specs")
    for name, spec in data.items():
        try:
            VariableSpec.model_validate(spec)
        except ValidationError as exc:
            raise TemplateLoadError(f"{path}: {name}: {describe_fields(exc.errors(), whole='spec')}") from exc
    return data
