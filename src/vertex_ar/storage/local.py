"""Local-disk storage under one root; writes are atomic (temp file + rename)."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import anyio

from vertex_ar.storage.base import (
    READ_CHUNK,
    ObjectInfo,
    StorageError,
    Usage,
    check_key,
    company_folders,
    read_file_chunks,
)


def _created_file_mode() -> int:
    """0o666 less this process's umask, read without setting it (os.umask is process-wide)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return 0o666 & ~int(line.split()[1], 8)
    except OSError:
        pass
    return 0o644


_FILE_MODE = _created_file_mode()


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def path_of(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root):
            raise StorageError(f"key escapes the storage root: {key!r}")
        return path

    async def put_stream(self, key: str, chunks: AsyncIterator[bytes]) -> ObjectInfo:
        target = self.path_of(key)
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
        size = 0
        try:
            await anyio.Path(target.parent).mkdir(parents=True, exist_ok=True)
            async with await anyio.open_file(tmp, "wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    await out.write(chunk)
            await anyio.Path(tmp).rename(target)
        except OSError as exc:
            await anyio.Path(tmp).unlink(missing_ok=True)
            raise StorageError(f"local storage write failed: {exc.strerror or exc}") from exc
        except BaseException:
            await anyio.Path(tmp).unlink(missing_ok=True)
            raise
        return ObjectInfo(key, size)

    async def put_file(self, key: str, path: Path) -> ObjectInfo:
        """A hard link when ``path`` is on the same file system (an upload spooled under
        DATA_DIR/tmp: no second copy of a 1 GB film), else a copy. The caller may delete
        ``path`` afterwards either way."""
        linked = await anyio.to_thread.run_sync(self._link, key, path)
        if linked is not None:
            return linked
        return await self.put_stream(key, read_file_chunks(path))

    def _link(self, key: str, path: Path) -> ObjectInfo | None:
        target = self.path_of(key)
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp.hardlink_to(path)
        except OSError:
            return None  # another file system, or links not allowed: copy
        try:
            # The mode a written file would get (the source may be a private temp file).
            tmp.chmod(_FILE_MODE)
            tmp.rename(target)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise StorageError(f"local storage write failed: {exc.strerror or exc}") from exc
        return ObjectInfo(key, target.stat().st_size)

    async def get_stream(
        self, key: str, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        """Bytes `start..end` inclusive (HTTP Range semantics); `end=None` reads to the end."""
        path = self.path_of(key)
        try:
            async with await anyio.open_file(path, "rb") as src:
                await src.seek(start)
                remaining = None if end is None else end - start + 1
                while remaining is None or remaining > 0:
                    chunk = await src.read(
                        READ_CHUNK if remaining is None else min(READ_CHUNK, remaining)
                    )
                    if not chunk:
                        break
                    if remaining is not None:
                        remaining -= len(chunk)
                    yield chunk
        except FileNotFoundError as exc:
            raise StorageError(f"object not found: {key}") from exc

    async def download_to(self, key: str, path: Path) -> None:
        async with await anyio.open_file(path, "wb") as out:
            async for chunk in self.get_stream(key):
                await out.write(chunk)

    async def size(self, key: str) -> int:
        try:
            return (await anyio.Path(self.path_of(key)).stat()).st_size
        except FileNotFoundError as exc:
            raise StorageError(f"object not found: {key}") from exc

    async def exists(self, key: str) -> bool:
        return await anyio.Path(self.path_of(key)).is_file()

    async def delete(self, key: str) -> None:
        await anyio.Path(self.path_of(key)).unlink(missing_ok=True)

    async def provision(self, company_id: int) -> None:
        try:
            for folder in company_folders(company_id):
                await anyio.Path(self.root / folder).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageError(f"local storage folders not created: {exc.strerror or exc}") from exc

    async def usage(self) -> Usage:
        """The file system holding the root: used and total bytes (shared with anything else)."""
        try:
            await anyio.Path(self.root).mkdir(parents=True, exist_ok=True)
            disk = await anyio.to_thread.run_sync(shutil.disk_usage, self.root)
        except OSError as exc:
            raise StorageError(f"local storage usage unknown: {exc.strerror or exc}") from exc
        return Usage(disk.used, disk.total)

    def local_path(self, key: str) -> Path | None:
        return self.path_of(key)

    def delivery_url(self, key: str, expires_seconds: int) -> str | None:
        del key, expires_seconds  # the app serves local files behind its own signed URLs
        return None

    async def check(self) -> None:
        probe = self.root / f".probe-{secrets.token_hex(4)}"
        try:
            await anyio.Path(self.root).mkdir(parents=True, exist_ok=True)
            await anyio.Path(probe).write_bytes(b"ok")
            await anyio.Path(probe).unlink()
        except OSError as exc:
            raise StorageError(f"local storage not writable at {self.root}: {exc}") from exc
