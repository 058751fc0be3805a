"""Browser files the app serves itself (no CDN): a folder of our own files behind content-hashed
URLs, and npm packages' files from node_modules behind URLs that carry the installed version.
Either kind of URL changes when its bytes do, so browsers may keep it for a year."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from fastapi.responses import FileResponse

from vertex_ar.core.errors import NotFound

IMMUTABLE = "public, max-age=31536000, immutable"


class AssetsMissing(Exception):
    """node_modules lacks a package a page needs (run `make assets`)."""


@lru_cache(maxsize=32)
def installed_version(node_modules: Path, package: str) -> str:
    """The version in ``node_modules/<package>/package.json``."""
    try:
        return str(json.loads((node_modules / package / "package.json").read_text())["version"])
    except (OSError, ValueError, KeyError) as exc:
        raise AssetsMissing(f"{package} is not installed in {node_modules}") from exc


@lru_cache(maxsize=32)
def _digest(path: Path, mtime_ns: int) -> str:
    del mtime_ns  # part of the cache key only: an edited file gets a new hash
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


class OwnFiles:
    """Our files in ``directory`` (name -> media type), served under ``url_prefix``."""

    def __init__(self, directory: Path, url_prefix: str, media_types: dict[str, str]) -> None:
        self.directory = directory
        self.url_prefix = url_prefix
        self.media_types = media_types

    def version(self, name: str) -> str:
        path = self.directory / name
        return _digest(path, path.stat().st_mtime_ns)

    def url(self, name: str) -> str:
        return f"{self.url_prefix}/{name}?v={self.version(name)}"

    def response(self, name: str, version: str | None) -> FileResponse:
        """The file; cacheable for good only under its current hash, else revalidated."""
        if name not in self.media_types:
            raise NotFound(f"no such file: {name}")
        fresh = version == self.version(name)
        return FileResponse(
            self.directory / name,
            media_type=self.media_types[name],
            headers={"Cache-Control": IMMUTABLE if fresh else "no-cache"},
        )
