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
        """The stored rewrite; one still queued is written first."""
        if rewrite_id in self._queued:
            await self.flush()
        return await self.store.get(rewrite_id)

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
                await self.store.insert([self._row(*item) for item in items])
                metrics.FEEDBACK_RECORDS.labels("written").inc(len(items))
            except Exception:  # noqa: BLE001 - a store that fails never fails a rewrite
                metrics.FEEDBACK_RECORDS.labels("failed").inc(len(items))
                log.exception("feedback store write failed; rewrites not recorded", extra={"count": len(items)})
            finally:
                for item in items:
                    self._queued.discard(item[0].id)
                    self._queue.task_done()

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
        hide = (lambda text: text) if keep else (lambda text: redact(text, names))
        return {
            "id": result.id, "created_at": at, "key_name": key_name,
            "template": result.template.name, "template_version": result.template.version, "assigned": assigned,
            "conversation_id": request.conversation_id, "model": result.model, "pii_stored": keep,
            "draft": hide(request.draft), "customer_message": hide(request.customer_message),
            "rewrite": hide(result.rewrite), "guard_status": result.guard.status,
            "violations": len(result.guard.violations), "latency_ms": result.latency_ms, "cost_usd": result.cost_usd,
            "prompt_tokens": result.usage.prompt_tokens, "completion_tokens": result.usage.completion_tokens,
            "revision": 0,
        }
