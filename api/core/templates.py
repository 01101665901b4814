"""Prompt templates: versioned YAML files under `prompts/`, rendered with sandboxed Jinja2.

The file format is in template_files.py. Every file is loaded, compiled and test-rendered at
start-up; a broken one raises `TemplateLoadError` naming the file. Templates may include the
partials under `prompts/_shared/` (`{% include "user_message.j2" %}`), which are part of their
digest.

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

from jinja2 import FileSystemLoader, StrictUndefined, TemplateError as JinjaTemplateError, meta
from jinja2.sandbox import ImmutableSandboxedEnvironment

from .errors import InvalidVariable, MissingVariables, TemplateLoadError, UnknownTemplate, UnknownVariables
from .template_files import BUILTIN_VARIABLES, SHARED_DIR, TemplateFile, parse_file, parse_version, shared_variables


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


@dataclass(frozen=True)
class RenderedPrompt:
    """What the gateway sends: chat messages, or one completion prompt with stop sequences."""

    messages: list[dict[str, str]]
    stop: list[str] = field(default_factory=list)
    form: Literal["chat", "completion"] = "chat"


def environment(directory: Path | None = None) -> ImmutableSandboxedEnvironment:
    """The sandboxed Jinja2 environment templates render in; `directory`/_shared for includes."""
    loader = FileSystemLoader(directory / SHARED_DIR) if directory is not None else None
    env = ImmutableSandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=False, trim_blocks=True, loader=loader,
    )
    env.filters["untrusted"] = untrusted
    env.filters["oneline"] = oneline
    return env


class Template:
    """One compiled template version."""

    def __init__(self, spec: TemplateFile, path: Path, source: bytes,
                 env: ImmutableSandboxedEnvironment | None = None) -> None:
        """`source`: the file's bytes, and those of the partials it may include (its digest)."""
        self.spec = spec
        self.path = path
        self.sha256 = hashlib.sha256(source).hexdigest()
        self._env = env or environment()
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

    def _compile(self, source: str, known: set[str], path: Path):
        try:
            parsed = self._env.parse(source)
        except JinjaTemplateError as exc:
            raise TemplateLoadError(f"{path}: Jinja2 syntax error: {exc}") from exc
        undeclared = meta.find_undeclared_variables(parsed) - known
        if undeclared:
            raise TemplateLoadError(
                f"{path}: uses undeclared variables {', '.join(sorted(undeclared))}; "
                "declare them under `variables:`"
            )
        return self._env.from_string(source)

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
                        f"variables.{name}: not allowed here; use {var.allowed} (template {self.ref})",
                        variables=[name], field=f"variables.{name}",
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
                       "pattern": v.pattern, "allowed": v.allowed}
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
        """Every `*.yaml` under `directory`, except the shared parts under `_shared/`."""
        if not directory.is_dir():
            raise TemplateLoadError(f"{directory}: template directory does not exist")
        env, shared = environment(directory), shared_variables(directory)
        partials = b"".join(
            path.read_bytes() for path in sorted((directory / SHARED_DIR).rglob("*")) if path.is_file()
        )
        templates = []
        for path in sorted(directory.rglob("*.yaml")):
            if path.relative_to(directory).parts[0] == SHARED_DIR:
                continue
            source = path.read_bytes()
            templates.append(Template(parse_file(path, source, shared), path, source + partials, env))
        if not templates:
            raise TemplateLoadError(f"{directory}: no templates (*.yaml) found")
        return cls(templates)

    def names(self) -> list[str]:
        return sorted(self._by_name)

    def summary(self, name: str) -> dict[str, Any]:
        """One template with all its versions, as GET /v1/templates/{name} answers it."""
        versions = self.versions(name)
        latest = versions[-1]
        return {"name": name, "latest_version": latest.version, "description": latest.spec.description,
                "versions": [t.describe() for t in versions]}

    def listing(self, default: str) -> dict[str, Any]:
        """Every template, as GET /v1/templates (and `python -m api templates --json`) lists them."""
        return {"default": default, "templates": [self.summary(name) for name in self.names()]}

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
