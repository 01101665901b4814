"""Command line of the eval harness.

  python -m evals run --dataset PATH --out DIR [--template ...] [--model ...]   score a matrix
  python -m evals compare RUN_A RUN_B [--worst N]                              what changed
  python -m evals dataset from-feedback --out PATH [--since 30d] [--outcome ...]
                                                  cases from what agents sent (the feedback store)

Exit codes: EXIT_CODES below, also shown by --help.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import sys
from pathlib import Path

from api.cli import TableHelp
from api.core import limits
from api.core.settings import PROJECT_ROOT, get_settings

from . import dataset as datasets
from .compare import GateError, RunError, check_fail_under, check_regressions, compare, load_run, parse_thresholds

# The generation side (litellm, through api.core.rewriter), the scorers (ragas, torch) and the
# report are imported by `run` only: `--help` and `compare` start without them.

# A constant, not a slice of the docstring: `python -OO` strips docstrings.
EXIT_CODES = """\
Exit codes:
  0    all good
  1    a gate failed (--fail-under, --max-regression), each failure printed
  2    bad input or usage: a dataset (its bad lines by number), an option, a template, a run directory,
       a feedback store that cannot be read, no cases to write
  130  interrupted (completed cells are cached: run the same command again to resume)"""


def _run(args: argparse.Namespace) -> int:
    try:
        fail_under = parse_thresholds(args.fail_under, "--fail-under")
        max_regression = parse_thresholds(args.max_regression, "--max-regression")
    except GateError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if max_regression and not args.baseline:
        print("error: --max-regression needs --baseline RUN", file=sys.stderr)
        return 2
    baseline = None
    if args.baseline:
        try:
            baseline, _ = load_run(Path(args.baseline))
        except RunError as exc:
            print(f"error: --baseline: {exc}", file=sys.stderr)
            return 2
    try:
        for path in args.dataset:  # before the seconds of imports below: a typo fails at once
            datasets.load(Path(path))
    except datasets.DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    from api.core.errors import RewriterError, TemplateLoadError

    from .generate import CellFailed
    from .report import write_all
    from .run import run
    from .summary import summarise

    settings = get_settings()
    config = _config(args, settings)
    try:
        outcome = asyncio.run(run(config, settings))
    except datasets.DatasetError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (RewriterError, TemplateLoadError, CellFailed) as exc:
        print(f"error: {getattr(exc, 'detail', exc)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: finished cells are cached; run the same command again to resume", file=sys.stderr)
        return 130
    summary = summarise(outcome.rows, _run_info(config, outcome))
    write_all(config.out, outcome.rows, summary)
    _print_summary(config, outcome, summary)
    failures = check_fail_under(summary, fail_under)
    if baseline is not None and max_regression:
        failures += check_regressions(summary, baseline, max_regression)
    for failure in failures:
        print(f"GATE FAILED: {failure}", file=sys.stderr)
    return 1 if failures else 0


def _config(args: argparse.Namespace, settings):
    from .run import RunConfig

    return RunConfig(
        datasets=[Path(p) for p in args.dataset],
        templates=args.template or [settings.default_template],
        models=args.model or [settings.model],
        out=Path(args.out),
        judge_model=args.judge_model,
        concurrency=args.concurrency,
        repeat=args.repeat,
        endpoint=args.endpoint,
        temperature=args.temperature,
        max_tokens=args.max_tokens,
        cache_dir=Path(args.cache_dir),
        embeddings=not args.no_embeddings,
        progress=not args.no_progress,
    )


def _run_info(config, outcome) -> dict:
    return {
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "datasets": [str(p) for p in config.datasets], "templates": sorted({r["template"] for r in outcome.rows}),
        "models": config.models, "judge_model": config.judge_model, "repeat": config.repeat,
        "concurrency": config.concurrency, "endpoint": config.endpoint, "notices": outcome.notices,
        "generated": outcome.generated, "cache_hits": outcome.cache_hits, "judged": outcome.judged,
        "judge_cache_hits": outcome.judge_cache_hits, "seconds": round(outcome.seconds, 2),
    }


def _print_summary(config, outcome, summary: dict) -> None:
    overall = summary["overall"]
    print(f"{overall['cells']} cells: {overall['ok']} ok, {overall['fallback']} fallback, {overall['failed']} failed; "
          f"{outcome.generated} generated, {outcome.cache_hits} from cache; {outcome.seconds:.1f} s")
    for notice in outcome.notices:
        print(f"notice: {notice}")
    for group in summary["groups"]:
        m = group["metrics"]
        shown = ", ".join(f"{k} {m[k]['mean']:.3f}" for k in ("facts_kept", "guard_passed", "semantic_similarity",
                                                               "chrf", "judge_empathy") if k in m)
        print(f"  {group['template']} on {group['model']}: {shown}")
    from .report import SLICES, markdown_table, slice_table

    for key, name, title in SLICES:  # a slice of one value is the whole run: said above
        if len({entry[name] for entry in summary.get(key, [])}) > 1:
            print(f"{title}:")
            for line in markdown_table(*slice_table(summary, key, name)):
                print(f"  {line}")
    print(f"wrote {config.out}/results.jsonl, summary.json, report.md, report.html")


def _compare(args: argparse.Namespace) -> int:
    try:
        print(compare(Path(args.run_a), Path(args.run_b), worst=args.worst), end="")
    except RunError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def _from_feedback(args: argparse.Namespace) -> int:
    from api.feedback.summary import parse_since

    from . import feedback

    outcomes = list(dict.fromkeys(args.outcome or feedback.OUTCOMES))
    for outcome in outcomes:
        if outcome == "discarded":
            print("error: --outcome discarded: a discarded rewrite was never sent, so it has no reference to "
                  "score against; use --outcome sent or --outcome edited", file=sys.stderr)
            return 2
        if outcome not in feedback.OUTCOMES:
            print(f"error: --outcome {outcome!r}: use sent or edited", file=sys.stderr)
            return 2
    now = dt.datetime.now(dt.timezone.utc)
    try:
        templates = [feedback.check_template(t) for t in args.template or []]
        since = parse_since(args.since, now)
    except ValueError as exc:
        message = str(exc) if str(exc).startswith("--template") else f"--since {args.since!r}: {exc}"
        print(f"error: {message}", file=sys.stderr)
        return 2
    url = args.db or get_settings().feedback_url
    try:
        rows = asyncio.run(feedback.read_rows(url, since, outcomes, templates))
    except feedback.FeedbackExportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    export = feedback.build_cases(rows)
    out = Path(args.out)
    read = (f"{export.rewrites} rewrites {' or '.join(outcomes)} since {since.isoformat(timespec='seconds')}"
            + (f" of {', '.join(templates)}" if templates else ""))
    counts = (f"{len(export.cases)} written, {export.duplicates} skipped as duplicates, "
              f"{export.without_text} skipped without text (of {read})")
    if not export.cases:
        print(f"error: no cases to write ({read}); {out} not written", file=sys.stderr)
        return 2
    try:
        feedback.write_cases(export.cases, out)
    except OSError as exc:
        print(f"error: --out {out}: cannot be written: {exc.strerror or exc}", file=sys.stderr)
        return 2
    print(f"{out}: {counts}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    common = {"epilog": EXIT_CODES, "formatter_class": TableHelp}
    parser = argparse.ArgumentParser(
        prog="python -m evals", description="Score templates x models against reference replies.", **common
    )
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run a template x model matrix over datasets",
                         description="Generate a rewrite for every case x template x model (x --repeat), "
                         "score it, write results.jsonl, summary.json, report.md and report.html to --out, "
                         "and check the gates.",
                         **common)
    run.add_argument("--dataset", action="append", required=True, metavar="PATH", help="JSONL dataset (repeatable)")
    run.add_argument("--template", action="append", metavar="NAME[@VERSION]", help="template (repeatable; default: the service's default)")
    run.add_argument("--model", action="append", metavar="MODEL", help="litellm model (repeatable; default: REWRITER_MODEL)")
    run.add_argument("--judge-model", metavar="MODEL", help="LLM judge for the empathy rubric (skipped without one)")
    run.add_argument("--concurrency", type=int, default=4, metavar="N", help="cells generated at once (default 4)")
    run.add_argument("--repeat", type=int, default=1, metavar="N", help="generate and judge each cell N times")
    run.add_argument("--out", required=True, metavar="DIR", help="output directory")
    run.add_argument("--endpoint", metavar="URL", help="use a running service's API instead of the in-process core")
    run.add_argument("--fail-under", action="append", default=[], metavar="METRIC=VALUE",
                     help="exit 1 when a template x model's mean is worse than VALUE (repeatable)")
    run.add_argument("--baseline", metavar="RUN", help="an earlier run's --out directory to compare against")
    run.add_argument("--max-regression", action="append", default=[], metavar="METRIC=DELTA",
                     help="with --baseline: exit 1 when a metric got worse by more than DELTA (repeatable)")
    run.add_argument("--temperature", type=float, help="override the templates' temperature")
    run.add_argument("--max-tokens", type=int, help="override the templates' max_tokens")
    cache_dir = PROJECT_ROOT / ".cache" / "evals"
    run.add_argument("--cache-dir", default=str(cache_dir), metavar="DIR",
                     help="where generations and judgements are cached, so a rerun or an interrupted run "
                     f"resumes (default {cache_dir})")
    run.add_argument("--no-embeddings", action="store_true", help="skip semantic similarity (no torch model load)")
    run.add_argument("--no-progress", action="store_true", help="no progress bar")
    cmp = sub.add_parser("compare", help="per-metric deltas and the cases that got worse",
                         description="Compare two runs: for each template x model, each metric's mean "
                         "before and after with the delta (marked when worse); when RUN_B has cases of more "
                         "than one format or draft language, guard_passed, facts_kept and similarity by format "
                         "and by language; then the cases that got worse. When RUN_B's dataset has cases agents edited before sending (tag "
                         "outcome:edited, from `dataset from-feedback`), a section lists them worst first, "
                         "as the reports order cases: failed, fallback, fewest facts kept, least similar to "
                         "what the agent sent (semantic_similarity, else chrf), each with its id and its "
                         "scores in RUN_A. Prints Markdown.",
                         **common)
    cmp.add_argument("run_a", metavar="RUN_A", help="the earlier run (the baseline): a `run --out` directory")
    cmp.add_argument("run_b", metavar="RUN_B",
                     help="the later run, compared against RUN_A: a `run --out` directory")
    cmp.add_argument("--worst", type=int, default=15, metavar="N",
                     help="cases listed per section (default 15)")
    data = sub.add_parser("dataset", help="make eval datasets",
                          description="Make eval datasets (JSONL, read by `run --dataset`).", **common)
    making = data.add_subparsers(dest="dataset_command", required=True)
    fb = making.add_parser(
        "from-feedback", help="cases from the rewrites agents sent, as is or edited",
        description="Read the service's feedback store (REWRITER_FEEDBACK=true) and write a case for each "
        "rewrite an agent sent: its draft and customer message, and as the reference what the agent "
        "sent: the text after their edits (--outcome edited) or the rewrite itself (--outcome sent). "
        "Tags: source:feedback, outcome:OUTCOME, template:NAME@vVERSION, model:MODEL, guard:STATUS. Personal "
        "data is written as [email], [phone], [name]... even from a store that kept it "
        "(REWRITER_FEEDBACK_STORE_PII; names where a signature or greeting shows them). "
        "The same draft with the same reference is one case (the newest rewrite's id). Prints the counts "
        "to stderr. Discarded rewrites were never sent: they have no reference.",
        **common)
    fb.add_argument("--db", metavar="URL",
                    help="the feedback store: sqlite+aiosqlite:///PATH or "
                    "postgresql+asyncpg://USER:PASSWORD@HOST/DB (default: the service's, REWRITER_FEEDBACK_DB "
                    "or feedback.db in REWRITER_CACHE_DIR)")
    fb.add_argument("--since", default="30d", metavar="WHEN",
                    help="rewrites made since: a span back from now (7d, 24h, 90m) or an ISO 8601 date "
                    "(default 30d)")
    fb.add_argument("--outcome", action="append", metavar="OUTCOME",
                    help="sent (as is) or edited (before sending) (repeatable; default: both)")
    fb.add_argument("--template", action="append", metavar="NAME[@VERSION]",
                    help="only the rewrites of this template, or of this version of it (repeatable)")
    fb.add_argument("--out", required=True, metavar="PATH", help="the JSONL dataset to write (replaced)")
    try:
        return _main(parser, parser.parse_args(argv))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def _main(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    if args.command == "run":
        if args.concurrency < 1 or args.repeat < 1:
            parser.error("--concurrency and --repeat must be at least 1")
        if args.temperature is not None and not 0 <= args.temperature <= limits.MAX_TEMPERATURE:
            parser.error(f"--temperature must be between 0 and {limits.MAX_TEMPERATURE:g}")
        if args.max_tokens is not None and not 1 <= args.max_tokens <= limits.MAX_TOKENS:
            parser.error(f"--max-tokens must be between 1 and {limits.MAX_TOKENS}")
        return _run(args)
    if args.command == "dataset":
        return _from_feedback(args)
    if args.worst < 1:
        parser.error("--worst must be at least 1")
    return _compare(args)
