"""Browser files the app serves itself (no CDN): a folder of our own files behind content-hashed
URLs, and npm packages' files from node_modules behind URLs that carry the installed version.
Either kind of URL changes when its bytes do, so browsers may keep it for a year.

Files may have brotli and gzip copies beside them (`name.br`, `name.gz`), written once at build
time by :func:`precompress` (`vertex-ar assets precompress`, run by `make assets` and the
Dockerfile); a response picks one by the request's Accept-Encoding. Nothing is compressed per
request.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import brotli
from fastapi.responses import FileResponse

from vertex_ar.core.errors import NotFound

IMMUTABLE = "public, max-age=31536000, immutable"
# Content-Encoding -> the suffix of the precompressed copy, in order of preference.
ENCODINGS = {"br": ".br", "gzip": ".gz"}


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

    def versioned_url(self, name: str) -> str:
        """The hash in the path: a module's relative imports keep it (`./x.js` → same folder)."""
        return f"{self.url_prefix}/{self.version(name)}/{name}"

    def response(
        self, name: str, version: str | None, accept_encoding: str | None = None
    ) -> FileResponse:
        """The file; cacheable for good only under its current hash, else revalidated."""
        if name not in self.media_types:
            raise NotFound(f"no such file: {name}")
        fresh = version == self.version(name)
        return encoded_file_response(
            self.directory / name,
            self.media_types[name],
            IMMUTABLE if fresh else "no-cache",
            accept_encoding,
        )


def accepted_encodings(header: str | None) -> set[str]:
    """The codings an Accept-Encoding header allows (q > 0); `*` allows every one of ours."""
    accepted = set()
    for part in (header or "").split(","):
        coding, _, params = part.partition(";")
        coding = coding.strip().lower()
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if coding and quality > 0:
            accepted.add(coding)
    if "*" in accepted:
        accepted |= set(ENCODINGS)
    return accepted


def _copy(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def encoded_file_response(
    path: Path, media_type: str, cache_control: str, accept_encoding: str | None
) -> FileResponse:
    """The file's brotli or gzip copy when the client takes it and the copy is up to date (not
    older than the file: an edited file is served as it is until precompressed again)."""
    headers = {"Cache-Control": cache_control, "Vary": "Accept-Encoding"}
    accepted = accepted_encodings(accept_encoding)
    source_mtime = path.stat().st_mtime_ns
    for encoding, suffix in ENCODINGS.items():
        copy = _copy(path, suffix)
        if encoding not in accepted:
            continue
        try:
            fresh = copy.stat().st_mtime_ns >= source_mtime
        except FileNotFoundError:
            continue
        if fresh:
            headers["Content-Encoding"] = encoding
            return FileResponse(copy, media_type=media_type, headers=headers)
    return FileResponse(path, media_type=media_type, headers=headers)


@dataclass(frozen=True)
class Precompressed:
    path: Path
    size: int
    sizes: Mapping[str, int]  # encoding -> bytes of its copy
    written: bool  # False: the copies were up to date


def _write_atomically(target: Path, data: bytes) -> None:
    temporary = target.with_name(f".{target.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, target)


def precompress(path: Path) -> Precompressed:
    """Write `path.br` (brotli, quality 11) and `path.gz` (gzip -9) unless both are up to date."""
    source_mtime = path.stat().st_mtime_ns
    copies = {encoding: _copy(path, suffix) for encoding, suffix in ENCODINGS.items()}
    stale = any(
        not copy.is_file() or copy.stat().st_mtime_ns < source_mtime for copy in copies.values()
    )
    if stale:
        data = path.read_bytes()
        _write_atomically(copies["br"], brotli.compress(data, quality=11))
        # mtime=0: the same input gives the same bytes (reproducible images).
        _write_atomically(copies["gzip"], gzip.compress(data, zlib.Z_BEST_COMPRESSION, mtime=0))
    return Precompressed(
        path,
        path.stat().st_size,
        {encoding: copy.stat().st_size for encoding, copy in copies.items()},
        stale,
    )
