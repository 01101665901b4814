"""Command line: `python -m api serve` (the default), `python -m api rewrite < draft.txt` and
`python -m api new-key NAME`. The rewrite goes through the same core as the HTTP API (and as the
eval harness, which has its own command: `python -m evals`).
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

from api.core.errors import RewriterError, TemplateLoadError
from api.core.settings import get_settings


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from api.http.app import create_app
    from api.models.local_files import LocalModelError

    from api.http.keys import KeyConfigError
    from api.http.logs import configure
    from api.http.protocol import BoundedHttpToolsProtocol

    settings = get_settings()
    log_config = configure(settings)
    try:
        app = create_app(settings)
        if app.state.local_model is not None:
            # Before listening: a llama.cpp that cannot generate on this CPU stops start-up here
            # with the reason, instead of killing the service on its first rewrite.
            app.state.local_model.prove()
    except TemplateLoadError as exc:
        print(f"cannot start: broken template: {exc}", file=sys.stderr)
        return 2
    except (LocalModelError, KeyConfigError) as exc:
        print(f"cannot start: {exc}", file=sys.stderr)
        return 2
    common = {
        "host": args.host or settings.host,
        "port": args.port or settings.port,
        "log_level": settings.log_level.lower(),
        "log_config": log_config,
        "access_log": False,  # api.http.context writes one line per request, with its request id
        "timeout_graceful_shutdown": settings.shutdown_grace_s,
        "backlog": 4096,
        "http": BoundedHttpToolsProtocol,  # a cap on request heads (431), protocol errors as problems
    }
    if settings.workers > 1:
        # Each worker process builds its own app (and loads its own local model) from the
        # environment; the app built above has already validated templates and model file.
        del app
        uvicorn.run("api.http.app:create_app", factory=True, workers=settings.workers, **common)
    else:
        # After a graceful shutdown uvicorn re-raises the SIGTERM it caught; with the default
        # handler that kills the process (exit status -15), so a finished shutdown looked like a
        # crash to supervisors. Ours turns it (or a SIGTERM before uvicorn listens) into exit 0.
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
        uvicorn.run(app, **common)
    return 0


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _rewrite(args: argparse.Namespace) -> int:
    from api.core.rewriter import Rewriter
    from api.core.schemas import RewriteRequest

    settings = get_settings()
    bad = [pair for pair in args.var if "=" not in pair]
    if bad:
        print(f"error: --var needs NAME=VALUE, got {bad[0]!r}", file=sys.stderr)
        return 2
    variables = dict(pair.split("=", 1) for pair in args.var)
    draft = sys.stdin.read()
    try:
        request = RewriteRequest(
            draft=draft, customer_message=args.customer_message, template=args.template,
            variables=variables, model=args.model, on_violation=args.on_violation,
        )
        result = asyncio.run(Rewriter.from_settings(settings).rewrite(request))
    except (RewriterError, TemplateLoadError) as exc:
        print(f"error: {getattr(exc, 'detail', exc)}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(result.model_dump_json(indent=2) if args.json else result.rewrite)
    return 0


def _new_key(args: argparse.Namespace) -> int:
    """Make an API key: the key goes to the integration, the entry to REWRITER_API_KEYS."""
    from api.http.keys import KeyConfigError, entry_for, new_key, parse_entry

    key = sys.stdin.readline().strip() if args.stdin else new_key()
    if not key:
        print("error: no key on stdin", file=sys.stderr)
        return 2
    entry = entry_for(args.name, key)
    try:
        parse_entry(entry)
    except KeyConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not args.stdin:
        print(f"key (give it to {args.name}; it is not stored anywhere): {key}")
    print(f"REWRITER_API_KEYS entry: {entry}")
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["eval"]:
        # The evals depend on the service's core, not the other way round.
        print("error: the eval harness is its own command: python -m evals run|compare ...", file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(prog="python -m api", description=__doc__)
    sub = parser.add_subparsers(dest="command")
    serve = sub.add_parser("serve", help="start the HTTP service (default)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    rewrite = sub.add_parser("rewrite", help="rewrite the draft read from stdin")
    rewrite.add_argument("--template")
    rewrite.add_argument("--customer-message")
    rewrite.add_argument("--model")
    rewrite.add_argument("--var", action="append", default=[], metavar="NAME=VALUE")
    rewrite.add_argument("--on-violation", choices=["fallback", "error", "allow"], default="fallback",
                         help="what to do when the rewrite loses or invents facts (default: fallback)")
    rewrite.add_argument("--json", action="store_true", help="print the whole result as JSON")
    key = sub.add_parser("new-key", help="make an API key and its REWRITER_API_KEYS entry")
    key.add_argument("name", help="the integration's name, shown in logs and metrics")
    key.add_argument("--stdin", action="store_true", help="hash the key read from stdin instead of making one")
    args = parser.parse_args(argv)
    if args.command == "rewrite":
        return _rewrite(args)
    if args.command == "new-key":
        return _new_key(args)
    if args.command is None:
        args.host, args.port = None, None
    return _serve(args)


if __name__ == "__main__":
    raise SystemExit(main())
