"""The README's examples, run for real on the configuration they name: `make run`'s defaults,
that is the embedded local model (no mock). Each example is a fenced block after an
`<!-- example: NAME -->` line, and what the README shows it answered is the block after
`<!-- output: NAME -->`.

The embedded model samples its opening sentence, so an answer cannot be compared word for word.
What can be, is: every field but the id, the timings and the token counts; the draft, which
wrap mode keeps word for word, and the closing, which is chosen by the draft; and that the shown
answer is itself consistent (its diff rebuilds the draft and the rewrite, the guard passes it).
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import httpx
import pytest

from api.core.settings import Settings
from api.guard import check
from api.http.app import create_app
from api.models.local_provider import register

from .conftest import parse_sse

pytestmark = pytest.mark.local_model

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def block(kind: str, name: str) -> str:
    """The fenced block after `<!-- kind: name ... -->`."""
    found = re.search(rf"<!-- {kind}: {name}\b[^>]*-->\n```[a-z]*\n(.*?)\n```", README, re.S)
    assert found, f"README has no block marked '{kind}: {name}'"
    return found.group(1)


def request_of(command: str) -> dict:
    """The request a README curl command makes: method, path (with query), headers, body."""
    words = shlex.split(command.replace("\\\n", " ").split(" | ")[0])
    assert words[0] == "curl", command
    url = next(w for w in words if "localhost:8000" in w)
    out = {"method": "GET", "url": url.split("localhost:8000", 1)[1], "headers": {}, "content": None}
    for flag, value in zip(words, words[1:]):
        if flag == "-H":
            name, _, given = value.partition(":")
            out["headers"][name.strip()] = given.strip()
        elif flag in ("-d", "--data-binary"):
            out["content"], out["method"] = value.encode(), "POST"
        elif flag == "-X":
            out["method"] = value
    return out


@pytest.fixture(scope="module")
def default_app():
    """What `make run` serves: the default settings (no .env), so the embedded model."""
    settings = Settings(_env_file=None)
    assert settings.model.startswith("local/")
    return create_app(settings)


@pytest.fixture
async def run(default_app):
    register(default_app.state.settings)  # litellm's provider map is process-wide: make it ours again

    async def send(name: str) -> httpx.Response:
        request = request_of(block("example", name))
        transport = httpx.ASGITransport(app=default_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost:8000", timeout=300) as client:
            return await client.request(**request)

    return send


def after_draft(text: str, draft: str) -> str:
    """Wrap mode: what follows the opening, that is the draft word for word and the closing."""
    assert draft in text, (draft, text)
    assert text.index(draft) > 0, "no opening before the draft"
    return text[text.index(draft):]


def rebuilds(diff: list[dict], before: str, after: str) -> bool:
    return ("".join(o["text"] for o in diff if o["op"] != "insert") == before
            and "".join(o["text"] for o in diff if o["op"] != "delete") == after)


def same_keys(shown, got, where="") -> None:
    if isinstance(shown, dict):
        assert set(shown) == set(got), (where, set(shown) ^ set(got))
        for key in shown:
            same_keys(shown[key], got[key], f"{where}.{key}")


async def test_the_rewrite_example_answers_as_shown(run):
    sent = json.loads(request_of(block("example", "rewrite"))["content"])
    shown = json.loads(block("output", "rewrite"))
    response = await run("rewrite")
    assert response.status_code == 200, response.text
    got = response.json()
    same_keys(shown, got)
    for field in ("template", "model", "cost_usd", "finish_reason", "attempts", "fallback_from", "guard", "pii_masked"):
        assert got[field] == shown[field], field
    draft = sent["draft"]
    assert after_draft(got["rewrite"], draft) == after_draft(shown["rewrite"], draft)
    assert rebuilds(shown["diff"], draft, shown["rewrite"]) and rebuilds(got["diff"], draft, got["rewrite"])
    assert check(draft, shown["rewrite"]).ok
    # The headline at the top of the README is this example's answer.
    headline = [line.strip().strip('"') for line in block("example", "headline").splitlines()]
    arrow = next(i for i, line in enumerate(headline) if line.startswith("↓"))
    assert " ".join(headline[:arrow]) == draft
    assert " ".join(headline[arrow + 1:]) == shown["rewrite"]


async def test_the_stream_example_streams_as_shown(run):
    draft = json.loads(request_of(block("example", "stream"))["content"])["draft"]
    shown = re.findall(r"event: (\w+)\ndata: (.*)", block("output", "stream"))
    response = await run("stream")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/event-stream")
    got = parse_sse(response.text)
    assert [name for name, _ in got] == [name for name, _ in shown] == ["delta", "delta", "delta", "result"]
    # The opening is sampled; the draft and the closing are streamed as shown.
    assert [data["text"] for _, data in got[1:3]] == [json.loads(data)["text"] for _, data in shown[1:3]]
    assert got[-1][1]["guard"]["status"] == "passed" and draft in got[-1][1]["rewrite"]


async def test_the_simple_example_answers_as_shown(run):
    draft = request_of(block("example", "simple"))["content"].decode()
    shown = block("output", "simple")
    response = await run("simple")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    assert after_draft(response.text.strip(), draft) == after_draft(shown, draft)
    assert check(draft, shown).ok


async def test_the_html_example_answers_as_shown(run):
    """The HTML draft through the simple route: its bold text, link and quoted thread come back
    as sent, around the draft's text; only the opening is sampled."""
    draft = request_of(block("example", "html"))["content"].decode()
    shown = block("output", "html")
    response = await run("html")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    thread = draft[draft.index("<blockquote>"):]
    body = "Your refund of <b>$42.00</b> for order #4821 was sent today. Track it " \
        '<a href="https://help.example.com/refunds?o=4821">here</a>.'
    for answer in (shown, response.text.strip()):
        assert answer.startswith("<p>") and answer.endswith("</p>" + thread)
        assert body in answer and answer.index(body) > len("<p>")
    assert after_draft(response.text.strip(), body) == after_draft(shown, body)


async def test_the_batch_example_answers_as_described(run):
    response = await run("batch")
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 3 and "rewrite" in results[0] and "rewrite" in results[2]
    problem = results[1]
    assert problem["index"] == 1 and problem["status"] == 422
    assert f'"detail": "{problem["detail"]}"' in README  # the detail the README quotes


async def test_the_templates_example_lists_the_templates(run):
    response = await run("templates")
    assert response.status_code == 200
    names = [t["name"] for t in response.json()["templates"]]
    assert "empathetic" in names and response.json()["default"] == "empathetic"


async def test_the_feedback_and_summary_examples_answer_as_shown(tmp_path):
    """`make run` with REWRITER_FEEDBACK=true: the headline rewrite, then the feedback example on
    its id, then the summary example."""
    settings = Settings(_env_file=None, feedback=True, feedback_db=f"sqlite+aiosqlite:///{tmp_path / 'f.db'}")
    app = create_app(settings)
    register(settings)
    transport = httpx.ASGITransport(app=app)
    async with app.router.lifespan_context(app), \
            httpx.AsyncClient(transport=transport, base_url="http://localhost:8000", timeout=300) as client:
        made = await client.request(**request_of(block("example", "rewrite")))
        assert made.status_code == 200, made.text
        feedback = request_of(block("example", "feedback"))
        shown_id = feedback["url"].split("/")[3]
        feedback["url"] = feedback["url"].replace(shown_id, made.json()["id"])
        got = (await client.request(**feedback)).json()
        shown = json.loads(block("output", "feedback"))
        assert got["id"] == made.json()["id"] and shown["id"] == shown_id
        for field in ("outcome", "revision"):
            assert got[field] == shown[field], field
        assert got["edit_distance"] > 0  # the opening is sampled: the distance is only as shown when it came out so
        summary = (await client.request(**request_of(block("example", "summary")))).json()
    shown = json.loads(block("output", "summary"))
    same_keys(shown, summary)
    (group,) = summary["groups"]
    assert {k: group[k] for k in ("template", "model", "rewrites", "with_feedback", "share", "mean_rating", "guard")} \
        == {k: shown["groups"][0][k] for k in ("template", "model", "rewrites", "with_feedback", "share", "mean_rating",
                                               "guard")}
