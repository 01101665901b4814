"""The rewrites table: each rewrite served over HTTP and the agent's feedback on it.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rewrites",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("key_name", sa.String(64)),
        sa.Column("template", sa.String(100), nullable=False),
        sa.Column("template_version", sa.Integer, nullable=False),
        sa.Column("assigned", sa.Boolean, nullable=False),
        sa.Column("conversation_id", sa.String(200)),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("pii_stored", sa.Boolean, nullable=False),
        sa.Column("draft", sa.Text, nullable=False),
        sa.Column("customer_message", sa.Text),
        sa.Column("rewrite", sa.Text, nullable=False),
        sa.Column("guard_status", sa.String(20), nullable=False),
        sa.Column("violations", sa.Integer, nullable=False),
        sa.Column("latency_ms", sa.Integer, nullable=False),
        sa.Column("cost_usd", sa.Float),
        sa.Column("prompt_tokens", sa.Integer, nullable=False),
        sa.Column("completion_tokens", sa.Integer, nullable=False),
        sa.Column("outcome", sa.String(10)),
        sa.Column("sent_text", sa.Text),
        sa.Column("edit_distance", sa.Integer),
        sa.Column("edit_ratio", sa.Float),
        sa.Column("rating", sa.Integer),
        sa.Column("comment", sa.Text),
        sa.Column("revision", sa.Integer, nullable=False),
        sa.Column("feedback_at", sa.DateTime(timezone=True)),
    )
    op.create_index("ix_rewrites_created_at", "rewrites", ["created_at"])
    op.create_index("ix_rewrites_key_name", "rewrites", ["key_name"])
    op.create_index("ix_rewrites_template", "rewrites", ["template", "template_version"])


def downgrade() -> None:
    op.drop_table("rewrites")
