"""A fake OpenAI-compatible upstream that misbehaves on purpose, for the fault-injection test.

`POST /v1/chat/completions`, plain and streaming. Each call draws one fault from a seeded random
generator keyed by (seed, the draft in the prompt, how many times this draft was asked before), so
a given request sees the same sequence of faults across its retries whatever the concurrency:

| fault | what the service gets |
|---|---|
| `ok` | a normal answer after 10-150 ms: an apology, then the draft word for word (passes the guard) |
| `slow` | a normal answer after 0.8-2 s, or streamed at 40-150 ms per token (some outlive the deadline) |
| `429` | 429 with `Retry-After: 1` |
| `500`, `503` | a server error with an OpenAI-style error body |
| `hang` | no answer for 30 s (before the headers, or after them / after the first chunk) |
| `malformed` | 200 with a body that is not JSON (or, streaming, a chunk that is not JSON) |
| `garbage` | 200 with a body that is neither JSON nor an event stream, before any text |
| `truncated` | a body cut short of its Content-Length, or a stream cut mid-way with no `[DONE]` |
| `lossy` | a normal answer that dropped the order number (the guard repairs or falls back) |

    python -m tests.fault_upstream --port 9200 --seed 7

`GET /stats` answers the faults served so far, by name.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import random
import re
import time

import uvicorn

from benchmarks.fake_upstream import _DRAFT, lifespan_or_body  # the same "echo the draft" answer

FAULTS = {
    "ok": 34, "slow": 10, "429": 10, "500": 8, "503": 8, "hang": 6, "malformed": 8, "garbage": 4, "truncated": 10,
    "lossy": 6,
}
HANG_S = 30.0


def make_app(seed: int):
    calls: collections.Counter[str] = collections.Counter()  # per draft: how many calls so far
    served: collections.Counter[str] = collections.Counter()  # per fault

    def draw(key: str) -> random.Random:
        nth = calls[key]
        calls[key] += 1
        return random.Random(f"{seed}:{key}:{nth}")

    async def app(scope, receive, send):
        body = await lifespan_or_body(scope, receive, send)
        if body is None:
            return

        async def answer(status: int, payload: bytes, content_type: bytes = b"application/json", headers=()):
            await send({"type": "http.response.start", "status": status, "headers": [
                (b"content-type", content_type), (b"content-length", str(len(payload)).encode()), *headers]})
            await send({"type": "http.response.body", "body": payload})

        path = scope["path"].rstrip("/")
        if path == "/stats":
            await answer(200, json.dumps(served).encode())
            return
        if path not in ("/v1/chat/completions", "/chat/completions"):
            await answer(404, b'{"error": {"message": "not found"}}')
            return

        request = json.loads(body or b"{}")
        content = (request.get("messages") or [{}])[-1].get("content") or ""
        # A repair turn carries the draft in an earlier message: find it anywhere in the prompt.
        everything = "\n".join(str(m.get("content") or "") for m in request.get("messages") or [])
        found = _DRAFT.search(everything)
        draft = found.group(1) if found else content[:400]
        text = f"I'm sorry for the wait, and thank you for your patience. {draft}"
        rng = draw(draft)
        fault = rng.choices(list(FAULTS), weights=list(FAULTS.values()))[0]
        served[fault] += 1
        if fault == "lossy":
            text = re.sub(r"#\d+", "your order", text)
        streaming = bool(request.get("stream"))
        model = request.get("model", "fault")
        words = text.split(" ")
        usage = {"prompt_tokens": max(1, len(everything) // 4), "completion_tokens": len(words),
                 "total_tokens": max(1, len(everything) // 4) + len(words)}

        if fault in ("429", "500", "503"):
            status = int(fault)
            error = {"error": {"message": f"injected {status}", "type": "server_error", "code": status}}
            headers = [(b"retry-after", b"1")] if status == 429 else []
            await asyncio.sleep(rng.uniform(0.0, 0.05))
            await answer(status, json.dumps(error).encode(), headers=headers)
            return
        if fault == "hang" and rng.random() < 0.5:
            await asyncio.sleep(HANG_S)  # before any header
            return

        latency = rng.uniform(0.8, 2.0) if fault == "slow" and not streaming else rng.uniform(0.01, 0.15)
        await asyncio.sleep(latency)

        if not streaming:
            payload = json.dumps({
                "id": "chatcmpl-fault", "object": "chat.completion", "created": int(time.time()), "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": usage,
            }).encode()
            if fault == "garbage":
                payload = b"<html><body>502 Bad Gateway</body></html>"
            elif fault == "malformed":
                payload = rng.choice([payload[: len(payload) // 2], b"<html>upstream error</html>", b"{\"choices\": nul"])
            elif fault in ("truncated", "hang"):
                await send({"type": "http.response.start", "status": 200, "headers": [
                    (b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
                if fault == "hang":
                    await asyncio.sleep(HANG_S)
                    return
                # Less than the declared length, then the server drops the connection.
                await send({"type": "http.response.body", "body": payload[: len(payload) // 3]})
                return
            await answer(200, payload)
            return

        def chunk(delta: dict, finish: str | None = None, **extra) -> bytes:
            data = {"id": "chatcmpl-fault", "object": "chat.completion.chunk", "created": int(time.time()),
                    "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
            return f"data: {json.dumps(data)}\n\n".encode()

        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]})
        if fault == "garbage":  # a proxy's error page under the stream's headers: no event at all
            await send({"type": "http.response.body", "body": b"<html><body>502 Bad Gateway</body></html>"})
            return
        await send({"type": "http.response.body", "body": chunk({"role": "assistant", "content": ""}), "more_body": True})
        gap = rng.uniform(0.04, 0.15) if fault == "slow" else 0.002
        cut = rng.randrange(1, max(2, len(words) - 1)) if fault in ("truncated", "malformed", "hang") else len(words)
        for index, word in enumerate(words[:cut]):
            piece = word if index == 0 else " " + word
            await send({"type": "http.response.body", "body": chunk({"content": piece}), "more_body": True})
            await asyncio.sleep(gap)
        if fault == "hang":
            await asyncio.sleep(HANG_S)
            return
        if fault == "malformed":
            await send({"type": "http.response.body", "body": b"data: {\"choices\": [{\"delta\": {\"content\n\n",
                        "more_body": True})
            await send({"type": "http.response.body", "body": b""})
            return
        if fault == "truncated":
            await send({"type": "http.response.body", "body": b""})  # no finish chunk, no [DONE]
            return
        tail = chunk({}, "stop")
        if (request.get("stream_options") or {}).get("include_usage"):
            last = {"id": "chatcmpl-fault", "object": "chat.completion.chunk", "created": 0, "model": model,
                    "choices": [], "usage": usage}
            tail += f"data: {json.dumps(last)}\n\n".encode()
        await send({"type": "http.response.body", "body": tail + b"data: [DONE]\n\n"})

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    uvicorn.run(make_app(args.seed), host="127.0.0.1", port=args.port, log_level="warning",
                access_log=False, backlog=4096, timeout_keep_alive=60, timeout_graceful_shutdown=1)


if __name__ == "__main__":
    main()
