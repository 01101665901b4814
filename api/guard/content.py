"""What a draft says beyond its facts, and whether a rewrite still says it.

The fact guard (`api.guard.facts`) protects numbers, dates, links and placeholders; a reply can keep all
of them and still drop every instruction of the draft ("open your order details and press
'Cancel Order'"). This module finds the draft's *content units* and checks each in the rewrite:

- quoted labels ('Cancel Order', "My Account", “Order History”): kept verbatim, case aside;
- menu paths (Settings > Billing > Invoices): every step kept;
- conditions (if, unless, only, except): kept, or one of their synonyms ("in case", "as long as");
- sentences and list steps: at least `SENTENCE_COVERAGE` of their content words (Snowball English
  stems, without stopwords and support boilerplate such as "assist", "hesitate", "questions")
  appear together in the rewrite, within one to three consecutive sentences. Sentences with
  fewer than `MIN_WORDS` content words (pleasantries) are not units, nor are their conditions.

Sentences are checked only in English drafts (by the share of English function words); labels,
paths and conditions in any language. The thresholds were calibrated on the guard corpus's
faithful paraphrases and on real drafts with a step, a label or a condition taken out
(benchmarks/guard_accuracy.py reports both).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer

from . import facts as factlib

SENTENCE_COVERAGE = 0.5
MIN_WORDS = 3

_STEMMER = snowballstemmer.stemmer("english")

# English function words: not content, and their share tells an English draft.
_FUNCTION = frozenset("""
a about above after again against all am an and any are as at be because been before being below
between both but by can could did do does doing down during each few for from further had has have
having he her here hers herself him himself his how i if in into is it its itself just me more most
my myself no nor not now of off on once only or other our ours ourselves out over own same she should
so some such than that the their theirs them themselves then there these they this those through to
too under until up very was we were what when where which while who whom why will with would you your
yours yourself yourselves also may might must shall can't won't don't isn't aren't wasn't weren't
i'm i'll i've i'd you're you'll you've we're we'll we've it's that's there's let's cannot
""".split())
# Support boilerplate: the words of openings and closings, which a rewrite is free to reword.
_BOILERPLATE = frozenset("""
please thank thanks appreciate appreciated sorry apologize apologise apologies inconvenience
understand understandable frustrating frustration frustrated hear glad happy pleased delighted
assist assistance assisting help helping helpful support team hesitate reach touch contact question
questions concern concerns query queries feel free know let need needs further additional anything
else something everything matter issue issues kindly certainly absolutely sure definitely
dear hello hi regards best wishes great day welcome customer patience understanding experience
able ensure guide guidance provide providing information details detail happy make sure available
""".split())
_STOP = _FUNCTION | _BOILERPLATE

_WORD = re.compile(r"[a-z][a-z'’]*[a-z]|[a-z]")
_SENTENCES = re.compile(r"(?<=[.!?])\s+(?=\S)|\n+")
# A quote mark that is not an apostrophe: not between two letters ("can't ... won't" is no label).
_QUOTED = re.compile(
    r"(?<![A-Za-z])'([^'\n]{2,40})'(?![A-Za-z])|\"([^\"\n]{2,40})\"|“([^”\n]{2,40})”"
    r"|(?<![A-Za-z])‘([^’\n]{2,40})’(?![A-Za-z])"
)
_STEP = r"[A-Z][\w&'-]*(?:[ ][A-Z&][\w&'-]*){0,3}"  # a menu item: one to four Title Case words
_PATH = re.compile(rf"{_STEP}(?:\s*(?:>|→|›)\s*{_STEP})+")
_PATH_SPLIT = re.compile(r"\s*(?:>|→|›)\s*")
# Condition words and what may stand for them in a rewrite.
_CONDITIONS = {
    "if": ("if", "in case", "as long as", "provided", "providing", "whenever", "once", "should you",
           "should it", "should this", "should that", "should the", "should your", "should there",
           "should anything", "should any"),
    "unless": ("unless", "except if", "if not", "if you don't", "if you do not", "only if"),
    "only": ("only", "solely", "exclusively", "no sooner than", "as long as"),
    "except": ("except", "excluding", "other than", "apart from", "but not", "not including"),
}
_CONDITION_RE = {name: re.compile(r"\b(?:" + "|".join(re.escape(w) for w in words) + r")\b")
                 for name, words in _CONDITIONS.items()}
_CONDITION_CUE = re.compile(r"\b(if|unless|only|except)\b")


@dataclass(frozen=True)
class Unit:
    kind: str  # label, path, condition or sentence
    text: str
    missing: tuple[str, ...] = ()  # for a sentence: its content words the rewrite lacks

    def detail(self) -> str:
        if self.kind == "sentence":
            shown = self.text if len(self.text) <= 80 else self.text[:77] + "..."
            return f"the draft's statement {shown!r} is missing (missing words: {', '.join(self.missing)})"
        if self.kind == "condition":
            return f"the draft's condition {self.text!r} is missing"
        return f"the draft's {self.kind} {self.text!r} is missing"


@lru_cache(maxsize=8192)
def _stem(word: str) -> str:
    return _STEMMER.stemWord(word.replace("’", "'").split("'")[0])


def _is_content(word: str) -> bool:
    word = word.replace("’", "'")
    return len(word) > 2 and word not in _STOP and word.split("'")[0] not in _STOP  # "you'd": "you"


def _content(text: str) -> list[str]:
    """Content words of `text` (lower-cased), stemmed, in order, without stopwords."""
    return [_stem(w) for w in _WORD.findall(text.lower()) if _is_content(w)]


def words(text: str) -> set[str]:
    """The stemmed content words of `text` (no function words, no support boilerplate)."""
    return set(_content(text))


def is_english(text: str) -> bool:
    words = _WORD.findall(text.lower())
    return len(words) < 4 or sum(w in _FUNCTION for w in words) / len(words) >= 0.2


def _labels(text: str) -> list[str]:
    found = []
    for match in _QUOTED.finditer(text):
        label = next(g for g in match.groups() if g).strip()
        if label and any(c.isalpha() for c in label) and label not in found:
            found.append(label)
    return found


_LIST_MARK = re.compile(r"\s*\d{1,2}[.)]")


def _sentences(text: str) -> list[tuple[int, int]]:
    """The spans of `text`'s sentences and lines (a numbered step's "3." kept with its step)."""
    spans: list[tuple[int, int]] = []
    start = 0
    for cut in [*_SENTENCES.finditer(text), None]:
        end = cut.start() if cut else len(text)
        if text[start:end].strip():
            if spans and _LIST_MARK.fullmatch(text[spans[-1][0]:spans[-1][1]]):
                spans[-1] = (spans[-1][0], end)
            else:
                spans.append((start, end))
        if cut:
            start = cut.end()
    return spans


def _blank(text: str, found: list[factlib.Fact], labels: list[str]) -> str:
    """`text` with its facts and quoted labels blanked (same length): they are checked as such."""
    plain = factlib.blank(text, found)
    for label in labels:
        plain = plain.replace(label, " " * len(label))
    return plain


def _covering(words: list[str], windows: list[tuple[set[str], str]]) -> tuple[list[str], list[str]]:
    """The words the best of the rewrite's windows (one to three consecutive sentences) lacks,
    and the texts of the windows that keep the statement. A statement must survive in one place,
    not as words scattered over other sentences, and its condition with it: a window's text
    leaves out pleasantries, so a closing's "If you have any questions" next to a statement
    keeps no condition of the draft."""
    best = words
    keeping = []
    for found, text in windows:
        absent = [w for w in words if w not in found]
        if len(absent) < len(best):
            best = absent
        if (len(words) - len(absent)) / len(words) >= SENTENCE_COVERAGE:
            keeping.append(text)
    return best, keeping


def missing(draft: str, rewrite: str, draft_facts: list[factlib.Fact] | None = None,
            rewrite_facts: list[factlib.Fact] | None = None) -> list[Unit]:
    """The draft's content units the rewrite does not keep. The texts' facts (`api.guard.facts.extract`)
    are extracted here unless the caller, like the guard, already has them."""
    if draft_facts is None:
        draft_facts = factlib.extract(draft)
    if rewrite_facts is None:
        rewrite_facts = factlib.extract(rewrite)
    rewrite_low = " ".join(rewrite.lower().replace("’", "'").split())
    lost: list[Unit] = []
    labels = _labels(draft)
    for label in labels:
        if " ".join(label.lower().replace("’", "'").split()) not in rewrite_low:
            lost.append(Unit("label", label))
    for match in _PATH.finditer(draft):
        steps = [s.strip() for s in _PATH_SPLIT.split(match.group()) if s.strip()]
        if any(" ".join(step.lower().split()) not in rewrite_low for step in steps):
            lost.append(Unit("path", " > ".join(steps)))

    english = is_english(draft)
    plain_rewrite = _blank(rewrite, rewrite_facts, labels)
    spans = _sentences(rewrite)
    sets = [set(_content(plain_rewrite[a:b])) for a, b in spans]
    texts = ["" if not found else rewrite[a:b].lower().replace("’", "'")
             for (a, b), found in zip(spans, sets)]  # a pleasantry (no content word) carries no condition
    windows = [
        (set().union(*sets[i:i + size]), " ".join(texts[i:i + size]))
        for size in (1, 2, 3) for i in range(len(spans))
    ]
    conditions: set[str] = set()
    plain_draft = _blank(draft, draft_facts, labels)
    for a, b in _sentences(draft):
        sentence = draft[a:b]
        words = list(dict.fromkeys(_content(plain_draft[a:b])))
        if len(words) < MIN_WORDS:
            continue  # a pleasantry ("If you have any questions, let us know"): no unit
        absent, keeping = _covering(words, windows)
        for name in _CONDITION_CUE.findall(sentence.lower()):
            if name not in conditions and not any(_CONDITION_RE[name].search(text) for text in keeping):
                conditions.add(name)
                lost.append(Unit("condition", name))
        if english and (len(words) - len(absent)) / len(words) < SENTENCE_COVERAGE:
            lost.append(Unit("sentence", " ".join(sentence.split()), tuple(absent)))
    return lost
