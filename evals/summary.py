"""Aggregates: every metric's mean per template x model, and per tag, per format (text, markdown,
html) and per language of the draft; counts of cells by status."""

from __future__ import annotations

import statistics
from typing import Any

from .scoring import METRICS


def _means(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    for name in METRICS:
        values = [row["metrics"][name] for row in rows if row.get("metrics", {}).get(name) is not None]
        if values:
            out[name] = {
                "mean": statistics.fmean(values),
                "stdev": statistics.pstdev(values) if len(values) > 1 else 0.0,
                "n": len(values),
            }
    return out


def _counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    return {
        "cells": len(rows),
        "ok": sum(r["status"] == "ok" for r in rows),
        "fallback": sum(r["status"] == "fallback" for r in rows),
        "failed": sum(r["status"] == "failed" for r in rows),
        "judge_errors": sum("judge_error" in r for r in rows),
    }


UNKNOWN_LANGUAGE = "unknown"  # a draft too short (or unclear) for the service to tell its language


def format_of(row: dict[str, Any]) -> str:
    return row.get("format") or "text"  # rows of runs from before cases had a format were text


def language_of(row: dict[str, Any]) -> str:
    return row.get("language") or UNKNOWN_LANGUAGE


FORMATS = ("text", "markdown", "html")


def _slices(groups: dict[tuple[str, str], list[dict[str, Any]]], name: str, value_of) -> list[dict[str, Any]]:
    """For each template x model, each value of `value_of(row)` (a format, a language): its counts
    and means; formats in the order of FORMATS, languages by their number of cells, most first
    (unknown last)."""
    out: list[dict[str, Any]] = []
    for (template, model), members in groups.items():
        values: dict[str, list[dict[str, Any]]] = {}
        for row in members:
            values.setdefault(value_of(row), []).append(row)

        def order(item: tuple[str, list]) -> tuple:
            value, rows = item
            rank = FORMATS.index(value) if name == "format" and value in FORMATS else len(FORMATS)
            return rank, value == UNKNOWN_LANGUAGE, -len(rows), value

        for value, rows in sorted(values.items(), key=order):
            out.append({"template": template, "model": model, name: value, **_counts(rows), "metrics": _means(rows)})
    return out


def summarise(rows: list[dict[str, Any]], run_info: dict[str, Any]) -> dict[str, Any]:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault((row["template"], row["model"]), []).append(row)
    by_tag: list[dict[str, Any]] = []
    for (template, model), members in groups.items():
        tags = sorted({tag for row in members for tag in row["tags"]})
        for tag in tags:
            tagged = [row for row in members if tag in row["tags"]]
            by_tag.append({"template": template, "model": model, "tag": tag, **_counts(tagged),
                           "metrics": _means(tagged)})
    return {
        "run": run_info,
        "overall": {**_counts(rows), "metrics": _means(rows)},
        "groups": [
            {"template": template, "model": model, **_counts(members), "metrics": _means(members)}
            for (template, model), members in groups.items()
        ],
        "by_tag": by_tag,
        "by_format": _slices(groups, "format", format_of),
        "by_language": _slices(groups, "language", language_of),
        "metrics": {name: {"higher_is_better": m.higher_is_better, "description": m.description}
                    for name, m in METRICS.items()},
    }


def badness(row: dict[str, Any]) -> tuple:
    """Sort key, worst first: failed, then fallback, then fewest facts kept, then least similar."""
    metrics = row.get("metrics", {})
    status_rank = {"failed": 0, "fallback": 1}.get(row["status"], 2)
    return (
        status_rank,
        metrics.get("facts_kept") if metrics.get("facts_kept") is not None else 1.0,
        metrics.get("semantic_similarity", metrics.get("chrf", 1.0)) or 0.0,
    )
