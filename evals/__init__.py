"""The eval harness: score templates x models against reference replies, report, compare, gate.

    python -m evals run --dataset evals/datasets/support.jsonl --template empathetic@v1 \
        --template empathetic@v2 --model openai/gpt-4o-mini --out evals/runs/today
    python -m evals compare evals/runs/yesterday evals/runs/today
"""

import os

import api  # noqa: F401 - first: sets litellm's offline switch before anything imports litellm

os.environ.setdefault("RAGAS_DO_NOT_TRACK", "true")  # before anything imports ragas
