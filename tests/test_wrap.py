"""Wrap mode (api/core/wrap.py): the opening the model writes is checked; the draft goes verbatim."""

from __future__ import annotations

import pytest

from api.core import wrap
from api.core.settings import Settings
from api.core.templates import TemplateRegistry

from .conftest import CHAT_URL

CUSTOMER = "how do I change the delivery address on order 4821"
DRAFT = "Open Orders, choose the order and press 'Edit address'."


@pytest.mark.parametrize("generated, expected", [
    (" you'd like to change the delivery address on your order, and I'm glad to help.\nCustomer: more",
     "you'd like to change the delivery address on your order, and I'm glad to help."),
    (" you'd like to change the address on order 4821. And more.", "you'd like to change the address on order 4821."),
])
def test_a_grounded_plain_opening_is_kept_to_its_first_sentence(generated, expected):
    assert wrap.opening(generated, CUSTOMER, DRAFT) == expected


@pytest.mark.parametrize("generated, why", [
    (" you can't change the address, sadly.", "a negation: assumes what the customer cannot do"),
    (" it is not possible to change the address.", "a negation: a decision the draft does not make"),
    (" you'd like to change the address on order 5512.", "a number the customer did not write"),
    (" you'd like a refund for your delivery address.", "a topic nobody brought up (refund)"),
    (" you'd like to change the {{PH1}} address.", "markup or placeholders"),
    (" ok.", "too short"),
    (" you'd like to change the delivery address", "no end of sentence (cut off)"),
])
def test_an_unusable_opening_is_refused(generated, why):
    assert wrap.opening(generated, CUSTOMER, DRAFT) is None, why


@pytest.mark.parametrize("generated, customer, draft", [
    (" your order is eligible for a refund.", "can I get a refund for my order?",
     "Your order is not eligible for a refund because it was opened."),
    (" your refund was approved, and I'm glad.", "was my refund approved?", "Your refund was rejected."),
])
def test_an_opening_that_says_the_opposite_of_the_draft_is_refused(generated, customer, draft):
    """Beside the verbatim draft the whole reply holds both sides, so the opening is checked alone."""
    assert wrap.opening(generated, customer, draft) is None


def test_the_closing_is_the_same_for_the_same_draft_and_varies_across_drafts():
    closings = ["a", "b", "c", "d"]
    assert wrap.closing(closings, DRAFT) == wrap.closing(closings, DRAFT)
    assert len({wrap.closing(closings, f"draft {n}") for n in range(40)}) == 4


def test_the_default_template_has_a_wrap_form_with_closings_that_invite_a_reply():
    template = TemplateRegistry.load(Settings(_env_file=None).prompts_dir).get("empathetic")
    assert template.has_wrap_form and template.version >= 3
    assert all("reply" in closing for closing in template.spec.wrap.closings)
    prompt, name, start = template.render_opening(
        {"draft": DRAFT, "customer_message": CUSTOMER, "customer_name": "Ana", "tone": "warm"})
    assert (name, start) == ("Ana,", "I understand")
    assert prompt.messages[0]["content"].endswith(f"Customer: {CUSTOMER}\nOpening: Ana, I understand")


async def test_wrap_mode_on_a_chat_model_is_a_422_naming_the_field(client, upstream):
    route = upstream.post(CHAT_URL)
    response = await client.post("/v1/rewrites", json={"draft": DRAFT, "mode": "wrap"})
    assert response.status_code == 422
    problem = response.json()
    assert problem["field"] == "mode" and "wrap needs" in problem["detail"]
    assert not route.called


def test_the_opening_goes_after_the_drafts_greeting_and_the_closing_before_its_sign_off():
    draft = "Hi {{PH1}},\n\nYour refund was sent today.\n\nBest regards,\nSam"
    parts = wrap.compose("I understand you're waiting for your refund.", draft, "Just reply if anything is off.")
    assert "".join(parts) == ("Hi {{PH1}},\n\nI understand you're waiting for your refund.\n\nYour refund was sent "
                              "today.\n\nJust reply if anything is off.\n\nBest regards,\nSam")
    assert wrap.greets(draft) and not wrap.greets("Your refund was sent today.")
    plain = wrap.compose("Opening.", "Your refund was sent today.", "Closing.")
    assert plain == ["Opening.", " Your refund was sent today.", " Closing."]


def test_a_greeting_that_starts_the_first_line_stays_first_too():
    draft = "Hi {{PH1}}, your refund of $19.00 was sent today."
    parts = wrap.compose("Thank you for reaching out.", draft, "Just reply if anything is off.")
    # The draft's "your" now starts a sentence after the opening.
    assert "".join(parts) == ("Hi {{PH1}}, thank you for reaching out. Your refund of $19.00 was sent today. "
                              "Just reply if anything is off.")
    assert wrap.greets(draft)
    # Only a plain word is capitalised: a code, a URL, an email or "iOS" is a fact, kept as written.
    for body in ("x7Kq-22 is your code.", "iOS 17 users need the update.", "https://example.com/r/abc has it.",
                 "ana@example.com was updated."):
        parts = wrap.compose("Thank you for reaching out.", f"Hi {{{{PH1}}}}, {body}", "Just reply.")
        assert parts[1] == " " + body, parts
