"""CPU time of one chat completion call through each provider client, against the fake upstream
at 0 ms in its own process (so the upstream's CPU is not counted): a bare httpx POST, the openai
SDK's `chat.completions.create`, the SDK's low-level `post` over httpx and over aiohttp (what the
service's openai lane does by default), and `litellm.acompletion` (the litellm lane). Sequential calls, clients reused; the median of
rounds of the process CPU time per call.

    .venv/bin/python -m benchmarks.provider_clients [--calls 300] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
MESSAGES = [{"role": "system", "content": "Rewrite the reply with empathy."},
            {"role": "user", "content": "Your refund for order #4821 was approved on March 3."}]


async def measure(name: str, call, calls: int, rounds: int) -> dict[str, float]:
    for _ in range(20):
        await call()
    per_call = []
    for _ in range(rounds):
        started = time.process_time()
        for _ in range(calls):
            await call()
        per_call.append((time.process_time() - started) / calls * 1000)
    return {"cpu_ms_median": statistics.median(per_call), "cpu_ms_min": min(per_call)}


async def run(base: str, calls: int, rounds: int) -> dict[str, dict[str, float]]:
    import litellm
    import openai

    import api  # noqa: F401 - litellm's offline price map and switches, as in the service
    from api.models import litellm_lane  # noqa: F401

    body = {"model": "bench", "messages": MESSAGES, "max_tokens": 200}
    plain = httpx.AsyncClient(base_url=base)
    sdk = openai.AsyncOpenAI(base_url=base, api_key="x", max_retries=0)
    sdk_aio = openai.AsyncOpenAI(base_url=base, api_key="x", max_retries=0, http_client=openai.DefaultAioHttpClient())

    async def bare_httpx():
        return json.loads((await plain.post("/chat/completions", json=body)).content)

    async def sdk_create():
        return await sdk.chat.completions.create(**body)

    async def sdk_post():
        return json.loads((await sdk.post("/chat/completions", cast_to=httpx.Response, body=body)).content)

    async def sdk_post_aiohttp():
        return json.loads((await sdk_aio.post("/chat/completions", cast_to=httpx.Response, body=body)).content)

    async def litellm_call():
        return await litellm.acompletion(model="openai/bench", api_base=base, api_key="x", messages=MESSAGES,
                                         max_tokens=200, timeout=60, num_retries=0, max_retries=0)

    clients = {"httpx POST": bare_httpx, "openai SDK create()": sdk_create,
               "openai SDK post() over httpx": sdk_post,
               "openai SDK post() over aiohttp (the openai lane)": sdk_post_aiohttp,
               "litellm acompletion (the litellm lane)": litellm_call}
    return {name: await measure(name, call, calls, rounds) for name, call in clients.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "provider_clients.json")
    args = parser.parse_args()
    from tests.processes import start_upstream  # the same helper the tests start the fake upstream with

    upstream = start_upstream("benchmarks/fake_upstream.py", "--latency-ms", "0")
    try:
        upstream.wait_http("/", seconds=30)
        results = asyncio.run(run(f"{upstream.url}/v1", args.calls, args.rounds))
    finally:
        upstream.stop()
    print(f"CPU per call, {args.rounds} rounds of {args.calls} sequential calls, fake upstream at 0 ms (ms)")
    print("| client | median | min |")
    print("|---|---:|---:|")
    for name, figures in results.items():
        print(f"| {name} | {figures['cpu_ms_median']:.2f} | {figures['cpu_ms_min']:.2f} |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"calls": args.calls, "rounds": args.rounds, "results": results}, indent=2))


if __name__ == "__main__":
    sys.exit(main())
