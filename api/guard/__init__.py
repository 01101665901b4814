"""The fact guard: a rewrite must say the same things as the draft.

`mask` (masking.py) hides placeholders and personal data from the model; `review` (review.py)
unmasks a generation and `check`s it (check.py): protected facts (facts.py), content units
(content.py), meaning flips and new commitments (meaning.py), the output check (output_check.py);
the result is a `Verdict` (verdict.py). `word_diff` (diff.py) is the diff returned to callers.
"""

from . import language
from .check import check
from .diff import word_diff
from .masking import Masked, StreamUnmasker, mask
from .meaning import flips
from .review import Review, review
from .verdict import Caution, Verdict, Violation

__all__ = [
    "Caution", "Masked", "language", "Review", "StreamUnmasker", "Verdict", "Violation", "check", "flips", "mask",
    "review", "word_diff",
]
