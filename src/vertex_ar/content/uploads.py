"""Receiving uploaded files: chunked copies into a private temp folder, size-capped, then validated.

Client filenames are never used: temp files and storage keys are random.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import anyio
from fastapi import UploadFile

from vertex_ar.core.errors import InvalidInput, PayloadTooLarge
from vertex_ar.core.settings import Settings


class UploadSpool:
    """A private temp folder for one request's files; removed whatever happens."""

    def __init__(self, folder: Path, settings: Settings) -> None:
        self.folder = folder
        self.settings = settings
        self._count = 0

    async def receive(self, upload: UploadFile, field: str, max_bytes: int) -> Path:
        self._count += 1
        path = self.folder / f"upload-{self._count}"
        size = 0
        async with await anyio.open_file(path, "wb") as out:
            while chunk := await upload.read(self.settings.upload_chunk_bytes):
                size += len(chunk)
                if size > max_bytes:
                    raise PayloadTooLarge(
                        f"{field}: larger than the limit of {max_bytes // (1024 * 1024)} MB",
                        details={"field": field, "limit_bytes": max_bytes},
                    )
                await out.write(chunk)
        if size == 0:
            raise InvalidInput(f"{field}: the file is empty", details={"field": field})
        return path


@asynccontextmanager
async def upload_spool(settings: Settings) -> AsyncIterator[UploadSpool]:
    base = settings.data_dir / "tmp"
    await anyio.Path(base).mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=base))
    try:
        yield UploadSpool(folder, settings)
    finally:
        await anyio.to_thread.run_sync(lambda: shutil.rmtree(folder, ignore_errors=True))
