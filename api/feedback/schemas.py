"""What the feedback routes take and answer."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.core.schemas import Text

Outcome = Literal["sent", "edited", "discarded"]
MAX_COMMENT_CHARS = 2000


class FeedbackIn(BaseModel):
    """What the agent did with a rewrite. Giving it again replaces it (the last answer wins)."""

    model_config = ConfigDict(extra="forbid")

    outcome: Outcome = Field(description="sent as it was, edited before sending, or discarded")
    sent_text: Text | None = Field(
        None, description="with `edited` only: what the agent sent (the edit distance is measured to it); "
        "up to twice REWRITER_MAX_DRAFT_CHARS characters",
    )
    rating: int | None = Field(None, ge=1, le=5, description="how useful the rewrite was, 1-5")
    comment: Text | None = Field(None, description=f"anything the agent wants to say, up to {MAX_COMMENT_CHARS} characters")

    @field_validator("sent_text")
    @classmethod
    def _sent_not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be empty or whitespace only (leave it out when the rewrite was sent as is)")
        return value

    @field_validator("comment")
    @classmethod
    def _comment_size(cls, value: str | None) -> str | None:
        if value is not None and len(value) > MAX_COMMENT_CHARS:
            raise ValueError(f"is longer than {MAX_COMMENT_CHARS} characters")
        return value


class FeedbackOut(BaseModel):
    id: str = Field(description="the rewrite's id")
    outcome: Outcome
    revision: int = Field(description="how many times feedback was given on this rewrite (the last one counts)")
    edit_distance: int | None = Field(
        description="characters changed between the rewrite and what was sent (Levenshtein); 0 when sent as is"
    )
    edit_ratio: float | None = Field(description="the same over the longer text's length, 0 to 1")


class Share(BaseModel):
    sent: float | None = Field(description="sent as is, of the rewrites with feedback")
    edited: float | None
    discarded: float | None


class GroupSummary(BaseModel):
    template: str = Field(description="name@version")
    model: str
    rewrites: int = Field(description="rewrites recorded in the period")
    with_feedback: int
    share: Share
    median_edit_distance: float | None = Field(description="over the rewrites sent or edited, in characters")
    median_edit_ratio: float | None
    mean_rating: float | None
    guard: dict[str, int] = Field(description="the guard's outcomes: passed, repaired, fallback, allowed")


class Interval(BaseModel):
    low: float
    high: float


class Arm(BaseModel):
    template: str = Field(description="name@version")
    with_feedback: int
    sent: int = Field(description="sent as is")
    share_sent: float | None
    interval: Interval | None = Field(description="95% Wilson score interval of share_sent")


class Comparison(BaseModel):
    template: str = Field(description="this arm (name@version), compared with the baseline")
    baseline: str
    difference: float = Field(description="share_sent of this arm minus the baseline's")
    interval: Interval = Field(description="95% interval of the difference")
    conclusive: bool = Field(description="the interval excludes 0")


class Experiment(BaseModel):
    template: str = Field(description="the template name whose versions were split")
    model: str = Field(description="the model that wrote them (each model is compared on its own)")
    test: str = Field(description="how the intervals are computed")
    arms: list[Arm]
    comparisons: list[Comparison]


class Summary(BaseModel):
    since: datetime
    until: datetime
    groups: list[GroupSummary] = Field(description="per template@version and model")
    experiments: list[Experiment] = Field(
        description="versions served by REWRITER_TEMPLATE_SPLIT, compared on the share sent as is"
    )
