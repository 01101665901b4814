"""`word_diff(before, after)`: the word-level diff returned to callers."""

from __future__ import annotations

import difflib
import re

_TOKENS = re.compile(r"^\s+|\S+\s*")  # leading whitespace, then each word with the whitespace after it


def word_diff(before: str, after: str) -> list[dict[str, str]]:
    """[{op: equal|insert|delete, text}] over words (whitespace kept, so texts rebuild exactly).

    Words are matched without the whitespace after them, so the last word of a sentence that the
    rewrite continues ("do." then "do. If ...") is the same word; where only the whitespace after
    an equal word differs, that whitespace alone is deleted and inserted."""
    a, b = _TOKENS.findall(before), _TOKENS.findall(after)
    ops: list[dict[str, str]] = []

    def push(op: str, text: str) -> None:
        if not text:
            return
        if ops and ops[-1]["op"] == op:
            ops[-1]["text"] += text
        else:
            ops.append({"op": op, "text": text})

    words = difflib.SequenceMatcher(None, [t.rstrip() for t in a], [t.rstrip() for t in b], autojunk=False)
    for tag, i1, i2, j1, j2 in words.get_opcodes():
        if tag != "equal":
            push("delete", "".join(a[i1:i2]))
            push("insert", "".join(b[j1:j2]))
            continue
        for old, new in zip(a[i1:i2], b[j1:j2]):
            if old == new:
                push("equal", old)
                continue
            word = old.rstrip()
            push("equal", word)
            push("delete", old[len(word):])
            push("insert", new[len(word):])
    return ops
