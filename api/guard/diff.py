"""`word_diff(before, after)`: the word-level diff returned to callers."""

from __future__ import annotations

import difflib
import re

_TOKENS = re.compile(r"\s*\S+\s*|\s+")  # a word with the whitespace around it


def word_diff(before: str, after: str) -> list[dict[str, str]]:
    """[{op: equal|insert|delete, text}] over words (whitespace kept, so texts rebuild exactly)."""
    a, b = _TOKENS.findall(before), _TOKENS.findall(after)
    ops: list[dict[str, str]] = []

    def push(op: str, text: str) -> None:
        if not text:
            return
        if ops and ops[-1]["op"] == op:
            ops[-1]["text"] += text
        else:
            ops.append({"op": op, "text": text})

    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            push("equal", "".join(a[i1:i2]))
        else:
            push("delete", "".join(a[i1:i2]))
            push("insert", "".join(b[j1:j2]))
    return ops
