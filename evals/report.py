"""Writing a run's outputs: results.jsonl, summary.json, report.md and a self-contained report.html
(inline CSS and SVG, no scripts or external assets)."""

from __future__ import annotations

import json
from html import escape
from pathlib import Path
from typing import Any

from .scoring import METRICS
from .summary import badness

KEY_METRICS = ("facts_kept", "content_kept", "guard_passed", "semantic_similarity", "chrf", "rouge_l", "bleu", "judge_empathy")
# The columns of the by-format and by-language tables, those the run has.
SLICE_METRICS = ("guard_passed", "guard_fallback", "facts_kept", "content_kept", "bleu", "rouge_l", "chrf",
                 "semantic_similarity", "judge_empathy", "judge_faithfulness", "latency_ms", "cost_usd")
SLICES = (("by_format", "format", "By format"), ("by_language", "language", "By language of the draft"))


def write_all(out: Path, rows: list[dict[str, Any]], summary: dict[str, Any]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with (out / "results.jsonl").open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    (out / "summary.json").write_text(json.dumps(summary, indent=2, ensure_ascii=False), encoding="utf-8")
    (out / "report.md").write_text(markdown(rows, summary), encoding="utf-8")
    (out / "report.html").write_text(html(rows, summary), encoding="utf-8")


def _fmt(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.4g}" if abs(value) < 1000 else f"{value:.0f}"


def _group_label(group: dict[str, Any]) -> str:
    return f"{group['template']} · {group['model']}"


def _language_label(code: str) -> str:
    from api.guard.language import NAMES

    return f"{code} ({NAMES[code]})" if code in NAMES else code


def slice_table(summary: dict[str, Any], key: str, name: str) -> tuple[list[str], list[list[str]]]:
    """The header and the rows of a by-format or by-language table: one row per value and template
    x model, its cells by status and the means of the SLICE_METRICS the run has."""
    entries = summary.get(key, [])
    metrics = [m for m in SLICE_METRICS if any(m in e["metrics"] for e in entries)]
    header = [name, "template · model", "cells", "ok", "fallback", "failed", *metrics]
    rows = []
    for entry in entries:
        value = _language_label(entry[name]) if name == "language" else entry[name]
        rows.append([value, _group_label(entry), str(entry["cells"]), str(entry["ok"]), str(entry["fallback"]),
                     str(entry["failed"]), *(_fmt(entry["metrics"].get(m, {}).get("mean")) for m in metrics)])
    return header, rows


def markdown_table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|---|---|" + "---:|" * (len(header) - 2)]
    return lines + ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in rows]


def markdown(rows: list[dict[str, Any]], summary: dict[str, Any]) -> str:
    run, groups = summary["run"], summary["groups"]
    lines = ["# Eval report", "", f"- datasets: {', '.join(run['datasets'])}",
             f"- templates: {', '.join(run['templates'])}", f"- models: {', '.join(run['models'])}",
             f"- judge: {run.get('judge_model') or 'none'}; repeat: {run['repeat']}; cells: {summary['overall']['cells']} "
             f"(ok {summary['overall']['ok']}, fallback {summary['overall']['fallback']}, failed {summary['overall']['failed']})",
             ""]
    lines += [f"> {notice}" for notice in run.get("notices", [])]
    lines += ["", "## Templates x models", ""]
    lines.append("| metric | " + " | ".join(_group_label(g) for g in groups) + " |")
    lines.append("|---|" + "---:|" * len(groups))
    for name in METRICS:
        if not any(name in g["metrics"] for g in groups):
            continue
        lines.append(f"| {name} | " + " | ".join(_fmt(g["metrics"].get(name, {}).get("mean")) for g in groups) + " |")
    lines += ["", "## By tag (facts_kept / guard_passed / semantic_similarity)", "",
              "| tag | template · model | cells | facts_kept | guard_passed | semantic_similarity |", "|---|---|---:|---:|---:|---:|"]
    for entry in summary["by_tag"]:
        m = entry["metrics"]
        lines.append(f"| {entry['tag']} | {entry['template']} · {entry['model']} | {entry['cells']} | "
                     + " | ".join(_fmt(m.get(k, {}).get("mean")) for k in ("facts_kept", "guard_passed", "semantic_similarity")) + " |")
    for key, name, title in SLICES:
        if summary.get(key):
            lines += ["", f"## {title}", "", *markdown_table(*slice_table(summary, key, name))]
    if any(summary.get(key) for key, *_ in SLICES):
        lines += ["", "Means per slice. For html and markdown cases the overlap and similarity metrics read "
                  "visible text (no markup, quoted thread or signature)."]
    lines += ["", "## Cases, worst first", ""]
    for row in sorted(rows, key=badness):
        m = row.get("metrics", {})
        lines.append(f"### {row['case_id']} — {row['template']} · {row['model']} · repeat {row['repeat']} — {row['status']}"
                     + _format_and_language(row))
        if row.get("error"):
            lines.append(f"*{row['error']}*")
        if row.get("judge_error"):
            lines.append(f"*judge failed: {row['judge_error']}*")
        lines += ["", f"- draft: {row['draft']}", f"- rewrite: {row.get('rewrite') or '(none)'}",
                  f"- reference: {row['reference']}",
                  "- metrics: " + ", ".join(f"{k} {_fmt(m.get(k))}" for k in KEY_METRICS if k in m), ""]
    return "\n".join(lines) + "\n"


_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem auto;max-width:1200px;padding:0 1rem;color:#1b1f24}
h1{margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #d0d7de;padding-bottom:.3rem}
table{border-collapse:collapse;margin:.6rem 0;font-variant-numeric:tabular-nums}
th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:right}th:first-child,td:first-child{text-align:left}
th{background:#f6f8fa}.notice{background:#fff8c5;border:1px solid #d4a72c;padding:.5rem .8rem;border-radius:6px}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(340px,1fr));gap:1rem}
.chart{border:1px solid #d0d7de;border-radius:6px;padding:.5rem}.chart h3{margin:.1rem 0 .4rem;font-size:13px}
details{border:1px solid #d0d7de;border-radius:6px;margin:.5rem 0;padding:.4rem .7rem}
summary{cursor:pointer}.status-failed{color:#cf222e;font-weight:600}.status-fallback{color:#9a6700;font-weight:600}
.status-ok{color:#1a7f37}.cols{display:grid;grid-template-columns:repeat(3,1fr);gap:.8rem}
.cols div{white-space:pre-wrap;background:#f6f8fa;padding:.5rem;border-radius:6px}
ins{background:#dafbe1;text-decoration:none}del{background:#ffebe9}.muted{color:#57606a}
.best{font-weight:700}
"""


def _format_and_language(row: dict[str, Any]) -> str:
    """" · html · es" after a case's title: its format when not text, the draft's language when known."""
    parts = [row["format"]] if row.get("format", "text") != "text" else []
    parts += [row["language"]] if row.get("language") else []
    return "".join(f" · {part}" for part in parts)


def _html_table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _bar_chart(name: str, groups: list[dict[str, Any]]) -> str:
    """One horizontal bar per template x model: the label above, the bar and its value below."""
    values = [g["metrics"].get(name, {}).get("mean") for g in groups]
    present = [v for v in values if v is not None]
    if not present:
        return ""
    top = max(max(present), 1e-9)
    if 0 <= min(present) and max(present) <= 1:
        top = 1.0  # rates and scores in 0-1 keep their scale
    width, row_h, span = 320, 34, 240
    parts = []
    for i, (group, value) in enumerate(zip(groups, values)):
        y = i * row_h
        length = 0 if value is None else max(2, int(span * value / top))
        parts.append(
            f'<text x="0" y="{y + 12}" font-size="11" fill="#57606a">{escape(_group_label(group))}</text>'
            f'<rect x="0" y="{y + 17}" width="{span}" height="10" fill="#eaeef2"/>'
            f'<rect x="0" y="{y + 17}" width="{length}" height="10" fill="#0969da"/>'
            f'<text x="{span + 6}" y="{y + 26}" font-size="11">{_fmt(value)}</text>'
        )
    arrow = {True: "higher is better", False: "lower is better", None: ""}[METRICS[name].higher_is_better]
    return (f'<div class="chart"><h3>{escape(name)} <span class="muted">{arrow}</span></h3>'
            f'<svg role="img" aria-label="{escape(name)} by template and model" width="{width}" '
            f'height="{row_h * len(groups)}">' + "".join(parts) + "</svg></div>")


def _diff_html(ops: list[dict[str, str]] | None) -> str:
    if not ops:
        return ""
    tag = {"equal": "span", "insert": "ins", "delete": "del"}
    return "".join(f"<{tag[o['op']]}>{escape(o['text'])}</{tag[o['op']]}>" for o in ops)


def _case_html(row: dict[str, Any]) -> str:
    m = row.get("metrics", {})
    status = row["status"]
    guard = row.get("guard") or {}
    verdict = ""
    if guard:
        problems = "".join(f"<li>{escape(v['detail'])}</li>" for v in guard.get("violations", []))
        warnings = "".join(f"<li>{escape(w['detail'])}</li>" for w in guard.get("warnings", []))
        kept = ", ".join(escape(f["value"]) for f in guard.get("facts", [])) or "none"
        verdict = (f"<p><b>Guard:</b> {escape(guard.get('status', ''))}; facts in the returned text: {kept}</p>"
                   + (f"<p>Violations:</p><ul>{problems}</ul>" if problems else "")
                   + (f"<p>Warnings:</p><ul>{warnings}</ul>" if warnings else ""))
        if guard.get("rejected_rewrite"):
            verdict += f"<p><b>Rejected rewrite:</b> {escape(guard['rejected_rewrite'])}</p>"
    judge = ""
    if row.get("judge"):
        judge = "<p><b>Judge:</b></p><ul>" + "".join(
            f"<li>{escape(k)}: {v['score']} — {escape(v['reason'])}</li>" for k, v in row["judge"].items()) + "</ul>"
    metrics = ", ".join(f"{escape(k)} {_fmt(v)}" for k, v in m.items() if v is not None)
    error = f'<p class="status-{status}">{escape(row["error"])}</p>' if row.get("error") else ""
    if row.get("judge_error"):
        error += f'<p class="status-failed">judge failed: {escape(row["judge_error"])}</p>'
    return (
        f"<details{' open' if status != 'ok' else ''}><summary><span class=\"status-{status}\">{status}</span> "
        f"<b>{escape(row['case_id'])}</b> — {escape(row['template'])} · {escape(row['model'])} · repeat {row['repeat']}"
        f"{escape(_format_and_language(row))}"
        f" <span class=\"muted\">facts_kept {_fmt(m.get('facts_kept'))}, similarity {_fmt(m.get('semantic_similarity'))}</span></summary>"
        f"{error}"
        + (f"<p><b>Customer:</b> {escape(row['customer_message'])}</p>" if row.get("customer_message") else "")
        + f"<div class=\"cols\"><div><b>Draft</b>\n{escape(row['draft'])}</div>"
        f"<div><b>Rewrite</b>\n{escape(row.get('rewrite') or '(none)')}</div>"
        f"<div><b>Reference</b>\n{escape(row['reference'])}</div></div>"
        f"<p><b>Diff (draft → rewrite):</b> {_diff_html(row.get('diff'))}</p>{verdict}{judge}"
        f"<p class=\"muted\">{metrics}</p></details>"
    )


def html(rows: list[dict[str, Any]], summary: dict[str, Any]) -> str:
    run, groups, overall = summary["run"], summary["groups"], summary["overall"]
    present = [name for name in METRICS if any(name in g["metrics"] for g in groups)]
    head = "".join(f"<th>{escape(_group_label(g))}</th>" for g in groups)
    table_rows = []
    for name in present:
        values = [g["metrics"].get(name, {}).get("mean") for g in groups]
        direction = METRICS[name].higher_is_better
        best = None
        if direction is not None and len({v for v in values if v is not None}) > 1:  # only when they differ
            best = (max if direction else min)(v for v in values if v is not None)
        cells = "".join(
            f'<td class="{"best" if v is not None and v == best else ""}">{_fmt(v)}</td>' for v in values)
        table_rows.append(f'<tr><td title="{escape(METRICS[name].description)}">{escape(name)}</td>{cells}</tr>')
    counts = "".join(f"<td>{g['ok']} / {g['fallback']} / {g['failed']}</td>" for g in groups)
    judge_errors = "".join(f"<td>{g.get('judge_errors', 0)}</td>" for g in groups)
    tags = sorted({entry["tag"] for entry in summary["by_tag"]})
    tag_index = {(e["tag"], e["template"], e["model"]): e for e in summary["by_tag"]}
    tag_rows = []
    for tag in tags:
        cells = []
        for g in groups:
            entry = tag_index.get((tag, g["template"], g["model"]))
            if entry is None:
                cells.append("<td>–</td>")
                continue
            m = entry["metrics"]
            cells.append(f"<td>{_fmt(m.get('facts_kept', {}).get('mean'))} / {_fmt(m.get('guard_passed', {}).get('mean'))}"
                         f" / {_fmt(m.get('semantic_similarity', m.get('chrf', {})).get('mean'))} <span class=\"muted\">({entry['cells']})</span></td>")
        tag_rows.append(f"<tr><td>{escape(tag)}</td>{''.join(cells)}</tr>")
    notices = "".join(f'<p class="notice">{escape(n)}</p>' for n in run.get("notices", []))
    slices = "".join(
        f"<h2>{escape(title)}</h2>{_html_table(*slice_table(summary, key, name))}"
        for key, name, title in SLICES if summary.get(key))
    if slices:
        slices += ('<p class="muted">Means per slice. For html and markdown cases the overlap and similarity '
                   "metrics read visible text (no markup, quoted thread or signature).</p>")
    charts = "".join(_bar_chart(name, groups) for name in present)
    cases = "".join(_case_html(row) for row in sorted(rows, key=badness))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Eval report</title><style>{_CSS}</style></head><body>
<h1>Eval report</h1>
<p class="muted">datasets {escape(', '.join(run['datasets']))} · templates {escape(', '.join(run['templates']))} ·
models {escape(', '.join(run['models']))} · judge {escape(run.get('judge_model') or 'none')} · repeat {run['repeat']} ·
{overall['cells']} cells (ok {overall['ok']}, fallback {overall['fallback']}, failed {overall['failed']}) ·
{run.get('seconds', 0):.1f} s · {escape(run.get('created', ''))}</p>
{notices}
<h2>Templates × models</h2>
<table><thead><tr><th>metric (mean)</th>{head}</tr></thead><tbody>
<tr><td>cells ok / fallback / failed</td>{counts}</tr><tr><td>failed judgements</td>{judge_errors}</tr>
{''.join(table_rows)}</tbody></table>
<p class="muted">Bold: the best value of a row. Hover a metric for its definition.</p>
<h2>Charts</h2><div class="charts">{charts}</div>
<h2>By tag</h2><p class="muted">facts_kept / guard_passed / semantic similarity (or chrF), (cells)</p>
<table><thead><tr><th>tag</th>{head}</tr></thead><tbody>{''.join(tag_rows)}</tbody></table>
{slices}
<h2>Cases, worst first ({len(rows)})</h2>
{cases}
</body></html>
"""
