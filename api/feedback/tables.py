"""The feedback store's one table: a row per rewrite served over HTTP, with the agent's feedback
on it written into the same row (the last answer wins; `revision` counts the answers). Changes go
through an Alembic migration (api/feedback/migrations/versions/), never through `create_all`."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, Float, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()

rewrites = Table(
    "rewrites",
    metadata,
    Column("id", String(64), primary_key=True),  # the result's id, rw_...
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("key_name", String(64)),  # the API key's name; null without keys
    Column("template", String(100), nullable=False),
    Column("template_version", Integer, nullable=False),
    Column("assigned", Boolean, nullable=False),  # the version was chosen by REWRITER_TEMPLATE_SPLIT
    Column("conversation_id", String(200)),
    Column("model", String(200), nullable=False),
    Column("pii_stored", Boolean, nullable=False),  # texts as written (REWRITER_FEEDBACK_STORE_PII)
    Column("draft", Text, nullable=False),
    Column("customer_message", Text),
    Column("rewrite", Text, nullable=False),
    Column("format", String(10), nullable=False, server_default="text"),  # the draft's and the rewrite's
    Column("guard_status", String(20), nullable=False),
    Column("violations", Integer, nullable=False),
    Column("latency_ms", Integer, nullable=False),
    Column("cost_usd", Float),
    Column("prompt_tokens", Integer, nullable=False),
    Column("completion_tokens", Integer, nullable=False),
    # The feedback, null until an agent gives it.
    Column("outcome", String(10)),  # sent | edited | discarded
    Column("sent_text", Text),
    Column("edit_distance", Integer),  # characters (Levenshtein) from the rewrite to what was sent
    Column("edit_ratio", Float),  # the same over the longer text's length, 0..1
    Column("rating", Integer),
    Column("comment", Text),
    Column("revision", Integer, nullable=False),
    Column("feedback_at", DateTime(timezone=True)),
    Index("ix_rewrites_created_at", "created_at"),
    Index("ix_rewrites_key_name", "key_name"),
    Index("ix_rewrites_template", "template", "template_version"),
)
