"""Per-IP token buckets for the public endpoints.

With REDIS_CACHE_URL set, the buckets live in Redis (one Lua script per hit, Redis' own clock),
so every web process and host shares them. Without it (the embedded default, one process) they
live in this process. If Redis fails, the process-local buckets take over: weaker limits for a
while, never a failed page.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Literal

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from vertex_ar.core.errors import AppError
from vertex_ar.core.settings import Settings

log = structlog.get_logger(__name__)

Bucket = Literal["viewer", "session", "media", "login_account", "login_ip", "marker"]
PREFIX = "vertex_ar:ratelimit"
MAX_TRACKED_CLIENTS = 100_000


class RateLimited(AppError):
    status_code = 429
    code = "rate_limited"


@dataclass(frozen=True)
class Limit:
    per_second: float
    burst: int


def limits(settings: Settings) -> dict[Bucket, Limit]:
    return {
        "viewer": Limit(settings.viewer_rate_per_minute / 60, settings.viewer_rate_burst),
        "session": Limit(settings.session_rate_per_minute / 60, settings.session_rate_burst),
        "media": Limit(settings.media_rate_per_minute / 60, settings.media_rate_burst),
        "marker": Limit(settings.marker_rate_per_minute / 60, settings.marker_rate_burst),
        "login_account": Limit(
            settings.login_account_per_minute / 60, settings.login_account_burst
        ),
        "login_ip": Limit(settings.login_ip_per_minute / 60, settings.login_ip_burst),
    }


class MemoryBuckets:
    """Token buckets in a bounded LRU dict: a flood of new addresses evicts the oldest."""

    def __init__(self, max_clients: int = MAX_TRACKED_CLIENTS) -> None:
        self.max_clients = max_clients
        self._state: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, key: str, limit: Limit, now: float | None = None) -> float:
        """Seconds to wait before the next request may pass; 0 when this one passes."""
        now = time.monotonic() if now is None else now
        tokens, stamp = self._state.pop(key, (float(limit.burst), now))
        tokens = min(float(limit.burst), tokens + max(0.0, now - stamp) * limit.per_second)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / limit.per_second
        self._state[key] = (tokens, now)
        while len(self._state) > self.max_clients:
            self._state.popitem(last=False)
        return wait


# KEYS[1] bucket, KEYS[2] (optional) a key to read in the same round trip; ARGV rate per
# second, burst. Returns {the wait in seconds as a string (Lua numbers would be truncated to
# integers on the way back), KEYS[2]'s value or '0'}.
_TAKE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens = tonumber(state[1]) or burst
local stamp = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - stamp) * rate)
local wait = 0
if tokens >= 1 then tokens = tokens - 1 else wait = (1 - tokens) / rate end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
if KEYS[2] then return {tostring(wait), redis.call('GET', KEYS[2]) or '0'} end
return {tostring(wait)}
"""


class RateLimiter:
    def __init__(self, settings: Settings, client: Redis[bytes] | None) -> None:
        self.limits = limits(settings)
        self.client = client
        self.memory = MemoryBuckets()
        self._take = client.register_script(_TAKE) if client is not None else None

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimiter:
        client = None
        if settings.redis_cache_url:
            client = Redis.from_url(
                settings.redis_cache_url, socket_timeout=0.5, socket_connect_timeout=0.5
            )
        return cls(settings, client)

    async def check(
        self, bucket: Bucket, client: str, *, also_read: str | None = None
    ) -> str | None:
        """Raise RateLimited when ``client`` (an address, or an account's digest) has used up its
        ``bucket``.

        With Redis, the value of the key ``also_read`` comes back from the same round trip
        ('0' when unset; the viewer's change generation, so that a scan costs one round trip);
        None without Redis or when it failed.
        """
        limit = self.limits[bucket]
        key = f"{PREFIX}:{bucket}:{client}"
        wait = None
        read = None
        if self._take is not None:
            keys = [key] if also_read is None else [key, also_read]
            try:
                answer = await self._take(keys=keys, args=[limit.per_second, limit.burst])
                wait = float(answer[0])
                if also_read is not None:
                    read = answer[1].decode()
            except (RedisError, ValueError) as exc:
                log.warning("ratelimit.redis_unavailable", error=str(exc))
        if wait is None:
            wait = self.memory.take(key, limit)
        if wait > 0:
            retry = max(1, round(wait + 0.5))
            raise RateLimited(
                f"too many requests; try again in {retry} s",
                details={"retry_after_seconds": retry},
                headers={"Retry-After": str(retry)},
            )
        return read

    async def aclose(self) -> None:
        if self.client is not None:
            await self.client.aclose()  # type: ignore[attr-defined]  # see rotation.cache
