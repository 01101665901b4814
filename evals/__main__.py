"""`python -m evals run ...` and `python -m evals compare RUN_A RUN_B` (see evals/cli.py)."""

from .cli import main

raise SystemExit(main())
