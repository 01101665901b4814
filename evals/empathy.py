"""Empathy checks that need no LLM, one named metric each, from the project's definition of
empathy (shared spec, points 1-7). Each returns 1.0 (met), 0.0 (not met) or None (does not apply).

| metric | rule |
|---|---|
| `name_used` | applies when the case gives `variables.customer_name` or the draft has a placeholder whose name mentions "name": the rewrite contains that name (case-insensitive) or placeholder |
| `key_terms_echoed` | applies when there is a customer message: the share of its key terms (up to 8 longest distinct words of 4+ letters, stop words removed) that the rewrite repeats (stem match) |
| `feeling_acknowledged` | the rewrite names a feeling or apologises: sorry, understand, frustrat-, apolog-, appreciate, patience, upset, disappoint-, worr-, inconvenien-, annoy-, stressful, concern |
| `no_blame` | none of the blame phrases: "you failed", "your fault", "you should have", "you didn't", "you did not", "you forgot", "you neglected", "as I said", "as mentioned before", "as already stated", "user error", "you need to understand", "calm down" |
| `no_condescension` | none of: "simply", "just need to", "it's easy", "it is easy", "obviously", "as you should know", "of course you", "even a child", "basic stuff", "any idiot" |
| `next_step` | the rewrite says what happens next or how to continue: reply / let me know / contact / reach out / I'll / I will / we'll / we will / you can / next / follow / track / within / by / until |
| `no_new_promises` | the fact guard finds no new commitment (refund, discount, compensation, credit, voucher, guarantee, replacement, upgrade, "will be fixed"...) that the draft lacks |
"""

from __future__ import annotations

import re

from api import guard

_STOP = set(
    "about above after again against also always been before being below between both cannot could "
    "does doing down during each even ever every from further have having here hers herself himself "
    "into itself just like made make more most much must myself never only other ought ours over "
    "same should some such than that their theirs them then there these they this those through "
    "under until very want wanted were what when where which while will with would your yours "
    "please thanks thank hello dear still really already since because yesterday today tomorrow".split()
)
_WORD = re.compile(r"[a-zà-ÿ]{4,}")
_FEELING = re.compile(
    r"\b(?:sorry|understand|frustrat\w*|apolog\w*|appreciate|patience|upset\w*|disappoint\w*|worr\w*|"
    r"inconvenien\w*|annoy\w*|stressful|concern\w*)", re.I)
_BLAME = re.compile(
    r"\b(?:you failed|your fault|you should have|you didn't|you did not|you forgot|you neglected|as i said|"
    r"as mentioned before|as already stated|user error|you need to understand|calm down)\b", re.I)
_CONDESCENSION = re.compile(
    r"\b(?:simply|just need to|it's easy|it is easy|obviously|as you should know|of course you|even a child|"
    r"basic stuff|any idiot)\b", re.I)
_NEXT_STEP = re.compile(
    r"\b(?:reply|let (?:me|us) know|contact|reach out|i'll|i will|we'll|we will|you can|next|follow|track\w*|"
    r"within|by|until)\b", re.I)
_NAME_PLACEHOLDER = re.compile(r"\{\{[^}]*name[^}]*\}\}|%[A-Z_]*NAME[A-Z_]*%", re.I)


def _stem(word: str) -> str:
    return word[:6]


def key_terms(message: str) -> list[str]:
    words = {w for w in _WORD.findall(message.lower()) if w not in _STOP}
    return sorted(words, key=lambda w: (-len(w), w))[:8]


def scores(draft: str, rewrite: str, customer_message: str | None, variables: dict) -> dict[str, float | None]:
    text = rewrite.lower()
    name = variables.get("customer_name")
    placeholders = _NAME_PLACEHOLDER.findall(draft)
    if name:
        name_used: float | None = float(str(name).lower() in text)
    elif placeholders:
        name_used = float(all(p in rewrite for p in placeholders))
    else:
        name_used = None
    terms = key_terms(customer_message) if customer_message else []
    echoed = (
        sum(1 for t in terms if _stem(t) in {_stem(w) for w in _WORD.findall(text)}) / len(terms) if terms else None
    )
    warnings = guard.check(draft, rewrite).warnings
    return {
        "name_used": name_used,
        "key_terms_echoed": echoed,
        "feeling_acknowledged": float(bool(_FEELING.search(rewrite))),
        "no_blame": float(not _BLAME.search(rewrite)),
        "no_condescension": float(not _CONDESCENSION.search(rewrite)),
        "next_step": float(bool(_NEXT_STEP.search(rewrite))),
        "no_new_promises": float(not any(w.kind == "new_commitment" for w in warnings)),
    }
