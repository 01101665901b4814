"""Reply Rewriter: rewrite customer-support replies with empathy, keeping every fact."""

import os

# Every entry point (the service, the CLI, the evals, the benchmarks) imports this package before
# anything can import litellm, which otherwise fetches its price map from the network at import
# (with no network: three tries, about 7 s). Set here, it holds however a module is reached.
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

__version__ = "0.1.0"
