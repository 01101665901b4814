"""Eval datasets: JSON Lines, one case per line, validated on load with errors by line number."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

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

    @field_validator("draft", "reference")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be blank")
        return value


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
