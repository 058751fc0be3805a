"""The storage interface every backend implements, and the key layout."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

Kind = Literal["portraits", "markers", "videos", "qr", "thumbnails"]

# Keys are made here, never from client input: `{company_id}/{kind}/{random}.{ext}`.
_KEY_PATTERN = re.compile(r"^[0-9]+/[a-z]+/[A-Za-z0-9_-]+(\.[a-z0-9]{1,8})?$")


class StorageError(Exception):
    """A backend failed (unreachable, full, refused); callers answer 503."""


class InvalidKey(ValueError):
    """A key that the layout does not allow (traversal, absolute path, odd characters)."""


def new_key(company_id: int, kind: Kind, extension: str) -> str:
    return f"{company_id}/{kind}/{secrets.token_urlsafe(16)}.{extension.lower().lstrip('.')}"


def check_key(key: str) -> str:
    if not _KEY_PATTERN.fullmatch(key):
        raise InvalidKey(f"invalid storage key: {key!r}")
    return key


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int


class Storage(Protocol):
    """A media store. Reads and writes stream in chunks; nothing holds a whole file in memory."""

    async def put_stream(self, key: str, chunks: AsyncIterator[bytes]) -> ObjectInfo: ...

    async def put_file(self, key: str, path: Path) -> ObjectInfo: ...

    def get_stream(
        self, key: str, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]: ...

    async def download_to(self, key: str, path: Path) -> None: ...

    async def size(self, key: str) -> int: ...

    async def exists(self, key: str) -> bool: ...

    async def delete(self, key: str) -> None: ...

    async def check(self) -> None:
        """Raise StorageError when the backend cannot be written."""
        ...
