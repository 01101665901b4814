"""The guard's verdict: what a rewrite kept, and what is wrong with it (violations block the
rewrite; warnings are reported with it). The kinds are declared here once; the API schema uses
the same literals."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .facts import Fact

ViolationKind = Literal["lost", "added", "altered", "placeholder", "incomplete", "injection", "flipped", "language"]
WarningKind = Literal["negation_flip", "new_commitment"]


@dataclass(frozen=True)
class Violation:
    kind: ViolationKind
    fact: str  # the fact's kind: money, date, id, placeholder...
    value: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "fact": self.fact, "value": self.value, "detail": self.detail}


@dataclass(frozen=True)
class Caution:
    """A warning: reported with the rewrite, never blocking it."""

    kind: WarningKind
    value: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "value": self.value, "detail": self.detail}


@dataclass
class Verdict:
    kept: list[Fact] = field(default_factory=list)
    lost: list[Fact] = field(default_factory=list)  # draft facts the rewrite does not keep
    violations: list[Violation] = field(default_factory=list)
    warnings: list[Caution] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    def describe(self) -> str:
        """One sentence for people."""
        return "; ".join(v.detail for v in self.violations)

    def describe_for_model(self) -> str:
        """The same for the repair prompt, without quoting the draft's sentences: the draft is
        untrusted text, which stays inside its delimiters and out of our instructions."""
        parts = []
        for v in self.violations:
            if v.kind == "lost" and v.fact == "content" and "statement" in v.detail:
                words = v.detail.rsplit("(missing words: ", 1)[-1].rstrip(")")
                parts.append(f"a statement of the draft is missing (its words: {words})")
            else:
                parts.append(v.detail)
        return "; ".join(parts)
