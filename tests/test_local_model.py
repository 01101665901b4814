"""The embedded local model, for real: Gemma 3 270M through llama.cpp, behind litellm."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from api.models import local_probe
from api.http.app import create_app
from api.models.local_files import LocalModelError, default_model_path
from api.models.local_model import LocalModel
from api.models.local_provider import register
from api.core.settings import Settings

from .conftest import make_settings, parse_sse
from .processes import base_env, run_python, start

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.local_model

DRAFT = "Order #4821 shipped on May 2."


@pytest.fixture(scope="module")
def local_app():
    """One app on the local model for the module: the model loads once."""
    return create_app(make_settings(model="local/gemma3-270m", model_api_base=None, model_api_key=None, timeout_s=120))


@pytest.fixture
async def local_client(local_app):
    register(local_app.state.settings)  # litellm's provider map is process-wide: make it ours again
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=local_app), base_url="http://t") as client:
        yield client


@pytest.fixture(scope="module")
def model_path() -> Path:
    return default_model_path(Settings(_env_file=None).cache_dir)


def test_the_model_generates_in_a_child_process(model_path):
    """The installed llama.cpp runs on this CPU: a child process generates (a crash of native
    code there fails this test with the signal's name instead of aborting the run)."""
    result = local_probe.probe(model_path, threads=os.cpu_count() or 1, command=[
        sys.executable, "-P", local_probe.__file__, str(model_path), str(os.cpu_count() or 1)])
    assert result.completion_tokens == local_probe.PROBE_TOKENS
    assert "AVX2 = 1" in result.system_info or "x86" not in os.uname().machine


def test_the_installed_build_is_portable(model_path):
    """`make install` builds llama.cpp for a baseline x86-64 CPU: no AVX-512 or AMX code, which
    a CPU may advertise and still trap (it did here, on a Xeon VM). Native builds fail this."""
    result = local_probe.probe(model_path, threads=1)
    enabled = {name for name, on in re.findall(r"(\w+) = (\d)", result.system_info) if on == "1"}
    assert not {name for name in enabled if name.startswith(("AVX512", "AMX"))}, result.system_info


def test_a_child_killed_by_a_signal_is_a_failed_probe_naming_it(model_path):
    crash = [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGILL)"]
    with pytest.raises(local_probe.ProbeFailed, match=r"crashed \(SIGILL\).*gemma.*make clean"):
        local_probe.probe(model_path, threads=1, command=crash)
    segv = [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"]
    with pytest.raises(local_probe.ProbeFailed, match=r"crashed \(SIGSEGV\).*model file or the llama-cpp"):
        local_probe.probe(model_path, threads=1, command=segv)
    failing = [sys.executable, "-c", "raise SystemExit('no model for you')"]
    with pytest.raises(local_probe.ProbeFailed, match="could not generate.*no model for you"):
        local_probe.probe(model_path, threads=1, command=failing)
    chatty = [sys.executable, "-c", "print('hello')"]
    with pytest.raises(local_probe.ProbeFailed, match="printed no report: 'hello'"):
        local_probe.probe(model_path, threads=1, command=chatty)


def test_loading_stops_when_the_probe_crashes(model_path, monkeypatch):
    """The in-process load never runs llama.cpp's code after a crashed probe: the error says why."""
    crash = [sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGILL)"]
    real = local_probe.probe
    monkeypatch.setattr(local_probe, "probe", lambda path, threads: real(path, threads, command=crash))
    model = LocalModel(model_path, threads=1, n_ctx=512, queue_size=1)
    with pytest.raises(LocalModelError, match=r"crashed \(SIGILL\)"):
        model.load()
    assert not model.loaded


def test_serve_refuses_to_start_when_llama_cpp_cannot_run_here(tmp_path):
    """End to end: a llama_cpp that dies with SIGILL (standing in for a build with instructions
    this CPU lacks) stops `python -m api serve` before it listens, with the reason, exit 2."""
    fake = tmp_path / "fake" / "llama_cpp"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("import os, signal\nos.kill(os.getpid(), signal.SIGILL)\n")
    env = {**base_env(), "PYTHONPATH": f"{fake.parent}:{ROOT}", "REWRITER_CACHE_DIR": str(default_cache())}
    proc = subprocess.run([sys.executable, "-m", "api", "serve", "--port", "1"], capture_output=True,
                          text=True, env=env, cwd=str(tmp_path), timeout=180)
    assert proc.returncode == 2, proc.stderr
    assert "cannot start: llama.cpp crashed (SIGILL)" in proc.stderr
    assert "gemma-3-270m" in proc.stderr and "Traceback" not in proc.stderr


def default_cache() -> Path:
    return Settings(_env_file=None).cache_dir


def test_served_logs_are_json_lines_only_llama_cpp_included():
    """llama.cpp's own lines (buffers, caches, warnings) come out through our logging as JSON,
    not raw between our lines: every line the service writes, from start to a rewrite, parses."""
    env = {**base_env(), "REWRITER_LOG_LEVEL": "debug", "PYTHONPATH": str(ROOT)}
    service = start("local-service", ["-m", "api", "serve", "--port", "{port}"], env=env)
    try:
        service.wait_http("/readyz", seconds=120)
        response = httpx.post(service.url + "/v1/rewrites", json={"draft": DRAFT, "max_tokens": 8},
                              timeout=120, trust_env=False)
        assert response.status_code == 200, response.text
        service.popen.send_signal(signal.SIGTERM)
        service.popen.wait(timeout=60)
        lines = [line for line in service.output().splitlines() if line.strip()]
    finally:
        service.stop()
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except ValueError:
            pytest.fail(f"a raw line in the service's output: {line!r}")
    loggers = {record["logger"] for record in records}
    assert "llama_cpp" in loggers
    assert any(record["message"] == "local model loaded" for record in records)


async def test_lifespan_loads_the_model_and_readyz_reports_it(local_app):
    provider = local_app.state.rewriter.local_model
    async with local_app.router.lifespan_context(local_app):
        assert provider.loaded
        # start-up generated from the default template's prompt: its tokens are in llama.cpp's cache
        sample = local_app.state.rewriter.sample_prompt().messages[0]["content"]
        llama = provider.model()._llama
        assert llama.n_tokens >= len(llama.tokenize(sample.encode(), add_bos=True))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=local_app), base_url="http://t") as client:
            ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["local_model_loaded"] is True


async def test_rewrite_with_the_real_model(local_client):
    response = await local_client.post("/v1/rewrites", json={"draft": DRAFT, "max_tokens": 40})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["rewrite"].strip()
    assert body["model"] == "local/gemma3-270m"
    assert body["usage"]["prompt_tokens"] > 100  # the few-shot completion prompt
    # up to two generations (one guard repair) of at most 40 tokens each
    assert 0 < body["usage"]["completion_tokens"] <= 80
    assert body["cost_usd"] == 0.0
    # whatever the small model wrote, the guard's verdict decides what comes back
    assert body["guard"]["status"] in {"passed", "repaired", "fallback"}
    if body["guard"]["status"] == "fallback":
        assert body["rewrite"] == DRAFT and body["guard"]["rejected_rewrite"]
    else:
        assert "#4821" in body["rewrite"] and "May 2" in body["rewrite"]


async def test_streaming_yields_several_chunks(local_client):
    response = await local_client.post("/v1/rewrites", json={"draft": DRAFT, "max_tokens": 30, "stream": True})
    events = parse_sse(response.text)
    deltas = [data["text"] for name, data in events if name == "delta"]
    assert len(deltas) >= 3
    name, result = events[-1]
    assert name == "result"
    if result["guard"]["status"] == "passed":
        assert result["rewrite"] == "".join(deltas).strip()
    assert result["usage"]["completion_tokens"] > 0


async def test_concurrent_requests_are_served_in_turn(local_app, local_client, monkeypatch):
    model = local_app.state.rewriter.local_model.model()
    spans: list[tuple[float, float]] = []
    original = model._generate_sync

    def timed(*args):
        started = time.monotonic()
        try:
            return original(*args)
        finally:
            spans.append((started, time.monotonic()))

    monkeypatch.setattr(model, "_generate_sync", timed)
    responses = await asyncio.gather(
        *(local_client.post("/v1/rewrites", json={"draft": f"Order #{n} shipped.", "max_tokens": 8}) for n in range(3))
    )
    assert [r.status_code for r in responses] == [200, 200, 200]
    spans.sort()
    assert len(spans) >= 3  # a guard repair adds a generation
    for (_, end), (begin, _) in zip(spans, spans[1:]):
        assert begin >= end  # one generation at a time


async def test_queue_overflow_is_a_503_with_retry_after():
    app = create_app(make_settings(model="local/gemma3-270m", local_queue_size=1, timeout_s=120))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        responses = await asyncio.gather(
            *(client.post("/v1/rewrites", json={"draft": f"Order #{n} shipped.", "max_tokens": 16}) for n in range(3))
        )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 200, 503]
    refused = next(r for r in responses if r.status_code == 503)
    assert refused.headers["retry-after"] == "2"
    assert "busy" in refused.json()["detail"]


def test_missing_model_path_fails_at_start_up(tmp_path):
    missing = tmp_path / "nope.gguf"
    with pytest.raises(LocalModelError, match="nope.gguf"):
        create_app(make_settings(model="local/custom", local_model_path=missing))


def test_corrupt_model_file_fails_at_start_up(tmp_path):
    corrupt = tmp_path / "broken.gguf"
    corrupt.write_bytes(b"not a model at all" * 100)
    with pytest.raises(LocalModelError, match="broken.gguf.*not a GGUF"):
        create_app(make_settings(model="local/custom", local_model_path=corrupt))


async def test_truncated_gguf_fails_in_lifespan_with_the_path(tmp_path):
    truncated = tmp_path / "truncated.gguf"
    truncated.write_bytes(b"GGUF" + b"\0" * 64)
    app = create_app(make_settings(model="local/custom", local_model_path=truncated))
    with pytest.raises(LocalModelError, match="truncated.gguf"):
        async with app.router.lifespan_context(app):
            pass


def test_cli_reports_a_bad_model_path_and_exits_2(tmp_path):
    env = {"REWRITER_MODEL": "local/custom", "REWRITER_LOCAL_MODEL_PATH": str(tmp_path / "missing.gguf"),
           "PATH": "/usr/bin:/bin", "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    proc = subprocess.run(
        [sys.executable, "-m", "api", "serve", "--port", "1"], capture_output=True, text=True, env=env,
        cwd=str(__import__("pathlib").Path(__file__).parent.parent), timeout=120,
    )
    assert proc.returncode == 2
    assert "cannot start" in proc.stderr and "missing.gguf" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_service_on_another_model_never_imports_llama_cpp():
    code = (
        "import sys\n"
        "from api.http.app import create_app\n"
        "from tests.conftest import make_settings\n"
        "app = create_app(make_settings())\n"
        "assert app.state.rewriter.local_model is None and app.state.local_model is None\n"
        "assert 'llama_cpp' not in sys.modules, 'llama_cpp imported'\n"
        "print('ok')\n"
    )
    proc = run_python(code, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


WRAP_DRAFT = "To cancel, open your order details and press the 'Cancel Order' button."


async def test_the_default_on_the_local_model_wraps_the_draft_word_for_word(local_app, local_client):
    closings = local_app.state.rewriter.templates.get("empathetic").spec.wrap.closings
    response = await local_client.post("/v1/rewrites", json={
        "draft": WRAP_DRAFT, "customer_message": "how do I cancel my order?", "variables": {"customer_name": "Ana"}})
    body = response.json()
    assert response.status_code == 200, body
    assert body["guard"]["status"] == "passed", body["guard"]
    assert body["template"] == {"name": "empathetic", "version": 3}
    opening, rest = body["rewrite"].split(WRAP_DRAFT)
    assert opening.startswith("Ana, ") and opening.strip().endswith((".", "!"))
    assert rest.strip() in closings
    assert body["usage"]["completion_tokens"] > 0  # the opening was generated


async def test_wrap_mode_streams_opening_draft_and_closing(local_client):
    response = await local_client.post("/v1/rewrites", json={
        "draft": WRAP_DRAFT, "customer_message": "how do I cancel my order?", "stream": True})
    events = parse_sse(response.text)
    deltas = [data["text"] for name, data in events if name == "delta"]
    name, result = events[-1]
    assert name == "result" and result["guard"]["status"] == "passed"
    assert len(deltas) == 3 and deltas[1] == " " + WRAP_DRAFT
    assert "".join(deltas) == result["rewrite"]


async def test_free_mode_on_the_local_model_rewrites_the_whole_reply(local_client):
    response = await local_client.post("/v1/rewrites", json={"draft": DRAFT, "mode": "free", "max_tokens": 40})
    body = response.json()
    assert response.status_code == 200, body
    # free rewriting may lose the draft: then the guard sends it back; it never wraps it verbatim
    assert body["guard"]["status"] in {"passed", "repaired", "fallback"}
    if body["guard"]["status"] != "fallback":
        assert body["rewrite"] != DRAFT


async def test_an_html_draft_on_the_local_model_keeps_its_markup_and_its_thread(local_client):
    """The default configuration on a Gmail body: the model writes an opening, the draft's
    links, bold text and list come back as they were, the quoted thread byte for byte."""
    thread = ('<div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Mon, 3 Mar 2026, Ana wrote:<br></div>'
              '<blockquote class="gmail_quote">My refund never arrived!</blockquote></div>')
    draft = ('<div dir="ltr"><div>Your refund of <b>$42.00</b> for order #4821 was sent on May 2. Track it '
             '<a href="https://help.example.com/r?o=4821">here</a>.</div><ol><li>Open the app</li><li>Tap Orders</li>'
             f"</ol><div><br></div>{thread}</div>")
    response = await local_client.post("/v1/rewrites", json={
        "draft": draft, "format": "html", "customer_message": "My refund never arrived!"})
    body = response.json()
    assert body["guard"]["status"] == "passed", body["guard"]
    rewrite = body["rewrite"]
    assert rewrite.startswith('<div dir="ltr"><div>') and rewrite.endswith(thread + "</div>")
    assert ("<div>Your refund of <b>$42.00</b> for order #4821 was sent on May 2. Track it "
            '<a href="https://help.example.com/r?o=4821">here</a>.</div>') in rewrite
    assert "<ol><li>Open the app</li><li>Tap Orders</li></ol>" in rewrite
    assert body["language"] == "en"


async def test_a_spanish_draft_in_wrap_mode_comes_back_as_written_saying_why(local_client):
    draft = "Hola Ana, te hemos devuelto 12,50 € a la tarjeta. El reembolso tarda entre tres y cinco días."
    body = (await local_client.post("/v1/rewrites", json={"draft": draft})).json()
    assert body["rewrite"] == draft and body["language"] == "es" and body["attempts"] == 0
    assert body["guard"]["status"] == "fallback"
    assert body["guard"]["violations"][0]["detail"].startswith(
        "wrap mode writes its opening and closing in English; the draft is in Spanish")


async def test_wrap_keeps_the_drafts_greeting_and_sign_off_in_place(local_client):
    draft = "Hi {{ticket.requester.first_name}},\n\nYour refund was sent today.\n\nBest regards,\nSam"
    response = await local_client.post("/v1/rewrites", json={
        "draft": draft, "customer_message": "where is my refund?", "variables": {"customer_name": "Ana"},
        "stream": True})
    events = parse_sse(response.text)
    name, result = events[-1]
    assert result["guard"]["status"] == "passed", result["guard"]
    text = result["rewrite"]
    assert text.startswith("Hi {{ticket.requester.first_name}},\n\n") and "Ana" not in text  # no second greeting
    assert "\n\nYour refund was sent today.\n\n" in text and text.endswith("\n\nBest regards,\nSam")
    assert "".join(data["text"] for name, data in events if name == "delta") == text


async def test_a_given_up_generation_stops_at_its_next_token(local_app):
    """A request whose client left (or whose deadline passed) cancels its generation: the model
    thread stops at the next token instead of writing all it was allowed to, and the queue place
    comes back once the thread is done."""
    model = local_app.state.rewriter.local_model.model()
    model.load()
    finished = []
    original = model._generate_sync

    def recorded(*args):
        generation = original(*args)
        finished.append(generation)
        return generation

    model._generate_sync = recorded
    try:
        counting = "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,"
        task = asyncio.create_task(model.generate(counting, {"max_tokens": 400, "temperature": 0.0}))
        await asyncio.sleep(0.5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        ok = await model.generate("Hello", {"max_tokens": 4})  # the thread is free again
    finally:
        del model._generate_sync
    assert ok.completion_tokens >= 1 and finished[-1] is ok
    assert finished[0].completion_tokens < 200, finished[0]  # stopped, not 400 tokens of counting
    assert model._admitted == 0
