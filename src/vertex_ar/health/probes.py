"""Probes too costly to run on every health call: one run per time-to-live, shared by callers."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

import anyio

T = TypeVar("T")


class CachedProbe(Generic[T]):
    """The last result of a probe, reused for ``ttl_seconds``.

    Callers arriving while a run is in flight wait for it instead of starting their own, so a
    burst of anonymous health calls costs one write into each tenant's bucket, not one each.
    """

    def __init__(self, ttl_seconds: float) -> None:
        self._ttl = ttl_seconds
        self._lock = anyio.Lock()
        self._result: T | None = None
        self._taken_at = float("-inf")

    async def read(self, run: Callable[[], Awaitable[T]], *, fresh: bool = False) -> T:
        """The cached result, or a new run when it is older than the TTL or ``fresh``."""
        asked_at = time.monotonic()
        async with self._lock:
            # A run that started after this call arrived is as fresh as the caller asked for.
            if self._result is not None and self._taken_at >= (
                asked_at if fresh else asked_at - self._ttl
            ):
                return self._result
            started = time.monotonic()
            self._result = await run()
            self._taken_at = started
            return self._result
