"""What a call cost: prices per token from litellm's bundled price map (offline: api/__init__.py
sets the switch), looked up once per model, not on every call."""

from __future__ import annotations

from functools import lru_cache

import litellm

from .completion import Usage
from .local_provider import PROVIDER


@lru_cache(maxsize=512)
def price_per_token(model: str) -> tuple[float, float] | None:
    """(prompt, completion) US dollars per token; None when the map does not know the model;
    nothing for the embedded model."""
    if model.startswith(PROVIDER + "/"):
        return 0.0, 0.0
    try:
        info = litellm.get_model_info(model)
    except Exception:  # noqa: BLE001 - unknown model: cost unknown, not an error
        return None
    prompt, completion = info.get("input_cost_per_token"), info.get("output_cost_per_token")
    if prompt is None or completion is None:
        return None
    return float(prompt), float(completion)


def cost_usd(model: str, usage: Usage) -> float | None:
    price = price_per_token(model)
    if price is None:
        return None
    return round(price[0] * usage.prompt_tokens + price[1] * usage.completion_tokens, 10)
