"""`python -m evals run ...`, `python -m evals compare RUN_A RUN_B` and `python -m evals dataset
from-feedback ...` (see evals/cli.py)."""

from .cli import main

raise SystemExit(main())
