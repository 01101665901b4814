"""Recording rewrites for the feedback store without slowing or failing them: `record` puts the
rewrite on a queue and returns; a background task redacts and writes in batches. A write that fails
is logged and counted (`rewriter_feedback_records_total{result="failed"}`), never raised to the
request; a full queue drops and counts. `close` writes what is queued before the store closes,
so a clean shutdown loses nothing. A purge deletes what is older than the retention every hour."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from api.core import metrics
from api.core.schemas import RewriteRequest, RewriteResult
from api.core.settings import Settings

from .privacy import names_of, redact

if TYPE_CHECKING:
    from .store import FeedbackStore

log = logging.getLogger(__name__)
QUEUE_SIZE = 10_000
BATCH = 200
PURGE_EVERY_S = 3600.0
QUEUED_WAIT_S = 5.0  # at most, for a rewrite this process has queued to be written
FIND_WAITS_S = (0.05, 0.15, 0.3, None)  # looking again for a rewrite another process may be writing


def storable(text: str | None) -> str | None:
    """`text` as every store takes it: PostgreSQL refuses the NUL character in text."""
    return text.replace("\x00", "\ufffd") if text else text


def utc(moment: datetime) -> datetime:
    """SQLite gives back naive datetimes; every one the store holds is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


class Recorder:
    def __init__(self, store: FeedbackStore, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.retention = timedelta(days=settings.feedback_retention_days)
        self._queue: asyncio.Queue[tuple[RewriteResult, RewriteRequest, str | None, bool, datetime]] = (
            asyncio.Queue(QUEUE_SIZE))
        self._queued: set[str] = set()  # ids on the queue or being written
        self._tasks: list[asyncio.Task] = []

    async def start(self) -> None:
        await self.store.migrate()
        self._tasks = [asyncio.create_task(self._write_loop()), asyncio.create_task(self._purge_loop())]

    async def close(self) -> None:
        """Write what is queued, then stop and close the store."""
        if self._tasks:
            await self.flush()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []  # a rewrite recorded after this is counted as dropped
        await self.store.close()

    def record(self, result: RewriteResult, request: RewriteRequest, key_name: str | None, assigned: bool) -> None:
        if not self._tasks:  # the app's lifespan did not run (nothing would write it)
            metrics.FEEDBACK_RECORDS.labels("dropped").inc()
            return
        try:
            self._queue.put_nowait((result, request, key_name, assigned, datetime.now(timezone.utc)))
        except asyncio.QueueFull:
            metrics.FEEDBACK_RECORDS.labels("dropped").inc()
            log.warning("feedback store queue full; a rewrite was not recorded", extra={"rewrite_id": result.id})
            return
        self._queued.add(result.id)

    async def flush(self) -> None:
        if self._tasks:
            await self._queue.join()

    async def find(self, rewrite_id: str) -> dict[str, Any] | None:
        """The stored rewrite. One this process still has queued is waited for; one it does not
        know is looked for again for a moment, as another worker or replica may be writing it
        (feedback can follow its rewrite within milliseconds)."""
        for wait in FIND_WAITS_S:
            for _ in range(int(QUEUED_WAIT_S / 0.01)):
                if rewrite_id not in self._queued:
                    break
                await asyncio.sleep(0.01)
            row = await self.store.get(rewrite_id)
            if row is not None or wait is None:
                return row
            await asyncio.sleep(wait)
        return None

    def expired(self, row: dict[str, Any]) -> bool:
        return utc(row["created_at"]) < datetime.now(timezone.utc) - self.retention

    async def purge(self) -> int:
        return await self.store.delete(before=datetime.now(timezone.utc) - self.retention)

    async def _write_loop(self) -> None:
        while True:
            items = [await self._queue.get()]
            while len(items) < BATCH and not self._queue.empty():
                items.append(self._queue.get_nowait())
            try:
                await self._write([self._row(*item) for item in items])
            finally:
                for item in items:
                    self._queued.discard(item[0].id)
                    self._queue.task_done()

    async def _write(self, rows: list[dict[str, Any]]) -> None:
        """Write a batch; if the store refuses it, each row on its own, so one bad row loses only
        itself. A store that fails never fails a rewrite: it is logged and counted."""
        try:
            await self.store.insert(rows)
            metrics.FEEDBACK_RECORDS.labels("written").inc(len(rows))
            return
        except Exception:  # noqa: BLE001
            if len(rows) == 1:
                metrics.FEEDBACK_RECORDS.labels("failed").inc()
                log.exception("feedback store write failed; a rewrite was not recorded",
                              extra={"rewrite_id": rows[0]["id"]})
                return
        for row in rows:
            await self._write([row])

    async def _purge_loop(self) -> None:
        while True:
            try:
                deleted = await self.purge()
                if deleted:
                    log.info("feedback store purged", extra={"deleted": deleted})
            except Exception:  # noqa: BLE001 - tried again at the next period
                log.exception("feedback store purge failed")
            await asyncio.sleep(PURGE_EVERY_S)

    def _row(self, result: RewriteResult, request: RewriteRequest, key_name: str | None, assigned: bool,
             at: datetime) -> dict[str, Any]:
        keep = self.settings.feedback_store_pii
        names = names_of(request.variables.get("customer_name"), request.customer_message)

        def hide(text: str | None) -> str | None:
            return storable(text if keep else redact(text, names))

        return {
            "id": result.id, "created_at": at, "key_name": key_name,
            "template": result.template.name, "template_version": result.template.version, "assigned": assigned,
            "conversation_id": hide(request.conversation_id), "model": result.model, "pii_stored": keep,
            "draft": hide(request.draft), "customer_message": hide(request.customer_message),
            "rewrite": hide(result.rewrite), "format": result.format, "guard_status": result.guard.status,
            "violations": len(result.guard.violations), "latency_ms": round(result.latency_ms), "cost_usd": result.cost_usd,
            "prompt_tokens": result.usage.prompt_tokens, "completion_tokens": result.usage.completion_tokens,
            "revision": 0,
        }
