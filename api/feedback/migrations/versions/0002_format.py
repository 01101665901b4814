"""The rewrite's format (text, markdown or html): the draft and the rewrite are written in it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("rewrites") as batch:  # batch: SQLite alters a table by copying it
        batch.add_column(sa.Column("format", sa.String(10), nullable=False, server_default="text"))


def downgrade() -> None:
    with op.batch_alter_table("rewrites") as batch:
        batch.drop_column("format")
