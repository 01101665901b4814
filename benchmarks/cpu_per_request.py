"""CPU time the service spends on one rewrite, in-process: the whole app (middleware, route, core,
guard, gateway through each lane: the openai SDK and litellm) called over httpx's ASGI transport, the upstream mocked at the
HTTP layer with respx (so no other process shares the measurement). Sequential requests; the
median over rounds of the process CPU time per request, for a plain rewrite, a repaired one (two
model calls) and a stream.

    .venv/bin/python -m benchmarks.cpu_per_request [--requests 200] [--rounds 5] [--lane openai]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from pathlib import Path

import httpx
import respx

from api.core.settings import Settings
from api.http.app import create_app
from benchmarks.fake_upstream import _DRAFT

ROOT = Path(__file__).resolve().parent.parent
UPSTREAM = "http://upstream.bench/v1"
DRAFT = (
    "Hi {{ticket.requester.first_name}}, your refund of $49.99 for order #4821 was approved on March 3. "
    "It will reach your card within 5-7 business days. If it has not arrived by March 12, reply to this "
    "email and we will look into it. Track it at https://example.com/refunds/4821."
)
KINDS = ("passed", "repaired", "stream")
LANES = ("openai", "litellm")
CUSTOMER = "I returned the blender two weeks ago and still have no refund. This is ridiculous."


def answer(request: httpx.Request, *, drop_first: list[bool]) -> httpx.Response:
    """An apology and the draft; with `drop_first`, the first answer of each request loses the
    amount (the guard rejects it and the repair answer keeps it)."""
    body = json.loads(request.content)
    content = body["messages"][-1]["content"]
    found = _DRAFT.search(content)
    draft = found.group(1) if found else DRAFT
    if drop_first and drop_first[0] and "did not keep the facts" not in content:
        draft = draft.replace("$49.99", "the amount")
    text = f"I'm sorry for the wait, and thank you for your patience. {draft}"
    if body.get("stream"):
        chunks = [{"choices": [{"index": 0, "delta": {"content": word + " "}}]} for word in text.split(" ")]
        chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                       "usage": {"prompt_tokens": 300, "completion_tokens": 80, "total_tokens": 380}})
        sse = "".join(f"data: {json.dumps(c)}\n\n" for c in chunks) + "data: [DONE]\n\n"
        return httpx.Response(200, text=sse, headers={"content-type": "text/event-stream"})
    return httpx.Response(200, json={
        "id": "x", "object": "chat.completion", "created": 0, "model": "gpt-4o-mini",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 300, "completion_tokens": 80, "total_tokens": 380},
    })


async def measure(kind: str, lane: str, requests: int, rounds: int) -> dict[str, float]:
    settings = Settings(model="openai/gpt-4o-mini", model_api_base=UPSTREAM, model_api_key="x",
                        log_level="WARNING", litellm_only=lane == "litellm", _env_file=None)
    app = create_app(settings)
    drop_first = [kind == "repaired"]
    payload = {"draft": DRAFT, "customer_message": CUSTOMER, "stream": kind == "stream"}
    per_request = []
    with respx.mock(assert_all_called=False) as mock:
        mock.post(f"{UPSTREAM}/chat/completions").mock(side_effect=lambda r: answer(r, drop_first=drop_first))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
                for _ in range(20):  # warm up
                    (await client.post("/v1/rewrites", json=payload)).raise_for_status()
                for _ in range(rounds):
                    started = time.process_time()
                    for _ in range(requests):
                        response = await client.post("/v1/rewrites", json=payload)
                        response.raise_for_status()
                    per_request.append((time.process_time() - started) / requests * 1000)
                check = (await client.post("/v1/rewrites", json={**payload, "stream": False})).json()
    assert check["guard"]["status"] == ("repaired" if kind == "repaired" else "passed"), check["guard"]
    return {"cpu_ms_median": statistics.median(per_request), "cpu_ms_min": min(per_request),
            "cpu_ms_max": max(per_request)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--kind", action="append", choices=KINDS, help="measure only these (default: all)")
    parser.add_argument("--lane", action="append", choices=LANES, help="measure only these lanes (default: both)")
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "cpu_per_request.json")
    args = parser.parse_args()
    lanes = args.lane or LANES
    results = {kind: {lane: asyncio.run(measure(kind, lane, args.requests, args.rounds)) for lane in lanes}
               for kind in args.kind or KINDS}
    print(f"CPU per request, {args.rounds} rounds of {args.requests} sequential requests (ms, median [min-max])")
    print("| request | " + " | ".join(lanes) + (" | openai/litellm |" if len(lanes) == 2 else " |"))
    print("|---|" + "---:|" * (len(lanes) + (len(lanes) == 2)))
    for kind, by_lane in results.items():
        cells = [f"{f['cpu_ms_median']:.2f} [{f['cpu_ms_min']:.2f}-{f['cpu_ms_max']:.2f}]" for f in by_lane.values()]
        if len(lanes) == 2:
            cells.append(f"{by_lane['openai']['cpu_ms_median'] / by_lane['litellm']['cpu_ms_median']:.2f}")
        print(f"| {kind} | " + " | ".join(cells) + " |")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"requests": args.requests, "rounds": args.rounds, "results": results}, indent=2))


if __name__ == "__main__":
    main()
