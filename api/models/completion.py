"""What a model call gives back, in our own types (whatever the provider)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from api.core.templates import RenderedPrompt

PromptFor = Callable[[str], RenderedPrompt]  # renders the prompt in the form a model needs


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: "Usage") -> "Usage":
        return Usage(self.prompt_tokens + other.prompt_tokens, self.completion_tokens + other.completion_tokens)

    def as_dict(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
        }


@dataclass
class Completion:
    """A finished model answer and what it cost."""

    text: str
    model: str
    finish_reason: str | None
    usage: Usage
    cost_usd: float | None = None
    attempts: int = 1
    fallback_from: str | None = None
    parts: list[str] | None = None  # the text in the pieces a stream sends (the rewriter's wrap mode)
