"""Running the matrix: every (case x template x model x repeat) cell generated through the core
rewriter (or a service's API), cached, scored and judged, concurrently under a bound."""

from __future__ import annotations

import asyncio
import hashlib
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Awaitable, Callable
from typing import Any

from tqdm import tqdm

from api.core.settings import PROJECT_ROOT, Settings

from . import dataset as datasets
from .cache import Cache, key_of
from .generate import Cell, CellFailed, CoreGenerator, EndpointGenerator, Generator
from .judge import Judge
from .scoring import Embedder, score_cell

# The code whose behaviour is part of a cached generation: every module of these packages, so a
# change anywhere in them (or a module added to them) invalidates the cache.
_CORE_PACKAGES = ("core", "guard", "models")
# Settings that change what a model answers (where it is served, how it is prompted).
_OUTPUT_SETTINGS = ("model", "model_api_base", "completion_models", "local_model_path", "local_model_ctx",
                    "mask_pii")


def core_version(settings: Settings) -> str:
    """A digest of the core's code and of the settings that change its output."""
    digest = hashlib.sha256()
    for package in _CORE_PACKAGES:
        for path in sorted((PROJECT_ROOT / "api" / package).rglob("*.py")):
            digest.update(path.relative_to(PROJECT_ROOT).as_posix().encode() + b"\0" + path.read_bytes())
    digest.update(repr([getattr(settings, name) for name in _OUTPUT_SETTINGS]).encode())
    return digest.hexdigest()[:16]


def judge_version(settings: Settings) -> str:
    """A digest of the rubric and judging code, and of where the judge is served."""
    digest = hashlib.sha256((PROJECT_ROOT / "evals" / "judge.py").read_bytes())
    digest.update(repr(settings.model_api_base).encode())
    return digest.hexdigest()[:16]


@dataclass
class RunConfig:
    datasets: list[Path]
    templates: list[str]
    models: list[str]
    out: Path
    judge_model: str | None = None
    concurrency: int = 4
    repeat: int = 1
    endpoint: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    cache_dir: Path = PROJECT_ROOT / ".cache" / "evals"
    embeddings: bool = True
    progress: bool = True


@dataclass
class RunOutcome:
    rows: list[dict[str, Any]]
    notices: list[str] = field(default_factory=list)
    generated: int = 0
    cache_hits: int = 0
    judged: int = 0
    judge_cache_hits: int = 0
    seconds: float = 0.0


async def run(config: RunConfig, settings: Settings) -> RunOutcome:
    cases = [(path.stem, case) for path in config.datasets for case in datasets.load(path)]
    generator: Generator = (
        EndpointGenerator(config.endpoint) if config.endpoint else CoreGenerator(settings, config.models)
    )
    source = f"endpoint:{config.endpoint}" if config.endpoint else f"core:{core_version(settings)}"
    judged_by = f"{config.judge_model}:{judge_version(settings)}" if config.judge_model else None
    judge = Judge(config.judge_model, settings) if config.judge_model else None
    outcome = RunOutcome(rows=[])
    if judge is None:
        outcome.notices.append(
            "LLM-judged metrics (judge_empathy, judge_faithfulness, judge_professionalism) were skipped: "
            "no --judge-model was given."
        )
    if not config.embeddings:
        outcome.notices.append("semantic_similarity was skipped (--no-embeddings).")
    cache = Cache(config.cache_dir)
    started = time.monotonic()
    try:
        resolved = [await generator.template_sha256(ref) for ref in config.templates]
        cells = [
            (name, Cell(case, ref, sha, model, repeat))
            for name, case in cases
            for ref, sha in resolved
            for model in config.models
            for repeat in range(config.repeat)
        ]
        bound = asyncio.Semaphore(config.concurrency)
        bar = tqdm(total=len(cells), unit="cell", desc="cells", disable=not config.progress, file=sys.stderr)
        failures = 0

        async def one(dataset_name: str, cell: Cell) -> dict[str, Any]:
            nonlocal failures
            row = await _cell(cell, dataset_name, generator, source, judge, judged_by, config, cache, bound, outcome)
            failures += row["status"] == "failed"
            bar.update(1)
            bar.set_postfix(failures=failures, refresh=False)
            return row

        try:
            outcome.rows = list(await asyncio.gather(*(one(name, cell) for name, cell in cells)))
        finally:
            bar.close()
        if config.embeddings:
            _add_semantic_similarity(outcome.rows)
        _add_judge_spread(outcome.rows)
    finally:
        cache.close()
        await generator.aclose()
    outcome.seconds = time.monotonic() - started
    return outcome


async def _cell(cell: Cell, dataset_name: str, generator: Generator, source: str, judge: Judge | None,
                judged_by: str | None, config: RunConfig, cache: Cache, bound: asyncio.Semaphore,
                outcome: RunOutcome) -> dict[str, Any]:
    case = cell.case
    row: dict[str, Any] = {
        "dataset": dataset_name, "case_id": case.id, "tags": list(case.tags), "format": case.format,
        "language": None, "template": cell.template, "model": cell.model, "repeat": cell.repeat,
        "draft": case.draft, "customer_message": case.customer_message, "reference": case.reference,
        "variables": case.variables,
    }
    # A text case keeps the key it had before cases had a format; another format is another request.
    formatted = {"format": case.format} if case.format != "text" else {}
    key = key_of(
        kind="generation", source=source, template=cell.template, template_sha256=cell.template_sha256,
        model=cell.model, draft=case.draft, customer_message=case.customer_message, variables=case.variables,
        repeat=cell.repeat, temperature=config.temperature, max_tokens=config.max_tokens, **formatted,
    )
    try:
        result, hit = await _cached(
            cache, key, bound, lambda: generator.rewrite(cell.request(config.temperature, config.max_tokens))
        )
    except CellFailed as exc:
        # Failures are recorded, not cached: a rerun tries them again.
        return {**row, "language": _language(case), "status": "failed", "error": str(exc), "rewrite": None,
                "metrics": {"cell_failed": 1.0}}
    outcome.cache_hits += hit
    outcome.generated += not hit
    row["language"] = result["language"] if "language" in result else _language(case)
    if result["model"] != cell.model:
        return {**row, "status": "failed", "rewrite": None, "metrics": {"cell_failed": 1.0},
                "error": f"answered by {result['model']}, not {cell.model}"}

    status = "fallback" if result["guard"]["status"] == "fallback" else "ok"
    row.update({
        "status": status,
        "error": None,
        "rewrite": result["rewrite"],
        "rejected_rewrite": result["guard"].get("rejected_rewrite"),
        "guard": result["guard"],
        "diff": result["diff"],
        "usage": result["usage"],
        "finish_reason": result["finish_reason"],
    })
    if status == "fallback":
        row["error"] = "guard fallback: " + "; ".join(v["detail"] for v in result["guard"]["violations"])
    row["metrics"] = {"cell_failed": 0.0, **await score_cell(case.draft, case.reference, case.customer_message,
                                                                  case.variables, result, case.format)}
    row["answered_by"] = result["model"]
    if judge is not None:
        await _judge_cell(row, cell, result["rewrite"], judge, judged_by, cache, bound, outcome)
    return row


async def _judge_cell(row: dict[str, Any], cell: Cell, reply: str, judge: Judge, judged_by: str | None,
                      cache: Cache, bound: asyncio.Semaphore, outcome: RunOutcome) -> None:
    """The judge's scores for the cell's reply, from the cache or the judge, into `row`. The judge
    reads the visible text of the draft and of the reply (the same as the reply's for text): it
    grades what the customer reads, not markup; the key is what it reads."""
    case = cell.case
    draft, reply = case.visible(case.draft), case.visible(reply)
    judge_key = key_of(kind="judge", judge=judged_by, draft=draft,
                       customer_message=case.customer_message, reply=reply, repeat=cell.repeat)
    try:
        verdict, hit = await _cached(cache, judge_key, bound, lambda: judge.judge(draft, case.customer_message, reply))
    except Exception as exc:  # noqa: BLE001 - a failed judgement is recorded, the cell kept
        row["judge_error"] = f"{type(exc).__name__}: {str(exc)[:300]}"
        return
    outcome.judge_cache_hits += hit
    outcome.judged += not hit
    row["judge"] = verdict["judge_reasons"]
    row["metrics"].update({k: v for k, v in verdict.items() if k != "judge_reasons"})


async def _cached(cache: Cache, key: str, bound: asyncio.Semaphore, make: Callable[[], Awaitable[Any]]) -> tuple[Any, bool]:
    """The cached value for `key`, or what `make()` gives (run within `bound`, then cached), and
    whether it came from the cache. A failure is raised, never cached."""
    value = cache.get(key)
    if value is not None:
        return value, True
    async with bound:
        value = await make()
    cache.set(key, value)
    return value, False


_EMBEDDER = Embedder()


def _language(case: datasets.Case) -> str | None:
    """The draft's language as the service reads it, for a cell whose result does not say."""
    from api.guard import language

    return language.detect(case.visible(case.draft))


def _add_semantic_similarity(rows: list[dict[str, Any]]) -> None:
    """Similarity of the visible texts of the rewrite and the reference (markup is not meaning)."""
    scored = [row for row in rows if row["status"] != "failed"]
    values = _EMBEDDER.similarities([(datasets.visible(row["rewrite"], row["format"]),
                                      datasets.visible(row["reference"], row["format"])) for row in scored])
    for row, value in zip(scored, values):
        row["metrics"]["semantic_similarity"] = value


def _add_judge_spread(rows: list[dict[str, Any]]) -> None:
    """With --repeat N, the spread of the empathy judgement for the same case shows flaky judging."""
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for row in rows:
        if "judge_empathy" in row.get("metrics", {}):
            groups.setdefault((row["dataset"], row["case_id"], row["template"], row["model"]), []).append(row)
    for members in groups.values():
        if len(members) > 1:
            spread = statistics.pstdev(m["metrics"]["judge_empathy"] for m in members)
            for member in members:
                member["metrics"]["judge_spread"] = spread
