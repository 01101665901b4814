"""Shared fixtures: isolated settings, the app on an in-process transport, a respx upstream."""

from __future__ import annotations

import json

import httpx
import pytest
import respx

from api.http.app import create_app
from api.core.settings import Settings

from .processes import Proc

UPSTREAM = "http://upstream.test/v1"
CHAT_URL = f"{UPSTREAM}/chat/completions"


def make_settings(**overrides) -> Settings:
    values = {
        "model": "openai/gpt-4o-mini",
        "model_api_base": UPSTREAM,
        "model_api_key": "sk-test",
        "retry_backoff_s": 0.01,
        "retry_max_backoff_s": 0.05,
        "timeout_s": 5.0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


def chat_json(text: str, prompt_tokens: int = 20, completion_tokens: int = 10, model: str = "gpt-4o-mini") -> dict:
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1700000000,
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    }


def chat_reply(text: str, **kwargs) -> httpx.Response:
    return httpx.Response(200, json=chat_json(text, **kwargs))


def sse_body(pieces: list[str], usage: tuple[int, int] | None = (20, 10), done: bool = True) -> bytes:
    """An OpenAI-style streaming body: one chunk per piece, a finish chunk, usage, [DONE]."""
    def chunk(delta: dict, finish: str | None = None, **extra) -> str:
        body = {
            "id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 1700000000,
            "model": "gpt-4o-mini",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return f"data: {json.dumps(body)}\n\n"

    out = [chunk({"role": "assistant", "content": ""})]
    out += [chunk({"content": piece}) for piece in pieces]
    if done:
        out.append(chunk({}, "stop"))
        if usage:
            out.append(
                "data: " + json.dumps({
                    "id": "chatcmpl-test", "object": "chat.completion.chunk", "created": 1700000000,
                    "model": "gpt-4o-mini", "choices": [],
                    "usage": {"prompt_tokens": usage[0], "completion_tokens": usage[1],
                              "total_tokens": usage[0] + usage[1]},
                }) + "\n\n"
            )
        out.append("data: [DONE]\n\n")
    return "".join(out).encode()


def parse_sse(text: str) -> list[tuple[str, dict]]:
    events = []
    for block in text.replace("\r\n", "\n").split("\n\n"):
        name, data = "message", []
        for line in block.split("\n"):
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
        if data:
            events.append((name, json.loads("\n".join(data))))
    return events


@pytest.fixture
def upstream():
    """A respx router standing in for an OpenAI-compatible provider."""
    with respx.mock(assert_all_called=False) as router:
        yield router


@pytest.fixture
def client_for():
    """Build an async client on a fresh app with the given settings overrides."""
    clients: list[httpx.AsyncClient] = []

    def build(**overrides) -> httpx.AsyncClient:
        app = create_app(make_settings(**overrides))
        client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://rewriter.test")
        clients.append(client)
        return client

    yield build


@pytest.fixture
def client(client_for) -> httpx.AsyncClient:
    return client_for()


@pytest.fixture
def processes():
    """Start real processes (`tests.processes`), wait for each to answer `path`, stop them after."""
    started: list[Proc] = []

    def run(proc: Proc, path: str) -> Proc:
        started.append(proc)
        proc.wait_http(path, seconds=60)
        return proc

    yield run
    for proc in reversed(started):
        proc.stop()
