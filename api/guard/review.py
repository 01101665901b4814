"""`review(masked, output, ...)`: the one call the rewriter makes per generation. It unmasks the
model's output, checks it against the draft, and accounts for the masked personal data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .check import check
from .facts import Fact
from .masking import Masked
from .verdict import Verdict


@dataclass(frozen=True)
class Review:
    text: str  # the output, unmasked and stripped
    verdict: Verdict


def review(
    masked: Masked,
    output: str,
    *,
    draft: str,
    customer_message: str | None,
    truncated: bool = False,
    instructions: Sequence[str] = (),
    flips_block: bool = True,
    examples: Sequence[Fact] = (),
    format: str = "text",
) -> Review:
    """Judge the model's `output` (still masked) for the draft `masked` was made from."""
    text, invented = masked.unmask(output.strip())
    verdict = check(
        draft, text, customer_message, invented_tokens=invented, truncated=truncated,
        instructions=instructions, flips_block=flips_block, examples=examples, format=format,
    )
    verdict.violations = masked.account(output, verdict)
    return Review(text, verdict)
