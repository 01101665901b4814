"""Comparing two runs and the CI gates (`--fail-under`, `--baseline` with `--max-regression`)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from api.core.errors import describe_fields

from .scoring import METRICS
from .summary import badness

EDITED = "outcome:edited"  # from `dataset from-feedback`: the reference is what an agent sent after editing


class GateError(ValueError):
    """A gate was given wrongly (unknown metric, not NAME=NUMBER)."""


class RunError(ValueError):
    """A run directory that is missing, or whose files are not a run this version can read."""


# What compare and the gates read of a run's files (the files hold more; it is let through).
class _Stat(BaseModel):
    model_config = ConfigDict(extra="allow")
    mean: float


class _Group(BaseModel):
    model_config = ConfigDict(extra="allow")
    template: str
    model: str
    metrics: dict[str, _Stat]


class _Summary(BaseModel):
    model_config = ConfigDict(extra="allow")
    groups: list[_Group]


class _Row(BaseModel):
    model_config = ConfigDict(extra="allow")
    dataset: str
    case_id: str
    template: str
    model: str
    repeat: int
    status: Literal["ok", "fallback", "failed"]
    metrics: dict[str, float | None]


_ROWS = TypeAdapter(list[_Row])


def load_run(directory: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A run's summary and rows, checked for what is read of them: a wrong file is a RunError
    naming it, not a KeyError or TypeError later."""
    summary_path = directory / "summary.json"
    if not summary_path.is_file():
        raise RunError(f"{directory}: no summary.json (is it a run's --out directory?)")
    results = directory / "results.jsonl"
    try:
        where = summary_path
        summary = json.loads(summary_path.read_text())
        _Summary.model_validate(summary)
        where = results
        rows = [json.loads(line) for line in results.read_text().splitlines() if line.strip()] if results.is_file() else []
        _ROWS.validate_python(rows)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RunError(f"{where}: cannot be read as a run's file: {exc}") from exc
    except ValidationError as exc:
        raise RunError(f"{where}: not a run this version can read: {describe_fields(exc.errors(), whole='file')}") from exc
    return summary, rows


def parse_thresholds(items: list[str], what: str) -> dict[str, float]:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise GateError(f"{what} {item!r}: expected METRIC=NUMBER")
        if name not in METRICS:
            raise GateError(f"{what} {item!r}: unknown metric {name!r}; known: {', '.join(METRICS)}")
        try:
            out[name] = float(value)
        except ValueError as exc:
            raise GateError(f"{what} {item!r}: {value!r} is not a number") from exc
    return out


def _worse_by(metric: str, old: float, new: float) -> float:
    """How much worse `new` is than `old` (positive = worse), by the metric's direction."""
    direction = METRICS[metric].higher_is_better
    if direction is None:
        return abs(new - old)
    return (old - new) if direction else (new - old)


def _incomplete(group: dict[str, Any]) -> list[str]:
    """A gate never passes on part of the cells: failed cells and failed judgements say so."""
    label = f"{group['template']} on {group['model']}"
    problems = []
    if group.get("failed"):
        problems.append(f"{label}: {group['failed']} of {group['cells']} cells failed, so its means cover only the rest")
    if group.get("judge_errors"):
        problems.append(f"{label}: {group['judge_errors']} judgements failed")
    return problems


def check_fail_under(summary: dict[str, Any], thresholds: dict[str, float]) -> list[str]:
    failures = []
    for group in summary["groups"]:
        if thresholds:
            failures += _incomplete(group)
        label = f"{group['template']} on {group['model']}"
        for metric, limit in thresholds.items():
            stat = group["metrics"].get(metric)
            if stat is None:
                failures.append(f"{label}: {metric} has no values (cannot check it against {limit:g})")
                continue
            higher = METRICS[metric].higher_is_better is not False
            if (stat["mean"] < limit) if higher else (stat["mean"] > limit):
                relation = "below" if higher else "above"
                failures.append(f"{label}: {metric} = {stat['mean']:.4f} is {relation} {limit:g}")
    return failures


def check_regressions(summary: dict[str, Any], baseline: dict[str, Any], limits: dict[str, float]) -> list[str]:
    base = {(g["template"], g["model"]): g for g in baseline["groups"]}
    failures = []
    for group in summary["groups"]:
        before = base.get((group["template"], group["model"]))
        if before is None:
            continue
        label = f"{group['template']} on {group['model']}"
        if limits:
            failures += _incomplete(group)
        for metric, limit in limits.items():
            new, old = group["metrics"].get(metric), before["metrics"].get(metric)
            if old is None:
                continue
            if new is None:
                failures.append(f"{label}: {metric} has no values now (the baseline had {old['mean']:.4f})")
                continue
            worse = _worse_by(metric, old["mean"], new["mean"])
            if worse > limit:
                failures.append(
                    f"{label}: {metric} regressed by {worse:.4f} ({old['mean']:.4f} -> {new['mean']:.4f}), "
                    f"more than the allowed {limit:g}"
                )
    if not any((g["template"], g["model"]) in base for g in summary["groups"]):
        failures.append("the baseline has no template x model in common with this run")
    return failures


def compare(run_a: Path, run_b: Path, worst: int = 15) -> str:
    """A readable report: per-metric deltas per template x model, the cases that got worse, and
    when RUN_B has cases tagged outcome:edited, those cases worst first (`edited_worst_first`)."""
    summary_a, rows_a = load_run(run_a)
    summary_b, rows_b = load_run(run_b)
    lines = [f"# {run_a} -> {run_b}", ""]
    groups_a = {(g["template"], g["model"]): g for g in summary_a["groups"]}
    for group in summary_b["groups"]:
        key = (group["template"], group["model"])
        lines.append(f"## {key[0]} on {key[1]}")
        before = groups_a.get(key)
        if before is None:
            lines += ["(not in the first run)", ""]
            continue
        lines += ["", "| metric | before | after | delta | |", "|---|---:|---:|---:|---|"]
        for metric in METRICS:
            old, new = before["metrics"].get(metric), group["metrics"].get(metric)
            if old is None or new is None:
                continue
            delta = new["mean"] - old["mean"]
            worse = _worse_by(metric, old["mean"], new["mean"])
            mark = "worse" if worse > 1e-9 and METRICS[metric].higher_is_better is not None else ""
            lines.append(f"| {metric} | {old['mean']:.4f} | {new['mean']:.4f} | {delta:+.4f} | {mark} |")
        lines.append("")
    lines += slice_deltas(summary_a, summary_b)
    index_a = {(r["dataset"], r["case_id"], r["template"], r["model"], r["repeat"]): r for r in rows_a}
    regressions = []
    rank = {"ok": 2, "fallback": 1, "failed": 0}
    for row in rows_b:
        old = index_a.get((row["dataset"], row["case_id"], row["template"], row["model"], row["repeat"]))
        if old is None:
            continue
        reasons = []
        if rank[row["status"]] < rank[old["status"]]:
            reasons.append(f"status {old['status']} -> {row['status']}")
        for metric in ("facts_kept", "semantic_similarity", "chrf", "judge_empathy"):
            a, b = old["metrics"].get(metric), row["metrics"].get(metric)
            if a is not None and b is not None and _worse_by(metric, a, b) > (0.5 if metric.startswith("judge") else 0.05):
                reasons.append(f"{metric} {a:.3f} -> {b:.3f}")
        if reasons:
            regressions.append((len(reasons), row, reasons))
    regressions.sort(key=lambda item: -item[0])
    lines.append(f"## Cases that got worse ({len(regressions)})")
    lines.append("")
    for _, row, reasons in regressions[:worst]:
        lines.append(f"- {row['case_id']} [{row['template']} on {row['model']}]: {'; '.join(reasons)}")
    if not regressions:
        lines.append("none")
    lines += edited_worst_first(rows_b, index_a, worst)
    return "\n".join(lines) + "\n"


SLICE_DELTAS = ("guard_passed", "facts_kept", "semantic_similarity", "chrf")


def slice_deltas(summary_a: dict[str, Any], summary_b: dict[str, Any]) -> list[str]:
    """Per format and per language of the draft (when RUN_B has more than one), for each template
    x model: cells and the means of SLICE_DELTAS before and after, marked when worse. Runs from
    before the breakdown have none: their slices read as not in the first run."""
    lines: list[str] = []
    for key, name, title in (("by_format", "format", "By format"), ("by_language", "language", "By language")):
        after = summary_b.get(key) or []
        if len({entry[name] for entry in after}) < 2:
            continue
        before = {(e["template"], e["model"], e[name]): e for e in summary_a.get(key) or []}
        metrics = [m for m in SLICE_DELTAS if any(m in e["metrics"] for e in after)]
        lines += [f"## {title}, before -> after", "",
                  f"| {name} | template on model | cells | " + " | ".join(metrics) + " |",
                  "|---|---|---:|" + "---:|" * len(metrics)]
        for entry in after:
            old = before.get((entry["template"], entry["model"], entry[name]))
            cells = [f"{old['cells']} -> {entry['cells']}" if old else f"- -> {entry['cells']}"]
            for metric in metrics:
                new_stat = entry["metrics"].get(metric)
                old_stat = (old or {}).get("metrics", {}).get(metric)
                if new_stat is None:
                    cells.append("-")
                elif old_stat is None:
                    cells.append(f"- -> {new_stat['mean']:.3f}")
                else:
                    worse = _worse_by(metric, old_stat["mean"], new_stat["mean"]) > 1e-9
                    cells.append(f"{old_stat['mean']:.3f} -> {new_stat['mean']:.3f}" + (" worse" if worse else ""))
            lines.append(f"| {entry[name]} | {entry['template']} on {entry['model']} | " + " | ".join(cells) + " |")
        lines.append("")
    return lines


def _similarity(metrics: dict[str, Any]) -> tuple[str, float | None]:
    """The similarity to the reference that `badness` ranks by: semantic, else chrF."""
    name = "semantic_similarity" if "semantic_similarity" in metrics else "chrf"
    return name, metrics.get(name)


def edited_worst_first(rows_b: list[dict[str, Any]], index_a: dict[tuple, dict[str, Any]],
                       worst: int) -> list[str]:
    """RUN_B's cases an agent edited before sending (tag outcome:edited, from `dataset
    from-feedback`), worst first by `badness`, the reports' order: failed, then fallback, then the
    fewest facts kept, then the least similar to what the agent sent. Nothing without such cases."""
    edited = sorted((row for row in rows_b if EDITED in (row.get("tags") or [])), key=badness)
    if not edited:
        return []
    lines = ["", f"## Edited before sending, worst first ({len(edited)})", "",
             "Cases whose reference is what an agent sent after editing the rewrite (tag outcome:edited): "
             "the further a rewrite is from it, the more the agents had to change.", ""]

    def shown(row: dict[str, Any]) -> str:
        metrics = row.get("metrics") or {}
        facts = metrics.get("facts_kept")
        name, similarity = _similarity(metrics)
        parts = [row["status"]]
        parts.append(f"facts_kept {facts:.3f}" if facts is not None else "facts_kept -")
        parts.append(f"{name} {similarity:.3f}" if similarity is not None else f"{name} -")
        return ", ".join(parts)

    repeats = any(row["repeat"] for row in edited)
    for row in edited[:worst]:
        label = f"{row['template']} on {row['model']}" + (f", repeat {row['repeat']}" if repeats else "")
        before = index_a.get((row["dataset"], row["case_id"], row["template"], row["model"], row["repeat"]))
        was = f" (before: {shown(before)})" if before is not None else ""
        lines.append(f"- {row['case_id']} [{label}]: {shown(row)}{was}")
    if len(edited) > worst:
        lines.append(f"- ... and {len(edited) - worst} more (--worst N lists more)")
    return lines
