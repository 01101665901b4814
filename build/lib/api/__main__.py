"""`python -m api` starts the service; `python -m api rewrite` rewrites stdin (see api/cli.py)."""

from .cli import main

raise SystemExit(main())
