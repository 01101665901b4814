"""Eval cases from the agents' feedback (`python -m evals dataset from-feedback`) and compare's
"edited before sending" section. The store is a real one (SQLite in tmp_path, and PostgreSQL for
the main export), filled with rows as the service writes them."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import respx

from api.core.settings import get_settings
from api.feedback.store import FeedbackStore
from evals import dataset as datasets
from evals.cli import main

from .conftest import CHAT_URL
from .postgres import postgres_server
from .test_evals import faithful

NOW = datetime.now(timezone.utc)
REFUND = "Refund of $49.99 for order #4821 approved. Arrives in 3-5 business days."
REFUND_REWRITE = "I'm sorry for the wait. Your refund of $49.99 for order #4821 is approved; it arrives in 3-5 business days."
REFUND_SENT = "So sorry for the wait! Your refund of $49.99 for order #4821 is approved and arrives in 3-5 business days."
RESET = "Reset link sent to [email]. It expires in 24 hours."
RESET_REWRITE = "I'm sorry you're locked out. I've sent a reset link to [email]; it expires in 24 hours."
_ids = iter(range(1, 10_000))


def row(outcome: str | None, draft: str = REFUND, rewrite: str = REFUND_REWRITE, sent_text: str | None = None,
        *, days_ago: float = 1, template: str = "empathetic", version: int = 3, pii_stored: bool = False,
        customer_message: str | None = "Where is my refund?", model: str = "openai/gpt-4o-mini",
        rewrite_id: str | None = None, fmt: str = "text") -> dict:
    """A `rewrites` row as the recorder and the feedback route write it."""
    created = NOW - timedelta(days=days_ago)
    return {
        "id": rewrite_id or f"rw_{next(_ids):032x}", "created_at": created, "key_name": "helpdesk",
        "template": template, "template_version": version, "assigned": False, "conversation_id": None,
        "model": model, "pii_stored": pii_stored, "draft": draft, "customer_message": customer_message,
        "rewrite": rewrite, "format": fmt, "guard_status": "passed", "violations": 0, "latency_ms": 800, "cost_usd": 9e-6,
        "prompt_tokens": 20, "completion_tokens": 10, "outcome": outcome, "sent_text": sent_text,
        "edit_distance": None if outcome in (None, "discarded") else 7, "edit_ratio": None, "rating": None,
        "comment": None, "revision": 0 if outcome is None else 1,
        "feedback_at": None if outcome is None else created + timedelta(minutes=5),
    }


def fill(url: str, rows: list[dict]) -> str:
    async def go() -> None:
        store = FeedbackStore(url)
        try:
            await store.migrate()
            await store.insert(rows)
        finally:
            await store.close()

    asyncio.run(go())
    return url


def sqlite_store(tmp_path: Path, rows: list[dict]) -> str:
    return fill(f"sqlite+aiosqlite:///{tmp_path / 'feedback.db'}", rows)


def export(capsys, url: str | None, out: Path, *extra: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["dataset", "from-feedback", *(["--db", url] if url else []), "--out", str(out), *extra])
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return code, err


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture(scope="module")
def postgres():
    with postgres_server() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_store(request, tmp_path):
    """A URL to a database with no store in it yet, on each backend."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'feedback.db'}"
    import asyncpg

    base = request.getfixturevalue("postgres")
    name = f"e{next(_ids)}"
    admin = base.replace("postgresql+asyncpg", "postgresql").rsplit("/", 1)[0] + "/postgres"

    async def create() -> None:
        connection = await asyncpg.connect(admin)
        try:
            await connection.execute(f"CREATE DATABASE {name}")
        finally:
            await connection.close()

    asyncio.run(create())
    return base.rsplit("/", 1)[0] + f"/{name}"


# --- export -------------------------------------------------------------------------------------


def test_sent_and_edited_rewrites_become_cases_whose_reference_is_what_the_agent_sent(empty_store, tmp_path, capsys):
    edited = row("edited", sent_text=REFUND_SENT, days_ago=2)
    sent = row("sent", RESET, RESET_REWRITE, template="concise", version=1, customer_message=None,
               model="openai/gpt-4o")
    url = fill(empty_store, [
        edited, sent,
        row("discarded", "Order #77 shipped.", "Sorry! Order #77 shipped."),
        row(None, "Order #78 shipped.", "Sorry! Order #78 shipped."),  # no feedback
        row("edited", "Order #79 shipped.", "Sorry! Order #79 shipped."),  # edited, the text not given
        row("edited", "Order #80 shipped.", "Sorry! Order #80 shipped.", "Order #80 shipped today.", days_ago=45),
    ])
    out = tmp_path / "data" / "cases.jsonl"
    code, err = export(capsys, url, out, "--since", "30d")
    assert code == 0, err
    assert err.strip() == (f"{out}: 2 written, 0 skipped as duplicates, 1 skipped without text "
                           f"(of 3 rewrites sent or edited since {err.split(' since ')[1].split(')')[0]})")
    cases = {case.id: case for case in datasets.load(out)}  # a dataset like any other
    assert list(cases) == [edited["id"], sent["id"]]  # oldest first
    first, second = cases[edited["id"]], cases[sent["id"]]
    assert (first.draft, first.reference, first.customer_message) == (REFUND, REFUND_SENT, "Where is my refund?")
    assert first.tags == ("source:feedback", "outcome:edited", "template:empathetic@v3", "model:openai/gpt-4o-mini",
                          "guard:passed")
    assert first.variables == {}
    assert (second.draft, second.reference, second.customer_message) == (RESET, RESET_REWRITE, None)
    assert second.tags == ("source:feedback", "outcome:sent", "template:concise@v1", "model:openai/gpt-4o",
                           "guard:passed")

    code, err = export(capsys, url, out, "--outcome", "edited")
    assert code == 0 and [case["id"] for case in lines(out)] == [edited["id"]]
    assert "1 written" in err and "edited since" in err
    code, _ = export(capsys, url, out, "--template", "concise@v1", "--outcome", "sent", "--outcome", "edited")
    assert code == 0 and [case["id"] for case in lines(out)] == [sent["id"]]
    code, _ = export(capsys, url, out, "--template", "empathetic@2")
    assert code == 2  # nothing to write


def test_the_same_draft_and_reference_is_one_case_the_newest(tmp_path, capsys):
    old = row("edited", sent_text=REFUND_SENT, days_ago=5)
    new = row("edited", sent_text=REFUND_SENT, days_ago=1, template="empathetic", version=4)
    other = row("edited", sent_text=REFUND_SENT + " Anything else?", days_ago=3)
    as_is = row("sent", rewrite=REFUND_SENT, days_ago=2)  # sent as is: the same reference, the same draft
    url = sqlite_store(tmp_path, [old, new, other, as_is])
    out = tmp_path / "cases.jsonl"
    code, err = export(capsys, url, out)
    assert code == 0, err
    assert [case["id"] for case in lines(out)] == [other["id"], new["id"]]
    assert lines(out)[1]["tags"][2] == "template:empathetic@v4"
    assert "2 written, 2 skipped as duplicates, 0 skipped without text (of 4 rewrites" in err


def test_an_html_rewrite_becomes_an_html_case(tmp_path, capsys):
    html = row("sent", draft="<p>Refund of <b>$49.99</b> for order #4821 approved.</p>", fmt="html",
               rewrite="<p>Sorry for the wait! Refund of <b>$49.99</b> for order #4821 approved.</p>")
    empty = row("sent", draft="<p>Order #4821 shipped.</p>", rewrite="<p></p><blockquote>x</blockquote>", fmt="html")
    url = sqlite_store(tmp_path, [html, empty])
    out = tmp_path / "cases.jsonl"
    code, err = export(capsys, url, out)
    assert code == 0, err
    (case,) = lines(out)
    assert case["format"] == "html" and "format:html" in case["tags"] and case["reference"] == html["rewrite"]
    assert "1 skipped without text" in err


def test_texts_stored_with_personal_data_are_written_redacted(tmp_path, capsys):
    kept = row(
        "edited", pii_stored=True,
        draft="Hi Ana Lopez, refund of $49.99 for order #4821 approved. Confirmation sent to ana.lopez@example.com.",
        rewrite="I'm sorry for the wait, Ana Lopez. Your refund of $49.99 for order #4821 is approved; "
                "the confirmation went to ana.lopez@example.com.",
        sent_text="So sorry for the wait, Ana! Your refund of $49.99 for order #4821 is approved; the confirmation "
                  "went to ana.lopez@example.com. Call us on +44 20 7946 0958 if it does not arrive.",
        customer_message="Where is my refund? My number is +44 20 7946 0958.\n\nThanks,\nAna Lopez",
    )
    as_is = row("sent", pii_stored=True, draft="Dear Sam, the card 4111 1111 1111 1111 was refunded.",
                rewrite="Dear Sam, I'm sorry for the trouble: the card 4111 1111 1111 1111 was refunded.",
                customer_message=None)
    titled = row("sent", pii_stored=True, draft="Dear Mr. Smith, order #12 shipped.",
                 rewrite="Sorry for the wait, Mr. Smith: order #12 shipped.", customer_message=None)
    url = sqlite_store(tmp_path, [kept, as_is, titled])
    out = tmp_path / "cases.jsonl"
    code, err = export(capsys, url, out)
    assert code == 0, err
    text = out.read_text()
    for personal in ("Ana", "Lopez", "example.com", "7946", "Sam", "4111", "Smith"):
        assert personal not in text, personal
    first, second, third = lines(out)
    assert third["reference"] == "Sorry for the wait, Mr. [name]: order #12 shipped."
    assert first["draft"] == ("Hi [name], refund of $49.99 for order #4821 approved. "
                              "Confirmation sent to [email].")
    assert first["customer_message"] == "Where is my refund? My number is [phone].\n\nThanks,\n[name]"
    assert first["reference"] == ("So sorry for the wait, [name]! Your refund of $49.99 for order #4821 is approved; "
                                  "the confirmation went to [email]. Call us on [phone] if it does not arrive.")
    assert second["draft"] == "Dear [name], the card [card] was refunded."
    assert second["reference"] == "Dear [name], I'm sorry for the trouble: the card [card] was refunded."


def test_discarded_rewrites_have_no_reference_and_asking_for_them_is_an_error(tmp_path, capsys):
    url = sqlite_store(tmp_path, [row("discarded"), row("edited", sent_text=REFUND_SENT)])
    out = tmp_path / "cases.jsonl"
    code, err = export(capsys, url, out, "--outcome", "edited", "--outcome", "discarded")
    assert code == 2 and "discarded rewrite was never sent" in err and "no reference" in err
    assert not out.exists()
    code, err = export(capsys, url, out, "--outcome", "loved")
    assert code == 2 and "--outcome 'loved': use sent or edited" in err


@pytest.mark.parametrize("args, says", [
    (["--db", "mysql://user@host/db"], "use sqlite+aiosqlite:///PATH or postgresql+asyncpg://"),
    (["--db", "not a url"], "is not a database URL"),
    (["--db", "sqlite+aiosqlite://"], "in-memory database holds no feedback"),
    (["--db", "postgresql+asyncpg://rewriter:secret@127.0.0.1:1/feedback"], "cannot read the feedback store"),
    (["--since", "last week"], "--since 'last week': use a span like 7d"),
    (["--template", "empathetic@latest"], "--template 'empathetic@latest': use NAME or NAME@VERSION"),
])
def test_bad_options_and_stores_that_cannot_be_read_are_errors_in_words(tmp_path, capsys, args, says):
    url = sqlite_store(tmp_path, [row("edited", sent_text=REFUND_SENT)])
    code, err = export(capsys, None, tmp_path / "cases.jsonl", "--db", url, *args)
    assert code == 2 and says in err, err
    assert "secret" not in err  # a password is not printed
    assert not (tmp_path / "cases.jsonl").exists()


def test_a_missing_or_foreign_sqlite_file_is_an_error_and_nothing_is_created(tmp_path, capsys):
    missing = tmp_path / "nowhere" / "feedback.db"
    code, err = export(capsys, f"sqlite+aiosqlite:///{missing}", tmp_path / "cases.jsonl")
    assert code == 2 and f"no feedback store at {missing}" in err
    assert not missing.parent.exists()  # opening it would have made an empty database there
    foreign = tmp_path / "other.db"
    foreign.write_bytes(b"")  # a database, but not the service's
    code, err = export(capsys, f"sqlite+aiosqlite:///{foreign}", tmp_path / "cases.jsonl")
    assert code == 2 and "no such table: rewrites" in err and "not a feedback store" in err


def test_the_default_store_is_the_services(tmp_path, capsys, monkeypatch):
    url = sqlite_store(tmp_path, [row("edited", sent_text=REFUND_SENT)])
    monkeypatch.setenv("REWRITER_FEEDBACK_DB", url)
    get_settings.cache_clear()
    try:
        code, err = export(capsys, None, tmp_path / "cases.jsonl")
    finally:
        get_settings.cache_clear()
    assert code == 0 and "1 written" in err


def test_the_help_says_what_the_command_does(capsys):
    with pytest.raises(SystemExit):
        main(["dataset", "from-feedback", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for said in ("--db URL", "--since WHEN", "--outcome OUTCOME", "--template NAME[@VERSION]", "--out PATH",
                 "REWRITER_FEEDBACK_DB", "outcome:OUTCOME", "Discarded rewrites were never sent", "Exit codes:"):
        assert said in text, said


# --- through the harness, and compare -----------------------------------------------------------


def test_exported_cases_run_and_compare_lists_the_edited_ones_worst_first(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("REWRITER_MODEL", "openai/gpt-4o-mini")
    monkeypatch.setenv("REWRITER_MODEL_API_BASE", "http://upstream.test/v1")
    monkeypatch.setenv("REWRITER_MODEL_API_KEY", "sk-test")
    monkeypatch.setenv("REWRITER_MAX_RETRIES", "0")
    get_settings.cache_clear()
    rows = [row("edited", sent_text=REFUND_SENT),
            row("edited", RESET, RESET_REWRITE, "Sent a reset link to [email]. It works for a day."),
            row("sent", "Order #77 shipped today.", "Good news: order #77 shipped today.")]
    url = sqlite_store(tmp_path, rows)
    data = tmp_path / "cases.jsonl"
    assert export(capsys, url, data)[0] == 0
    try:
        for name in ("before", "after"):
            with respx.mock(assert_all_called=False) as mock:
                mock.post(CHAT_URL).mock(side_effect=faithful)
                assert main(["run", "--dataset", str(data), "--out", str(tmp_path / name), "--cache-dir",
                             str(tmp_path / "cache"), "--no-progress", "--no-embeddings"]) == 0
    finally:
        get_settings.cache_clear()
    results = [json.loads(line) for line in (tmp_path / "after" / "results.jsonl").read_text().splitlines()]
    assert {r["status"] for r in results} == {"ok"} and len(results) == 3
    capsys.readouterr()
    assert main(["compare", str(tmp_path / "before"), str(tmp_path / "after")]) == 0
    out = capsys.readouterr().out
    section = out.split("## Edited before sending, worst first (2)\n")[1]
    edited = sorted((r for r in results if "outcome:edited" in r["tags"]), key=lambda r: r["metrics"]["chrf"])
    listed = [line.split(" ")[1] for line in section.splitlines() if line.startswith("- ")]
    assert listed == [r["case_id"] for r in edited]  # the least like what the agent sent first
    assert rows[2]["id"] not in section  # sent as is: not edited


def _run_dir(directory: Path, rows: list[dict]) -> Path:
    directory.mkdir()
    groups = sorted({(r["template"], r["model"]) for r in rows})
    (directory / "summary.json").write_text(json.dumps({"groups": [
        {"template": t, "model": m, "metrics": {"chrf": {"mean": 0.5}}} for t, m in groups]}))
    (directory / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    return directory


def _result(case_id: str, status: str = "ok", tags: tuple[str, ...] = ("outcome:edited",), **metrics) -> dict:
    return {"dataset": "cases", "case_id": case_id, "tags": list(tags), "template": "empathetic@v3",
            "model": "openai/gpt-4o-mini", "repeat": 0, "status": status, "metrics": metrics}


def test_compare_orders_the_edited_cases_by_status_facts_then_similarity(tmp_path, capsys):
    after = [
        _result("close", facts_kept=1.0, semantic_similarity=0.95, chrf=0.2),
        _result("as-is", tags=("outcome:sent",), facts_kept=0.0, semantic_similarity=0.1),
        _result("far", facts_kept=1.0, semantic_similarity=0.40, chrf=0.9),
        _result("lost-a-fact", facts_kept=0.5, semantic_similarity=0.99),
        _result("failed", status="failed", cell_failed=1.0),
        _result("fallback", status="fallback", facts_kept=1.0, semantic_similarity=0.99),
    ]
    before = [_result("far", facts_kept=1.0, semantic_similarity=0.70)]
    a, b = _run_dir(tmp_path / "a", before), _run_dir(tmp_path / "b", after)
    capsys.readouterr()
    assert main(["compare", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    section = out.split("## Edited before sending, worst first (5)\n")[1].strip().splitlines()
    listed = [line for line in section if line.startswith("- ")]
    assert [line.split(" ")[1] for line in listed] == ["failed", "fallback", "lost-a-fact", "far", "close"]
    assert listed[3] == ("- far [empathetic@v3 on openai/gpt-4o-mini]: ok, facts_kept 1.000, semantic_similarity "
                         "0.400 (before: ok, facts_kept 1.000, semantic_similarity 0.700)")
    assert "as-is" not in "\n".join(section)
    assert main(["compare", str(a), str(b), "--worst", "2"]) == 0
    out = capsys.readouterr().out.split("## Edited before sending")[1]
    assert "- fallback " in out and "- lost-a-fact" not in out and "... and 3 more (--worst N lists more)" in out
    # Without edited cases, no section.
    plain = _run_dir(tmp_path / "plain", [_result("x", tags=("refund",), facts_kept=1.0)])
    assert main(["compare", str(a), str(plain)]) == 0
    assert "Edited before sending" not in capsys.readouterr().out
