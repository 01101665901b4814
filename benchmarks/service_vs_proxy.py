"""The service against the ceiling and against LiteLLM proxy, side by side, on one fake upstream.

    .venv/bin/python -m benchmarks.service_vs_proxy [--latency-ms 200] [--duration 5] [--rounds 3]

Starts, each in its own process on loopback: the fake upstream (benchmarks/fake_upstream.py), this
service (`python -m api serve`) twice, on each lane (`service`: the openai SDK, the default for
an `openai/` model; `svc-litellm`: `REWRITER_LITELLM_ONLY=true`), and LiteLLM proxy (in its own virtual environment,
benchmarks/.proxy-venv, created on first use with litellm[proxy]==1.80.17), all pointed at the same
upstream. Load comes from wrk (Debian's package) in a separate process. For each concurrency
(1, 16, 64, 256) and round, the four targets run one after another (interleaved), and the table
reports medians over rounds (each round rotates which target goes first, and each target drains
its backlog before the next starts): requests/s, p50/p95/p99 latency, latency added over the ceiling,
errors, CPU seconds per 1,000 requests and peak RSS of the serving process. Then streaming
time-to-first-token added over the ceiling, and the batch endpoint's items/s. Writes the figures
as JSON. Needs `wrk` on PATH.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
PROXY_VENV = ROOT / "benchmarks" / ".proxy-venv"
PROXY_REQUIREMENT = "litellm[proxy]==1.80.17"
DRAFT = "Hi {{ticket.requester.first_name}}, refund of $49.99 for order #4821 approved. Arrives in 3-5 business days."
CLK_TCK = os.sysconf("SC_CLK_TCK")
WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("WRK_BODY")
done = function(summary, latency, requests)
  io.write(string.format("JSON {\\"requests\\":%d,\\"duration_us\\":%d,\\"errors\\":%d,\\"non2xx\\":%d,\\"p50\\":%d,\\"p95\\":%d,\\"p99\\":%d}\\n",
    summary.requests, summary.duration, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status, latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def ensure_proxy_venv() -> Path:
    litellm_bin = PROXY_VENV / "bin" / "litellm"
    if not litellm_bin.exists():
        print(f"creating {PROXY_VENV} with {PROXY_REQUIREMENT} (once; a few minutes)", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(PROXY_VENV)], check=True)
        subprocess.run([str(PROXY_VENV / "bin" / "pip"), "install", "--quiet", PROXY_REQUIREMENT], check=True)
    return litellm_bin


def wait_ready(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not come up")


def tree(pid: int) -> list[int]:
    pids, queue = [], [pid]
    while queue:
        current = queue.pop()
        pids.append(current)
        try:
            for task in os.listdir(f"/proc/{current}/task"):
                with open(f"/proc/{current}/task/{task}/children") as handle:
                    queue += [int(p) for p in handle.read().split()]
        except OSError:
            pass
    return pids


def cpu_seconds(pid: int) -> float:
    total = 0.0
    for p in tree(pid):
        try:
            fields = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLK_TCK
        except OSError:
            pass
    return total


def peak_rss_mb(pid: int) -> float:
    total = 0.0
    for p in tree(pid):
        try:
            for line in open(f"/proc/{p}/status"):
                if line.startswith("VmHWM:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return total


def settle(pid: int, quiet_s: float = 0.05, timeout_s: float = 60) -> None:
    """Wait until the serving process has stopped using CPU (its queued requests are done)."""
    deadline = time.monotonic() + timeout_s
    last = cpu_seconds(pid)
    while time.monotonic() < deadline:
        time.sleep(0.5)
        now = cpu_seconds(pid)
        if now - last < quiet_s:
            return
        last = now


def run_wrk(url: str, body: dict, connections: int, duration: float, script: Path) -> dict:
    env = {**os.environ, "WRK_BODY": json.dumps(body)}
    threads = str(min(2, connections))
    proc = subprocess.run(
        ["wrk", "-t", threads, "-c", str(connections), "-d", f"{int(round(duration))}s", "--timeout", "60s", "-s", str(script), url],
        capture_output=True, text=True, env=env, timeout=duration + 120,
    )
    line = next((l for l in proc.stdout.splitlines() if l.startswith("JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk against {url} printed no result:\n{proc.stdout}\n{proc.stderr}")
    data = json.loads(line[5:])
    data["rps"] = data["requests"] / (data["duration_us"] / 1e6)
    return data


def _has_text(line: str) -> bool:
    """An SSE line carrying generated text: our `delta` event, or an OpenAI chunk with content."""
    if line.startswith("event: delta"):
        return True
    if not line.startswith("data:") or line.strip() == "data: [DONE]":
        return False
    try:
        choices = json.loads(line[5:]).get("choices") or [{}]
    except ValueError:
        return False
    return bool((choices[0].get("delta") or {}).get("content"))


def first_token_s(url: str, body: dict, samples: int) -> list[float]:
    times = []
    with httpx.Client(timeout=60) as client:
        for _ in range(samples):
            started = time.perf_counter()
            with client.stream("POST", url, json=body) as response:
                for line in response.iter_lines():
                    if _has_text(line):
                        times.append(time.perf_counter() - started)
                        break
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency-ms", type=float, default=200)
    parser.add_argument("--tokens-per-s", type=float, default=200)
    parser.add_argument("--jitter-ms", type=float, default=0,
                        help="spread the upstream's latency over latency +- this (fake_upstream.py)")
    parser.add_argument("--duration", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, action="append")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn workers for the service and the proxy")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "service_vs_proxy.json")
    args = parser.parse_args()
    levels = args.concurrency or [1, 16, 64, 256]
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed (apt-get install wrk)")
    litellm_bin = ensure_proxy_venv()
    ports = {"upstream": free_port(), "service": free_port(), "svc-litellm": free_port(), "proxy": free_port()}
    upstream = f"http://127.0.0.1:{ports['upstream']}/v1"
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    script = work / "post.lua"
    script.write_text(WRK_SCRIPT)
    (work / "proxy.yaml").write_text(
        "model_list:\n  - model_name: bench\n    litellm_params:\n      model: openai/bench\n"
        f"      api_base: {upstream}\n      api_key: x\nlitellm_settings:\n  drop_params: true\n"
    )
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    base_env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    procs = {
        "upstream": subprocess.Popen([sys.executable, str(ROOT / "benchmarks" / "fake_upstream.py"), "--port",
                                      str(ports["upstream"]), "--latency-ms", str(args.latency_ms),
                                      "--tokens-per-s", str(args.tokens_per_s), "--jitter-ms", str(args.jitter_ms)],
                                     **quiet),
        **{name: subprocess.Popen([sys.executable, "-m", "api", "serve", "--port", str(ports[name])], cwd=ROOT,
                                  env={**base_env, "REWRITER_MODEL": "openai/bench", "REWRITER_MODEL_API_BASE": upstream,
                                       "REWRITER_MODEL_API_KEY": "x", "REWRITER_LOG_LEVEL": "warning",
                                       "REWRITER_WORKERS": str(args.workers), "REWRITER_MAX_BATCH_ITEMS": "100",
                                       "REWRITER_BATCH_CONCURRENCY": "32",
                                       "REWRITER_LITELLM_ONLY": str(name == "svc-litellm").lower()}, **quiet)
           for name in ("service", "svc-litellm")},
        "proxy": subprocess.Popen([str(litellm_bin), "--config", str(work / "proxy.yaml"), "--port", str(ports["proxy"]),
                                   "--num_workers", str(args.workers)], cwd=work, env=base_env, **quiet),
    }
    targets = {
        "ceiling": (f"{upstream}/chat/completions", {"model": "bench", "messages": [{"role": "user", "content": DRAFT}]}),
        "service": (f"http://127.0.0.1:{ports['service']}/v1/rewrites", {"draft": DRAFT}),
        "svc-litellm": (f"http://127.0.0.1:{ports['svc-litellm']}/v1/rewrites", {"draft": DRAFT}),
        "proxy": (f"http://127.0.0.1:{ports['proxy']}/v1/chat/completions",
                  {"model": "bench", "messages": [{"role": "user", "content": DRAFT}]}),
    }
    serving = {"service": "service", "svc-litellm": "svc-litellm", "proxy": "proxy", "ceiling": "upstream"}
    try:
        wait_ready(f"{upstream}/chat/completions".replace("/v1/chat/completions", "/"))
        wait_ready(f"http://127.0.0.1:{ports['service']}/readyz")
        wait_ready(f"http://127.0.0.1:{ports['svc-litellm']}/readyz")
        wait_ready(f"http://127.0.0.1:{ports['proxy']}/health/liveliness")
        for name, (url, body) in targets.items():  # warm up connections and caches
            run_wrk(url, body, 4, 1, script)
        samples: dict = {level: {name: [] for name in targets} for level in levels}
        order = list(targets)
        for level in levels:
            for round_ in range(args.rounds):
                # Rotate who goes first, and let each target drain its backlog before the next
                # one starts, so no target is measured while another still burns the CPU.
                for name in order[round_ % len(order):] + order[:round_ % len(order)]:
                    url, body = targets[name]
                    pid = procs[serving[name]].pid
                    cpu_before = cpu_seconds(pid)
                    result = run_wrk(url, body, level, args.duration, script)
                    settle(pid)
                    # CPU after the drain: the requests wrk stopped waiting for still cost it.
                    result["cpu_s_per_1k"] = (cpu_seconds(pid) - cpu_before) / max(1, result["requests"]) * 1000
                    result["peak_rss_mb"] = peak_rss_mb(pid)
                    samples[level][name].append(result)
                    print(f"c={level} round {round_ + 1} {name}: {result['rps']:.1f} req/s, p50 "
                          f"{result['p50'] / 1000:.1f} ms, errors {result['errors'] + result['non2xx']}", file=sys.stderr)
        ttft = {
            "ceiling": first_token_s(targets["ceiling"][0], {**targets["ceiling"][1], "stream": True}, 20),
            "service": first_token_s(targets["service"][0], {"draft": DRAFT, "stream": True}, 20),
            "svc-litellm": first_token_s(targets["svc-litellm"][0], {"draft": DRAFT, "stream": True}, 20),
            "proxy": first_token_s(targets["proxy"][0], {**targets["proxy"][1], "stream": True}, 20),
        }
        batch_rates = []
        with httpx.Client(timeout=300) as client:
            for _ in range(3):
                started = time.perf_counter()
                response = client.post(targets["service"][0].replace("/rewrites", "/rewrites:batch"),
                                       json={"items": [{"draft": DRAFT}] * 64})
                ok = sum("rewrite" in item for item in response.json()["results"])
                batch_rates.append(ok / (time.perf_counter() - started))
    finally:
        for proc in procs.values():
            proc.terminate()
        for proc in procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()

    def med(level: int, name: str, key: str) -> float:
        return statistics.median(s[key] for s in samples[level][name])

    table = []
    for level in levels:
        for name in targets:
            table.append({
                "concurrency": level, "target": name, "rps": med(level, name, "rps"),
                "p50_ms": med(level, name, "p50") / 1000, "p95_ms": med(level, name, "p95") / 1000,
                "p99_ms": med(level, name, "p99") / 1000,
                "added_p50_ms": (med(level, name, "p50") - med(level, "ceiling", "p50")) / 1000,
                "errors": sum(s["errors"] + s["non2xx"] for s in samples[level][name]),
                "cpu_s_per_1k": med(level, name, "cpu_s_per_1k"), "peak_rss_mb": med(level, name, "peak_rss_mb"),
            })
    print(f"\nService vs LiteLLM proxy vs ceiling: upstream {args.latency_ms:.0f} +- {args.jitter_ms:.0f} ms, {args.duration:g} s x "
          f"{args.rounds} rounds per cell (medians), workers {args.workers}, {os.cpu_count()} cores\n")
    print("| conc | target      |   req/s |  p50 ms |  p95 ms |  p99 ms | added p50 ms | errors | CPU s/1k req | peak RSS MB |")
    print("|-----:|-------------|--------:|--------:|--------:|--------:|-------------:|-------:|-------------:|------------:|")
    for row in table:
        print(f"| {row['concurrency']:4d} | {row['target']:11} | {row['rps']:7.1f} | {row['p50_ms']:7.1f} | "
              f"{row['p95_ms']:7.1f} | {row['p99_ms']:7.1f} | {row['added_p50_ms']:12.1f} | {row['errors']:6d} | "
              f"{row['cpu_s_per_1k']:12.2f} | {row['peak_rss_mb']:11.0f} |")
    print("\n| conc | service/proxy req/s | service/proxy p99 | svc-litellm/proxy req/s | service/svc-litellm req/s | service/ceiling req/s |")
    print("|-----:|--------------------:|------------------:|------------------------:|--------------------------:|----------------------:|")
    ratios = []
    for level in levels:
        row = {r["target"]: r for r in table if r["concurrency"] == level}
        ratio = {"concurrency": level, "rps_service_over_proxy": row["service"]["rps"] / row["proxy"]["rps"],
                 "p99_service_over_proxy": row["service"]["p99_ms"] / row["proxy"]["p99_ms"],
                 "rps_litellm_lane_over_proxy": row["svc-litellm"]["rps"] / row["proxy"]["rps"],
                 "rps_service_over_litellm_lane": row["service"]["rps"] / row["svc-litellm"]["rps"],
                 "rps_service_over_ceiling": row["service"]["rps"] / row["ceiling"]["rps"]}
        ratios.append(ratio)
        print(f"| {level:4d} | {ratio['rps_service_over_proxy']:19.2f} | {ratio['p99_service_over_proxy']:17.2f} | "
              f"{ratio['rps_litellm_lane_over_proxy']:23.2f} | {ratio['rps_service_over_litellm_lane']:25.2f} | "
              f"{ratio['rps_service_over_ceiling']:21.2f} |")
    ttft_median = {name: statistics.median(values) * 1000 for name, values in ttft.items() if values}
    print(f"\nstreaming time to first token (median of 20, sequential): ceiling {ttft_median['ceiling']:.1f} ms, "
          + ", ".join(f"{name} +{ttft_median[name] - ttft_median['ceiling']:.1f} ms"
                      for name in ("service", "svc-litellm", "proxy")))
    print(f"batch endpoint: {statistics.median(batch_rates):.1f} items/s (64 items, 32 at once, median of 3)")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"table": table, "ratios": ratios, "ttft_ms": ttft_median,
                                    "batch_items_per_s": batch_rates, "samples": {str(k): v for k, v in samples.items()},
                                    "latency_ms": args.latency_ms, "jitter_ms": args.jitter_ms, "workers": args.workers}, indent=2))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
