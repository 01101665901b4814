"""An agent's feedback as the store keeps it: checked, redacted as its rewrite was, and measured
against it (the edit distance)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from rapidfuzz.distance import Levenshtein

from api.core.errors import InvalidRequest

from .privacy import redact, redact_like
from .recorder import storable
from .schemas import FeedbackIn


def stored_answer(row: dict[str, Any], answer: FeedbackIn, max_sent_chars: int) -> dict[str, Any]:
    """The columns to write for `answer` on the stored rewrite `row`; InvalidRequest naming the field."""
    sent, comment = answer.sent_text, answer.comment
    if sent is not None and answer.outcome != "edited":
        raise InvalidRequest(f"sent_text: only with outcome edited ({answer.outcome} means "
                             + ("the rewrite went out as it was)" if answer.outcome == "sent" else "nothing was sent)"),
                             field="sent_text")
    if sent is not None and len(sent) > max_sent_chars:
        raise InvalidRequest(f"sent_text: longer than {max_sent_chars} characters", field="sent_text")
    if not row["pii_stored"]:  # stored as the rewrite was: personal data replaced by its kind
        sent = redact_like(sent, row["rewrite"]) if sent is not None else None
        comment = redact(comment)
    sent, comment = storable(sent), storable(comment)
    if answer.outcome == "discarded":
        distance, ratio = None, None
    elif sent is None:  # sent as is: nothing changed; edited without the text: unknown
        distance, ratio = (0, 0.0) if answer.outcome == "sent" else (None, None)
    else:
        distance = Levenshtein.distance(row["rewrite"], sent)
        ratio = round(Levenshtein.normalized_distance(row["rewrite"], sent), 4)
    return {"outcome": answer.outcome, "sent_text": sent, "edit_distance": distance, "edit_ratio": ratio,
            "rating": answer.rating, "comment": comment, "feedback_at": datetime.now(timezone.utc)}
