"""The feedback summary: per template@version and model, what the agents did with the rewrites;
and, for the versions a template experiment served (REWRITER_TEMPLATE_SPLIT), the share sent as
is with its interval, each version against the first one."""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from datetime import datetime, timedelta, timezone
from typing import Any

from . import stats
from .schemas import Arm, Comparison, Experiment, GroupSummary, Interval, Share, Summary

_SPAN = re.compile(r"(\d{1,4})([dhm])")
# What the summary reads of each row (not the texts).
SUMMARY_COLUMNS = ("template", "template_version", "model", "assigned", "outcome", "edit_distance", "edit_ratio",
                   "rating", "guard_status")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def parse_since(text: str, now: datetime) -> datetime:
    """`7d`, `24h`, `90m`, or an ISO 8601 date or time (UTC unless it says otherwise)."""
    match = _SPAN.fullmatch(text.strip())
    if match:
        return now - timedelta(**{_UNITS[match[2]]: int(match[1])})
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError("use a span like 7d, 24h or 90m, or an ISO 8601 date like 2026-11-01") from None
    if moment.year <= 1970:  # before anything was recorded (and no overflow converting year 1)
        return _EPOCH
    moment = moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)  # the store compares UTC times (SQLite as text)


def _share(count: int, total: int) -> float | None:
    return round(count / total, 4) if total else None


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 4) if values else None


def summarize(rows: list[dict[str, Any]], since: datetime, until: datetime) -> Summary:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[(f"{row['template']}@{row['template_version']}", row["model"])].append(row)
    out = []
    for (template, model), members in sorted(groups.items()):
        answered = [r for r in members if r["outcome"]]
        outcomes = Counter(r["outcome"] for r in answered)
        edits = [r for r in answered if r["outcome"] != "discarded" and r["edit_distance"] is not None]
        ratings = [r["rating"] for r in answered if r["rating"] is not None]
        out.append(GroupSummary(
            template=template, model=model, rewrites=len(members), with_feedback=len(answered),
            share=Share(**{name: _share(outcomes[name], len(answered)) for name in ("sent", "edited", "discarded")}),
            median_edit_distance=_median([r["edit_distance"] for r in edits]),
            median_edit_ratio=_median([r["edit_ratio"] for r in edits]),
            mean_rating=round(statistics.fmean(ratings), 2) if ratings else None,
            guard=dict(sorted(Counter(r["guard_status"] for r in members).items())),
        ))
    return Summary(since=since, until=until, groups=out, experiments=experiments(rows))


def experiments(rows: list[dict[str, Any]]) -> list[Experiment]:
    """The split's versions of each template on each model (a fallback model's answers are not
    mixed into the primary's), by the share of their answered rewrites sent as is. The baseline is
    the version with the most answers (the usual control arm)."""
    by_template: dict[tuple[str, str], dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for row in rows:
        if row["assigned"] and row["outcome"]:
            counts = by_template[(row["template"], row["model"])][row["template_version"]]
            counts[0] += row["outcome"] == "sent"
            counts[1] += 1
    found = []
    for (name, model), versions in sorted(by_template.items()):
        if len(versions) < 2:
            continue
        arms = [Arm(template=f"{name}@{version}", with_feedback=n, sent=sent, share_sent=_share(sent, n),
                    interval=Interval(**dict(zip(("low", "high"), (round(x, 4) for x in stats.wilson(sent, n))))))
                for version, (sent, n) in sorted(versions.items())]
        baseline = max(arms, key=lambda arm: arm.with_feedback)
        comparisons = []
        for arm in arms:
            if arm is baseline:
                continue
            difference, low, high = stats.newcombe(arm.sent, arm.with_feedback, baseline.sent, baseline.with_feedback)
            comparisons.append(Comparison(template=arm.template, baseline=baseline.template,
                                          difference=round(difference, 4),
                                          interval=Interval(low=round(low, 4), high=round(high, 4)),
                                          conclusive=low > 0 or high < 0))
        found.append(Experiment(template=name, model=model, test=stats.TEST, arms=arms, comparisons=comparisons))
    return found
