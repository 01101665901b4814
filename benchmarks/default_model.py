"""The default model on real-world drafts: what a support agent gets from the zero-config service.

    .venv/bin/python -m benchmarks.default_model [--drafts 120] [--mode wrap|free] [--out ...]

Runs the core rewriter (the same function the API calls) on the embedded local model over the
first N drafts of evals/datasets/realworld/drafts.jsonl (each with its customer message),
streaming, one at a time on an otherwise idle machine. Prints, and writes as JSON:

- the guard's outcomes, and the share of replies that passed and differ from the draft;
- the share whose opening restates the customer's problem (shares a content word with the
  customer's message) and whose closing invites a reply;
- latency per rewrite (median, p90), time to the first streamed text, and tokens per second;
- a handful of replies to read.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections import Counter
from pathlib import Path


from api.guard import content
from api.core.rewriter import Rewriter
from api.core.schemas import Delta, RewriteRequest
from api.core.settings import Settings

ROOT = Path(__file__).resolve().parent.parent

REAL = ROOT / "evals" / "datasets" / "realworld" / "drafts.jsonl"
INVITES = ("reply", "write back", "let me know", "get back to")


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(drafts: int, mode: str | None) -> dict:
    rows = [json.loads(line) for line in REAL.read_text().splitlines() if line.strip()]
    # every k-th row, so all intents are in a small run
    rows = rows[:: max(1, len(rows) // drafts)][:drafts]
    rewriter = Rewriter.from_settings(Settings(_env_file=None))
    sample = rewriter.sample_prompt()
    from api.models.local_provider import flatten

    await rewriter.local_model.load(warm_prompt=flatten(sample.messages) if sample else None)
    results = []
    for row in rows:
        request = RewriteRequest(draft=row["reply"], customer_message=row["customer_message"], mode=mode)
        started = time.perf_counter()
        first = None
        async for item in await rewriter.stream(request):
            if isinstance(item, Delta):
                first = first or time.perf_counter()
            else:
                result = item
        ended = time.perf_counter()
        draft = row["reply"].strip()
        text = result.rewrite
        opening = text.split(draft, 1)[0] if draft in text else text.split(". ", 1)[0]
        closing = text.split(draft, 1)[1] if draft in text and text != draft else ""
        results.append({
            "id": row["id"], "status": result.guard.status, "changed": text.strip() != draft,
            "opening_restates": bool(content.words(opening) & content.words(row["customer_message"])),
            "closing_invites": any(word in closing.lower() for word in INVITES),
            "latency_s": ended - started, "first_text_s": (first or ended) - started,
            "completion_tokens": result.usage.completion_tokens,
            "violations": [v.detail for v in result.guard.violations],
            "customer_message": row["customer_message"], "opening": opening.strip(), "closing": closing.strip(),
        })
    n = len(results)
    passed_changed = sum(r["status"] == "passed" and r["changed"] for r in results)
    generated = [r for r in results if r["completion_tokens"]]
    return {
        "drafts": n, "mode": mode or "default",
        "outcomes": dict(Counter(r["status"] for r in results)),
        "passed_and_changed": passed_changed / n,
        "opening_restates_problem": sum(r["opening_restates"] for r in results) / n,
        "closing_invites_reply": sum(r["closing_invites"] for r in results) / n,
        "latency_s": {"median": statistics.median(r["latency_s"] for r in results),
                      "p90": quantile([r["latency_s"] for r in results], 0.9)},
        "first_text_s": {"median": statistics.median(r["first_text_s"] for r in results)},
        "completion_tokens_per_s": statistics.median(
            r["completion_tokens"] / r["latency_s"] for r in generated) if generated else None,
        "rows": results,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--drafts", type=int, default=120)
    parser.add_argument("--mode", choices=["wrap", "free"], default=None)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "default_model.json")
    args = parser.parse_args()
    figures = asyncio.run(run(args.drafts, args.mode))
    print(f"\nThe default model on {figures['drafts']} real-world drafts (mode: {figures['mode']})\n")
    print("| figure | value | target |")
    print("|---|---|---|")
    print(f"| guard outcomes | {figures['outcomes']} | |")
    print(f"| passed and not the draft | {figures['passed_and_changed']:.1%} | >= 95% |")
    print(f"| opening restates the customer's problem | {figures['opening_restates_problem']:.1%} | >= 70% |")
    print(f"| closing invites a reply | {figures['closing_invites_reply']:.1%} | >= 95% |")
    print(f"| latency per rewrite, median (p90) | {figures['latency_s']['median']:.2f} s "
          f"({figures['latency_s']['p90']:.2f} s) | < 2 s |")
    print(f"| time to first streamed text, median | {figures['first_text_s']['median']:.2f} s | |")
    rate = figures["completion_tokens_per_s"]
    print(f"| generated tokens per second of rewrite, median | {rate:.1f} | |" if rate else "| tokens/s | - | |")
    print("\nSome replies' openings and closings:\n")
    for row in figures["rows"][:: max(1, len(figures["rows"]) // 8)]:
        print(f"- [{row['status']}] customer: {row['customer_message'][:70]!r}\n  opening: {row['opening'][:150]!r}\n"
              f"  closing: {row['closing'][:100]!r}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2))
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
