"""Command line of the Reply Rewriter.

  python -m api [serve]              start the HTTP service (the default command)
  python -m api rewrite [DRAFT]      rewrite a draft read from a file or stdin, print the rewrite
  python -m api templates            list the templates (name@version and description)
  python -m api new-key NAME         make an API key and its REWRITER_API_KEYS entry

The rewrite goes through the same core as the HTTP API. Settings come from REWRITER_*
environment variables (and a .env file in the working directory), as for the service. The eval
harness is its own command: python -m evals run|compare|dataset (python -m evals --help).

Exit codes: EXIT_CODES below, also shown by --help.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
import textwrap
from pathlib import Path
from typing import Any

from api.core.errors import describe_fields

# Imports stay inside the commands: `--help`, `templates` and `new-key` must not pay for litellm,
# llama.cpp or FastAPI's app (litellm alone takes seconds to import on a loaded machine).

EXIT_OK, EXIT_MODEL, EXIT_INPUT, EXIT_REJECTED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
# A constant, not a slice of the docstring: `python -OO` strips docstrings.
EXIT_CODES = """\
Exit codes:
  0    done (with a note on stderr when your draft came back unchanged); serve: stopped cleanly
       (SIGTERM or Ctrl-C)
  1    the model failed: the provider failed after retries and fallbacks, or the deadline passed
  2    bad input or usage: an option, an empty draft, an unknown template, a bad --var, a model
       not allowed, a bad key name; or a bad setting, a broken template or local model file
  3    the fact guard rejected the rewrite: with --strict, your draft came back unchanged (or,
       with --on-violation allow, the rewrite failed the guard); with --on-violation error
  130  interrupted (Ctrl-C before the command finished)"""


class TableHelp(argparse.HelpFormatter):
    """Descriptions filled to the terminal as usual; an exit-code table kept as written (this
    command's and `python -m evals`')."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith("Exit codes:"):
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


# A request field as the rewrite command spells it.
_OPTIONS = {"draft": "the draft", "customer_message": "--customer-message", "template": "--template",
            "model": "--model", "variables": "--var", "on_violation": "--on-violation", "format": "--format"}
# A draft file's format by its extension, when --format does not say
_EXTENSIONS = {".html": "html", ".htm": "html", ".md": "markdown", ".markdown": "markdown"}
_VIOLATIONS_SHOWN = 3


class _Fail(Exception):
    """Stop the command: `message` goes to stderr as is, `code` is the exit status."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _say(message: str) -> None:
    print(message, file=sys.stderr)


# --- settings and logging -------------------------------------------------------------------


def _settings():
    """The service's settings; a bad REWRITER_* value is bad input, named by its variable."""
    from pydantic import ValidationError

    from api.core.settings import get_settings

    try:
        return get_settings()
    except ValidationError as exc:
        problems = describe_fields(exc.errors(), whole="settings", label=_env_name)
        raise _Fail(EXIT_INPUT, f"error: bad setting: {problems}") from None


def _env_name(field: str) -> str:
    head = field.split(".", 1)[0]
    return head if head.isupper() else f"REWRITER_{head.upper()}"


def _setting_defaults() -> dict[str, Any]:
    """For help texts: the settings in effect, or the built-in defaults when they do not load."""
    names = ("host", "port", "model", "default_template")
    try:
        settings = _settings()
        return {name: getattr(settings, name) for name in names}
    except _Fail:
        from api.core.settings import Settings

        return {name: Settings.model_fields[name].default for name in names}


def _configure_logging(settings) -> None:
    """For the one-shot commands: warnings and errors in plain words on stderr. llama.cpp's own
    warnings (cache sizes and the like, routed to the `llama_cpp` logger) and litellm's are noise
    here: what fails reaches the user as an error of ours. REWRITER_LOG_LEVEL set explicitly means
    the service's log lines instead (JSON unless REWRITER_LOG_FORMAT=text)."""
    from api.http.logs import QUIET, KeyValueFormatter, configure

    if "log_level" in settings.model_fields_set:
        configure(settings)
        return

    class Plain(KeyValueFormatter):
        """`warning: model failed model=openai/x reason=500`: the level in words, the message,
        and the fields our loggers attach, as REWRITER_LOG_FORMAT=text writes them."""

        def format(self, record: logging.LogRecord) -> str:
            return f"{record.levelname.lower()}: {super().format(record)}"

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(Plain("%(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
    # llama.cpp's own log (api.models.llama_logs), and the libraries the service keeps at WARNING.
    for name in ("llama_cpp", *QUIET):
        logging.getLogger(name).setLevel(logging.ERROR)


# --- serve ----------------------------------------------------------------------------------


def _serve(args: argparse.Namespace) -> int:
    settings = _settings()
    import uvicorn

    from api.core.errors import TemplateLoadError
    from api.http.app import create_app
    from api.http.keys import KeyConfigError
    from api.http.logs import configure
    from api.http.protocol import BoundedHttpToolsProtocol
    from api.feedback.store import StoreConfigError
    from api.models.local_files import LocalModelError

    log_config = configure(settings)
    try:
        app = create_app(settings, serving=True)
        if app.state.local_model is not None:
            # Before listening: a llama.cpp that cannot generate on this CPU stops start-up here
            # with the reason, instead of killing the service on its first rewrite.
            app.state.local_model.prove()
    except TemplateLoadError as exc:
        raise _Fail(EXIT_INPUT, f"cannot start: broken template: {exc}") from None
    except (LocalModelError, KeyConfigError, StoreConfigError) as exc:
        raise _Fail(EXIT_INPUT, f"cannot start: {exc}") from None
    common = {
        "host": args.host if args.host is not None else settings.host,
        "port": args.port if args.port is not None else settings.port,
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
        uvicorn.run("api.http.app:serving_app", factory=True, workers=settings.workers, **common)
    else:
        # After a graceful shutdown uvicorn re-raises the SIGTERM it caught; with the default
        # handler that kills the process (exit status -15), so a finished shutdown looked like a
        # crash to supervisors. Ours turns it (or a SIGTERM before uvicorn listens) into exit 0.
        signal.signal(signal.SIGTERM, _exit_on_sigterm)
        uvicorn.run(app, **common)
    return EXIT_OK


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(0)


# --- rewrite --------------------------------------------------------------------------------


def _read_draft(source: str) -> str:
    if source == "-":
        if sys.stdin is None:
            raise _Fail(EXIT_INPUT, "error: no draft: there is no stdin; give the draft as a file argument")
        if sys.stdin.isatty():
            _say("reading the draft from the terminal; end it with Ctrl-D (or give a file: "
                 "python -m api rewrite draft.txt)")
        stream = getattr(sys.stdin, "buffer", None)
        try:
            return stream.read().decode("utf-8-sig") if stream is not None else sys.stdin.read()
        except UnicodeDecodeError:
            raise _Fail(EXIT_INPUT, "error: the draft on stdin is not UTF-8 text") from None
    path = Path(source)
    try:
        return path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise _Fail(EXIT_INPUT, f"error: draft file {source} not found") from None
    except IsADirectoryError:
        raise _Fail(EXIT_INPUT, f"error: {source} is a directory, not a draft file") from None
    except UnicodeDecodeError:
        raise _Fail(EXIT_INPUT, f"error: draft file {source} is not UTF-8 text") from None
    except OSError as exc:
        raise _Fail(EXIT_INPUT, f"error: cannot read draft file {source}: {exc.strerror or exc}") from None


def _option(field: str) -> str:
    head, _, rest = field.partition(".")
    if head == "variables" and rest:
        return f"--var {rest}"
    return _OPTIONS.get(head, field)


def _request(args: argparse.Namespace):
    from pydantic import ValidationError

    from api.core.schemas import RewriteRequest

    bad = [pair for pair in args.var if "=" not in pair or not pair.split("=", 1)[0].strip()]
    if bad:
        raise _Fail(EXIT_INPUT, f"error: --var needs NAME=VALUE (e.g. --var customer_name=Ana), "
                                f"got {bad[0]!r}")
    draft = _read_draft(args.draft)
    if not draft.strip():
        where = "the draft is empty" if args.draft == "-" else f"the draft file {args.draft} is empty"
        raise _Fail(EXIT_INPUT, f"error: {where}: give the draft on stdin or as a file argument")
    variables = dict(pair.split("=", 1) for pair in args.var)
    try:
        return RewriteRequest(
            draft=draft, customer_message=args.customer_message, template=args.template,
            variables=variables, model=args.model, on_violation=args.on_violation,
            format=args.format or _EXTENSIONS.get(Path(args.draft).suffix.lower(), "text"),
        )
    except ValidationError as exc:
        raise _Fail(EXIT_INPUT, f"error: {describe_fields(exc.errors(), label=_option)}") from None


def _violations(guard) -> str:
    details = [v.detail for v in guard.violations[:_VIOLATIONS_SHOWN]]
    more = len(guard.violations) - _VIOLATIONS_SHOWN
    return "; ".join(details) + (f"; and {more} more (--json shows them all)" if more > 0 else "")


def _report(result, strict: bool) -> int:
    """What the guard did, on stderr, and the exit status it comes to."""
    guard = result.guard
    if guard.status == "fallback":
        _say("note: returned your draft unchanged: the model's rewrite failed the fact guard: "
             + _violations(guard))
        return EXIT_REJECTED if strict else EXIT_OK
    if guard.status == "allowed":
        _say("warning: printed the model's rewrite although it failed the fact guard "
             f"(--on-violation allow): {_violations(guard)}")
    for caution in guard.warnings:
        _say(f"warning: {caution.detail}")
    return EXIT_REJECTED if strict and guard.status == "allowed" else EXIT_OK


def _rewrite(args: argparse.Namespace) -> int:
    settings = _settings()
    _configure_logging(settings)
    request = _request(args)  # bad input stops here, before litellm or the model is loaded
    from api.core.errors import InvalidRequest, RewriteRejected, RewriterError, TemplateLoadError
    from api.core.rewriter import Rewriter
    from api.core.settings import provider_of
    from api.models.local_files import LocalModelError

    try:
        rewriter = Rewriter.from_settings(settings)
        if rewriter.local_model is not None and provider_of(request.model or settings.model) == "local":
            rewriter.local_model.check()  # a missing or corrupt model file, named, before any retry
        result = asyncio.run(rewriter.rewrite(request))
    except TemplateLoadError as exc:
        raise _Fail(EXIT_INPUT, f"error: broken template: {exc}") from None
    except LocalModelError as exc:
        raise _Fail(EXIT_INPUT, f"error: {exc}") from None
    except RewriteRejected as exc:
        raise _Fail(EXIT_REJECTED, f"error: the fact guard rejected the rewrite (--on-violation error): "
                                   f"{exc.detail}") from None
    except InvalidRequest as exc:
        field, detail = exc.extra.get("field"), exc.detail
        if field and detail.startswith(f"{field}: "):  # "variables.tone: ..." is "--var tone: ..." here
            detail = f"{_option(field)}: {detail[len(field) + 2:]}"
        raise _Fail(EXIT_INPUT, f"error: {detail}") from None
    except RewriterError as exc:
        raise _Fail(EXIT_MODEL, f"error: {exc.detail}") from None
    print(result.model_dump_json(indent=2) if args.json else result.rewrite.rstrip("\n"))
    return _report(result, args.strict)


# --- templates ------------------------------------------------------------------------------


def _templates(args: argparse.Namespace) -> int:
    """The templates, as GET /v1/templates lists them."""
    import json

    from api.core.errors import TemplateLoadError, UnknownTemplate
    from api.core.templates import TemplateRegistry

    settings = _settings()
    try:
        registry = TemplateRegistry.load(settings.prompts_dir)
    except TemplateLoadError as exc:
        raise _Fail(EXIT_INPUT, f"error: broken template: {exc}") from None
    try:
        default = registry.get(settings.default_template).ref
    except UnknownTemplate:
        default = None
    if args.json:
        print(json.dumps(registry.listing(settings.default_template), indent=2))
        return EXIT_OK
    for template in registry:
        versions = registry.versions(template.name)
        marks = ["latest"] if len(versions) > 1 and template is versions[-1] else []
        marks += ["default"] if template.ref == default else []
        print(template.ref + (f"  ({', '.join(marks)})" if marks else ""))
        for line in textwrap.wrap(template.spec.description, 96):
            print(f"    {line}")
        if template.spec.variables:
            names = [f"{n} (required)" if v.required else n for n, v in template.spec.variables.items()]
            print(f"    variables: {', '.join(names)}")
    return EXIT_OK


# --- new-key --------------------------------------------------------------------------------

def _check_key_name(name: str) -> None:
    from api.http.keys import name_problem  # the rule parse_entry applies

    problem = name_problem(name)
    if problem:
        raise _Fail(EXIT_INPUT, f"error: bad key name {name!r}: {problem}")


def _new_key(args: argparse.Namespace) -> int:
    """Make an API key: the key goes to the integration, the entry to REWRITER_API_KEYS."""
    _check_key_name(args.name)
    from api.http.keys import KeyConfigError, entry_for, new_key, parse_entry

    key = sys.stdin.readline().strip() if args.stdin else new_key()
    if not key:
        raise _Fail(EXIT_INPUT, "error: no key on stdin (--stdin reads the key from its first line)")
    entry = entry_for(args.name, key)
    try:
        parse_entry(entry)
    except KeyConfigError as exc:
        raise _Fail(EXIT_INPUT, f"error: {exc}") from None
    if not args.stdin:
        print(f"key (give it to {args.name}; it is not stored anywhere): {key}")
    print(f"REWRITER_API_KEYS entry: {entry}")
    return EXIT_OK


# --- forget -------------------------------------------------------------------------------


def _forget(args: argparse.Namespace) -> int:
    """Delete recorded rewrites and their feedback from the feedback store, by id or by key."""
    import asyncio

    from api.feedback.store import FeedbackStore, StoreConfigError

    settings = _settings()
    if args.key is not None:
        _check_key_name(args.key)
    try:
        store = FeedbackStore(args.db or settings.feedback_url)
    except StoreConfigError as exc:
        raise _Fail(EXIT_INPUT, f"error: {exc}") from None

    async def run() -> int:
        try:
            await store.migrate()  # an empty or older store is brought up to date, never guessed at
            return await store.delete(rewrite_id=args.id, key_name=args.key)
        finally:
            await store.close()

    from sqlalchemy.exc import SQLAlchemyError

    from api.feedback.errors import StoreUnavailable

    try:
        deleted = asyncio.run(run())
    except (OSError, SQLAlchemyError, StoreUnavailable) as exc:
        raise _Fail(EXIT_INPUT, f"error: cannot reach the feedback store: {exc}") from None
    what = f"rewrite {args.id}" if args.id is not None else f"every rewrite made with key {args.key}"
    print(f"deleted {deleted} rewrite(s) with their feedback ({what})")
    return EXIT_OK


# --- the parser -----------------------------------------------------------------------------


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"a port is 1-65535, got {value}")
    return value


def _parser() -> argparse.ArgumentParser:
    defaults = _setting_defaults()
    common: dict[str, Any] = {"epilog": EXIT_CODES, "formatter_class": TableHelp}
    parser = argparse.ArgumentParser(
        prog="python -m api",
        description="Rewrite customer-support replies with empathy, keeping every fact. Without a "
                    "command: serve. The eval harness is its own command: python -m evals.",
        **common,
    )
    sub = parser.add_subparsers(dest="command", metavar="{serve,rewrite,templates,new-key,forget}")

    serve = sub.add_parser(
        "serve", help="start the HTTP service (the default command)",
        description="Start the HTTP service. Every setting is a REWRITER_* environment variable (or a line "
        "in .env): REWRITER_MODEL, REWRITER_API_KEYS, REWRITER_WORKERS, REWRITER_LOG_LEVEL and the rest "
        "(see the README's Configuration); the options here override two of them.", **common,
    )
    serve.add_argument("--host",
                       help=f"address to listen on (default: {defaults['host']}; REWRITER_HOST sets it)")
    serve.add_argument("--port", type=_port,
                       help=f"port to listen on (default: {defaults['port']}; REWRITER_PORT sets it)")

    rewrite = sub.add_parser(
        "rewrite", help="rewrite a draft (from a file or stdin) and print the rewrite",
        description="Rewrite one draft through the same core as POST /v1/rewrites (template, model, fact "
        "guard) and print the rewrite on stdout; notes and warnings go to stderr. When the rewrite fails "
        "the fact guard, your draft is printed unchanged, with a note saying why (--strict: exit 3).",
        **common,
    )
    rewrite.add_argument("draft", nargs="?", default="-", metavar="DRAFT",
                         help="file with the agent's draft reply; '-' or none: read it from stdin")
    rewrite.add_argument("--template", metavar="NAME[@VERSION]",
                         help=f"template (default: {defaults['default_template']}, latest version; "
                         "REWRITER_DEFAULT_TEMPLATE sets it); `python -m api templates` lists them")
    rewrite.add_argument("--format", choices=["text", "markdown", "html"],
                         help="how the draft is written, and so the rewrite (default: html for a .html or .htm "
                         "file, markdown for .md, else text)")
    rewrite.add_argument("--customer-message", metavar="TEXT",
                         help="the customer's message the draft answers, so the rewrite can acknowledge it")
    rewrite.add_argument("--model", metavar="MODEL",
                         help=f"litellm model string, e.g. openai/gpt-4o-mini (default: {defaults['model']}; "
                         "REWRITER_MODEL sets it); others must be in REWRITER_ALLOWED_MODELS or the "
                         "fallbacks")
    rewrite.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                         help="a template variable, e.g. --var customer_name=Ana (repeatable)")
    rewrite.add_argument("--on-violation", choices=["fallback", "error", "allow"], default="fallback",
                         help="when the rewrite loses or invents facts even after one repair: print your "
                         "draft unchanged (fallback, the default), fail with exit 3 (error), or print the "
                         "rewrite anyway (allow)")
    rewrite.add_argument("--strict", action="store_true",
                         help="exit 3 when what is printed is not a rewrite that passed the fact guard "
                         "(your draft came back unchanged)")
    rewrite.add_argument("--json", action="store_true",
                         help="print the whole result as JSON (guard verdict, facts, usage, diff), as the "
                         "API returns it")

    templates = sub.add_parser(
        "templates", help="list the templates (name@version and description)",
        description="List the templates in REWRITER_PROMPTS_DIR, as GET /v1/templates does.", **common,
    )
    templates.add_argument("--json", action="store_true", help="print what GET /v1/templates returns")

    key = sub.add_parser(
        "new-key", help="make an API key and its REWRITER_API_KEYS entry",
        description="Make an API key for one integration and print it with its REWRITER_API_KEYS entry "
        "(NAME:SHA256 of the key). Only the entry goes into the configuration; the key is not stored.",
        **common,
    )
    key.add_argument("name", help="the integration's name, shown in logs and metrics: 1 to 64 letters, digits, '_', '.' or '-'")
    key.add_argument("--stdin", action="store_true",
                     help="make the entry for the key on stdin's first line instead of making a new key")
    forget = sub.add_parser(
        "forget", help="delete recorded rewrites and their feedback, by id or by API key",
        description="Delete rewrites and the agents' feedback on them from the feedback store "
        "(REWRITER_FEEDBACK_DB, or the SQLite file in REWRITER_CACHE_DIR) now, instead of waiting for "
        "REWRITER_FEEDBACK_RETENTION_DAYS: one rewrite by its id, or every rewrite an API key made. "
        "(An integration can delete its own: DELETE /v1/rewrites/{id}.)", **common,
    )
    which = forget.add_mutually_exclusive_group(required=True)
    which.add_argument("--id", metavar="RW_ID", help="the rewrite's id (rw_...)")
    which.add_argument("--key", metavar="NAME", help="the API key's name (as in REWRITER_API_KEYS; "
                       "'anonymous' for rewrites made without keys)")
    forget.add_argument("--db", metavar="URL", help="the store's URL (default: the service's)")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] in (["eval"], ["evals"]):
        # The evals depend on the service's core, not the other way round; `eval --help` too.
        _say("error: the eval harness is its own command: python -m evals run|compare|dataset ... "
             "(python -m evals --help)")
        return EXIT_INPUT
    try:
        args = _parser().parse_args(argv)
        if args.command == "rewrite":
            return _rewrite(args)
        if args.command == "templates":
            return _templates(args)
        if args.command == "new-key":
            return _new_key(args)
        if args.command == "forget":
            return _forget(args)
        if args.command is None:
            args.host, args.port = None, None
        return _serve(args)
    except _Fail as fail:
        _say(fail.message)
        return fail.code
    except KeyboardInterrupt:
        _say("interrupted")
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    raise SystemExit(main())
