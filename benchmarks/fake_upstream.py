"""A fake OpenAI-compatible upstream for benchmarks: `POST /v1/chat/completions`, plain and
streaming, answering after a fixed latency and streaming at a fixed token rate.

Its answer passes the fact guard: when the prompt holds a delimited draft (the rewrite service's
prompt), it answers an apology followed by that draft; otherwise it echoes the last message.

    python -m benchmarks.fake_upstream --port 9100 --latency-ms 200 --tokens-per-s 200 [--jitter-ms 0]

`--jitter-ms J` spreads the latency uniformly over latency +- J (seeded), as real providers'
latencies vary: with a fixed latency, requests that went out together come back together.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import time

import uvicorn

_DRAFT = re.compile(r"<draft-[0-9a-f]{12}>\n(.*)\n</draft-[0-9a-f]{12}>", re.S)


async def lifespan_or_body(scope, receive, send) -> bytes | None:
    """The ASGI plumbing every fake upstream needs: answer the lifespan protocol (None), or read
    the whole request body."""
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return None
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            return body


def make_app(latency_s: float, tokens_per_s: float, jitter_s: float = 0.0):
    spread = random.Random(7)

    async def app(scope, receive, send):
        body = await lifespan_or_body(scope, receive, send)
        if body is None:
            return
        if scope["path"].rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
            await send({"type": "http.response.start", "status": 404, "headers": []})
            await send({"type": "http.response.body", "body": b"not found"})
            return
        request = json.loads(body or b"{}")
        content = (request.get("messages") or [{}])[-1].get("content") or ""
        found = _DRAFT.search(content)
        text = f"I'm sorry for the wait, and thank you for your patience. {found.group(1)}" if found else content[:400]
        model = request.get("model", "bench")
        await asyncio.sleep(max(0.0, latency_s + spread.uniform(-jitter_s, jitter_s)))
        words = text.split(" ")
        usage = {"prompt_tokens": max(1, len(content) // 4), "completion_tokens": len(words),
                 "total_tokens": max(1, len(content) // 4) + len(words)}
        if not request.get("stream"):
            payload = json.dumps({
                "id": "chatcmpl-bench", "object": "chat.completion", "created": int(time.time()), "model": model,
                "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                "usage": usage,
            }).encode()
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]})
            await send({"type": "http.response.body", "body": payload})
            return
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]})

        def chunk(delta: dict, finish: str | None = None, **extra) -> bytes:
            data = {"id": "chatcmpl-bench", "object": "chat.completion.chunk", "created": int(time.time()),
                    "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
            return f"data: {json.dumps(data)}\n\n".encode()

        await send({"type": "http.response.body", "body": chunk({"role": "assistant", "content": ""}), "more_body": True})
        gap = 1.0 / tokens_per_s if tokens_per_s > 0 else 0.0
        for index, word in enumerate(words):
            piece = word if index == 0 else " " + word
            await send({"type": "http.response.body", "body": chunk({"content": piece}), "more_body": True})
            if gap:
                await asyncio.sleep(gap)
        tail = chunk({}, "stop")
        if (request.get("stream_options") or {}).get("include_usage"):
            tail += f"data: {json.dumps({'id': 'chatcmpl-bench', 'object': 'chat.completion.chunk', 'created': 0, 'model': model, 'choices': [], 'usage': usage})}\n\n".encode()
        await send({"type": "http.response.body", "body": tail + b"data: [DONE]\n\n"})

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=9100)
    parser.add_argument("--latency-ms", type=float, default=200)
    parser.add_argument("--tokens-per-s", type=float, default=200)
    parser.add_argument("--jitter-ms", type=float, default=0)
    args = parser.parse_args()
    uvicorn.run(make_app(args.latency_ms / 1000, args.tokens_per_s, args.jitter_ms / 1000), host="127.0.0.1", port=args.port,
                log_level="warning", access_log=False, backlog=4096, timeout_keep_alive=60)


if __name__ == "__main__":
    main()
