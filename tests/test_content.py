"""The content check (api.guard.content): a reply that keeps every fact but drops the draft's
instructions, steps, labels or conditions is not faithful."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.dataset import load as load_dataset

from api.guard import content
from api.guard import check

ROOT = Path(__file__).resolve().parent.parent
CANCEL = ("To cancel, open your order details and press the 'Cancel Order' button; our support team can "
          "help if you get stuck.")


def lost(draft: str, rewrite: str) -> list[tuple[str, str]]:
    return [(unit.kind, unit.text) for unit in content.missing(draft, rewrite)]


def test_a_reply_that_drops_every_instruction_loses_them():
    rewrite = "I'm sorry you have any issues with your order. If there are any, please let me know."
    assert ("label", "Cancel Order") in lost(CANCEL, rewrite)
    assert any(kind == "sentence" for kind, _ in lost(CANCEL, rewrite))
    verdict = check(CANCEL, rewrite)
    assert not verdict.ok
    assert {(v.kind, v.fact) for v in verdict.violations} == {("lost", "content")}
    assert "the draft's label 'Cancel Order' is missing" in verdict.describe()


def test_the_same_instructions_in_other_words_pass():
    rewrite = ("I'm sorry cancelling has been a hassle. To cancel, open your order details and press the "
               "'Cancel Order' button. If you get stuck, our support team is glad to help: just reply here.")
    assert lost(CANCEL, rewrite) == []
    assert check(CANCEL, rewrite).ok


def test_a_reversed_instruction_is_lost():
    draft = "You can download your invoice from the 'Order History' section of your account."
    rewrite = "I'm sorry, we can't help you because it is not in the 'Order History' section."
    kinds = lost(draft, rewrite)
    assert kinds == [("sentence", draft)]
    assert "missing words: download, invoic, account" in content.missing(draft, rewrite)[0].detail()


def test_a_dropped_step_of_several_is_named():
    draft = ("Here is how to update your card:\n1. Sign in to your account.\n2. Open Billing and choose "
             "Payment methods.\n3. Replace the expiry date and save the card.")
    kept = ("I'm sorry the payment failed. Here is how to update your card: sign in to your account, "
            "open Billing and choose Payment methods, then replace the expiry date and save the card.")
    assert lost(draft, kept) == []
    dropped = "I'm sorry the payment failed. Sign in to your account, then open Billing and choose Payment methods."
    assert lost(draft, dropped) == [("sentence", "3. Replace the expiry date and save the card.")]


@pytest.mark.parametrize("draft, rewrite, condition", [
    ("Your refund will be issued only if you return the item by May 2.",
     "Your refund will be issued once you return the item by May 2.", "only"),
    ("Your refund will be issued if you return the unused blender by May 2.",
     "I'm sorry! Your refund will be issued; return the unused blender by May 2.", "if"),
    ("We replace the charger unless the seal on the box is broken.",
     "We replace the charger, and the seal on the box is broken.", "unless"),
])
def test_a_dropped_condition_is_lost(draft, rewrite, condition):
    assert lost(draft, rewrite) == [("condition", condition)]


def test_conditions_may_be_reworded_and_pleasantries_carry_none():
    draft = "Your refund will be issued if you return the unused blender by May 2. If you have questions, let us know."
    rewrite = ("In case you return the unused blender by May 2, your refund will be issued. Feel free to reach out "
               "with any questions.")
    assert lost(draft, rewrite) == []


def test_menu_paths_are_kept_step_by_step():
    draft = "To change your address, go to Settings > Account > Addresses and click 'Edit'."
    assert lost(draft, "I'm sorry! To change it, open Settings > Account > Addresses, then click 'Edit'.") == []
    assert ("path", "Settings > Account > Addresses") in lost(
        draft, "I'm sorry! To change your address, open Settings > Addresses and click 'Edit'.")


def test_apostrophes_are_not_quote_marks():
    draft = "The annual plan can't be cancelled mid-term. It won't renew after that."
    assert content._labels(draft) == []


def test_in_other_languages_labels_count_but_sentences_are_not_judged():
    draft = "Para cancelar, abra los detalles del pedido y pulse el botón 'Cancelar pedido'."
    assert not content.is_english(draft)
    assert lost(draft, "Lo siento. Para cancelar, pulse 'Cancelar pedido'.") == []
    assert lost(draft, "Lo siento mucho.") == [("label", "Cancelar pedido")]


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_no_faithful_rewrite_we_have_loses_content():
    """Calibration: the guard corpus's faithful paraphrases and the eval dataset's reference
    replies (written by people, faithful by construction) keep all their drafts' content."""
    flagged = []
    for case in _jsonl(ROOT / "tests" / "guard_corpus" / "corpus.jsonl"):
        flagged += [(case["draft"], text) for text in case["paraphrases"] if content.missing(case["draft"], text)]
    for case in load_dataset(ROOT / "evals" / "datasets" / "support.jsonl"):  # HTML and Markdown as text
        draft, reference = case.visible(case.draft), case.visible(case.reference)
        if content.missing(draft, reference):
            flagged.append((draft, reference))
    assert flagged == []


def test_on_real_drafts_wrapping_passes_and_dropping_everything_does_not():
    rows = _jsonl(ROOT / "evals" / "datasets" / "realworld" / "drafts.jsonl")
    generic = "I'm sorry you have any issues with your order. If there are any, please let me know."
    wrapped = [r for r in rows if content.missing(
        r["reply"], "I'm sorry for the trouble. " + r["reply"] + " Just reply if anything is unclear.")]
    caught = sum(bool(content.missing(r["reply"], generic)) for r in rows)
    assert wrapped == []
    assert caught / len(rows) >= 0.99


@pytest.mark.parametrize("draft, rewrite", [
    ("You'll get a full refund if the blender is unopened and returned within 30 days.",
     "I'm sorry! You'll get a full refund when the blender is returned within 30 days. If you have any "
     "other questions, just let me know."),
    ("We can only refund the blender to the original card.",
     "I'm sorry! We can refund the blender to the original card. Just reply here with any questions."),
])
def test_a_closing_does_not_keep_a_condition_its_statement_dropped(draft, rewrite):
    assert ("condition", "if" if " if " in draft else "only") in lost(draft, rewrite)


def test_a_condition_is_found_in_whichever_sentences_keep_its_statement():
    draft = "If you have a question about canceling your premium account, I'm here to help with the cancellation."
    rewrite = "I understand you'd like to cancel your premium account. " + draft
    assert lost(draft, rewrite) == []
