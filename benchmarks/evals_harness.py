"""Benchmark the eval harness: cells per second against a fake upstream with a fixed latency (how
well the harness overlaps I/O) and against the embedded local model, and the scoring cost per case
with and without embeddings.

    .venv/bin/python -m benchmarks.evals_harness [--latency-ms 200] [--cells 48] [--local-cells 4]

Prints a table and writes benchmarks/results/evals_harness.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import tempfile
import time
from pathlib import Path


import httpx
import respx

from api.core.settings import Settings
from evals import dataset as datasets
from evals.run import RunConfig, run
from evals.scoring import Embedder, score_cell

ROOT = Path(__file__).resolve().parent.parent

DATASET = ROOT / "evals" / "datasets" / "support.jsonl"
UPSTREAM = "http://upstream.bench/v1"
_DRAFT = re.compile(r"<draft-[0-9a-f]{12}>\n(.*)\n</draft-[0-9a-f]{12}>", re.S)


def _subset(cases: int, directory: Path) -> Path:
    lines = DATASET.read_text().splitlines()[:cases]
    path = directory / "subset.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


async def fake_upstream_rate(cells: int, latency_s: float, concurrency: int) -> dict:
    async def reply(request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(latency_s)
        draft = _DRAFT.search(json.loads(request.content)["messages"][-1]["content"]).group(1)
        return httpx.Response(200, json={
            "id": "x", "object": "chat.completion", "created": 1, "model": "bench",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "I'm sorry. " + draft},
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 300, "completion_tokens": 60, "total_tokens": 360}})

    settings = Settings(_env_file=None, model="openai/bench", model_api_base=UPSTREAM, model_api_key="x")
    with tempfile.TemporaryDirectory() as tmp, respx.mock(assert_all_called=False) as mock:
        mock.post(f"{UPSTREAM}/chat/completions").mock(side_effect=reply)
        config = RunConfig(datasets=[_subset(cells, Path(tmp))], templates=["empathetic"], models=["openai/bench"],
                           out=Path(tmp) / "out", concurrency=concurrency, cache_dir=Path(tmp) / "cache",
                           embeddings=False, progress=False)
        started = time.perf_counter()
        outcome = await run(config, settings)
        seconds = time.perf_counter() - started
    return {"cells": len(outcome.rows), "seconds": seconds, "cells_per_s": len(outcome.rows) / seconds,
            "ideal_cells_per_s": concurrency / latency_s}


async def local_model_rate(cells: int) -> dict:
    settings = Settings(_env_file=None)
    with tempfile.TemporaryDirectory() as tmp:
        config = RunConfig(datasets=[_subset(cells, Path(tmp))], templates=["empathetic"], models=[settings.model],
                           out=Path(tmp) / "out", concurrency=1, cache_dir=Path(tmp) / "cache",
                           embeddings=False, progress=False)
        await run(config, settings)  # warm: load the model once
        config.cache_dir = Path(tmp) / "cache2"
        started = time.perf_counter()
        outcome = await run(config, settings)
        seconds = time.perf_counter() - started
    statuses = [row["status"] for row in outcome.rows]
    return {"cells": len(outcome.rows), "seconds": seconds, "cells_per_s": len(outcome.rows) / seconds,
            "fallback_share": statuses.count("fallback") / len(statuses)}


async def scoring_cost() -> dict:
    cases = datasets.load(DATASET)
    results = []
    for case in cases:
        rewrite = "I'm sorry for the trouble. " + case.draft
        results.append({"rewrite": rewrite, "guard": {"status": "passed", "rejected_rewrite": None},
                        "latency_ms": 1000.0, "usage": {"total_tokens": 360}, "cost_usd": 0.0})
    started = time.perf_counter()
    for case, result in zip(cases, results):
        await score_cell(case.draft, case.reference, case.customer_message, case.variables, result)
    plain = (time.perf_counter() - started) / len(cases)
    embedder = Embedder()
    started = time.perf_counter()
    embedder.similarities([("warm up", "warm up")])
    load = time.perf_counter() - started
    started = time.perf_counter()
    embedder.similarities([(r["rewrite"], c.reference) for c, r in zip(cases, results)])
    embed = (time.perf_counter() - started) / len(cases)
    return {"cases": len(cases), "ms_per_case_without_embeddings": plain * 1000,
            "ms_per_case_embeddings_only": embed * 1000, "ms_per_case_with_embeddings": (plain + embed) * 1000,
            "embedding_model_load_s": load}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency-ms", type=float, default=200)
    parser.add_argument("--cells", type=int, default=48)
    parser.add_argument("--local-cells", type=int, default=4)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "evals_harness.json")
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    figures: dict = {"fake_upstream": {}, "latency_ms": args.latency_ms}
    for concurrency in (1, 4, 16):
        samples = [asyncio.run(fake_upstream_rate(args.cells, latency, concurrency)) for _ in range(3)]
        rates = [s["cells_per_s"] for s in samples]
        figures["fake_upstream"][concurrency] = {
            "cells": samples[0]["cells"], "median_cells_per_s": statistics.median(rates),
            "ideal_cells_per_s": samples[0]["ideal_cells_per_s"],
            "efficiency": statistics.median(rates) / samples[0]["ideal_cells_per_s"], "samples": rates}
    figures["local_model"] = asyncio.run(local_model_rate(args.local_cells)) if args.local_cells else None
    figures["scoring"] = asyncio.run(scoring_cost())

    print(f"\nEval harness benchmark ({os.cpu_count()} cores)\n")
    print(f"| {'generation':38} | {'cells':>5} | {'cells/s':>8} | {'ideal':>7} | {'efficiency':>10} |")
    print(f"|{'-' * 40}|{'-' * 7}|{'-' * 10}|{'-' * 9}|{'-' * 12}|")
    for concurrency, row in figures["fake_upstream"].items():
        label = f"fake upstream {args.latency_ms:.0f} ms, concurrency {concurrency}"
        print(f"| {label:38} | {row['cells']:5d} | "
              f"{row['median_cells_per_s']:8.2f} | {row['ideal_cells_per_s']:7.1f} | {row['efficiency']:10.2f} |")
    if figures["local_model"]:
        local = figures["local_model"]
        label = "local Gemma 3 270M, concurrency 1"
        print(f"| {label:38} | {local['cells']:5d} | {local['cells_per_s']:8.3f} | "
              f"{'-':>7} | {'-':>10} |")
    scoring = figures["scoring"]
    print(f"\nscoring per case over {scoring['cases']} cases: {scoring['ms_per_case_without_embeddings']:.1f} ms without "
          f"embeddings, {scoring['ms_per_case_with_embeddings']:.1f} ms with (embeddings batched; model load "
          f"{scoring['embedding_model_load_s']:.1f} s once)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(figures, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
