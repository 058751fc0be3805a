"""Objects written during one unit of work, deleted again if the work fails."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from types import TracebackType

from vertex_ar.storage.base import Storage


class StagedWrites:
    """Use as `async with StagedWrites(storage) as staged:`; an exception removes what was put."""

    def __init__(self, storage: Storage) -> None:
        self.storage = storage
        self.keys: list[str] = []

    async def put_file(self, key: str, path: Path) -> str:
        self.keys.append(key)  # recorded first: a failed put may have left a partial object
        await self.storage.put_file(key, path)
        return key

    async def put_bytes(self, key: str, data: bytes) -> str:
        self.keys.append(key)
        await self.storage.put_stream(key, _single_chunk(data))
        return key

    async def __aenter__(self) -> StagedWrites:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            for key in self.keys:
                try:
                    await self.storage.delete(key)
                except Exception:  # noqa: S112 - best effort; the original error matters
                    continue


async def _single_chunk(data: bytes) -> AsyncIterator[bytes]:
    yield data
