"""The feedback store: SQLAlchemy's async engine over SQLite (aiosqlite, the embedded default) or
PostgreSQL (asyncpg, for many replicas), its schema kept by Alembic migrations that the service
runs at start-up. Only this module speaks SQL."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
from datetime import datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import delete, event, func, insert, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from .errors import StoreUnavailable
from .tables import rewrites

MIGRATIONS = Path(__file__).parent / "migrations"
_MIGRATION_LOCK = 72_130_418  # a PostgreSQL advisory lock: replicas starting together migrate one at a time
DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}


class StoreConfigError(ValueError):
    """REWRITER_FEEDBACK_DB cannot be used; the message says why."""


def engine_for(url: str) -> AsyncEngine:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreConfigError(f"REWRITER_FEEDBACK_DB is not a database URL: {exc}") from None
    backend = parsed.get_backend_name()
    if backend not in DRIVERS or parsed.drivername != DRIVERS[backend]:
        raise StoreConfigError(
            f"REWRITER_FEEDBACK_DB: use sqlite+aiosqlite:///PATH or postgresql+asyncpg://..., not {parsed.drivername}://"
        )
    if backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(parsed, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(connection, _record) -> None:  # readers do not wait for the writer
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.close()

        return engine
    return create_async_engine(parsed, pool_pre_ping=True, pool_size=5, max_overflow=5)


def _answered(method):
    """The store's errors (its driver's, the network's) as `StoreUnavailable`, in words."""
    @functools.wraps(method)
    async def call(self, *args, **kwargs):
        try:
            return await method(self, *args, **kwargs)
        except (SQLAlchemyError, OSError) as exc:
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0][:200]
            raise StoreUnavailable(f"the feedback store did not answer: {type(exc).__name__}: {reason}") from exc
    return call


class FeedbackStore:
    def __init__(self, url: str) -> None:
        self.engine = engine_for(url)
        self.backend = self.engine.dialect.name
        self.where = self.engine.url.render_as_string(hide_password=True)  # for messages

    async def migrate(self) -> None:
        """Bring the schema to the newest migration (nothing to do when it is there). Processes
        starting together (workers, replicas) migrate one at a time: PostgreSQL's advisory lock,
        or for SQLite, whose DDL is not transactional here, a lock file beside the database."""
        database = self.engine.url.database
        lock_path = f"{database}.migrate-lock" if self.backend == "sqlite" and database not in (None, "", ":memory:") else None
        with contextlib.ExitStack() as held:
            if lock_path is not None:
                handle = held.enter_context(open(lock_path, "a"))
                await asyncio.to_thread(fcntl.flock, handle, fcntl.LOCK_EX)  # released when closed
            async with self.engine.begin() as connection:
                if self.backend == "postgresql":
                    await connection.execute(text(f"SELECT pg_advisory_xact_lock({_MIGRATION_LOCK})"))
                await connection.run_sync(_upgrade)

    async def close(self) -> None:
        await self.engine.dispose()

    @_answered
    async def insert(self, rows: list[dict[str, Any]]) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(insert(rewrites), rows)

    @_answered
    async def get(self, rewrite_id: str) -> dict[str, Any] | None:
        async with self.engine.connect() as connection:
            row = (await connection.execute(select(rewrites).where(rewrites.c.id == rewrite_id))).mappings().first()
        return dict(row) if row is not None else None

    @_answered
    async def give_feedback(self, rewrite_id: str, values: dict[str, Any]) -> int | None:
        """Write the feedback over any earlier one; the new revision, or None if the row is gone."""
        async with self.engine.begin() as connection:
            result = await connection.execute(
                update(rewrites).where(rewrites.c.id == rewrite_id)
                .values(**values, revision=rewrites.c.revision + 1).returning(rewrites.c.revision)
            )
            revision = result.scalar_one_or_none()
        return revision

    @_answered
    async def rows(self, since: datetime, *, template: str | None = None, outcome: str | None = None,
                   with_feedback: bool = False, columns: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
        """The rewrites made since `since` (oldest first), or only `columns` of them; `template` is
        name or name@version (ValueError for a version that cannot be one)."""
        chosen = [rewrites.c[name] for name in columns] if columns else [rewrites]
        query = select(*chosen).where(rewrites.c.created_at >= since).order_by(rewrites.c.created_at)
        if template is not None:
            name, _, version = template.partition("@")
            query = query.where(rewrites.c.template == name)
            if version:
                number = version.lstrip("v")
                if not number.isdigit() or len(number) > 6:
                    raise ValueError(f"template: {template!r} has no version a template can have")
                query = query.where(rewrites.c.template_version == int(number))
        if outcome is not None:
            query = query.where(rewrites.c.outcome == outcome)
        if with_feedback:
            query = query.where(rewrites.c.outcome.is_not(None))
        async with self.engine.connect() as connection:
            return [dict(row) for row in (await connection.execute(query)).mappings()]

    @_answered
    async def delete(self, *, rewrite_id: str | None = None, key_name: str | None = None,
                     before: datetime | None = None) -> int:
        """Delete by id, by the key that made the rewrites, or everything older than `before`."""
        query = delete(rewrites)
        if rewrite_id is not None:
            query = query.where(rewrites.c.id == rewrite_id)
        if key_name is not None:
            query = query.where(rewrites.c.key_name == key_name)
        if before is not None:
            query = query.where(rewrites.c.created_at < before)
        if rewrite_id is None and key_name is None and before is None:
            raise ValueError("delete what? give an id, a key name or a date")
        async with self.engine.begin() as connection:
            return (await connection.execute(query)).rowcount

    @_answered
    async def count(self) -> int:
        async with self.engine.connect() as connection:
            return (await connection.execute(select(func.count()).select_from(rewrites))).scalar_one()


def _upgrade(connection) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
