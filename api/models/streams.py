"""What an open stream of either lane holds: the text pieces read so far, the finish reason and
usage its chunks carried, and the `Completion` they add up to at the end."""

from __future__ import annotations

from dataclasses import dataclass, field

from api.core.templates import RenderedPrompt

from .completion import Completion, Usage
from .tokens import count_tokens


@dataclass
class OpenStream:
    model: str
    prompt: RenderedPrompt
    parts: list[str] = field(default_factory=list)
    finish_reason: str | None = None
    usage: Usage | None = None

    def completion(self) -> Completion:
        """The totals; tokens counted when the provider sent no usage."""
        text = "".join(self.parts)
        usage = self.usage or Usage(
            prompt_tokens=count_tokens(self.model, messages=self.prompt.messages),
            completion_tokens=count_tokens(self.model, text=text),
        )
        return Completion(text, self.model, self.finish_reason, usage)
