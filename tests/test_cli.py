"""The command lines, `python -m api` and `python -m evals`, as a user meets them: what they say on
stderr, the exit codes, the help texts, and what they import. The upstream is faked with respx;
one test runs the embedded local model for real."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys

import httpx
import pytest
import respx

from api.cli import EXIT_CODES, main
from api.core.settings import get_settings
from evals.cli import main as evals_main

from .conftest import CHAT_URL, chat_reply
from .processes import ROOT, base_env, run_python

DRAFT = "Refund of $49.99 for order #4821 approved. It arrives in 3-5 business days."
KEPT = "I'm sorry for the wait. Refund of $49.99 for order #4821 approved. It arrives in 3-5 business days."
LOST = "I'm sorry for the wait. Your refund of $49.99 is approved."  # drops #4821 and the duration


@pytest.fixture(autouse=True)
def restore_logging():
    """The rewrite command sets up logging for its process; give the next test the set-up back."""
    names = ["", "llama_cpp", "LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "litellm", "httpx", "httpcore",
             "openai", "uvicorn", "uvicorn.error", "uvicorn.access"]
    loggers = [logging.getLogger(name) for name in names]
    saved = [(logger, logger.level, list(logger.handlers), logger.propagate) for logger in loggers]
    yield
    for logger, level, handlers, propagate in saved:
        logger.setLevel(level)
        logger.handlers[:] = handlers
        logger.propagate = propagate


@pytest.fixture
def service_env(monkeypatch):
    monkeypatch.setenv("REWRITER_MODEL", "openai/gpt-4o-mini")
    monkeypatch.setenv("REWRITER_MODEL_API_BASE", "http://upstream.test/v1")
    monkeypatch.setenv("REWRITER_MODEL_API_KEY", "sk-test")
    monkeypatch.setenv("REWRITER_MAX_RETRIES", "0")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def stdin(monkeypatch, text: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))


def rewrite(*args: str, reply: str | httpx.Response = KEPT) -> tuple[int, respx.Route]:
    with respx.mock(assert_all_called=False) as mock:
        response = reply if isinstance(reply, httpx.Response) else chat_reply(reply)
        route = mock.post(CHAT_URL).mock(return_value=response)
        return main(["rewrite", *args]), route


def cli(*args: str, stdin_text: str | None = None, **env: str) -> subprocess.CompletedProcess:
    """`python -m api ARGS` in its own process, as a user runs it."""
    env = {**base_env(), "PYTHONPATH": str(ROOT), **env}
    return subprocess.run([sys.executable, "-m", "api", *args], input=stdin_text, capture_output=True,
                          text=True, cwd=ROOT, env=env, timeout=300)


# --- rewrite: input ---------------------------------------------------------------------------


def test_an_empty_draft_is_said_in_words_not_as_a_pydantic_error():
    proc = cli("rewrite", stdin_text="", REWRITER_MODEL="openai/x")
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip() == "error: the draft is empty: give the draft on stdin or as a file argument"
    proc = cli("rewrite", stdin_text=" \n\t\n", REWRITER_MODEL="openai/x")
    assert proc.returncode == 2 and "the draft is empty" in proc.stderr


def test_the_draft_comes_from_a_file_argument_or_stdin(service_env, tmp_path, capsys, monkeypatch):
    draft = tmp_path / "draft.txt"
    draft.write_text(DRAFT + "\n")
    code, route = rewrite(str(draft))
    assert code == 0 and capsys.readouterr().out == KEPT + "\n"
    assert DRAFT in json.loads(route.calls.last.request.content)["messages"][-1]["content"]
    stdin(monkeypatch, DRAFT)
    code, route = rewrite("-")
    assert code == 0 and capsys.readouterr().out == KEPT + "\n" and route.called
    assert main(["rewrite", str(tmp_path / "missing.txt")]) == 2
    assert capsys.readouterr().err.strip() == f"error: draft file {tmp_path / 'missing.txt'} not found"
    (tmp_path / "blank.txt").write_text("\n")
    assert main(["rewrite", str(tmp_path / "blank.txt")]) == 2
    assert "is empty" in capsys.readouterr().err


def test_an_html_file_is_read_as_html_and_answered_in_html(service_env, tmp_path, capsys, monkeypatch):
    page = tmp_path / "reply.html"
    page.write_text('<p>Your order #4821 shipped. Track it <a href="https://t.example.com/4821">here</a>.</p>'
                    "<blockquote>Where is it?</blockquote>")
    code, route = rewrite(str(page), reply="Sorry for the wait! Your order #4821 shipped. Track it {{PH1}}.")
    assert code == 0, capsys.readouterr().err
    assert capsys.readouterr().out == ('<p>Sorry for the wait! Your order #4821 shipped. Track it '
                                       '<a href="https://t.example.com/4821">here</a>.</p><blockquote>Where is it?'
                                       "</blockquote>\n")
    seen = route.calls.last.request.content.decode()
    assert "t.example.com" not in seen and "Where is it" not in seen
    stdin(monkeypatch, "Your order #4821 **shipped**.")  # stdin has no extension: --format says
    code, route = rewrite("--format", "markdown", reply="Sorry! Your order #4821 {{PH1}}.")
    assert code == 0 and capsys.readouterr().out == "Sorry! Your order #4821 **shipped**.\n"


def test_bad_options_name_the_option_in_words(service_env, capsys, monkeypatch):
    stdin(monkeypatch, DRAFT)
    code, route = rewrite("--template", "empathetic@")
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("error: --template: a version is required after '@'")
    assert "errors.pydantic.dev" not in err and "validation error" not in err and not route.called
    stdin(monkeypatch, DRAFT)
    assert rewrite("--customer-message", "hi \ud800")[0] == 2
    assert capsys.readouterr().err.startswith("error: --customer-message: contains a lone surrogate")
    stdin(monkeypatch, DRAFT)
    assert rewrite("--var", "x" * 100 + "=1")[0] == 2
    assert "--var" in capsys.readouterr().err


def test_unknown_template_and_bad_var_share_the_bad_input_exit_code(service_env, capsys, monkeypatch):
    stdin(monkeypatch, DRAFT)
    assert rewrite("--template", "nope")[0] == 2
    assert "unknown template 'nope'; available:" in capsys.readouterr().err
    stdin(monkeypatch, DRAFT)
    assert rewrite("--var", "customer_name")[0] == 2
    assert "--var needs NAME=VALUE" in capsys.readouterr().err
    stdin(monkeypatch, DRAFT)
    assert rewrite("--var", "nope=1")[0] == 2
    assert "no variable(s) nope" in capsys.readouterr().err
    stdin(monkeypatch, DRAFT)
    assert rewrite("--model", "openai/not-allowed")[0] == 2
    assert capsys.readouterr().err.startswith("error: --model: 'openai/not-allowed' is not allowed here")
    stdin(monkeypatch, DRAFT)
    assert rewrite("--var", "tone=<b>")[0] == 2  # a template's rule, told with the option's name
    assert capsys.readouterr().err.startswith("error: --var tone: not allowed here; use up to 40 letters")


def test_a_bad_setting_is_named_by_its_variable(monkeypatch, capsys):
    monkeypatch.setenv("REWRITER_PORT", "eighty")
    get_settings.cache_clear()
    try:
        assert main(["templates"]) == 2
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert err.startswith("error: bad setting: REWRITER_PORT: ") and "Traceback" not in err


# --- rewrite: what the guard did, and the model failing --------------------------------------


def test_a_fallback_says_so_on_stderr_and_strict_gives_it_exit_3(service_env, capsys, monkeypatch):
    stdin(monkeypatch, DRAFT)
    code, route = rewrite(reply=LOST)
    out, err = capsys.readouterr()
    assert code == 0 and out == DRAFT + "\n" and route.call_count == 2  # the rewrite and its repair
    assert err.startswith("note: returned your draft unchanged: the model's rewrite failed the fact guard: ")
    assert "'#4821' is missing" in err and "'3-5 business days' is missing" in err
    stdin(monkeypatch, DRAFT)
    code, _ = rewrite("--strict", reply=LOST)
    out, err = capsys.readouterr()
    assert code == 3 and out == DRAFT + "\n" and "note: returned your draft unchanged" in err
    stdin(monkeypatch, DRAFT)
    code, _ = rewrite("--strict", "--json", reply=LOST)
    out, err = capsys.readouterr()
    assert code == 3 and json.loads(out)["guard"]["status"] == "fallback" and "#4821" in err


def test_a_rewrite_that_passes_prints_nothing_on_stderr_even_with_strict(service_env, capsys, monkeypatch):
    stdin(monkeypatch, DRAFT)
    code, _ = rewrite("--strict")
    out, err = capsys.readouterr()
    assert (code, out, err) == (0, KEPT + "\n", "")


def test_the_other_violation_policies_exit_3_when_asked(service_env, capsys, monkeypatch):
    stdin(monkeypatch, DRAFT)
    code, _ = rewrite("--on-violation", "error", reply=LOST)
    out, err = capsys.readouterr()
    assert code == 3 and out == ""
    assert err.startswith("error: the fact guard rejected the rewrite (--on-violation error): ")
    assert "#4821" in err
    stdin(monkeypatch, DRAFT)
    code, _ = rewrite("--on-violation", "allow", reply=LOST)
    out, err = capsys.readouterr()
    assert code == 0 and out == LOST + "\n"
    assert err.startswith("warning: printed the model's rewrite although it failed the fact guard")
    stdin(monkeypatch, DRAFT)
    assert rewrite("--on-violation", "allow", "--strict", reply=LOST)[0] == 3


def test_an_upstream_failure_is_exit_1_in_words(service_env, capsys, monkeypatch):
    stdin(monkeypatch, DRAFT)
    code, _ = rewrite(reply=httpx.Response(500, json={"error": {"message": "down"}}))
    err = capsys.readouterr().err
    assert code == 1
    assert "error: the model provider failed after retries and fallbacks: openai/gpt-4o-mini: HTTP 500" in err
    assert "warning: model failed model=openai/gpt-4o-mini reason=500" in err  # our log line, in words
    assert "Traceback" not in err


def test_a_missing_local_model_file_is_named_before_any_retry(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("REWRITER_MODEL", "local/custom")
    monkeypatch.setenv("REWRITER_LOCAL_MODEL_PATH", str(tmp_path / "missing.gguf"))
    get_settings.cache_clear()
    stdin(monkeypatch, DRAFT)
    try:
        assert main(["rewrite"]) == 2
    finally:
        get_settings.cache_clear()
    missing = tmp_path / "missing.gguf"
    assert capsys.readouterr().err.strip() == f"error: local model file {missing} does not exist"


def test_cli_logging_shows_our_warnings_and_not_llama_cpps(service_env, capsys, monkeypatch):
    """llama.cpp's own warnings reach the `llama_cpp` logger (api.models.llama_logs); the CLI keeps
    them off stderr, while a warning of ours comes out as one line in words."""
    stdin(monkeypatch, DRAFT)
    rewrite()  # sets up the CLI's logging
    capsys.readouterr()
    logging.getLogger("llama_cpp").warning("llama_kv_cache_iswa: using full-size SWA cache (ref: https://x)")
    logging.getLogger("api.models.gateway").warning("model failed", extra={"model": "m", "reason": "timeout"})
    assert capsys.readouterr().err == "warning: model failed model=m reason=timeout\n"


@pytest.mark.local_model
def test_a_real_rewrite_on_the_local_model_writes_nothing_on_stderr(tmp_path):
    """The embedded model, for real: llama.cpp's load-time warnings used to come out raw."""
    draft = tmp_path / "draft.txt"
    draft.write_text("Order #4821 shipped on May 2.\n")
    proc = cli("rewrite", str(draft), "--strict")
    assert proc.returncode in (0, 3), proc.stderr
    assert "#4821" in proc.stdout
    lines = proc.stderr.splitlines()
    assert all(line.startswith(("note: ", "warning: ")) for line in lines), proc.stderr
    fell_back = any(line.startswith("note: returned your draft unchanged") for line in lines)
    assert (proc.returncode == 3) == fell_back


def test_ctrl_c_is_exit_130_in_words(monkeypatch, capsys):
    import api.cli

    def interrupted(source):
        raise KeyboardInterrupt

    monkeypatch.setattr(api.cli, "_read_draft", interrupted)
    assert main(["rewrite"]) == 130
    assert capsys.readouterr().err == "interrupted\n"


def test_an_explicit_log_level_gives_the_services_log_lines(service_env, monkeypatch, capsys):
    monkeypatch.setenv("REWRITER_LOG_LEVEL", "warning")
    monkeypatch.setenv("REWRITER_LOG_FORMAT", "text")
    get_settings.cache_clear()
    stdin(monkeypatch, DRAFT)
    assert rewrite(reply=httpx.Response(500))[0] == 1
    assert " WARNING api.models.gateway: model failed model=openai/gpt-4o-mini reason=500" in capsys.readouterr().err


# --- new-key and templates --------------------------------------------------------------------


def test_new_key_blames_the_character_in_the_name_not_the_digest(capsys):
    assert main(["new-key", "bad:name"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.strip() == ("error: bad key name 'bad:name': it has ':' in it; "
                           "a name is 1 to 64 letters, digits, '_', '.' or '-'")
    assert main(["new-key", "a" * 65]) == 2
    assert "65 characters" in capsys.readouterr().err
    assert main(["new-key", "widget.v2_eu-1"]) == 0
    assert "REWRITER_API_KEYS entry: widget.v2_eu-1:" in capsys.readouterr().out


def test_templates_lists_every_version_with_its_description(capsys):
    from api.core.templates import TemplateRegistry

    assert main(["templates"]) == 0
    out = capsys.readouterr().out
    registry = TemplateRegistry.load(get_settings().prompts_dir)
    for template in registry:
        assert template.ref in out
        assert " ".join(template.spec.description.split()[:6]) in " ".join(out.split())
    default = registry.get(get_settings().default_template).ref
    assert any(line.startswith(default) and "default" in line for line in out.splitlines())


async def test_templates_json_is_what_the_api_lists(client, capsys):
    assert main(["templates", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert listed == (await client.get("/v1/templates")).json()


def test_templates_with_a_broken_template_is_bad_input(tmp_path, monkeypatch, capsys):
    (tmp_path / "bad.yaml").write_text("name: t\nversion: 1\n")
    monkeypatch.setenv("REWRITER_PROMPTS_DIR", str(tmp_path))
    get_settings.cache_clear()
    try:
        assert main(["templates"]) == 2
    finally:
        get_settings.cache_clear()
    assert capsys.readouterr().err.startswith("error: broken template: ")


# --- help ---------------------------------------------------------------------------------------


def help_of(entry, *args: str, capsys) -> str:
    with pytest.raises(SystemExit) as info:
        entry([*args, "--help"])
    assert info.value.code == 0
    return capsys.readouterr().out


def test_rewrite_help_documents_its_options_the_draft_and_the_exit_codes(capsys):
    text = help_of(main, "rewrite", capsys=capsys)
    for option in ("--template", "--customer-message", "--model", "--var", "--on-violation", "--strict",
                   "--json"):
        assert f"  {option} " in text, option
    flat = " ".join(text.split())
    assert "DRAFT" in text and "read it from stdin" in flat and "'-'" in flat
    assert "python -m api templates" in flat and "REWRITER_MODEL" in flat
    assert EXIT_CODES in text  # the table itself, laid out as written
    for code in ("0", "1", "2", "3", "130"):
        assert f"\n  {code} " in EXIT_CODES


def test_the_exit_code_table_is_in_the_help(capsys):
    assert EXIT_CODES in help_of(main, capsys=capsys)
    assert "interrupted" in EXIT_CODES and "--strict" in EXIT_CODES


@pytest.mark.parametrize("module", ["api", "evals"])
def test_help_works_with_docstrings_stripped(module):
    """`python -OO` strips docstrings; the exit-code tables are constants, so --help still has them."""
    done = subprocess.run([sys.executable, "-OO", "-m", module, "--help"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Exit codes:" in done.stdout and "130  interrupted" in done.stdout


def test_serve_help_shows_the_defaults_from_the_settings(capsys, monkeypatch):
    text = " ".join(help_of(main, "serve", capsys=capsys).split())
    assert "default: 127.0.0.1; REWRITER_HOST sets it" in text
    assert "default: 8000; REWRITER_PORT sets it" in text
    monkeypatch.setenv("REWRITER_PORT", "9123")
    get_settings.cache_clear()
    try:
        assert "default: 9123" in help_of(main, "serve", capsys=capsys)
    finally:
        get_settings.cache_clear()
    with pytest.raises(SystemExit) as info:
        main(["serve", "--port", "0"])
    assert info.value.code == 2 and "a port is 1-65535" in capsys.readouterr().err


def test_eval_help_points_at_the_harness(capsys):
    assert main(["eval", "--help"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "python -m evals run|compare" in err and "python -m evals --help" in err


def test_evals_help_explains_compare_and_the_cache(capsys):
    text = " ".join(help_of(evals_main, "compare", capsys=capsys).split())
    assert "RUN_A the earlier run (the baseline)" in text
    assert "RUN_B the later run, compared against RUN_A" in text
    assert "Exit codes: 0 all good 1 a gate failed" in text
    text = " ".join(help_of(evals_main, "run", capsys=capsys).split())
    assert "--cache-dir DIR where generations and judgements are cached" in text


# --- evals: a missing dataset -------------------------------------------------------------------


def test_a_missing_dataset_is_named_not_counted_as_a_bad_line(tmp_path, capsys):
    assert evals_main(["run", "--dataset", "nope.jsonl", "--out", str(tmp_path / "o"), "--no-progress"]) == 2
    assert capsys.readouterr().err.strip() == "error: dataset nope.jsonl not found"
    (tmp_path / "empty.jsonl").write_text("\n\n")
    assert evals_main(["run", "--dataset", str(tmp_path / "empty.jsonl"), "--out", str(tmp_path / "o")]) == 2
    empty = tmp_path / "empty.jsonl"
    assert capsys.readouterr().err.strip() == f"error: dataset {empty} is empty: it has no cases"


# --- what each command imports ----------------------------------------------------------------

HEAVY = ("litellm", "llama_cpp", "torch", "ragas", "sentence_transformers")


def imported_by(code: str) -> tuple[dict[str, bool], str]:
    """Run `code` in a fresh interpreter; which of HEAVY it imported, and what it printed."""
    proc = run_python(
        "import contextlib, io, json, sys\n"
        "out = io.StringIO()\n"
        "with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):\n"
        "    try:\n"
        + "".join(f"        {line}\n" for line in code.splitlines()) +
        "    except SystemExit:\n"
        "        pass\n"
        f"imported = {{m: m in sys.modules for m in {HEAVY!r}}}\n"
        "print(json.dumps({'imported': imported, 'out': out.getvalue()}))\n",
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    return result["imported"], result["out"]


@pytest.mark.parametrize("args, printed", [
    (["new-key", "x"], "REWRITER_API_KEYS entry: x:"),
    (["templates"], "empathetic@v"),
    (["--help"], "Exit codes:"),
    (["rewrite", "--help"], "--customer-message"),
    (["eval", "--help"], "python -m evals"),
])
def test_quick_commands_do_not_import_litellm(args, printed):
    imported, out = imported_by(f"from api.cli import main\nmain({args!r})")
    assert printed in out  # the command did run
    assert not any(imported.values()), imported


def test_evals_compare_and_help_do_not_import_litellm_ragas_or_torch(tmp_path):
    for name, mean in (("a", 0.5), ("b", 0.25)):
        run = tmp_path / name
        run.mkdir()
        (run / "summary.json").write_text(json.dumps({"groups": [
            {"template": "t@v1", "model": "m", "metrics": {"facts_kept": {"mean": mean}}}]}))
    imported, out = imported_by(f"from evals.cli import main\nmain(['compare', {str(tmp_path / 'a')!r}, "
                                f"{str(tmp_path / 'b')!r}])")
    assert "| facts_kept | 0.5000 | 0.2500 | -0.2500 | worse |" in out
    assert not any(imported.values()), imported
    imported, out = imported_by("from evals.cli import main\nmain(['run', '--help'])")
    assert "--cache-dir" in out and not any(imported.values()), imported


def test_a_rewrite_does_import_litellm():
    """The control for the tests above: the check would see litellm if a command loaded it."""
    imported, _ = imported_by("from api.core.rewriter import Rewriter")
    assert imported["litellm"]


@pytest.mark.parametrize("summary", ["[]", "null", '{"groups": 5}', "{not json",
                                     '{"groups": [{"template": "t", "model": "m", "metrics": {"bleu": {"mean": "x"}}}]}'])
def test_evals_compare_names_a_run_file_it_cannot_read(tmp_path, capsys, summary):
    good, bad = tmp_path / "good", tmp_path / "bad"
    for run in (good, bad):
        run.mkdir()
    (good / "summary.json").write_text('{"groups": []}')
    (bad / "summary.json").write_text(summary)
    assert evals_main(["compare", str(good), str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {bad / 'summary.json'}: ") and "Traceback" not in err, err
