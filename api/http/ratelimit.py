"""Per-key rate limits: requests per minute and requests in flight.

Requests per minute use the `limits` library's moving window. Requests in flight are leases,
taken before the request runs and given back when its response (a stream included) is over.
Both live in this process's memory by default; with a Redis URL they live in Redis, shared by
every replica behind a load balancer, so the service itself stays stateless.

In Redis a lease is a member of a sorted set scored by its expiry, taken and counted atomically
in one Lua script on Redis's own clock, and renewed while its request runs. A replica that dies
mid-request leaks nothing for long: its leases stop being renewed and expire.

When Redis cannot be reached (or answers slower than 0.25 s), requests are let through, counted
in `rewriter_rate_limit_errors_total`, and Redis is skipped for 5 s so no request waits on it:
the rewrite path stays up, the limits do not.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import uuid
from dataclasses import dataclass

from limits import RateLimitItemPerMinute
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from api.core import metrics

log = logging.getLogger(__name__)

_KEY_PREFIX = "reply-rewriter"
_REDIS_TIMEOUT_S = 0.25  # a hung Redis costs a request at most this, then is skipped for a while
_REDIS_BACKOFF_S = 5.0  # after a Redis error, requests go through unlimited for this long

# KEYS[1]: the key's lease set. ARGV: lease ttl (ms), limit, lease id. 1 = taken, 0 = full.
_ACQUIRE = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now_ms)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  return 0
end
redis.call('ZADD', KEYS[1], now_ms + tonumber(ARGV[1]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
return 1
"""

# KEYS[1]: the lease set. ARGV: lease ttl (ms), lease id. Pushes a held lease's expiry forward.
_RENEW = """
local now = redis.call('TIME')
local now_ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZADD', KEYS[1], 'XX', now_ms + tonumber(ARGV[1]), ARGV[2])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[1]))
return 1
"""


@dataclass(frozen=True)
class Rejection:
    limit: str  # "rpm" or "concurrent"
    retry_after_s: int
    detail: str


@dataclass(eq=False)
class Lease:
    bucket: str
    lease_id: str | None  # None: nothing to give back


class RateLimiter:
    """Checks and counts one request of one key against its limits.

    In Redis a lease lives `lease_ttl_s` and is renewed every third of that while its request
    runs, so a request may run as long as it needs (a batch of many items), while the leases of
    a replica that died expire within `lease_ttl_s`.
    """

    def __init__(self, redis_url: str | None, lease_ttl_s: float = 30.0) -> None:
        self.redis_url = redis_url
        self.lease_ttl_s = lease_ttl_s
        self._in_flight: dict[str, int] = {}
        self._held: set[Lease] = set()  # Redis leases not yet given back
        self._redis = None
        self._skip_until = 0.0
        if redis_url:
            import redis.asyncio as aioredis

            timeouts = {"socket_timeout": _REDIS_TIMEOUT_S, "socket_connect_timeout": _REDIS_TIMEOUT_S}
            storage = storage_from_string(
                "async+" + redis_url, implementation="redispy", key_prefix=_KEY_PREFIX, **timeouts
            )
            self._redis = aioredis.from_url(redis_url, **timeouts)
            self._acquire = self._redis.register_script(_ACQUIRE)
            self._renew = self._redis.register_script(_RENEW)
        else:
            storage = storage_from_string("async+memory://")
        self.window = MovingWindowRateLimiter(storage)

    @property
    def backend(self) -> str:
        return "redis" if self.redis_url else "memory"

    async def acquire(self, bucket: str, key_name: str, rpm: int, concurrent: int) -> Lease | Rejection:
        """Count one request against the limits (0 = no limit); a `Lease` to release, or why not.

        The in-flight slot is taken first: a request turned away for concurrency does not use up
        the minute's budget, and one turned away by the minute gives its slot straight back."""
        if self._redis is not None and time.monotonic() < self._skip_until:
            return Lease(bucket, None)  # Redis failed a moment ago: do not make every request wait
        lease = Lease(bucket, None)
        try:
            if concurrent:
                lease = Lease(bucket, uuid.uuid4().hex)
                if not await self._take(lease, concurrent):
                    return self._reject(key_name, "concurrent", 1, f"over {concurrent} requests in flight")
            if rpm:
                item = RateLimitItemPerMinute(rpm)
                if not await self.window.hit(item, bucket):
                    await self.release(lease)
                    stats = await self.window.get_window_stats(item, bucket)
                    wait = max(1, math.ceil(stats.reset_time - time.time()))
                    return self._reject(key_name, "rpm", wait, f"over {rpm} requests per minute")
        except Exception as exc:  # noqa: BLE001 - a broken limiter must not take the service down
            self._failed("rate limiter unavailable; request let through", exc)
            return Lease(bucket, None)  # unlimited; a lease the script may have taken is in _held
        return lease

    async def charge(self, bucket: str, key_name: str, rpm: int, count: int) -> Rejection | None:
        """Count `count` more requests of a request already let in (a batch's further items)
        against the minute's budget, all or none; None when they fit (or the limiter is down)."""
        if count <= 0 or (self._redis is not None and time.monotonic() < self._skip_until):
            return None
        item = RateLimitItemPerMinute(rpm)
        try:
            if await self.window.hit(item, bucket, cost=count):
                return None
            stats = await self.window.get_window_stats(item, bucket)
        except Exception as exc:  # noqa: BLE001 - a broken limiter must not take the service down
            self._failed("rate limiter unavailable; batch let through", exc)
            return None
        wait = max(1, math.ceil(stats.reset_time - time.time()))
        return self._reject(key_name, "rpm", wait, f"a batch of {count + 1} items is over {rpm} requests per minute")

    async def hold(self, lease: Lease) -> None:
        """Keep a Redis lease alive while its request runs (cancel this task to stop)."""
        if self._redis is None or lease.lease_id is None:
            return
        while True:
            await asyncio.sleep(self.lease_ttl_s / 3)
            try:
                await self._renew(keys=[self._lease_key(lease.bucket)],
                                  args=[int(self.lease_ttl_s * 1000), lease.lease_id])
            except Exception as exc:  # noqa: BLE001 - the lease may lapse; the request goes on
                self._failed("could not renew a lease", exc)

    async def release(self, lease: Lease) -> None:
        if lease.lease_id is None:
            return
        if self._redis is None:
            self._in_flight[lease.bucket] -= 1
            if not self._in_flight[lease.bucket]:
                del self._in_flight[lease.bucket]
            return
        if lease not in self._held:
            return  # already given back (by `close` at shutdown)
        try:
            await self._redis.zrem(self._lease_key(lease.bucket), lease.lease_id)
            self._held.discard(lease)
        except Exception as exc:  # noqa: BLE001 - the lease expires on its own
            self._failed("could not release a lease; it will expire", exc)

    async def close(self) -> None:
        """Give back every lease still held (requests cut at shutdown), then disconnect."""
        if self._redis is None:
            return
        held, self._held = list(self._held), set()
        try:
            if held:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for lease in held:
                        pipe.zrem(self._lease_key(lease.bucket), lease.lease_id)
                    await pipe.execute()
        except Exception as exc:  # noqa: BLE001 - they expire on their own
            self._failed("could not release leases at shutdown; they will expire", exc)
        await self._redis.aclose()

    async def _take(self, lease: Lease, limit: int) -> bool:
        if self._redis is None:
            if self._in_flight.get(lease.bucket, 0) >= limit:
                return False
            self._in_flight[lease.bucket] = self._in_flight.get(lease.bucket, 0) + 1
            return True
        # Held before the call: if the reply is lost (a timeout after the script ran), the lease
        # is still given back at shutdown, or expires unrenewed within lease_ttl_s.
        self._held.add(lease)
        taken = await self._acquire(keys=[self._lease_key(lease.bucket)],
                                    args=[int(self.lease_ttl_s * 1000), limit, lease.lease_id])
        if not int(taken):
            self._held.discard(lease)
        return bool(int(taken))

    def _failed(self, message: str, exc: BaseException) -> None:
        metrics.RATE_LIMIT_ERRORS.labels(self.backend).inc()
        self._skip_until = time.monotonic() + _REDIS_BACKOFF_S
        log.warning(message, extra={"error": type(exc).__name__})

    @staticmethod
    def _lease_key(bucket: str) -> str:
        return f"{_KEY_PREFIX}:in-flight:{bucket}"

    @staticmethod
    def _reject(key_name: str, limit: str, wait: int, detail: str) -> Rejection:
        metrics.RATE_LIMITED.labels(key_name, limit).inc()
        return Rejection(limit, wait, detail)
