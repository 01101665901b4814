"""PII masking (`mask_pii`): detection, masking round trips, and what the upstream model sees."""

from __future__ import annotations

import json
import logging
import re
import typing
from pathlib import Path

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from api.guard import facts
from api.guard import pii
from api.guard import StreamUnmasker, check, mask, review

from .conftest import CHAT_URL, chat_reply, parse_sse, sse_body

CORPUS = Path(__file__).parent / "guard_corpus" / "corpus.jsonl"


def found(text: str) -> list[tuple[str, str]]:
    return [(f.kind, f.value) for f in pii.find(text)]


def luhn_complete(partial: str) -> str:
    """`partial` plus the check digit that makes it pass Luhn (written independently of api.guard.pii)."""
    for check_digit in "0123456789":
        digits = [int(ch) for ch in partial + check_digit]
        odd = digits[-1::-2]
        even = [sum(divmod(2 * d, 10)) for d in digits[-2::-2]]
        if (sum(odd) + sum(even)) % 10 == 0:
            return partial + check_digit
    raise AssertionError("unreachable")


# --- detection -------------------------------------------------------------------------------


def test_luhn_and_mod97_checks():
    assert pii.luhn_ok("4111111111111111") and pii.luhn_ok("79927398713")
    assert not pii.luhn_ok("4111111111111112") and not pii.luhn_ok("79927398710")
    assert pii.iban_ok("DE89 3704 0044 0532 0130 00") and pii.iban_ok("gb82west12345698765432")
    assert not pii.iban_ok("DE88 3704 0044 0532 0130 00") and not pii.iban_ok("DE89370400440532013")


@pytest.mark.parametrize(
    "card",
    [
        "4111 1111 1111 1111", "4111-1111-1111-1111", "4111111111111111", "5555555555554444",
        "378282246310005", "3782 822463 10005", "6011111111111117", "4222222222222",
        luhn_complete("601100099013942412"),  # 19 digits
        " ".join(re.findall(r".{1,4}", luhn_complete("601100099013942412"))),
    ],
)
def test_card_numbers_that_pass_luhn_are_found(card):
    assert found(f"Charged to card {card}, sorry.") == [("card", card)]


@pytest.mark.parametrize(
    ("digits", "passes_luhn"),
    [
        ("4111 1111 1111 1112", False),
        ("4111-1111-1111-1110", False),
        ("5555555555554440", False),
        (luhn_complete("41111111111"), True),  # but 12 digits
        (luhn_complete("4111111111111111111"), True),  # but 20 digits
        (" ".join(luhn_complete("411111111111111")), True),  # but written digit by digit: "4 1 1 1 ..."
    ],
)
def test_digit_runs_that_fail_luhn_or_length_are_not_cards(digits, passes_luhn):
    assert pii.luhn_ok(re.sub(r"\D", "", digits)) is passes_luhn
    assert found(f"Reference {digits} noted.") == []


def test_a_card_next_to_other_numbers_is_still_found():
    text = "2 x 4111 1111 1111 1111 12 items, call +1 800 555 0199 4111 1111 1111 1111"
    assert found(text) == [("card", "4111 1111 1111 1111"), ("phone", "+1 800 555 0199"), ("card", "4111 1111 1111 1111")]


@pytest.mark.parametrize(
    "iban",
    [
        "DE89 3704 0044 0532 0130 00", "DE89370400440532013000", "GB82 WEST 1234 5698 7654 32",
        "GB82WEST12345698765432", "FR14 2004 1010 0505 0001 3M02 606", "NL91ABNA0417164300",
        "BE68539007547034", "CH93 0076 2011 6238 5295 7",
    ],
)
def test_ibans_that_pass_mod97_are_found(iban):
    assert found(f"Pay to {iban} and more text.") == [("iban", iban)]


@pytest.mark.parametrize(
    "iban",
    ["DE89 3704 0044 0532 0130 01", "DE88370400440532013000", "GB82WEST12345698765433", "NL91ABNA0417164301",
     "GB00 WEST 1234 5698 7654 32"],
)
def test_ibans_with_a_wrong_checksum_are_not_found_nor_split_into_cards(iban):
    assert found(f"Pay to {iban}.") == []


@pytest.mark.parametrize(
    "email", ["sam@example.com", "jo.smith+orders@example.co.uk", "first_last@sub.shop-example.org", "A.B@EXAMPLE.IO"]
)
def test_emails_are_found(email):
    assert found(f"Write to {email}.") == [("email", email)]


@pytest.mark.parametrize(
    "phone",
    [
        "+44 20 7946 0958", "+1 (800) 555-0199", "+1-800-555-0199", "+33 1 23 45 67 89", "+49 30 1234567",
        "+81 3-1234-5678", "+353 1 234 5678", "+61 2 9876 5432", "+44 (0)20 7946 0958", "+5511987654321",
        "0044 20 7946 0958", "020 7946 0958", "030 1234567", "01 23 45 67 89", "06-12345678",
        "(555) 123-4567", "555-123-4567", "555.123.4567",
    ],
)
def test_phone_numbers_in_international_and_national_formats_are_found(phone):
    assert found(f"Call {phone}.") == [("phone", phone)]


# Formats that leaked in full (or in part) in issue 15's attack run, each found whole now.
LEAKED_FORMATS = [
    ("phone", "1-800-555-0199"), ("phone", "(+44) 20 7946 0958"), ("phone", "1 (800) 555-0199"),
    ("phone", "+1.800.555.0199"),
    ("card", "4012888888881881"), ("card", "4111.1111.1111.1111"), ("card", "4111  1111  1111  1111"),
    ("card", "4111\u00a01111\u00a01111\u00a01111"),
    ("iban", "DE89-3704-0044-0532-0130-00"), ("iban", "DE89\u00a03704\u00a00044\u00a00532\u00a00130\u00a000"),
    ("iban", "GB82-WEST-1234-5698-7654-32"),
    ("national_id", "536-22-1234"), ("national_id", "AB 12 34 56 C"), ("national_id", "CE123456D"),
    ("email", '"john doe"@example.com'), ("email", "user@[192.168.1.10]"), ("email", "admin@localhost"),
    ("email", "o'brien@example.com"), ("email", "bob%relay@example.com"), ("email", "first.o'neil+tag@mail.example.co.uk"),
]


# Ten more formats per kind, found while growing the corpus (issue 15); one, an IPv6 literal
# (`name@[IPv6:2001:db8::1]`), leaked before it was added.
MORE_FORMATS = [
    *(("email", v) for v in [
        "user.name+filter@sub.domain.io", "UPPER.CASE@EXAMPLE.COM", "x_y-z@mail-server.example.org", "müller@beispiel.de",
        "support@xn--bcher-kva.example", "a@b.co", "first-last@company.travel", "name@[IPv6:2001:db8::1]",
        "tom.o'reilly@example.ie", "j.doe123@gmail.com"]),
    *(("phone", v) for v in [
        "+1 800 555 0199", "+49 (0)30 1234567", "0049 30 1234567", "+44-20-7946-0958", "+33 (0)1 23 45 67 89",
        "+61 4 1234 5678", "+81-3-1234-5678", "(02) 9876 5432", "+353 1 234 5678", "+55 11 91234-5678"]),
    *(("card", v) for v in [
        "5555-5555-5555-4444", "5555 5555 5555 4444", "378282246310005", "3782-822463-10005", "6011 1111 1111 1117",
        "3530 1113 3330 0000", "30569309025904", "4000 0566 5566 5556", "2223 0031 2200 3222", "6200 0000 0000 0005"]),
    *(("iban", v) for v in [
        "FR14 2004 1010 0505 0001 3M02 606", "NL91ABNA0417164300", "gb82 west 1234 5698 7654 32",
        "ES91 2100 0418 4502 0005 1332", "IT60 X054 2811 1010 0000 0123 456", "CH93 0076 2011 6238 5295 7",
        "BE68 5390 0754 7034", "AT61 1904 3002 3457 3201", "PL61 1090 1014 0000 0712 1981 2874",
        "SE45 5000 0000 0583 9825 7466"]),
]


@pytest.mark.parametrize(("kind", "value"), MORE_FORMATS, ids=[value for _, value in MORE_FORMATS])
@pytest.mark.parametrize("before", ["Contact: ", "("])
def test_ten_more_formats_per_kind_are_found_whole(kind, value, before):
    assert found(f"{before}{value} - thanks") == [(kind, value)]


@pytest.mark.parametrize(("kind", "value"), LEAKED_FORMATS, ids=[value for _, value in LEAKED_FORMATS])
@pytest.mark.parametrize("before", ["Contact: ", "card #", "no.", "("])
def test_formats_that_leaked_are_found_whole(kind, value, before):
    if before in ("card #", "no.") and kind != "card":
        return  # prefixes written before card numbers
    assert found(f"{before}{value} - thanks") == [(kind, value)]


@pytest.mark.parametrize("text", ["SSN 000-12-3456", "ref 666-12-3456", "order 987-65-4320", "NI BG 12 34 56 A",
                                  "code AB 12 34 56 E", "part 123-45-67890"])
def test_numbers_shaped_like_national_ids_but_invalid_are_not_found(text):
    assert [kind for kind, _ in found(text) if kind == "national_id"] == []


@pytest.mark.parametrize(
    "text",
    [
        "order #4821", "order #A-5512", "ticket 55123", "invoice INV-2024-0042", "tracking 1Z999AA10123456784",
        "tracking 9400111899223100012345", "FedEx 7489 2745 6372", "$1,234.56", "EUR 1.200,00", "1 200 000 EUR",
        "49.99 USD", "on 2024-06-30", "on 03/04/2024", "on 12.06.2024", "05 06 2024 10:00", "at 14:00 UTC",
        "in 3-5 business days", "15% off", "version 2.3.1", "RMA 12345678",
    ],
)
def test_order_numbers_amounts_dates_and_tracking_numbers_are_not_personal_data(text):
    assert found(f"Your {text} is noted.") == []


def test_guard_corpus_has_no_false_positives():
    """Across the guard corpus (drafts, customer messages, faithful paraphrases) only emails and
    phone numbers are found, and never over an order number, amount, date or other fact."""
    facts_elsewhere = {"id", "number", "money", "date", "time", "duration", "percent", "url", "code", "weekday"}
    kinds: dict[str, int] = {}
    for line in CORPUS.read_text().splitlines():
        case = json.loads(line)
        for text in [case["draft"], case["customer_message"] or "", *case["paraphrases"]]:
            hits = pii.find(text)
            for hit in hits:
                kinds[hit.kind] = kinds.get(hit.kind, 0) + 1
            for fact in facts.extract(text):
                overlapping = [h for h in hits if h.start < fact.end and fact.start < h.end]
                if fact.kind in facts_elsewhere:
                    assert overlapping == [], (case["id"], fact.text)
                if fact.kind in {"email", "phone"}:  # the guard's own contact facts are all masked
                    assert [(h.start, h.end) for h in overlapping] == [(fact.start, fact.end)], (case["id"], fact.text)
    assert set(kinds) == {"email", "phone"} and kinds["email"] > 30 and kinds["phone"] > 30


# --- masking ---------------------------------------------------------------------------------

DRAFT = (
    "Hi {{ticket.requester.first_name}}, the refund for order #4821 goes to card 4111 1111 1111 1111 "
    "or IBAN DE89 3704 0044 0532 0130 00. Questions: billing@example.com or +44 20 7946 0958."
)
CUSTOMER = "I'm sam@example.com, call me on +1 (800) 555-0199. billing@example.com never answered."
SECRETS = [
    "4111 1111 1111 1111", "4111111111111111", "DE89 3704 0044 0532 0130 00", "DE89370400440532013000",
    "3704 0044", "billing@example.com", "sam@example.com", "+44 20 7946 0958", "7946 0958", "555-0199",
]


def assert_no_secrets(text: str) -> None:
    leaked = [value for value in SECRETS if value in text]
    assert leaked == []


def test_mask_pii_swaps_personal_data_for_tokens_shared_with_the_customer_message():
    masked = mask(DRAFT, pii=True, customer_message=CUSTOMER)
    assert masked.text == (
        "Hi {{PH1}}, the refund for order #4821 goes to card {{PH2}} or IBAN {{PH3}}. Questions: {{PH4}} or {{PH5}}."
    )
    assert masked.customer_message == "I'm {{PH6}}, call me on {{PH7}}. {{PH4}} never answered."
    assert masked.pii == {"card": 1, "iban": 1, "email": 2, "phone": 2}
    assert masked.unmask(masked.text) == (DRAFT, [])
    assert masked.unmask(masked.customer_message) == (CUSTOMER, [])
    assert_no_secrets(masked.text + masked.customer_message)


def test_mask_without_pii_leaves_personal_data_and_the_customer_message_alone():
    masked = mask(DRAFT, customer_message=CUSTOMER)
    assert masked.text == DRAFT.replace("{{ticket.requester.first_name}}", "{{PH1}}")
    assert masked.customer_message == CUSTOMER and masked.pii is None
    assert mask(DRAFT).text == masked.text


def test_placeholders_stay_placeholders_and_the_prefix_avoids_the_customer_message():
    placeholder = "{{ user.email | default: 'help@example.com' }}"
    masked = mask(f"Hi {placeholder}, order #1.", pii=True, customer_message="PHONE me: +44 20 7946 0958")
    assert masked.prefix == "PHX"
    assert masked.text == "Hi {{PHX1}}, order #1." and masked.customer_message == "PHONE me: {{PHX2}}"
    assert masked.originals["{{PHX1}}"] == placeholder
    assert masked.pii == {"phone": 1}


def judge(masked, draft: str, output: str, customer: str | None = None):
    """What the rewriter does with a model's output: unmask, check, add dropped PII tokens."""
    return review(masked, output, draft=draft, customer_message=customer).verdict


def test_lost_or_invented_pii_tokens_are_violations():
    masked = mask(DRAFT, pii=True, customer_message=CUSTOMER)
    assert judge(masked, DRAFT, "I'm sorry. " + masked.text, CUSTOMER).violations == []
    for token, original in masked.originals.items():
        if original.startswith("{{") or token not in masked.text:
            continue
        verdict = judge(masked, DRAFT, "I'm sorry. " + masked.text.replace(token, "your account"), CUSTOMER)
        assert {v.kind for v in verdict.violations} == {"lost"}, original
        assert masked.account(masked.text.replace(token, ""), verdict) == verdict.violations  # named already
        assert_no_secrets(masked.hide(verdict.describe()))
    customer_only = next(t for t, value in masked.originals.items() if value == "sam@example.com")
    assert judge(masked, DRAFT, masked.text, CUSTOMER).ok and customer_only not in masked.text  # need not be kept
    verdict = judge(masked, DRAFT, masked.text + " Or write to {{PH9}}.", CUSTOMER)
    assert [(v.kind, v.value) for v in verdict.violations] == [("placeholder", "{{PH9}}")]


def test_a_dropped_token_is_lost_even_when_the_same_number_stays_in_another_format():
    draft = "Call +44 20 7946 0958 or, from the UK, 020 7946 0958."
    masked = mask(draft, pii=True)
    assert masked.text == "Call {{PH1}} or, from the UK, {{PH2}}."
    output = "Please call {{PH2}}."
    assert check(draft, masked.unmask(output)[0]).ok  # to the fact comparison it is the same phone
    verdict = judge(masked, draft, output)
    assert [(v.kind, v.fact, v.value) for v in verdict.violations] == [("lost", "phone", "+44 20 7946 0958")]
    assert masked.hide(verdict.describe()) == "phone '{{PH1}}' is missing"


def test_a_dropped_or_changed_card_or_iban_is_reported_with_its_own_kind():
    # The fact extractor reads the card number as a phone and the IBAN as an id and a phone.
    assert {f.kind for f in facts.extract(DRAFT) if "4111" in f.text} == {"phone"}
    masked = mask(DRAFT, pii=True, customer_message=CUSTOMER)
    card, iban = "4111 1111 1111 1111", "DE89 3704 0044 0532 0130 00"
    dropped = judge(masked, DRAFT, masked.text.replace("{{PH2}}", "your card"), CUSTOMER)
    assert [(v.kind, v.fact, v.value) for v in dropped.violations] == [("lost", "card", card)]
    assert masked.hide(dropped.describe()) == "card '{{PH2}}' is missing"
    changed = judge(masked, DRAFT, masked.text.replace("{{PH2}}", "4111 1111 1111 1112"), CUSTOMER)
    assert [(v.kind, v.fact, v.value) for v in changed.violations] == [("altered", "card", card)]
    assert changed.violations[0].detail == f"card {card!r} was changed to '4111 1111 1111 1112'"
    no_iban = judge(masked, DRAFT, masked.text.replace(" or IBAN {{PH3}}", ""), CUSTOMER)
    assert no_iban.violations and {(v.kind, v.fact) for v in no_iban.violations} == {("lost", "iban")}
    assert all(v.value in iban and v.detail.startswith("iban ") for v in no_iban.violations)


def test_the_web_page_has_words_for_every_kind_of_personal_data():
    app_js = (Path(__file__).parent.parent / "api" / "http" / "static" / "app.js").read_text()
    fact_words = re.search(r"const FACT_WORDS = \{(.*?)\};", app_js, re.S).group(1)
    for kind in typing.get_args(pii.Kind):
        assert re.search(rf"\b{kind}: \"the ", fact_words), kind


def test_hide_names_parts_of_masked_values_by_their_token():
    masked = mask("Pay IBAN GB82 WEST 1234 5698 7654 32 for order 4821 by +49 30 1234567.", pii=True)
    rewrite, _ = masked.unmask("Pay for order 4821.")
    problems = check("Pay IBAN GB82 WEST 1234 5698 7654 32 for order 4821 by +49 30 1234567.", rewrite).describe()
    assert "5698 7654" in problems and "1234567" in problems  # the guard names parts of them
    hidden = masked.hide(problems)
    assert "5698" not in hidden and "GB82" not in hidden and "1234567" not in hidden
    assert "{{PH1}}" in hidden and "{{PH2}}" in hidden


# --- properties ------------------------------------------------------------------------------

PII_POOL = [
    "sam@example.com", "jo.smith+orders@example.co.uk", "4111 1111 1111 1111", "378282246310005",
    "5555-5555-5555-4444", "DE89 3704 0044 0532 0130 00", "GB82WEST12345698765432", "+44 20 7946 0958",
    "+1 (800) 555-0199", "020 7946 0958", "555-123-4567",
]
OTHER = ["order #4821", "$49.99", "March 3", "{{ticket.id}}", "%AGENT%", "refund", "sent", "to", "and", "PH"]


@given(st.text(max_size=200), st.text(max_size=100))
@settings(max_examples=200, deadline=None)
def test_property_pii_masking_round_trips_any_text(draft, customer):
    masked = mask(draft, pii=True, customer_message=customer)
    assert masked.unmask(masked.text) == (draft, [])
    assert masked.unmask(masked.customer_message) == (customer, [])


texts_with_pii = st.lists(st.one_of(st.sampled_from(PII_POOL), st.sampled_from(OTHER), st.text(max_size=12)), min_size=1, max_size=10)


@given(texts_with_pii, texts_with_pii, st.lists(st.integers(min_value=0, max_value=300), max_size=8))
@settings(max_examples=200, deadline=None)
def test_property_no_pool_value_reaches_the_model_and_streams_restore_it(draft_parts, customer_parts, cuts):
    draft, customer = " | ".join(draft_parts), " | ".join(customer_parts)
    masked = mask(draft, pii=True, customer_message=customer)
    for value in PII_POOL:
        assert value not in masked.text and value not in masked.customer_message
    # the model echoes both, cut anywhere: the stream restores exactly what was masked
    output = masked.text + " / " + masked.customer_message
    pieces, last = [], 0
    for cut in sorted({c for c in cuts if c < len(output)}):
        pieces.append(output[last:cut])
        last = cut
    pieces.append(output[last:])
    unmasker = StreamUnmasker(masked)
    assert "".join(unmasker.feed(p) for p in pieces) + unmasker.flush() == draft + " / " + customer
    assert masked.unmask(output)[1] == []  # nothing invented


pii_drafts = st.lists(st.tuples(st.sampled_from(OTHER), st.sampled_from(PII_POOL)), min_size=1, max_size=5).map(
    lambda pairs: " ".join(f"{word} {value}" for word, value in pairs) + "."
)


@given(pii_drafts, st.data())
@settings(max_examples=150, deadline=None)
def test_property_a_dropped_pii_token_is_always_a_violation(draft, data):
    masked = mask(draft, pii=True)
    tokens = [t for t, original in masked.originals.items() if original in PII_POOL]
    assert tokens, masked.originals
    token = data.draw(st.sampled_from(tokens))
    assert judge(masked, draft, masked.text).ok
    assert not judge(masked, draft, masked.text.replace(token, "it")).ok


# --- through the API -------------------------------------------------------------------------

BLOCK = re.compile(r"<((?:draft|customer)[\w-]*)>\n(.*?)\n</\1>", re.S)


def blocks(request: httpx.Request) -> dict[str, str]:
    """The draft and customer message as the model saw them in the prompt."""
    out = {}
    for message in json.loads(request.content)["messages"]:
        for tag, text in BLOCK.findall(message["content"]):
            out[tag.split("-")[0]] = text
    return out


def echo(request: httpx.Request) -> str:
    """A faithful model: an apology, the draft word for word, what the customer wrote."""
    seen = blocks(request)
    return f"I'm sorry for the trouble. {seen['draft']} (You wrote: {seen.get('customer', '')})"


EXPECTED = f"I'm sorry for the trouble. {DRAFT} (You wrote: {CUSTOMER})"


def sent_bodies(route) -> list[str]:
    return [call.request.content.decode() for call in route.calls]


async def test_masked_request_sends_no_pii_upstream_and_restores_it_for_the_caller(client, upstream):
    route = upstream.post(CHAT_URL).mock(side_effect=lambda request: chat_reply(echo(request)))
    response = await client.post(
        "/v1/rewrites", json={"draft": DRAFT, "customer_message": CUSTOMER, "mask_pii": True}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert route.call_count == 1
    sent = sent_bodies(route)[0]
    assert_no_secrets(sent)
    assert found(sent) == []
    seen = blocks(route.calls[0].request)
    assert seen["draft"].count("{{PH") == 5 and "{{PH4}}" in seen["customer"]  # billing@ in both, one token
    assert body["rewrite"] == EXPECTED
    assert body["guard"]["status"] == "passed" and body["guard"]["violations"] == []
    assert body["pii_masked"] == {"card": 1, "iban": 1, "email": 2, "phone": 2}
    assert {"kind": "email", "value": "billing@example.com"} in body["guard"]["facts"]


async def test_without_mask_pii_the_text_is_sent_as_before(client, upstream):
    route = upstream.post(CHAT_URL).mock(side_effect=lambda request: chat_reply(echo(request)))
    body = (await client.post("/v1/rewrites", json={"draft": DRAFT, "customer_message": CUSTOMER})).json()
    seen = blocks(route.calls[0].request)
    assert seen["draft"] == DRAFT.replace("{{ticket.requester.first_name}}", "{{PH1}}")
    assert seen["customer"] == CUSTOMER
    assert body["rewrite"] == EXPECTED and body["pii_masked"] is None


async def test_the_setting_turns_masking_on_and_a_request_can_turn_it_off(client_for, upstream):
    client = client_for(mask_pii=True)
    route = upstream.post(CHAT_URL).mock(side_effect=lambda request: chat_reply(echo(request)))
    on = (await client.post("/v1/rewrites", json={"draft": DRAFT, "customer_message": CUSTOMER})).json()
    assert_no_secrets(sent_bodies(route)[-1])
    assert on["rewrite"] == EXPECTED and on["pii_masked"]["card"] == 1
    off = (await client.post("/v1/rewrites", json={"draft": DRAFT, "customer_message": CUSTOMER, "mask_pii": False})).json()
    assert "4111 1111 1111 1111" in sent_bodies(route)[-1] and "sam@example.com" in sent_bodies(route)[-1]
    assert off["rewrite"] == EXPECTED and off["pii_masked"] is None


async def test_stream_masks_upstream_and_restores_deltas(client, upstream):
    def streamed(request: httpx.Request) -> httpx.Response:
        text = echo(request)
        pieces = [text[i : i + 3] for i in range(0, len(text), 3)]  # tokens split across chunks
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=sse_body(pieces))

    route = upstream.post(CHAT_URL).mock(side_effect=streamed)
    response = await client.post(
        "/v1/rewrites", json={"draft": DRAFT, "customer_message": CUSTOMER, "mask_pii": True, "stream": True}
    )
    assert response.status_code == 200
    sent = sent_bodies(route)[0]
    assert json.loads(sent)["stream"] is True
    assert_no_secrets(sent)
    events = parse_sse(response.text)
    deltas = "".join(data["text"] for name, data in events if name == "delta")
    assert deltas == EXPECTED and "{{PH" not in deltas
    name, result = events[-1]
    assert name == "result" and result["rewrite"] == EXPECTED and result["guard"]["status"] == "passed"
    assert result["pii_masked"] == {"card": 1, "iban": 1, "email": 2, "phone": 2}


async def test_a_dropped_pii_token_is_repaired_without_showing_the_model_the_value(client, upstream):
    def drops_the_iban(request: httpx.Request) -> httpx.Response:
        text = echo(request) if "draft" in blocks(request) else ""
        return chat_reply(re.sub(r" or IBAN \{\{PH3\}\}", "", text))

    route = upstream.post(CHAT_URL).mock(side_effect=drops_the_iban)
    body = (await client.post("/v1/rewrites", json={"draft": DRAFT, "customer_message": CUSTOMER, "mask_pii": True})).json()
    assert route.call_count == 2  # the rewrite, then one repair
    assert body["guard"]["status"] == "fallback" and body["rewrite"] == DRAFT
    assert {v["kind"] for v in body["guard"]["violations"]} == {"lost"}
    assert any("3704" in v["value"] for v in body["guard"]["violations"])  # the caller is told what
    assert "DE89" not in body["guard"]["rejected_rewrite"]
    for sent in sent_bodies(route):
        assert_no_secrets(sent)
        assert "DE89" not in sent
    repair = json.loads(sent_bodies(route)[1])["messages"][-1]["content"]
    assert "'{{PH3}}' is missing" in repair


async def test_a_dropped_token_is_lost_even_when_an_equal_phone_number_stays(client, upstream):
    draft = "Call +44 20 7946 0958 or, from the UK, 020 7946 0958."
    route = upstream.post(CHAT_URL).mock(return_value=chat_reply("Please call {{PH2}}."))
    body = (await client.post("/v1/rewrites", json={"draft": draft, "mask_pii": True})).json()
    assert route.call_count == 2 and body["guard"]["status"] == "fallback" and body["rewrite"] == draft
    assert [(v["kind"], v["fact"], v["value"]) for v in body["guard"]["violations"]] == [
        ("lost", "phone", "+44 20 7946 0958")
    ]
    repair = json.loads(sent_bodies(route)[1])["messages"][-1]["content"]
    assert "phone '{{PH1}}' is missing" in repair and "7946" not in repair


async def test_a_dropped_card_is_reported_as_a_card(client, upstream):
    def drops_the_card(request: httpx.Request) -> httpx.Response:
        text = echo(request) if "draft" in blocks(request) else ""
        return chat_reply(text.replace(" to card {{PH2}}", ""))

    upstream.post(CHAT_URL).mock(side_effect=drops_the_card)
    body = (await client.post("/v1/rewrites", json={"draft": DRAFT, "customer_message": CUSTOMER, "mask_pii": True})).json()
    assert body["guard"]["status"] == "fallback"
    assert [(v["kind"], v["fact"], v["value"]) for v in body["guard"]["violations"]] == [
        ("lost", "card", "4111 1111 1111 1111")
    ]


async def test_pii_masked_is_null_when_masking_found_nothing(client, upstream):
    upstream.post(CHAT_URL).mock(side_effect=lambda request: chat_reply(echo(request)))
    body = (await client.post("/v1/rewrites", json={"draft": "Order #4821 ships tomorrow.", "mask_pii": True})).json()
    assert body["guard"]["status"] == "passed" and body["pii_masked"] is None
    assert mask("Order #4821 ships tomorrow.", pii=True, customer_message="Where is it?").pii is None


async def test_an_invented_token_is_a_violation(client, upstream):
    upstream.post(CHAT_URL).mock(side_effect=lambda request: chat_reply(echo(request) + " Or {{PH42}}."))
    body = (await client.post(
        "/v1/rewrites",
        json={"draft": DRAFT, "customer_message": CUSTOMER, "mask_pii": True, "on_violation": "allow"},
    )).json()
    assert body["guard"]["status"] == "allowed"
    assert [(v["kind"], v["value"]) for v in body["guard"]["violations"]] == [("placeholder", "{{PH42}}")]


async def test_batch_items_choose_masking_each(client, upstream):
    route = upstream.post(CHAT_URL).mock(side_effect=lambda request: chat_reply(echo(request)))
    items = [{"draft": "Masked: card 4111 1111 1111 1111.", "mask_pii": True},
             {"draft": "Plain: mail sam@example.com."}]
    results = (await client.post("/v1/rewrites:batch", json={"items": items})).json()["results"]
    drafts = sorted(blocks(call.request)["draft"] for call in route.calls)
    assert drafts == ["Masked: card {{PH1}}.", "Plain: mail sam@example.com."]
    assert results[0]["rewrite"].endswith("Masked: card 4111 1111 1111 1111. (You wrote: )")
    assert results[0]["pii_masked"] == {"card": 1} and results[1]["pii_masked"] is None


async def test_no_pii_in_logs(client, upstream, caplog):
    caplog.set_level(logging.DEBUG)
    upstream.post(CHAT_URL).mock(side_effect=lambda request: chat_reply(echo(request)))
    response = await client.post("/v1/rewrites", json={"draft": DRAFT, "customer_message": CUSTOMER, "mask_pii": True})
    assert response.json()["rewrite"] == EXPECTED
    # The access line carries its fields as `extra` attributes, which `caplog.text` leaves out.
    assert_no_secrets("\n".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records))


# --- names (issue 15) ----------------------------------------------------------------------------


def test_the_customers_name_and_a_signed_name_are_masked():
    masked = mask("Hi Ana Lopez, your order shipped. Ana Lopez's refund follows.", pii=True,
                  customer_message="Where is it?\n\nThanks,\nJohn Smith", names=["Ana Lopez"])
    assert "Ana" not in masked.text and "John" not in masked.customer_message
    assert masked.pii == {"name": 2}
    name_token = masked.token_of("Ana Lopez")
    assert masked.text.count(name_token) == 2
    assert masked.unmask(masked.text)[0] == "Hi Ana Lopez, your order shipped. Ana Lopez's refund follows."
    # a name that is nowhere in the texts still gets its token (the template shows it to the model)
    assert mask("Your order shipped.", pii=True, names=["Mia"]).token_of("Mia")
    # without masking, nothing changes
    assert mask("Hi Ana Lopez.", names=["Ana Lopez"]).text == "Hi Ana Lopez."


@pytest.mark.parametrize(("message", "name"), [
    ("My order is late.\nThanks,\nJohn Smith", "John Smith"),
    ("My order is late. Regards, Maria", "Maria"),
    ("My order is late.\n\nBest regards\nJean-Luc Picard", "Jean-Luc Picard"),
    ("My order is late.\n-- \nPriya", "Priya"),
])
def test_signed_names_are_found(message, name):
    assert pii.signature_names(message) == [name]


@pytest.mark.parametrize("message", [
    "My order is late. Thanks!", "Thanks, the parcel arrived", "Regards", "Where is order #4821?\nThanks",
])
def test_sign_offs_without_a_name_find_none(message):
    assert pii.signature_names(message) == []


async def test_customer_name_is_masked_for_the_model_and_restored(client, upstream):
    route = upstream.post(CHAT_URL).mock(side_effect=lambda request: chat_reply(echo(request)))
    response = await client.post("/v1/rewrites", json={
        "draft": "Hi Ana Lopez, your order #4821 shipped.", "customer_message": "Where is it?\nThanks,\nAna Lopez",
        "variables": {"customer_name": "Ana Lopez"}, "mask_pii": True,
    })
    assert response.status_code == 200, response.text
    assert "Ana" not in sent_bodies(route)[0]
    body = response.json()
    assert "Ana Lopez" in body["rewrite"] and body["guard"]["status"] == "passed"
    assert body["pii_masked"] == {"name": 1}


@pytest.mark.parametrize(("text", "phone"), [
    ("Call me on 2025550143 after six.", "2025550143"),
    ("My mobile is 612 345 678.", "612 345 678"),
    ("Ring me: 0412 345 678 (Sydney)", "0412 345 678"),
    ("WhatsApp 98765 43210 works best.", "98765 43210"),
])
def test_national_numbers_after_a_phone_word_are_found_by_phonenumbers(text, phone):
    assert ("phone", phone) in found(text)


@pytest.mark.parametrize("text", [
    "Invoice 2024001234 is attached.", "Order number 2025550143 shipped.", "Please call about order 4000123456.",
])
def test_numbers_without_a_phone_word_before_them_stay_facts(text):
    assert [kind for kind, _ in found(text) if kind == "phone"] == []
