"""Token counts for an answer whose provider sent no usage.

An estimate with OpenAI's tokenizer (tiktoken, bundled with litellm) for every model: litellm's
counter would fetch a Hugging Face tokenizer for other models' names (a Llama on vLLM, say), on
the event loop, from the network. Providers almost always send usage; this is the fallback."""

from __future__ import annotations

from typing import Any

import litellm

_TOKENIZER_OF = "gpt-4o-mini"


def count_tokens(model: str, **kwargs: Any) -> int:
    """`messages=` or `text=`; 0 when they cannot be counted."""
    try:
        return int(litellm.token_counter(model=_TOKENIZER_OF, **kwargs))
    except Exception:  # noqa: BLE001
        return 0
