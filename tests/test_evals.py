"""The eval harness end to end: the upstream (and the judge) faked with respx, real scoring."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import httpx
import pytest
import respx

from api.core.settings import get_settings
from evals import dataset as datasets
from evals.cli import main

from .conftest import CHAT_URL, chat_json

ROOT = Path(__file__).resolve().parent.parent
CASES = [
    {"id": "refund", "draft": "Refund of $49.99 for order #4821 approved. Arrives in 3-5 business days.",
     "reference": "Good news: your refund of $49.99 for order #4821 is approved and arrives in 3-5 business days.",
     "customer_message": "Where is my refund for the blender?", "tags": ["refund", "amount"]},
    {"id": "reset", "draft": "Hi {{ticket.requester.first_name}}, reset link sent to jo@example.com.",
     "reference": "Hi {{ticket.requester.first_name}}, I'm sorry you're locked out; I've sent a reset link to jo@example.com.",
     "customer_message": "I can't log in!", "tags": ["account", "placeholder"]},
    {"id": "outage", "draft": "Outage fixed at 14:00 UTC. Details: https://status.example.com",
     "reference": "I know the outage was disruptive. It was fixed at 14:00 UTC; details are at https://status.example.com.",
     "tags": ["outage", "url"]},
]
_DRAFT = re.compile(r"<draft-[0-9a-f]{12}>\n(.*)\n</draft-[0-9a-f]{12}>", re.S)


def faithful(request: httpx.Request) -> httpx.Response:
    """An upstream that keeps every fact: an apology, then the (masked) draft itself."""
    content = json.loads(request.content)["messages"][-1]["content"]
    draft = _DRAFT.search(content).group(1)
    return httpx.Response(200, json=chat_json(f"I'm sorry for the trouble, and thanks for your patience. {draft}"))


def lossy(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json=chat_json("I'm sorry for the trouble. We are on it."))


def eval_env(monkeypatch, tmp_path, cases: list[dict]):
    """Settings for a harness run against the respx upstream, `cases` written as the dataset;
    yields the paths `run` uses."""
    monkeypatch.setenv("REWRITER_MODEL", "openai/gpt-4o-mini")
    monkeypatch.setenv("REWRITER_MODEL_API_BASE", "http://upstream.test/v1")
    monkeypatch.setenv("REWRITER_MODEL_API_KEY", "sk-test")
    monkeypatch.setenv("REWRITER_RETRY_BACKOFF_S", "0.01")
    monkeypatch.setenv("REWRITER_MAX_RETRIES", "0")
    get_settings.cache_clear()
    data = tmp_path / "cases.jsonl"
    data.write_text("".join(json.dumps(c) + "\n" for c in cases))
    yield {"data": data, "cache": tmp_path / "cache", "tmp": tmp_path}
    get_settings.cache_clear()


@pytest.fixture
def env(monkeypatch, tmp_path):
    yield from eval_env(monkeypatch, tmp_path, CASES)


def run(env, out: str, *extra: str, data: Path | None = None) -> int:
    return main(["run", "--dataset", str(data or env["data"]), "--out", str(env["tmp"] / out), "--cache-dir",
                 str(env["cache"]), "--no-progress", "--no-embeddings", *extra])


def rows(env, out: str) -> list[dict]:
    return [json.loads(line) for line in (env["tmp"] / out / "results.jsonl").read_text().splitlines()]


def test_run_scores_every_cell_and_matches_reference_libraries(env):
    import sacrebleu
    from rouge_score import rouge_scorer

    with respx.mock(assert_all_called=False) as mock:
        route = mock.post(CHAT_URL).mock(side_effect=faithful)
        assert run(env, "run", "--template", "empathetic@v1", "--template", "empathetic@v2") == 0
    assert route.call_count == 6
    results = rows(env, "run")
    assert len(results) == 6 and {r["status"] for r in results} == {"ok"}
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=False)
    for row in results:
        m = row["metrics"]
        assert m["bleu"] == pytest.approx(sacrebleu.sentence_bleu(row["rewrite"], [row["reference"]]).score / 100)
        assert m["rouge_l"] == pytest.approx(scorer.score(row["reference"], row["rewrite"])["rougeL"].fmeasure)
        assert m["facts_kept"] == 1.0 and m["guard_passed"] == 1.0 and m["added_facts"] == 0.0
        assert m["feeling_acknowledged"] == 1.0 and m["no_blame"] == 1.0
        assert 0 <= m["chrf"] <= 1 and 0 <= m["string_similarity"] <= 1
    reset = next(r for r in results if r["case_id"] == "reset")
    assert reset["rewrite"].count("{{ticket.requester.first_name}}") == 1  # masked for the model, restored
    assert reset["metrics"]["placeholders_intact"] == 1.0 and reset["metrics"]["name_used"] == 1.0

    summary = json.loads((env["tmp"] / "run" / "summary.json").read_text())
    assert {(g["template"], g["model"]) for g in summary["groups"]} == {
        ("empathetic@v1", "openai/gpt-4o-mini"), ("empathetic@v2", "openai/gpt-4o-mini")}
    assert {e["tag"] for e in summary["by_tag"]} >= {"refund", "account", "outage"}
    assert any("LLM-judged" in n and "skipped" in n for n in summary["run"]["notices"])
    html = (env["tmp"] / "run" / "report.html").read_text()
    markdown = (env["tmp"] / "run" / "report.md").read_text()
    for case in CASES:
        assert html.count(f"<b>{case['id']}</b>") == 2 and case["id"] in markdown
    assert "<script" not in html and "<link" not in html  # self-contained
    assert "<svg" in html


def test_rerun_with_nothing_changed_makes_no_model_calls(env):
    with respx.mock(assert_all_called=False) as mock:
        route = mock.post(CHAT_URL).mock(side_effect=faithful)
        assert run(env, "first") == 0
        calls = route.call_count
        assert run(env, "second") == 0
        assert route.call_count == calls  # all from cache
    first, second = rows(env, "first"), rows(env, "second")
    assert [r["rewrite"] for r in first] == [r["rewrite"] for r in second]
    summary = json.loads((env["tmp"] / "second" / "summary.json").read_text())
    assert summary["run"]["cache_hits"] == 3 and summary["run"]["generated"] == 0


def test_changed_template_or_model_misses_the_cache(env):
    with respx.mock(assert_all_called=False) as mock:
        route = mock.post(CHAT_URL).mock(side_effect=faithful)
        run(env, "a", "--template", "empathetic@v1")
        run(env, "b", "--template", "empathetic@v2")
        run(env, "c", "--template", "empathetic@v1", "--temperature", "0.9")
    assert route.call_count == 9


def test_failed_cells_are_recorded_and_retried_on_rerun(env):
    def flaky(request):
        if "status.example.com" in request.content.decode():
            return httpx.Response(400, json={"error": {"message": "rejected"}})
        return faithful(request)

    with respx.mock(assert_all_called=False) as mock:
        mock.post(CHAT_URL).mock(side_effect=flaky)
        assert run(env, "flaky") == 0
    failed = [r for r in rows(env, "flaky") if r["status"] == "failed"]
    assert [r["case_id"] for r in failed] == ["outage"] and "HTTP 400" in failed[0]["error"]
    with respx.mock(assert_all_called=False) as mock:
        route = mock.post(CHAT_URL).mock(side_effect=faithful)
        assert run(env, "fixed") == 0
    assert route.call_count == 1  # only the failed cell
    assert {r["status"] for r in rows(env, "fixed")} == {"ok"}


def test_guard_fallback_cells_are_kept_with_their_reason(env):
    with respx.mock(assert_all_called=False) as mock:
        mock.post(CHAT_URL).mock(side_effect=lossy)
        assert run(env, "lossy") == 0
    results = rows(env, "lossy")
    assert {r["status"] for r in results} == {"fallback"}
    refund = next(r for r in results if r["case_id"] == "refund")
    assert "#4821" in refund["error"] and refund["rewrite"] == CASES[0]["draft"]
    assert refund["metrics"]["facts_kept"] == 0.0 and refund["metrics"]["guard_fallback"] == 1.0


def test_interrupted_run_resumes_from_the_cache(env):
    from evals.run import RunConfig
    from evals.run import run as run_matrix

    calls = []

    async def slow(request):
        calls.append(1)
        await asyncio.sleep(0.2 if len(calls) > 1 else 0)
        return faithful(request)

    config = RunConfig(datasets=[env["data"]], templates=["empathetic"], models=["openai/gpt-4o-mini"],
                       out=env["tmp"] / "x", concurrency=1, cache_dir=env["cache"], embeddings=False, progress=False)

    async def interrupted():
        task = asyncio.create_task(run_matrix(config, get_settings()))
        while len(calls) < 2:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    with respx.mock(assert_all_called=False) as mock:
        mock.post(CHAT_URL).mock(side_effect=slow)
        asyncio.run(interrupted())
        done_before = len(calls)
        outcome = asyncio.run(run_matrix(config, get_settings()))
    assert outcome.cache_hits == 1  # the cell finished before the interruption
    assert outcome.generated == 2 and len(calls) == done_before + 2  # the cancelled cell runs again
    assert len(outcome.rows) == 3


def test_bad_dataset_lines_are_reported_by_number(tmp_path, capsys):
    path = tmp_path / "bad.jsonl"
    good = json.dumps({"id": "a", "draft": "x", "reference": "y"})
    path.write_text("\n".join([good, "{not json", json.dumps({"id": "b", "draft": "x"}), good,
                               json.dumps({"id": "c", "draft": " ", "reference": "y", "extra": 1})]) + "\n")
    with pytest.raises(datasets.DatasetError) as info:
        datasets.load(path)
    numbers = [number for number, _ in info.value.problems]
    assert numbers == [2, 3, 4, 5]
    text = str(info.value)
    assert f"{path}:2: not JSON" in text and "reference" in text and "duplicate id 'a'" in text and "extra" in text
    assert main(["run", "--dataset", str(path), "--out", str(tmp_path / "o"), "--no-progress"]) == 2
    assert f"{path}:3:" in capsys.readouterr().err


def test_gates_exit_non_zero_naming_what_failed(env, capsys):
    with respx.mock(assert_all_called=False) as mock:
        mock.post(CHAT_URL).mock(side_effect=faithful)
        assert run(env, "good", "--fail-under", "facts_kept=0.99", "--fail-under", "added_facts=0") == 0
        assert run(env, "strict", "--fail-under", "chrf=0.999") == 1
    assert "chrf" in capsys.readouterr().err
    with respx.mock(assert_all_called=False) as mock:
        mock.post(CHAT_URL).mock(side_effect=lossy)
        code = run(env, "worse", "--cache-dir", str(env["tmp"] / "other-cache"),  # another upstream: another cache
                   "--baseline", str(env["tmp"] / "good"), "--max-regression", "facts_kept=0.1",
                   "--max-regression", "guard_passed=0.5")
    err = capsys.readouterr().err
    assert code == 1 and "facts_kept regressed" in err and "guard_passed regressed" in err
    assert run(env, "x", "--fail-under", "nonsense=1") == 2
    assert run(env, "x", "--max-regression", "bleu=0.1") == 2  # needs --baseline


def test_compare_lists_deltas_and_worse_cases(env, capsys):
    with respx.mock(assert_all_called=False) as mock:
        mock.post(CHAT_URL).mock(side_effect=faithful)
        run(env, "before")
    with respx.mock(assert_all_called=False) as mock:
        mock.post(CHAT_URL).mock(side_effect=lossy)
        run(env, "after", "--cache-dir", str(env["tmp"] / "other-cache"))
    capsys.readouterr()
    assert main(["compare", str(env["tmp"] / "before"), str(env["tmp"] / "after")]) == 0
    out = capsys.readouterr().out
    assert "| facts_kept | 1.0000 | " in out and "worse" in out
    assert "Cases that got worse (3)" in out and "status ok -> fallback" in out
    assert main(["compare", str(env["tmp"] / "nope"), str(env["tmp"] / "after")]) == 2


def test_judge_scores_with_a_fake_judge_model(env):
    verdict = {name: {"score": 4, "reason": "fine"} for name in (
        "empathy_not_sympathy", "active_listening", "personal", "accuracy_with_urgency", "respect",
        "honest_about_limits", "close_the_loop", "faithfulness", "professionalism")}
    verdict["personal"]["score"] = 1

    def upstream(request):
        body = json.loads(request.content)
        if body["model"] == "judge-model":
            assert "<reply-" in body["messages"][-1]["content"]
            return httpx.Response(200, json=chat_json(json.dumps(verdict), model="judge-model"))
        return faithful(request)

    with respx.mock(assert_all_called=False) as mock:
        route = mock.post(CHAT_URL).mock(side_effect=upstream)
        assert run(env, "judged", "--judge-model", "openai/judge-model", "--repeat", "2") == 0
        calls = route.call_count
        assert run(env, "judged2", "--judge-model", "openai/judge-model", "--repeat", "2") == 0
        assert route.call_count == calls  # judgements are cached too
    results = rows(env, "judged")
    assert len(results) == 6
    for row in results:
        assert row["metrics"]["judge_empathy"] == pytest.approx((6 * 4 + 1) / 7)
        assert row["metrics"]["judge_faithfulness"] == 4.0
        assert row["metrics"]["judge_spread"] == 0.0
        assert row["judge"]["personal"] == {"score": 1, "reason": "fine"}
    summary = json.loads((env["tmp"] / "judged" / "summary.json").read_text())
    assert not any("LLM-judged" in n for n in summary["run"]["notices"])


def test_endpoint_mode_goes_through_the_service_api(env):
    from api.http.app import create_app
    from evals.generate import EndpointGenerator

    app = create_app(get_settings())
    original = EndpointGenerator.__init__

    def through_app(self, endpoint, timeout_s=300.0):
        original(self, endpoint, timeout_s)
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=endpoint)

    with respx.mock(assert_all_called=False) as mock:
        mock.post(CHAT_URL).mock(side_effect=faithful)
        EndpointGenerator.__init__ = through_app
        try:
            assert run(env, "remote", "--endpoint", "http://rewriter.test", "--template", "formal") == 0
        finally:
            EndpointGenerator.__init__ = original
    results = rows(env, "remote")
    assert [r["status"] for r in results] == ["ok"] * 3 and results[0]["template"] == "formal@v1"


def test_semantic_similarity_with_real_embeddings():
    from evals.scoring import Embedder

    same, related, unrelated = Embedder().similarities([
        ("Your refund was approved.", "Your refund was approved."),
        ("Your refund was approved.", "We approved the money back for your return."),
        ("Your refund was approved.", "The cat sleeps on the warm windowsill."),
    ])
    assert same == pytest.approx(1.0, abs=1e-4)
    assert related > unrelated + 0.2


def test_project_dataset_is_valid_and_broad():
    cases = datasets.load(ROOT / "evals" / "datasets" / "support.jsonl")
    assert len(cases) >= 80
    tags = {tag for case in cases for tag in case.tags}
    assert {"refund", "shipping", "billing", "account", "outage", "cancellation", "complaint", "angry",
            "feature-request", "placeholder", "url", "amount", "date", "other-language"} <= tags


def test_the_service_cli_points_at_the_harness(capsys):
    from api.cli import main as api_main

    assert api_main(["eval", "compare", "/nonexistent/a", "/nonexistent/b"]) == 2
    assert "python -m evals" in capsys.readouterr().err


def test_gates_do_not_pass_on_part_of_the_matrix(env, capsys):
    with respx.mock(assert_all_called=False) as mock:
        mock.post(CHAT_URL).mock(side_effect=faithful)
        assert run(env, "base") == 0
    with respx.mock(assert_all_called=False) as mock:
        mock.post(CHAT_URL).mock(return_value=httpx.Response(400, json={"error": {"message": "no"}}))
        code = run(env, "broken", "--cache-dir", str(env["tmp"] / "c3"), "--baseline", str(env["tmp"] / "base"),
                   "--max-regression", "facts_kept=0.1")
    err = capsys.readouterr().err
    assert code == 1 and "3 of 3 cells failed" in err and "facts_kept has no values now" in err
    assert rows(env, "broken")[0]["metrics"] == {"cell_failed": 1.0}


def test_each_cell_is_answered_by_the_model_it_names(env):
    seen = []

    def by_model(request):
        seen.append(json.loads(request.content)["model"])
        if seen[-1] == "gpt-4o-mini":
            return httpx.Response(500, json={"error": {"message": "down"}})
        return faithful(request)

    with respx.mock(assert_all_called=False) as mock:
        mock.post(CHAT_URL).mock(side_effect=by_model)
        run(env, "two", "--model", "openai/gpt-4o-mini", "--model", "openai/gpt-4o")
    results = rows(env, "two")
    mini = [r for r in results if r["model"] == "openai/gpt-4o-mini"]
    assert {r["status"] for r in mini} == {"failed"}  # not silently answered by gpt-4o
    assert {r["answered_by"] for r in results if r["model"] == "openai/gpt-4o"} == {"openai/gpt-4o"}


def test_a_case_the_service_refuses_is_a_failed_cell(env, tmp_path):
    data = tmp_path / "long.jsonl"
    data.write_text(json.dumps({"id": "long", "draft": "Order #1.", "reference": "r",
                                "variables": {"customer_name": "x" * 3000}}) + "\n")
    with respx.mock(assert_all_called=False) as mock:
        mock.post(CHAT_URL).mock(side_effect=faithful)
        assert main(["run", "--dataset", str(data), "--out", str(tmp_path / "o"), "--cache-dir", str(tmp_path / "c"),
                     "--no-progress", "--no-embeddings"]) == 0
    row = json.loads((tmp_path / "o" / "results.jsonl").read_text())
    assert row["status"] == "failed" and "invalid request" in row["error"]
    with pytest.raises(SystemExit) as info:
        main(["run", "--dataset", str(data), "--out", str(tmp_path / "o"), "--temperature", "3"])
    assert info.value.code == 2


def test_content_kept_is_the_share_of_the_drafts_content_units_the_rewrite_kept():
    from evals.scoring import guard_scores

    draft = ("To cancel, open your order details and press the 'Cancel Order' button. "
             "Refunds reach your card in five working days after the cancellation.")
    def result(text: str) -> dict:
        return {"rewrite": text, "guard": {"status": "passed", "rejected_rewrite": None}, "latency_ms": 1.0,
                "usage": {"total_tokens": 10}, "cost_usd": 0.0}

    assert guard_scores(draft, None, result("I'm sorry! " + draft))["content_kept"] == 1.0
    # the label and the first statement gone, the second kept: 1 of 3 units
    kept = guard_scores(draft, None, result("Refunds reach your card in five working days after the cancellation."))
    assert kept["content_kept"] == pytest.approx(1 / 3)
    assert guard_scores("Thanks!", None, result("Thank you!"))["content_kept"] is None
