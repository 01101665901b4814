"""The eval harness with HTML and Markdown cases and drafts in other languages: the format reaches
the core, every score reads visible text, and the report breaks the metrics down by format and by
the draft's language. The upstream (and the judge) faked with respx, real scoring."""

from __future__ import annotations

import json
import re
from pathlib import Path

import httpx
import pytest
import respx

from api.core.settings import get_settings
from api.guard import language
from evals import dataset as datasets
from evals.cli import main

from .conftest import CHAT_URL, chat_json
from .test_evals import eval_env, run

ROOT = Path(__file__).resolve().parent.parent
QUOTE = ('<div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Tue, Mar 4, 2025 at 9:12 AM Dana '
         '&lt;dana@example.com&gt; wrote:<br></div><blockquote class="gmail_quote">Where is my refund for order '
         '#60418?</blockquote></div>')
HTML_DRAFT = ('<div dir="ltr"><div>Refund of <b>$54.20</b> for order #60418 approved. Back on your card in 5-7 business '
              'days.</div><div>Details: <a href="https://help.example.com/refunds">refund help</a></div></div><br>' + QUOTE)
CASES = [
    {"id": "text-en", "draft": "Refund of $49.99 for order #4821 approved. Arrives in 3-5 business days.",
     "reference": "Good news: your refund of $49.99 for order #4821 is approved and arrives in 3-5 business days.",
     "customer_message": "Where is my refund for the blender?", "tags": ["refund"]},
    {"id": "text-es", "draft": "Reembolso de 39,90 € del pedido #45120 aprobado. Llega en 5-7 días hábiles.",
     "reference": "Siento mucho lo del pedido #45120. He aprobado el reembolso de 39,90 €, que llega en 5-7 días hábiles.",
     "customer_message": "El pedido #45120 llegó roto.", "tags": ["refund", "other-language", "lang:es"]},
    {"id": "html-en", "format": "html", "draft": HTML_DRAFT,
     "reference": ('<div dir="ltr"><p>I am sorry for the wait. Your refund of <b>$54.20</b> for order #60418 is approved '
                   'and back on your card in 5-7 business days. Details: <a href="https://help.example.com/refunds">'
                   'refund help</a></p></div><br>' + QUOTE),
     "customer_message": "Where is my refund for order #60418?", "tags": ["refund", "format:html"]},
    {"id": "markdown-en", "format": "markdown",
     "draft": "Reset link sent. Open **Settings → Security** and run `acme login` again. Guide: "
              "[password help](https://help.example.com/password).",
     "reference": "Sorry you were locked out. I've sent a reset link. Open **Settings → Security** and run `acme login` "
                  "again; the guide is here: [password help](https://help.example.com/password).",
     "customer_message": "I can't log in to the CLI.", "tags": ["account", "format:markdown"]},
]
_DRAFT = re.compile(r"<draft-[0-9a-f]{12}>\n(.*)\n</draft-[0-9a-f]{12}>", re.S)
_OPENING = {"es": "Siento mucho las molestias y gracias por tu paciencia.",
            "en": "I'm sorry for the trouble, and thanks for your patience."}


def draft_of(request: httpx.Request) -> str:
    """The (masked) draft the model was shown (a repair request shows it in an earlier message)."""
    messages = json.loads(request.content)["messages"]
    return _DRAFT.search("\n".join(m["content"] for m in messages)).group(1)


def faithful(request: httpx.Request) -> httpx.Response:
    """An upstream that keeps every fact and token: an opening in the draft's language, then the
    (masked) draft itself."""
    draft = draft_of(request)
    opening = _OPENING.get(language.detect(draft) or "en", _OPENING["en"])
    return httpx.Response(200, json=chat_json(f"{opening}\n\n{draft}"))


@pytest.fixture
def env(monkeypatch, tmp_path):
    yield from eval_env(monkeypatch, tmp_path, CASES)


def rows(env, out: str) -> dict[str, dict]:
    lines = (env["tmp"] / out / "results.jsonl").read_text().splitlines()
    return {row["case_id"]: row for row in map(json.loads, lines)}


def test_cases_with_a_format_load_and_bad_ones_are_named_by_line(tmp_path):
    path = tmp_path / "cases.jsonl"
    path.write_text("".join(json.dumps(c) + "\n" for c in CASES))
    cases = {case.id: case for case in datasets.load(path)}
    assert {i: c.format for i, c in cases.items()} == {
        "text-en": "text", "text-es": "text", "html-en": "html", "markdown-en": "markdown"}
    html = cases["html-en"]
    assert html.visible(html.draft).startswith("Refund of $54.20 for order #60418 approved.")
    assert "<b>" not in html.visible(html.draft) and "Where is my refund" not in html.visible(html.draft)

    bad = tmp_path / "bad.jsonl"
    good = json.dumps({"id": "a", "draft": "<p>Refund sent.</p>", "reference": "<p>Sorry! Refund sent.</p>",
                       "format": "html"})
    bad.write_text("\n".join([
        good,
        json.dumps({"id": "b", "draft": "x", "reference": "y", "format": "rtf"}),
        json.dumps({"id": "c", "draft": "<p> </p>" + QUOTE, "reference": "<p>Hi</p>", "format": "html"}),
        json.dumps({"id": "d", "draft": "Refund sent.", "reference": "-- \nMaya, Support\n", "format": "markdown"}),
    ]) + "\n")
    with pytest.raises(datasets.DatasetError) as info:
        datasets.load(bad)
    assert [number for number, _ in info.value.problems] == [2, 3, 4]
    text = str(info.value)
    assert f"{bad}:2: format: Input should be 'text', 'markdown' or 'html'" in text
    assert f"{bad}:3: line: the html draft has no visible text before its quoted thread or signature" in text
    assert f"{bad}:4: line: the markdown reference has no visible text before its quoted thread or signature" in text


def test_the_harness_sends_the_format_to_the_core_and_records_format_and_language(env, monkeypatch):
    from api.core.rewriter import Rewriter

    seen: dict[str, str] = {}
    original = Rewriter.rewrite

    async def spy(self, request, *args, **kwargs):
        seen[request.draft] = request.format
        return await original(self, request, *args, **kwargs)

    monkeypatch.setattr(Rewriter, "rewrite", spy)
    shown = []
    with respx.mock(assert_all_called=False) as mock:
        mock.post(CHAT_URL).mock(side_effect=lambda request: shown.append(draft_of(request)) or faithful(request))
        assert run(env, "run") == 0
    assert seen == {case["draft"]: case.get("format", "text") for case in CASES}
    # the core read the HTML: the model saw its visible text, never the markup or the quoted thread
    html_prompt = next(d for d in shown if "#60418" in d)
    assert "<b>" not in html_prompt and "<div" not in html_prompt and "gmail_quote" not in html_prompt
    results = rows(env, "run")
    assert {i: (r["format"], r["language"], r["status"]) for i, r in results.items()} == {
        "text-en": ("text", "en", "ok"), "text-es": ("text", "es", "ok"),
        "html-en": ("html", "en", "ok"), "markdown-en": ("markdown", "en", "ok")}
    html = results["html-en"]["rewrite"]
    assert html.startswith("<") and '<a href="https://help.example.com/refunds">refund help</a>' in html
    assert html.endswith(QUOTE)  # the quoted thread comes back as it came
    assert "`acme login`" in results["markdown-en"]["rewrite"]
    for row in results.values():
        assert row["metrics"]["facts_kept"] == 1.0 and row["metrics"]["guard_passed"] == 1.0


def test_a_failed_cell_records_the_drafts_language(env):
    def upstream(request):
        if "pedido" in draft_of(request):
            return httpx.Response(400, json={"error": {"message": "rejected"}})
        return faithful(request)

    with respx.mock(assert_all_called=False) as mock:
        mock.post(CHAT_URL).mock(side_effect=upstream)
        assert run(env, "run") == 0
    failed = rows(env, "run")["text-es"]
    assert failed["status"] == "failed" and failed["language"] == "es" and failed["format"] == "text"


def test_the_endpoint_mode_sends_the_format_too(env):
    from api.http.app import create_app
    from evals.generate import EndpointGenerator

    app = create_app(get_settings())
    bodies = []
    original = EndpointGenerator.__init__

    def through_app(self, endpoint, timeout_s=300.0):
        original(self, endpoint, timeout_s)

        async def record(request):
            if request.method == "POST":
                bodies.append(json.loads(await request.aread()))

        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=endpoint,
                                        event_hooks={"request": [record]})

    with respx.mock(assert_all_called=False) as mock:
        mock.post(CHAT_URL).mock(side_effect=faithful)
        EndpointGenerator.__init__ = through_app
        try:
            assert run(env, "remote", "--endpoint", "http://rewriter.test") == 0
        finally:
            EndpointGenerator.__init__ = original
    assert sorted(body["format"] for body in bodies) == ["html", "markdown", "text", "text"]
    results = rows(env, "remote")
    assert results["html-en"]["rewrite"].endswith(QUOTE) and results["html-en"]["language"] == "en"


def _result(rewrite: str, violations: list | None = None, status: str = "passed") -> dict:
    return {"rewrite": rewrite, "guard": {"status": status, "rejected_rewrite": None, "violations": violations or []},
            "latency_ms": 1.0, "usage": {"total_tokens": 10}, "cost_usd": 0.0}


async def test_overlap_metrics_read_visible_text_not_markup():
    from evals.scoring import score_cell

    reference = ('<p>I am sorry for the wait. Your refund of <b>$54.20</b> for order #60418 is approved.</p>'
                 '<ul><li>Back on your card in 5-7 business days</li></ul>')
    # the same visible text in other markup (divs, strong, a line break for the list), with a quoted thread
    rewrite = ('<div>I am sorry for the wait. Your refund of <strong>$54.20</strong> for order #60418 is approved.'
               '</div><div><br></div><ul><li>Back on your card in 5-7 business days</li></ul>' + QUOTE)
    draft = '<p>Refund of <b>$54.20</b> for order #60418 approved. Back on your card in 5-7 business days.</p>'
    html = await score_cell(draft, reference, None, {}, _result(rewrite), "html")
    assert html["bleu"] == pytest.approx(1.0) and html["chrf"] == pytest.approx(1.0)
    assert html["rouge_l"] == pytest.approx(1.0) and html["string_similarity"] == pytest.approx(1.0)
    # read as text, the markup alone takes the scores down: the visible text is what makes them 1
    text = await score_cell(draft, reference, None, {}, _result(rewrite), "text")
    assert text["bleu"] < 0.8 and text["chrf"] < 0.9
    # the same words in Markdown and as plain text
    md = await score_cell("Refund **sent**.", "Sorry! Your refund was **sent** ([help](https://x.example/h)).", None,
                          {}, _result("Sorry! Your refund was sent (help)."), "markdown")
    assert md["bleu"] == pytest.approx(1.0) and md["chrf"] == pytest.approx(1.0)


def test_facts_kept_reads_visible_text_and_counts_the_drafts_links():
    from evals.scoring import guard_scores

    draft = ('<p>Refund of <b>$54.20</b> for order #60418 approved. Details: '
             '<a href="https://help.example.com/refunds">refund help</a></p>')
    kept = guard_scores(draft, None, _result("<p>Sorry! " + draft[3:]), "html")
    assert kept["facts_kept"] == 1.0 and kept["guard_passed"] == 1.0
    assert kept["length_ratio"] == pytest.approx(len("Sorry! Refund of $54.20 for order #60418 approved. Details: "
                                                     "refund help") / len("Refund of $54.20 for order #60418 approved. "
                                                                          "Details: refund help"))
    # the model dropped the link's token: the service names its href as lost, and the cell fell back;
    # of the draft's three facts ($54.20, #60418 and the link) the rejected rewrite kept two
    lost = guard_scores(draft, None, {
        **_result(draft, status="fallback"),
        "guard": {"status": "fallback", "rejected_rewrite": "Sorry! Refund of $54.20 for order #60418 approved.",
                  "violations": [{"kind": "lost", "fact": "link", "value": "https://help.example.com/refunds",
                                  "detail": "link 'https://help.example.com/refunds' is missing"}]},
    }, "html")
    assert lost["facts_kept"] == pytest.approx(2 / 3) and lost["guard_fallback"] == 1.0


def test_a_draft_returned_without_a_model_call_has_no_model_figures():
    """Wrap mode returns a draft in another language as written, calling no model: nothing was
    rewritten, so nothing was kept or lost (not a perfect score for the draft itself)."""
    from evals.scoring import guard_scores

    draft = "Reembolso de 39,90 € del pedido #45120 aprobado. Llega en 5-7 días hábiles."
    untouched = guard_scores(draft, None, {**_result(draft, status="fallback"), "latency_ms": 2.0})
    assert untouched["guard_fallback"] == 1.0 and untouched["guard_passed"] == 0.0
    assert [untouched[k] for k in ("facts_kept", "content_kept", "placeholders_intact", "added_facts")] == [None] * 4
    rejected = guard_scores(draft, None, {**_result(draft, status="fallback"), "guard": {
        "status": "fallback", "rejected_rewrite": "Lo siento. Reembolso aprobado.", "violations": []}})
    assert rejected["facts_kept"] == 0.0 and rejected["added_facts"] == 0.0


def test_similarity_and_the_judge_read_visible_text(env, monkeypatch):
    import evals.run as run_module

    pairs = []

    class Embedder:
        def similarities(self, given):
            pairs.extend(given)
            return [0.5] * len(given)

    monkeypatch.setattr(run_module, "_EMBEDDER", Embedder())
    verdict = {name: {"score": 4, "reason": "fine"} for name in (
        "empathy_not_sympathy", "active_listening", "personal", "accuracy_with_urgency", "respect",
        "honest_about_limits", "close_the_loop", "faithfulness", "professionalism")}
    judged = []

    def upstream(request):
        body = json.loads(request.content)
        if body["model"] == "judge-model":
            judged.append(body["messages"][-1]["content"])
            return httpx.Response(200, json=chat_json(json.dumps(verdict), model="judge-model"))
        return faithful(request)

    with respx.mock(assert_all_called=False) as mock:
        mock.post(CHAT_URL).mock(side_effect=upstream)
        assert main(["run", "--dataset", str(env["data"]), "--out", str(env["tmp"] / "j"), "--cache-dir",
                     str(env["cache"]), "--no-progress", "--judge-model", "openai/judge-model"]) == 0
    html_pair = next(pair for pair in pairs if "#60418" in pair[1])
    assert html_pair[1] == ("I am sorry for the wait. Your refund of $54.20 for order #60418 is approved and back on "
                            "your card in 5-7 business days. Details: refund help")
    assert "<" not in html_pair[0] and "Where is my refund" not in html_pair[0]
    html_prompt = next(p for p in judged if "#60418" in p)
    assert "<b>" not in html_prompt and "gmail_quote" not in html_prompt and "refund help" in html_prompt
    assert all(r["metrics"]["semantic_similarity"] == 0.5 for r in rows(env, "j").values())


def test_the_same_draft_in_another_format_is_another_generation(env, tmp_path):
    draft = "Reset link sent. Open **Settings** and run `acme login` again."
    as_text = tmp_path / "text.jsonl"
    as_text.write_text(json.dumps({"id": "a", "draft": draft, "reference": "Sorry! " + draft}) + "\n")
    as_markdown = tmp_path / "markdown.jsonl"
    as_markdown.write_text(json.dumps({"id": "a", "draft": draft, "reference": "Sorry! " + draft,
                                       "format": "markdown"}) + "\n")
    with respx.mock(assert_all_called=False) as mock:
        route = mock.post(CHAT_URL).mock(side_effect=faithful)
        assert run(env, "t", data=as_text) == 0
        assert run(env, "m", data=as_markdown) == 0
        assert route.call_count == 2  # not the text cell's cached rewrite
        assert run(env, "m2", data=as_markdown) == 0
        assert route.call_count == 2  # the markdown cell is cached under its own key
    assert rows(env, "m")["a"]["format"] == "markdown" and rows(env, "t")["a"]["format"] == "text"


def _table(markdown: str, title: str) -> list[list[str]]:
    """The rows of the table under `## title` in a Markdown report, as cells."""
    section = markdown.split(f"## {title}\n\n", 1)[1].split("\n\n", 1)[0]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in section.splitlines()[2:]]


def test_the_report_breaks_metrics_down_by_format_and_language(env, capsys):
    def upstream(request):  # the Markdown case loses its facts: a fallback in its own slice
        if "Reset link sent" in draft_of(request):
            return httpx.Response(200, json=chat_json("I'm sorry for the trouble. We are on it."))
        return faithful(request)

    with respx.mock(assert_all_called=False) as mock:
        mock.post(CHAT_URL).mock(side_effect=upstream)
        assert run(env, "run", "--template", "empathetic@v1", "--template", "empathetic@v2") == 0
    printed = capsys.readouterr().out
    summary = json.loads((env["tmp"] / "run" / "summary.json").read_text())
    by_format = {(e["template"], e["format"]): e for e in summary["by_format"]}
    assert sorted(by_format) == sorted((t, f) for t in ("empathetic@v1", "empathetic@v2")
                                       for f in ("text", "html", "markdown"))
    for template in ("empathetic@v1", "empathetic@v2"):
        assert (by_format[(template, "text")]["cells"], by_format[(template, "text")]["ok"]) == (2, 2)
        assert (by_format[(template, "html")]["cells"], by_format[(template, "html")]["ok"]) == (1, 1)
        markdown = by_format[(template, "markdown")]
        assert (markdown["cells"], markdown["fallback"]) == (1, 1)
        assert markdown["metrics"]["guard_fallback"]["mean"] == 1.0
        assert by_format[(template, "html")]["metrics"]["guard_passed"]["mean"] == 1.0
    by_language = {(e["template"], e["language"]): e["cells"] for e in summary["by_language"]}
    assert by_language == {(t, lang): n for t in ("empathetic@v1", "empathetic@v2") for lang, n in (("en", 3), ("es", 1))}
    assert [e["format"] for e in summary["by_format"][:3]] == ["text", "markdown", "html"]

    report = (env["tmp"] / "run" / "report.md").read_text()
    formats = _table(report, "By format")
    assert [row[:6] for row in formats if row[1].startswith("empathetic@v1")] == [
        ["text", "empathetic@v1 · openai/gpt-4o-mini", "2", "2", "0", "0"],
        ["markdown", "empathetic@v1 · openai/gpt-4o-mini", "1", "0", "1", "0"],
        ["html", "empathetic@v1 · openai/gpt-4o-mini", "1", "1", "0", "0"]]
    languages = _table(report, "By language of the draft")
    assert [row[:3] for row in languages if row[1].startswith("empathetic@v2")] == [
        ["en (English)", "empathetic@v2 · openai/gpt-4o-mini", "3"], ["es (Spanish)", "empathetic@v2 · openai/gpt-4o-mini", "1"]]
    header = report.split("## By format\n\n", 1)[1].splitlines()[0]
    assert "guard_passed" in header and "chrf" in header and "bleu" in header and "latency_ms" in header
    html = (env["tmp"] / "run" / "report.html").read_text()
    assert "<h2>By format</h2>" in html and "<h2>By language of the draft</h2>" in html
    assert "<td>es (Spanish)</td><td>empathetic@v1 · openai/gpt-4o-mini</td><td>1</td>" in html
    assert "By format:" in printed and "| markdown | empathetic@v2 · openai/gpt-4o-mini | 1 | 0 | 1 | 0 |" in printed


def test_gates_still_read_the_template_x_model_means_and_compare_shows_the_slices(env, capsys):
    with respx.mock(assert_all_called=False) as mock:
        mock.post(CHAT_URL).mock(side_effect=faithful)
        assert run(env, "good", "--fail-under", "facts_kept=0.99", "--fail-under", "guard_passed=1") == 0
        assert run(env, "strict", "--fail-under", "bleu=0.99") == 1
    assert "bleu" in capsys.readouterr().err

    def html_lost(request):  # the HTML case's rewrite loses its facts, the others stay as they were
        if "#60418" in draft_of(request):
            return httpx.Response(200, json=chat_json("I'm sorry for the trouble. We are on it."))
        return faithful(request)

    with respx.mock(assert_all_called=False) as mock:
        mock.post(CHAT_URL).mock(side_effect=html_lost)
        code = run(env, "worse", "--cache-dir", str(env["tmp"] / "other-cache"), "--baseline",
                   str(env["tmp"] / "good"), "--max-regression", "guard_passed=0.2")
    assert code == 1 and "guard_passed regressed by 0.2500" in capsys.readouterr().err  # 1 of 4 cells
    assert main(["compare", str(env["tmp"] / "good"), str(env["tmp"] / "worse")]) == 0
    out = capsys.readouterr().out
    template = rows(env, "good")["html-en"]["template"]
    assert (f"| html | {template} on openai/gpt-4o-mini | 1 -> 1 | 1.000 -> 0.000 worse | 1.000 -> 0.000 worse |"
            in out)
    assert f"| markdown | {template} on openai/gpt-4o-mini | 1 -> 1 | 1.000 -> 1.000 | 1.000 -> 1.000 |" in out
    assert "## By language, before -> after" in out and f"| es | {template} on openai/gpt-4o-mini | 1 -> 1 |" in out


def test_project_dataset_has_html_markdown_and_other_language_cases():
    cases = datasets.load(ROOT / "evals" / "datasets" / "support.jsonl")
    by_format = {f: [c for c in cases if c.format == f] for f in ("html", "markdown")}
    assert len(by_format["html"]) >= 15 and len(by_format["markdown"]) >= 15
    assert all(f"format:{c.format}" in c.tags for c in by_format["html"] + by_format["markdown"])
    languages = {c.id: language.detect(c.visible(c.draft)) for c in cases}
    other = [c for c in cases if languages[c.id] not in (None, "en")]
    assert len(other) >= 15
    assert {languages[c.id] for c in other} >= {"es", "fr", "de", "pt", "it"}
    for c in other:  # tagged as the service reads them
        assert "other-language" in c.tags and f"lang:{languages[c.id]}" in c.tags, c.id
    # an HTML reference keeps the draft's links and returns its quoted thread as it came
    from api.formats import parse

    for c in by_format["html"] + by_format["markdown"]:
        draft, reference = parse(c.draft, c.format), parse(c.reference, c.format)
        assert sorted(a.href for *_, a in draft.atoms if a.href) == sorted(a.href for *_, a in reference.atoms if a.href), c.id
        assert draft.tail == reference.tail, c.id


def test_project_dataset_references_pass_the_guard_in_their_format():
    """Every new case's reference says the same things as its draft, as the service's guard reads
    them (visible text), in the draft's language."""
    from api import guard

    cases = datasets.load(ROOT / "evals" / "datasets" / "support.jsonl")
    checked = [c for c in cases if c.format != "text" or "other-language" in c.tags]
    assert len(checked) >= 45
    for c in checked:
        draft, reference = c.visible(c.draft), c.visible(c.reference)
        verdict = guard.check(draft, reference, c.customer_message)
        assert verdict.violations == [], (c.id, [v.detail for v in verdict.violations])
        assert language.mismatch(draft, reference) == [], c.id
