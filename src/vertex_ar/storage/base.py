"""The storage interface every backend implements, and the key layout."""

from __future__ import annotations

import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol, get_args

import anyio

Kind = Literal["portraits", "markers", "videos", "qr", "thumbnails", "renditions", "posters"]
KINDS: tuple[Kind, ...] = get_args(Kind)

# Keys are made here, never from client input: `{company_id}/{kind}/{random}.{ext}`.
READ_CHUNK = 1024 * 1024

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


def company_folders(company_id: int) -> list[str]:
    """The folder layout of one company: `{company_id}/{kind}` for every kind."""
    return [f"{company_id}/{kind}" for kind in KINDS]


def probe_key() -> str:
    """A throwaway key for write/read/delete probes (company 0 never exists)."""
    return f"0/probes/{secrets.token_urlsafe(12)}.bin"


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int


@dataclass(frozen=True)
class Usage:
    """Space a backend reports: bytes used (by the whole disk or bucket prefix) and the quota."""

    used_bytes: int
    total_bytes: int | None = None


class Storage(Protocol):
    """Media objects. Reads and writes stream in chunks; nothing holds a whole file in memory."""

    async def put_stream(self, key: str, chunks: AsyncIterator[bytes]) -> ObjectInfo: ...

    async def put_file(self, key: str, path: Path) -> ObjectInfo: ...

    def get_stream(
        self, key: str, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]: ...

    async def download_to(self, key: str, path: Path) -> None: ...

    async def size(self, key: str) -> int: ...

    async def exists(self, key: str) -> bool: ...

    async def delete(self, key: str) -> None: ...


class Backend(Storage, Protocol):
    """A whole store (one connection, or the platform's disk): object I/O plus administration."""

    async def provision(self, company_id: int) -> None:
        """Create a company's folder/prefix layout (idempotent)."""
        ...

    async def usage(self) -> Usage: ...

    def local_path(self, key: str) -> Path | None:
        """Where the object lives on this machine's disk (local backends), else None."""
        ...

    def delivery_url(self, key: str, expires_seconds: int) -> str | None:
        """A URL the viewer can fetch the object from directly, valid for `expires_seconds`.

        S3 answers a presigned GET URL (or a public URL when the connection has a public base
        URL); local disk and Yandex Disk answer None: the app then serves the bytes itself via
        `get_stream` behind its own signed URL. No network call is made.
        """
        ...

    async def check(self) -> None:
        """Raise StorageError when the backend cannot be written, read and deleted from."""
        ...


async def probe_roundtrip(storage: Backend) -> None:
    """Write, read back and delete a small probe object; raise StorageError on any mismatch."""
    key = probe_key()
    payload = secrets.token_bytes(64)

    async def one_chunk() -> AsyncIterator[bytes]:
        yield payload

    await storage.put_stream(key, one_chunk())
    try:
        read = b"".join([chunk async for chunk in storage.get_stream(key)])
        if read != payload:
            raise StorageError("the probe object read back differs from what was written")
    finally:
        await storage.delete(key)


async def read_file_chunks(path: Path) -> AsyncIterator[bytes]:
    async with await anyio.open_file(path, "rb") as src:
        while chunk := await src.read(READ_CHUNK):
            yield chunk
