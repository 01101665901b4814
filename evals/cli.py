"""Command line of the eval harness.

  python -m evals run --dataset PATH --out DIR [--template ...] [--model ...]   score a matrix
  python -m evals compare RUN_A RUN_B                                          what changed

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
  2    bad input or usage: a dataset (its bad lines by number), an option, a template, a run directory
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
    print(f"wrote {config.out}/results.jsonl, summary.json, report.md, report.html")


def _compare(args: argparse.Namespace) -> int:
    try:
        print(compare(Path(args.run_a), Path(args.run_b)), end="")
    except RunError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
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
                         "before and after with the delta (marked when worse), then the cases that got "
                         "worse. Prints Markdown.",
                         **common)
    cmp.add_argument("run_a", metavar="RUN_A", help="the earlier run (the baseline): a `run --out` directory")
    cmp.add_argument("run_b", metavar="RUN_B",
                     help="the later run, compared against RUN_A: a `run --out` directory")
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
    return _compare(args)
