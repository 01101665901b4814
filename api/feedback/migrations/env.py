"""Alembic's environment for the feedback store. The service runs it on a connection it opened
(api/feedback/store.py `migrate`), so this only configures the context and runs the scripts."""

from __future__ import annotations

from alembic import context

from api.feedback.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
