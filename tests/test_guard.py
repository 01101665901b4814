"""The fact guard: extraction and normalisation, verdicts, masking, warnings, diff; property tests."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.guard import facts
from api.guard import StreamUnmasker, check, mask, word_diff

DRAFT = (
    "Hi {{ticket.requester.first_name}}, your refund of $49.99 for order #4821 was approved on March 3. "
    "It reaches your card in 3-5 business days; details at https://help.example.com/refunds."
)


def kinds(text: str) -> list[tuple[str, str]]:
    return [(f.kind, f.text) for f in facts.extract(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("order #4821", [("id", "#4821")]),
        ("tracking 1Z999AA10123456784.", [("id", "1Z999AA10123456784")]),
        ("invoice INV-2024-0042", [("id", "INV-2024-0042")]),
        ("pay $49.99 now", [("money", "$49.99")]),
        ("49.99 USD", [("money", "49.99 USD")]),
        ("€12 or 12,50 €", [("money", "€12"), ("money", "12,50 €")]),
        ("save 15%", [("percent", "15%")]),
        ("on 2024-06-30", [("date", "2024-06-30")]),
        ("by 3rd of March", [("date", "3rd of March")]),
        ("at 14:00 UTC", [("time", "14:00 UTC")]),
        ("in 3-5 business days", [("duration", "3-5 business days")]),
        ("see https://x.example.com/a?b=1.", [("url", "https://x.example.com/a?b=1")]),
        ("mail billing@example.com", [("email", "billing@example.com")]),
        ("call +1 800 555 0199", [("phone", "+1 800 555 0199")]),
        ("use `SAVE20`", [("code", "`SAVE20`")]),
        ('code "WELCOME10" works', [("code", '"WELCOME10"')]),
        ("{{ticket.id}} {% if x %} [[agent]] %NAME% ${user}",
         [("placeholder", "{{ticket.id}}"), ("placeholder", "{% if x %}"), ("placeholder", "[[agent]]"),
          ("placeholder", "%NAME%"), ("placeholder", "${user}")]),
        ("by Friday", [("weekday", "Friday")]),
        ("no facts here at all", []),
    ],
)
def test_extraction(text, expected):
    assert kinds(text) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("$49.99", "USD 49.99"), ("$49.99", "49.99 dollars"), ("€12", "12.00 EUR"), ("1,200.00 USD", "$1200"),
        ("March 3", "3 March"), ("March 3", "Mar 3rd"), ("2024-03-03", "March 3, 2024"), ("03/04/2024", "April 3, 2024"),
        ("14:00", "2pm"), ("2:30 PM", "14:30"), ("3-5 business days", "3 to 5 working days"),
        ("two weeks", "2 weeks"), ("30-day", "30 days"), ("#4821", "4821"), ("+1 800 555 0199", "+1 (800) 555-0199"),
        ("https://www.example.com/a/", "example.com/a"), ("15%", "15 percent"),
    ],
)
def test_same_fact_written_two_ways_passes(a, b):
    verdict = check(f"It is {a}.", f"I can confirm it is {b}.")
    assert verdict.ok, verdict.describe()


@pytest.mark.parametrize(
    ("rewrite", "kind", "fact"),
    [
        (DRAFT.replace(" for order #4821", ""), "lost", "id"),
        (DRAFT.replace("#4821", "#4812"), "altered", "id"),
        (DRAFT.replace("$49.99", "$94.99"), "altered", "money"),
        (DRAFT.replace("$49.99", "€49.99"), "altered", "money"),
        (DRAFT.replace("March 3", "March 4"), "altered", "date"),
        (DRAFT.replace("3-5 business days", "3-5 days"), "altered", "duration"),
        (DRAFT.replace("{{ticket.requester.first_name}}", "there"), "lost", "placeholder"),
        (DRAFT.replace("{{ticket.requester.first_name}}", "{{ticket.requester.name}}"), "altered", "placeholder"),
        (DRAFT + " See also https://evil.example.com.", "added", "url"),
        (DRAFT + " You also get $10 back.", "added", "money"),
        (DRAFT + " Call +1 800 555 0100.", "added", "phone"),
    ],
)
def test_corruptions_are_violations(rewrite, kind, fact):
    verdict = check(DRAFT, rewrite)
    assert not verdict.ok
    assert (kind, fact) in {(v.kind, v.fact) for v in verdict.violations}, verdict.describe()


def test_faithful_paraphrase_passes_and_lists_kept_facts():
    rewrite = (
        "Hi {{ticket.requester.first_name}}, I know waiting for money is stressful. Good news: your refund of "
        "USD 49.99 for order 4821 was approved on 3 March, and it will reach your card within 3 to 5 business "
        "days. You can read the details at https://help.example.com/refunds. Reply here if anything looks off."
    )
    verdict = check(DRAFT, rewrite)
    assert verdict.ok, verdict.describe()
    assert verdict.warnings == []
    assert {f.kind for f in verdict.kept} == {"placeholder", "money", "id", "date", "duration", "url"}


def test_facts_from_the_customer_message_may_be_repeated():
    customer = "Where is order #5512? I paid $20."
    draft = "It ships tomorrow."
    assert check(draft, "Order #5512, for which you paid $20, ships tomorrow.", customer).ok
    assert not check(draft, "Order #5512 ships tomorrow.").ok


def test_negation_flip_is_a_violation_by_default():
    draft = "Order #4821 is not eligible for a refund."
    verdict = check(draft, "Good news: order #4821 is eligible for a refund.")
    assert not verdict.ok
    assert {(v.kind, v.fact) for v in verdict.violations} == {("flipped", "negation")}
    assert "eligible" in {v.value for v in verdict.violations}
    assert verdict.warnings == []
    assert check(draft, "I'm sorry, order #4821 isn't eligible for a refund.").ok


def test_negation_flip_is_only_a_warning_when_flips_do_not_block():
    draft = "Order #4821 is not eligible for a refund."
    verdict = check(draft, "Good news: order #4821 is eligible for a refund.", flips_block=False)
    assert verdict.ok
    assert {w.kind for w in verdict.warnings} == {"negation_flip"}
    assert "eligible" in {w.value for w in verdict.warnings}


@pytest.mark.parametrize("draft, rewrite, value", [
    ("Your refund for order #4821 was rejected because the item was used.",
     "Good news: your refund for order #4821 was issued, although the item was used.", "rejected -> issued"),
    ("Your claim was declined.", "I'm happy to say your claim was approved.", "declined -> approved"),
    ("Your return was accepted.", "I'm sorry, your return was refused.", "accepted -> refused"),
    ("The blue jacket is out of stock.", "The blue jacket is in stock.", "out of stock -> in stock"),
])
def test_a_decision_turned_round_is_a_flip(draft, rewrite, value):
    verdict = check(draft, rewrite)
    assert [(v.kind, v.value) for v in verdict.violations] == [("flipped", value)], verdict.describe()
    assert check(draft, rewrite, flips_block=False).ok


@pytest.mark.parametrize("draft, rewrite", [
    ("Your refund was rejected.", "I'm sorry, your refund was declined."),  # same side, other word
    ("Your refund was rejected.", "I'm sorry, but your refund couldn't be approved."),  # negated: still no
    ("Your refund was rejected, but the replacement was approved.",
     "I'm sorry your refund was rejected; the good news is the replacement was approved."),
    ("The jacket is unavailable in blue.", "I'm sorry, the jacket is unavailable in blue."),
])
def test_the_same_decision_in_other_words_is_no_flip(draft, rewrite):
    verdict = check(draft, rewrite)
    assert verdict.ok, verdict.describe()


def test_new_commitment_is_a_warning():
    draft = "Order #4821 arrives on May 2."
    verdict = check(draft, "Order #4821 arrives on May 2, and I've added a discount for the trouble.")
    assert [w.value for w in verdict.warnings] == ["discount"]
    assert check("We will refund order #1.", "I will refund order #1.").warnings == []


def test_invented_placeholder_token_is_a_violation():
    verdict = check("Hi {{a}}", "Hi {{a}} {{PH9}}", invented_tokens=["{{PH9}}"])
    assert [v.kind for v in verdict.violations] == ["placeholder"]


def test_mask_swaps_placeholders_for_tokens_and_back():
    masked = mask("Hi {{ticket.requester.first_name}}, from %AGENT% ({{ticket.requester.first_name}})")
    assert masked.text == "Hi {{PH1}}, from {{PH2}} ({{PH1}})"
    restored, invented = masked.unmask("Dear {{PH1}}, {{PH2}} here. {{PH7}}")
    assert restored == "Dear {{ticket.requester.first_name}}, %AGENT% here. {{PH7}}"
    assert invented == ["{{PH7}}"]


def test_mask_prefix_avoids_collisions():
    masked = mask("PH says {{x}}")
    assert masked.prefix == "PHX" and masked.text == "PH says {{PHX1}}"


def test_word_diff_rebuilds_both_texts():
    a, b = "Order #1 shipped today.", "Good news: order #1 shipped today!"
    ops = word_diff(a, b)
    assert "".join(o["text"] for o in ops if o["op"] != "insert") == a
    assert "".join(o["text"] for o in ops if o["op"] != "delete") == b
    assert {"op": "equal", "text": "#1 shipped "} in ops


def test_word_diff_keeps_a_sentence_the_rewrite_continues_equal():
    """The draft's last word has no space after it; the rewrite goes on after it. That word is
    still the same word: only a space and the new sentence are inserted."""
    draft = "Your refund was rejected. Nothing we can do."
    rewrite = "I'm sorry. Your refund was rejected. Nothing we can do. Reply if anything is unclear."
    assert word_diff(draft, rewrite) == [
        {"op": "insert", "text": "I'm sorry. "},
        {"op": "equal", "text": "Your refund was rejected. Nothing we can do."},
        {"op": "insert", "text": " Reply if anything is unclear."},
    ]
    # Leading whitespace, and whitespace that changed between equal words, rebuild exactly too.
    for a, b in [("  Order #1\nshipped.", "Order #1 shipped."), ("a  b", "a b c"), ("", "x"), ("x", "")]:
        ops = word_diff(a, b)
        assert "".join(o["text"] for o in ops if o["op"] != "insert") == a
        assert "".join(o["text"] for o in ops if o["op"] != "delete") == b


# --- properties ------------------------------------------------------------------------------

FACT_POOL = [
    "#4821", "$49.99", "€12", "15%", "March 3", "2024-06-30", "14:00 UTC", "3-5 business days",
    "https://help.example.com/returns", "billing@example.com", "+1 800 555 0199", "`SAVE20`",
    "{{ticket.requester.first_name}}", "%AGENT_NAME%", "INV-2024-0042", "1Z999AA10123456784", "Friday",
]
WORDS = ["your", "order", "refund", "was", "sent", "on", "and", "we", "will", "email", "you", "soon", "thanks"]


@given(st.text(max_size=300))
@settings(max_examples=300, deadline=None)
def test_property_mask_round_trips_any_text(text):
    masked = mask(text)
    assert masked.unmask(masked.text) == (text, [])


@given(st.text(max_size=200), st.lists(st.integers(min_value=0, max_value=200), max_size=6))
@settings(max_examples=200, deadline=None)
def test_property_stream_unmasking_matches_whole_unmasking(text, cuts):
    masked = mask(text)
    pieces, last = [], 0
    for cut in sorted(set(c for c in cuts if c < len(masked.text))):
        pieces.append(masked.text[last:cut])
        last = cut
    pieces.append(masked.text[last:])
    unmasker = StreamUnmasker(masked)
    streamed = "".join(unmasker.feed(p) for p in pieces) + unmasker.flush()
    assert streamed == text


@given(st.text(max_size=300).filter(str.strip))  # the API refuses blank drafts
@settings(max_examples=300, deadline=None)
def test_property_the_draft_itself_always_passes(text):
    assert check(text, text).ok


drafts = st.lists(st.one_of(st.sampled_from(FACT_POOL), st.sampled_from(WORDS)), min_size=1, max_size=12).map(" ".join)


@given(drafts, st.data())
@settings(max_examples=300, deadline=None)
def test_property_deleting_any_fact_from_a_passing_rewrite_fails(draft, data):
    found = facts.extract(draft)
    if not found:
        return
    victim = data.draw(st.sampled_from(found))
    # Delete every occurrence of that fact (however written), back to front.
    rewrite = draft
    for fact in sorted((f for f in found if f.covered_by(victim) or victim.covered_by(f)), key=lambda f: -f.start):
        rewrite = rewrite[: fact.start] + rewrite[fact.end :]
    assert check(draft, draft).ok
    assert not check(draft, rewrite).ok


def test_an_added_fact_from_the_templates_examples_is_named_as_copied():
    examples = facts.extract("Draft: Order #5512 shipped May 2. Reset link sent to jo@example.com.")
    draft = "You can download your invoice from the 'Order History' section."
    verdict = check(draft, "I'm sorry. Order #5512 shipped. You can download your invoice from the "
                    "'Order History' section, or write to help@shop.example.", examples=examples)
    details = {v.value: v.detail for v in verdict.violations}
    assert details["#5512"] == "id '#5512' is not in the draft, copied from the template's examples"
    assert details["help@shop.example"] == "email 'help@shop.example' is not in the draft"
    # a fact of the customer's own message is not an addition, even if an example has it too
    assert check(draft, "Order #5512: you can download your invoice from the 'Order History' section.",
                 "Where is the invoice for #5512?", examples=examples).ok


@given(st.text(alphabet=" \n\tab.#1", max_size=40), st.text(alphabet=" \n\tab.#1", max_size=40))
@settings(max_examples=300, deadline=None)
def test_word_diff_rebuilds_any_two_texts(a, b):
    ops = word_diff(a, b)
    assert "".join(o["text"] for o in ops if o["op"] != "insert") == a
    assert "".join(o["text"] for o in ops if o["op"] != "delete") == b
    assert all(o["text"] for o in ops) and all(x["op"] != y["op"] for x, y in zip(ops, ops[1:]))
