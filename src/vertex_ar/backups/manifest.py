"""What a backup folder holds, written to its `manifest.json`."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from vertex_ar.storage.base import READ_CHUNK

MANIFEST = "manifest.json"
DatabaseKind = Literal["sqlite", "postgresql"]


class FileEntry(BaseModel):
    size: int
    sha256: str


class MediaObject(BaseModel):
    """One stored object of the platform's local storage, copied to `media/<key>`."""

    key: str
    size: int
    sha256: str


class Manifest(BaseModel):
    format: Literal[1] = 1
    name: str
    created_at: datetime
    database: DatabaseKind
    database_file: str
    alembic_revision: str | None
    row_counts: dict[str, int]
    media_root: str
    media: list[MediaObject]
    # Every file of the backup but manifest.json itself, by its path relative to the folder.
    files: dict[str, FileEntry]

    @property
    def size_bytes(self) -> int:
        return sum(entry.size for entry in self.files.values())

    @property
    def media_bytes(self) -> int:
        return sum(item.size for item in self.media)


def sha256_of(path: Path) -> FileEntry:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as src:
        while chunk := src.read(READ_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return FileEntry(size=size, sha256=digest.hexdigest())


def copy_hashed(src: Path, dest: Path) -> FileEntry:
    """Copy `src` to `dest` (created), hashing the bytes as they pass: one read per file."""
    digest = hashlib.sha256()
    size = 0
    dest.parent.mkdir(parents=True, exist_ok=True)
    with src.open("rb") as reader, dest.open("wb") as writer:
        while chunk := reader.read(READ_CHUNK):
            digest.update(chunk)
            size += len(chunk)
            writer.write(chunk)
    return FileEntry(size=size, sha256=digest.hexdigest())
