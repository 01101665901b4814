"""Per-key rate limits: requests per minute and requests in flight.

Requests per minute use the `limits` library's moving window. Requests in flight are leases,
taken before the request runs and given back when its response (a stream included) is over.
Both live in this process's memory by default; with a Redis URL they live in Redis, shared by
every replica behind a load balancer, so the service itself stays stateless.

In Redis a lease is a member of a sorted set scored by its expiry, taken and counted atomically
in one Lua script on Redis's own clock. A replica that dies mid-request leaks nothing for long:
its leases expire after the longest a request can run.

When Redis cannot be reached, requests are let through (and counted in
`rewriter_rate_limit_errors_total`): the rewrite path stays up, the limits do not.
"""

from __future__ import annotations

import logging
import math
import time
import uuid
from dataclasses import dataclass

from limits import RateLimitItemPerMinute
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string

from . import metrics

log = logging.getLogger(__name__)

_KEY_PREFIX = "reply-rewriter"

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


@dataclass(frozen=True)
class Rejection:
    limit: str  # "rpm" or "concurrent"
    retry_after_s: int
    detail: str


@dataclass
class Lease:
    bucket: str
    lease_id: str | None  # None: nothing to give back


class RateLimiter:
    """Checks and counts one request of one key against its limits."""

    def __init__(self, redis_url: str | None, lease_ttl_s: float) -> None:
        self.redis_url = redis_url
        self.lease_ttl_ms = int(lease_ttl_s * 1000)
        self._in_flight: dict[str, int] = {}
        self._redis = None
        self._acquire = None
        if redis_url:
            import redis.asyncio as aioredis

            storage = storage_from_string(
                "async+" + redis_url, implementation="redispy", key_prefix=_KEY_PREFIX,
                socket_timeout=1.0, socket_connect_timeout=1.0,
            )
            self._redis = aioredis.from_url(redis_url, socket_timeout=1.0, socket_connect_timeout=1.0)
            self._acquire = self._redis.register_script(_ACQUIRE)
        else:
            storage = storage_from_string("async+memory://")
        self.storage = storage
        self.window = MovingWindowRateLimiter(storage)

    @property
    def backend(self) -> str:
        return "redis" if self.redis_url else "memory"

    async def acquire(self, bucket: str, key_name: str, rpm: int, concurrent: int) -> Lease | Rejection:
        """Count one request against the limits (0 = no limit); a `Lease` to release, or why not."""
        try:
            if rpm:
                item = RateLimitItemPerMinute(rpm)
                if not await self.window.hit(item, bucket):
                    stats = await self.window.get_window_stats(item, bucket)
                    wait = max(1, math.ceil(stats.reset_time - time.time()))
                    return self._reject(key_name, "rpm", wait, f"over {rpm} requests per minute")
            if concurrent:
                lease_id = uuid.uuid4().hex
                if not await self._take(bucket, concurrent, lease_id):
                    return self._reject(key_name, "concurrent", 1, f"over {concurrent} requests in flight")
                return Lease(bucket, lease_id)
        except Exception as exc:  # noqa: BLE001 - a broken limiter must not take the service down
            metrics.RATE_LIMIT_ERRORS.labels(self.backend).inc()
            log.warning("rate limiter unavailable; request let through", extra={"error": type(exc).__name__})
        return Lease(bucket, None)

    async def release(self, lease: Lease) -> None:
        if lease.lease_id is None:
            return
        if self._redis is None:
            self._in_flight[lease.bucket] -= 1
            if not self._in_flight[lease.bucket]:
                del self._in_flight[lease.bucket]
            return
        try:
            await self._redis.zrem(self._lease_key(lease.bucket), lease.lease_id)
        except Exception as exc:  # noqa: BLE001 - the lease expires on its own
            metrics.RATE_LIMIT_ERRORS.labels(self.backend).inc()
            log.warning("could not release a lease; it will expire", extra={"error": type(exc).__name__})

    async def close(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()

    async def _take(self, bucket: str, limit: int, lease_id: str) -> bool:
        if self._acquire is None:
            if self._in_flight.get(bucket, 0) >= limit:
                return False
            self._in_flight[bucket] = self._in_flight.get(bucket, 0) + 1
            return True
        taken = await self._acquire(keys=[self._lease_key(bucket)], args=[self.lease_ttl_ms, limit, lease_id])
        return bool(int(taken))

    @staticmethod
    def _lease_key(bucket: str) -> str:
        return f"{_KEY_PREFIX}:in-flight:{bucket}"

    @staticmethod
    def _reject(key_name: str, limit: str, wait: int, detail: str) -> Rejection:
        metrics.RATE_LIMITED.labels(key_name, limit).inc()
        return Rejection(limit, wait, detail)
