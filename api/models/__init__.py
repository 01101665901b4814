"""Every model call: the gateway (fallback chain, retries, deadline, metrics), the litellm lane
and the embedded llama.cpp model."""
