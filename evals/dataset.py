"""Eval datasets: JSON Lines, one case per line, validated on load with errors by line number.

A case's `format` (text, markdown or html) is how its draft and its reference are written: the
harness sends it with the draft, and scores the visible text of the rewrite and the reference.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from api.core.errors import describe_fields

VariableValue = str | int | float | bool


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=200)
    draft: str = Field(min_length=1)
    reference: str = Field(min_length=1)
    customer_message: str | None = None
    variables: dict[str, VariableValue] = Field(default_factory=dict)
    tags: tuple[str, ...] = ()
    format: Literal["text", "markdown", "html"] = "text"  # the draft's and the reference's

    @field_validator("draft", "reference")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value

    @model_validator(mode="after")
    def _visible_text(self) -> "Case":
        """An HTML or Markdown draft or reference that shows no text (only markup, a quoted
        thread or a signature) has nothing to rewrite or to score against."""
        if self.format != "text":
            from api.formats import parse

            for name in ("draft", "reference"):
                document = parse(getattr(self, name), self.format)
                if not document.text.strip():
                    where = " before its quoted thread or signature" if document.tail else ""
                    raise ValueError(f"the {self.format} {name} has no visible text{where}")
        return self

    def visible(self, text: str) -> str:
        """`text` (the draft, the reference or a rewrite) as a reader sees it in the case's format:
        for html and markdown `api.formats.parse(text, format).text`, without markup, quoted
        thread or signature; a text case's text as it is."""
        return visible(text, self.format)


@lru_cache(maxsize=1024)
def visible(text: str, format: str) -> str:
    """The visible text of `text` written in `format` (see `Case.visible`). Remembered: a cell's
    draft, rewrite and reference are each read by several scores."""
    if format == "text":
        return text
    from api.formats import parse

    return parse(text, format).text  # type: ignore[arg-type]


class DatasetError(ValueError):
    """A dataset file has bad lines; `problems` lists (line number, message). A problem with the
    whole file (missing, unreadable, empty) is line 0, and `message` says it in words."""

    def __init__(self, path: Path, problems: list[tuple[int, str]], message: str | None = None) -> None:
        self.path = path
        self.problems = problems
        if message is None:
            lines = "\n".join(f"  {path}:{number}: {text}" for number, text in problems[:50])
            more = f"\n  ... and {len(problems) - 50} more" if len(problems) > 50 else ""
            message = f"{path}: {len(problems)} bad line(s)\n{lines}{more}"
        super().__init__(message)


def load(path: Path) -> list[Case]:
    """Every case in the file; raise `DatasetError` naming each bad line (all of them, not the first)."""
    if path.is_dir():
        raise DatasetError(path, [(0, "a directory")], f"dataset {path} is a directory, not a JSONL file")
    if not path.is_file():
        raise DatasetError(path, [(0, "file not found")], f"dataset {path} not found")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        reason = "it is not UTF-8 text" if isinstance(exc, UnicodeDecodeError) else exc.strerror or str(exc)
        raise DatasetError(path, [(0, reason)], f"dataset {path} cannot be read: {reason}") from exc
    cases: list[Case] = []
    problems: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append((number, f"not JSON: {exc.msg}"))
            continue
        try:
            case = Case.model_validate(data)
        except ValidationError as exc:
            problems.append((number, describe_fields(exc.errors(), whole="line")))
            continue
        if case.id in seen:
            problems.append((number, f"duplicate id {case.id!r} (first on line {seen[case.id]})"))
            continue
        seen[case.id] = number
        cases.append(case)
    if problems:
        raise DatasetError(path, problems)
    if not cases:
        raise DatasetError(path, [(0, "no cases")], f"dataset {path} is empty: it has no cases")
    return cases
