"""Build the fact-guard corpus (corpus.jsonl) from the hand-written frames in frames.py.

Each frame is filled with three different sets of slot values. The first faithful paraphrase uses
the values as the draft writes them; the second uses equivalent renderings where there are some
(`$49.99` -> `USD 49.99`, `March 3` -> `3 March`, `3-5 business days` -> `3 to 5 business days`),
so normalisation is tested too. Corruptions are made mechanically from the paraphrases:

- drop_<slot>: the value replaced by a vague phrase ("your order", "the amount", ...)
- alter_digit: one digit of an ID, amount, date, time or phone changed
- change_amount / change_date: a different amount or date
- remove_placeholder: the helpdesk placeholder replaced by a plain word
- add_url / add_amount / add_date: a fact the draft does not have, appended
- add_promise: a new commitment (a warning, not a violation)
- negation_flip: the draft's "no" turned into a "yes" (a warning)

Then the same for the Spanish, French, German and Portuguese frames of frames_i18n.py, with each
language's own renderings (`12,50 €` -> `12,50 EUR`, `3 de marzo` -> `03/03`, `14h30` -> `14 h 30`),
vague phrases, additions and negations; those cases are tagged `lang:es`, `lang:fr`, `lang:de`,
`lang:pt` (the others are English).

    python -m tests.guard_corpus.build   # rewrites tests/guard_corpus/corpus.jsonl
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from .frames import FRAMES
from .frames_i18n import LANGUAGES

HERE = Path(__file__).resolve().parent
VARIANTS = 3

# slot -> list of value options; each option is (as in the draft, *equivalent renderings)
SLOTS: dict[str, list[tuple[str, ...]]] = {
    "name_ph": [("{{ticket.requester.first_name}}",), ("%CUSTOMER_FIRST_NAME%",), ("{{customer.name}}",),
                ("[[first_name]]",), ("${requester.name}",)],
    "agent_ph": [("{{current_user.name}}",), ("%AGENT_NAME%",), ("{{agent.first_name}}",)],
    "order": [("#4821", "4821"), ("#100734",), ("#A-5512",), ("#88213", "88213")],
    "tracking": [("1Z999AA10123456784",), ("9400111899223100012345",), ("JD014600003828382910",), ("LX123456789CN",)],
    "invoice": [("INV-2024-0042",), ("INV-88310",), ("2024/INV/7781",)],
    "ticket": [("TCK-88213",), ("#TK-5501", "TK-5501"), ("CASE-20931",)],
    "money": [("$49.99", "USD 49.99", "49.99 USD"), ("€12", "12 EUR"), ("£7.50", "GBP 7.50"),
              ("$1,200.00", "1200 USD"), ("€89,90", "89.90 EUR")],
    "money2": [("$5.00", "USD 5"), ("€3.50",), ("£19.99",)],
    "percent": [("15%", "15 percent"), ("20%",), ("7.5%",)],
    "date": [("March 3", "3 March"), ("2024-06-30", "June 30, 2024"), ("12 May", "May 12th"), ("October 1", "1 October")],
    "date2": [("April 14", "14 April"), ("2024-07-15", "July 15, 2024"), ("9 September",)],
    "weekday": [("Friday",), ("Monday",), ("Wednesday",)],
    "time": [("14:00 UTC", "2pm UTC"), ("3pm", "15:00"), ("9:30 AM", "09:30")],
    "duration": [("3-5 business days", "3 to 5 business days"), ("24 hours",), ("2 weeks", "two weeks"),
                 ("30 days",), ("7-10 working days", "7 to 10 business days")],
    "url": [("https://help.example.com/returns",), ("https://status.example.com",),
            ("https://example.com/account/reset?src=email",), ("http://www.shop.example.org/orders/track",)],
    "email": [("billing@example.com",), ("support@shop.example.org",), ("jo.smith+orders@example.co.uk",)],
    "phone": [("+1 800 555 0199", "+1 (800) 555-0199"), ("+44 20 7946 0958",), ("(555) 123-4567", "555-123-4567")],
    "code": [("`SAVE20`", "SAVE20"), ("`ERR_TIMEOUT`",), ("`WELCOME10`",), ("`E-4012`",)],
}
VAGUE = {
    "name_ph": "there", "agent_ph": "the team", "order": "your order", "tracking": "the tracking number",
    "invoice": "the invoice", "ticket": "your case", "money": "the amount", "money2": "the fee",
    "percent": "the rate", "date": "that date", "date2": "the following date", "weekday": "later this week",
    "time": "later", "duration": "a while", "url": "our help page", "email": "your inbox",
    "phone": "our support line", "code": "the code",
}
ADDITIONS = {
    "add_url": " You can follow along at https://updates.example.net/status.",
    "add_amount": " The total comes to $15.00.",
    "add_date": " Expect the next update on November 9.",
    "add_promise": " I'll also make sure you get a discount on your next order for the trouble.",
}
DIGIT_SLOTS = ("order", "money", "tracking", "invoice", "ticket", "date", "phone", "time", "percent", "money2", "date2",
               "ordinal")
NEGATION_FLIPS = [
    (r"\bcannot\b", "can"), (r"\bwill not\b", "will"), (r"\bis not\b", "is"), (r"\bare not\b", "are"),
    (r"\bdoes not\b", "does"), (r"\bdo not\b", "do"), (r"\bwas not\b", "was"), (r"\bnot\s+", ""),
    (r"\bno longer\s+", ""), (r"\bunable to\b", "able to"), (r"\bno\s+", ""),
]


def _slots(text: str) -> list[str]:
    return list(dict.fromkeys(re.findall(r"\{([a-z0-9_]+)\}", text)))


def _fill(text: str, values: dict[str, str]) -> str:
    filled = re.sub(r"\{([a-z0-9_]+)\}", lambda m: values[m.group(1)], text)
    # a value that ends in its own dot ("am 24.12.", "9 sept.") ends the sentence with it
    dotted = [v for v in values.values() if v.endswith(".")]
    return re.sub("|".join(re.escape(v) + r"\." for v in dotted), lambda m: m.group(0)[:-1], filled) if dotted else filled


def _alter_digit(value: str) -> str:
    digits = [i for i, ch in enumerate(value) if ch.isdigit()]
    i = digits[-1] if value[digits[-1] - 1 : digits[-1]] != "." else digits[-2]
    return value[:i] + str((int(value[i]) + 3) % 10) + value[i + 1 :]


def _flip(phrase: str, flips: list[tuple[str, str]] = NEGATION_FLIPS) -> str:
    for pattern, replacement in flips:
        flipped, count = re.subn(pattern, replacement, phrase, count=1, flags=re.I)
        if count:
            return flipped
    raise ValueError(f"cannot flip {phrase!r}")


def _english_date(value: str) -> str:
    return "2025-01-09" if value[0].isdigit() and "-" in value else "November 9"


def build() -> list[dict]:
    cases = _build(FRAMES, SLOTS, VAGUE, ADDITIONS, NEGATION_FLIPS, "63.00", _english_date)
    for lang, spec in LANGUAGES.items():
        cases += _build(spec["frames"], {**SLOTS, **spec["slots"]}, {**VAGUE, **spec["vague"]}, spec["additions"],
                        spec["flips"], spec["other_amount"], spec["other_date"], lang)
    return cases


def _build(frames: list[dict], slot_values: dict, vague: dict, additions: dict, flips: list, other_amount: str,
           other_date, lang: str | None = None) -> list[dict]:
    cases = []
    for f_index, frame in enumerate(frames):
        slots = _slots(frame["draft"])
        for variant in range(VARIANTS):
            options = {
                slot: slot_values[slot][(f_index + variant * 2 + s_index) % len(slot_values[slot])]
                for s_index, slot in enumerate(slots)
            }
            plain = {slot: option[0] for slot, option in options.items()}
            other = {slot: option[1 + variant % (len(option) - 1)] if len(option) > 1 else option[0]
                     for slot, option in options.items()}
            draft = _fill(frame["draft"], plain)
            paraphrases = [_fill(frame["paraphrases"][0], plain), _fill(frame["paraphrases"][1], other)]
            corruptions = []

            def corrupt(kind: str, base: int, rewrite: str, expect: str = "violation") -> None:
                if rewrite != paraphrases[base]:
                    corruptions.append({"kind": kind, "rewrite": rewrite, "expect": expect})

            for s_index, slot in enumerate(slots):
                base = s_index % 2
                values = plain if base == 0 else other
                corrupt(f"drop_{slot}", base, paraphrases[base].replace(values[slot], vague[slot]))
            digit_slot = next((s for s in DIGIT_SLOTS if s in slots), None)
            if digit_slot:
                value = plain[digit_slot]
                corrupt("alter_digit", 0, paraphrases[0].replace(value, _alter_digit(value)))
            if "money" in slots:
                value = other["money"]
                changed = re.sub(r"\d[\d,.\u202f]*", other_amount, value, count=1)  # same currency, other amount
                corrupt("change_amount", 1, paraphrases[1].replace(value, changed))
            if "date" in slots:
                value = plain["date"]
                corrupt("change_date", 0, paraphrases[0].replace(value, other_date(value)))
            for slot in ("name_ph", "agent_ph"):
                if slot in slots:
                    corrupt("remove_placeholder", 1, paraphrases[1].replace(other[slot], vague[slot]))
            for kind, sentence in additions.items():
                base = variant % 2
                expect = "warning" if kind == "add_promise" else "violation"
                corrupt(kind, base, paraphrases[base].rstrip() + sentence, expect)
            for phrase in frame.get("negations", []):
                corrupt("negation_flip", 0, paraphrases[0].replace(phrase, _flip(phrase, flips)), "warning")
            cases.append({
                "id": f"{lang + '-' if lang else ''}{frame['id']}-{variant + 1}",
                "tags": frame["tags"] + ([f"lang:{lang}"] if lang else []),
                "customer_message": frame["customer"],
                "draft": draft,
                "paraphrases": paraphrases,
                "corruptions": corruptions,
            })
    return cases


def main() -> None:
    cases = build()
    with (HERE / "corpus.jsonl").open("w") as out:
        for case in cases:
            out.write(json.dumps(case, ensure_ascii=False) + "\n")
    corruptions = sum(len(c["corruptions"]) for c in cases)
    print(f"wrote {len(cases)} drafts, {2 * len(cases)} paraphrases, {corruptions} corruptions")


if __name__ == "__main__":
    main()
