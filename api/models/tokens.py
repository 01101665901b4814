"""Token counts for an answer whose provider sent no usage (litellm's tokenizer for the model)."""

from __future__ import annotations

from typing import Any

import litellm


def count_tokens(model: str, **kwargs: Any) -> int:
    """`messages=` or `text=`; 0 when the model's tokenizer cannot be had."""
    try:
        return int(litellm.token_counter(model=model, **kwargs))
    except Exception:  # noqa: BLE001
        return 0
