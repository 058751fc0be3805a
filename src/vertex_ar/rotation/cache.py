"""Redis cache of the resolved video per content item and local day.

Only the *choice* is cached (a video id); the content row is read fresh on every lookup, so
switching content off, expiry and a new marker apply at once without touching the cache.

Each field is keyed by a per-content generation counter, which invalidation bumps, and by a
digest of the rule and videos the choice was made from: a request that read the old rule and
stores its choice after the change (even after the bump) can never have it read back. Redis
errors never fail a lookup: the viewer falls back to the database.
"""

from __future__ import annotations

from datetime import date

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from vertex_ar.core.settings import Settings

log = structlog.get_logger(__name__)

PREFIX = "vertex_ar:rotation"
# Generation counters outlive every cached day: fields are keyed by date, so a counter that
# expires after a quiet week can only collide with fields of days long past.
GENERATION_TTL_SECONDS = 8 * 24 * 3600
TIMEOUT_SECONDS = 0.5

# Reads the generation and that generation's field for the day in one round trip.
_LOOKUP = """
local generation = redis.call('GET', KEYS[1]) or '0'
return {generation, redis.call('HGET', KEYS[2], generation .. ':' .. ARGV[1])}
"""


def _keys(content_id: int) -> tuple[str, str]:
    return f"{PREFIX}:{content_id}:gen", f"{PREFIX}:{content_id}:days"


class RotationCache:
    def __init__(self, client: Redis[bytes]) -> None:
        self.client = client
        self._lookup = client.register_script(_LOOKUP)

    @classmethod
    def from_url(cls, url: str) -> RotationCache:
        return cls(
            Redis.from_url(
                url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
            )
        )

    async def lookup(self, content_id: int, day: date, inputs: str) -> tuple[str, int | None]:
        """(generation, cached video id or None) of the choice made from ``inputs`` (a digest of
        the rule and videos) on ``day``. A Redis failure reads as a miss."""
        try:
            generation, value = await self._lookup(
                keys=list(_keys(content_id)), args=[f"{day}:{inputs}"]
            )
        except RedisError as exc:
            log.warning("rotation.cache_unavailable", error=str(exc))
            return "", None
        generation = generation.decode() if isinstance(generation, bytes) else str(generation)
        return generation, int(value) if value is not None else None

    async def store(
        self,
        content_id: int,
        generation: str,
        day: date,
        inputs: str,
        video_id: int,
        ttl_seconds: int,
    ) -> None:
        if not generation:
            return  # the lookup failed: don't write what could not be checked
        _, days = _keys(content_id)
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.hset(days, f"{generation}:{day}:{inputs}", str(video_id))
                pipe.expire(days, max(60, ttl_seconds))
                await pipe.execute()
        except RedisError as exc:
            log.warning("rotation.cache_unavailable", error=str(exc))

    async def invalidate(self, content_id: int) -> None:
        generation, days = _keys(content_id)
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.incr(generation)
                pipe.expire(generation, GENERATION_TTL_SECONDS)
                pipe.delete(days)
                await pipe.execute()
        except RedisError as exc:
            # The stored choice may now be stale until the end of the local day; lookups still
            # check that the cached video exists, so a deleted video is never served.
            log.error("rotation.invalidate_failed", content_id=content_id, error=str(exc))

    async def aclose(self) -> None:
        # types-redis 4.6 predates aclose(); redis 8 deprecates close() in its favour.
        await self.client.aclose()  # type: ignore[attr-defined]


def cache_from_settings(settings: Settings) -> RotationCache | None:
    return RotationCache.from_url(settings.redis_cache_url) if settings.redis_cache_url else None


async def invalidate_rotation(settings: Settings, content_id: int) -> None:
    """Forget the cached choice of one content item (its rule or its videos changed).

    For callers without the app's client (the content service); opens a short-lived connection.
    """
    cache = cache_from_settings(settings)
    if cache is None:
        return
    try:
        await cache.invalidate(content_id)
    finally:
        await cache.aclose()
