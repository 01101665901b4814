"""Benchmark the embedded local model: load time, time to first token, tokens per second, and the
end-to-end latency of a typical rewrite through the HTTP API (a real server in a subprocess).

    .venv/bin/python -m benchmarks.local_model [--repeat 5] [--out benchmarks/results/local_model.json]

Prints a table of medians (and min/max) and writes the raw samples as JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path


import httpx

from api.models.local_files import default_model_path
from api.models.local_model import LocalModel
from api.core.settings import Settings
from api.core.templates import TemplateRegistry

ROOT = Path(__file__).resolve().parent.parent

DRAFT = (
    "Hi {{ticket.requester.first_name}}, your refund of $49.99 for order #4821 was approved. "
    "It will reach your card in 5-7 business days."
)
CUSTOMER = "I returned the blender two weeks ago and still have no refund!"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def summary(samples: list[float]) -> dict[str, float]:
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples), "n": len(samples)}


async def model_figures(settings: Settings, repeat: int) -> dict[str, list[float]]:
    path = settings.local_model_path or default_model_path(settings.cache_dir)
    template = TemplateRegistry.load(settings.prompts_dir).get("empathetic")

    def prompt_for(index: int):
        # A different draft each time: llama.cpp reuses the shared few-shot prefix, as in service.
        draft = DRAFT.replace("#4821", f"#{4821 + index}")
        context = {**template.resolve_variables({}), "draft": draft, "customer_message": CUSTOMER}
        return template.render(context, form="completion")

    params = {"temperature": 0.3, "max_tokens": 120, "stop": prompt_for(0).stop}

    loads, ttft, rates, tokens = [], [], [], []
    model = None
    for _ in range(max(2, repeat // 2)):
        model = LocalModel(path, settings.local_model_threads, settings.local_model_ctx, 4)
        started = time.perf_counter()
        model.load()
        loads.append(time.perf_counter() - started)
    assert model is not None
    for index in range(repeat):
        text = prompt_for(index).messages[0]["content"]
        started = time.perf_counter()
        first = None
        async for item in model.stream(text, params):
            if first is None and isinstance(item, str):
                first = time.perf_counter()
            final = item
        end = time.perf_counter()
        ttft.append((first or end) - started)
        generated = final.completion_tokens  # type: ignore[union-attr]
        tokens.append(generated)
        rates.append(generated / (end - started))
    # The first generation after a load processes the whole prompt; later ones reuse its prefix.
    return {"load_s": loads, "ttft_cold_s": ttft[:1], "ttft_warm_s": ttft[1:] or ttft,
            "tokens_per_s_incl_prompt": rates, "completion_tokens": tokens}


def http_figures(repeat: int) -> dict[str, list[float]]:
    port = free_port()
    env = {**os.environ, "REWRITER_PORT": str(port), "REWRITER_LOG_LEVEL": "warning"}
    server = subprocess.Popen([sys.executable, "-m", "api", "serve"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        started = time.perf_counter()
        with httpx.Client(base_url=base, timeout=120) as client:
            while True:
                try:
                    if client.get("/readyz").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if time.perf_counter() - started > 120:
                    raise RuntimeError("server did not become ready")
                time.sleep(0.2)
            ready = time.perf_counter() - started
            body = {"draft": DRAFT, "customer_message": CUSTOMER, "max_tokens": 120}
            latency, ttfb = [], []
            for index in range(repeat):
                body["draft"] = DRAFT.replace("#4821", f"#{5821 + index}")
                t0 = time.perf_counter()
                response = client.post("/v1/rewrites", json=body)
                response.raise_for_status()
                latency.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                with client.stream("POST", "/v1/rewrites", json={**body, "stream": True}) as streamed:
                    for line in streamed.iter_lines():
                        if line.startswith("event: delta"):
                            ttfb.append(time.perf_counter() - t0)
                            break
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {"server_ready_s": [ready], "http_rewrite_s": latency, "http_stream_first_delta_s": ttfb}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "local_model.json")
    args = parser.parse_args()

    settings = Settings(_env_file=None)
    samples = asyncio.run(model_figures(settings, args.repeat))
    samples.update(http_figures(args.repeat))

    rows = {name: summary(values) for name, values in samples.items()}
    print(f"\nLocal model benchmark ({platform.machine()}, {os.cpu_count()} cores, repeat={args.repeat})\n")
    print(f"| {'figure':28} | {'median':>9} | {'min':>9} | {'max':>9} | {'n':>3} |")
    print(f"|{'-' * 30}|{'-' * 11}|{'-' * 11}|{'-' * 11}|{'-' * 5}|")
    for name, row in rows.items():
        print(f"| {name:28} | {row['median']:9.3f} | {row['min']:9.3f} | {row['max']:9.3f} | {row['n']:3d} |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": platform.machine(), "cores": os.cpu_count(),
                                    "summary": rows, "samples": samples}, indent=2))
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
