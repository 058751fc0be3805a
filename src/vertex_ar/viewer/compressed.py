"""Brotli and gzip copies of the viewer's static files, made once and served as they are.

The app serves them itself (`make run`, no Nginx) as well as behind Nginx: each file is
compressed once per content hash into CACHE_DIR (brotli quality 11, gzip level 9: minutes of
CPU saved on every visit for a second of CPU once), in a background thread at first request or
ahead of time with `python -m vertex_ar.viewer.compressed`. Until a copy exists the file is
sent as it is; a request never waits for a compression.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import sys
import tempfile
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import brotli
import structlog

log = structlog.get_logger(__name__)

ENCODINGS = (("br", ".br"), ("gzip", ".gz"))
# Smaller files gain nothing worth a second round trip of the cache check.
MIN_BYTES = 1024

_lock = threading.Lock()
_pending: set[Path] = set()


@dataclass(frozen=True)
class Variant:
    path: Path
    encoding: str | None  # None: the file itself
    size: int


@lru_cache(maxsize=64)
def _digest(path: Path, mtime_ns: int, size: int) -> str:
    del mtime_ns, size  # cache key only: an edited file gets a new digest
    return hashlib.sha256(path.read_bytes()).hexdigest()[:20]


def _cache_name(cache_dir: Path, source: Path, suffix: str) -> Path:
    stat = source.stat()
    return cache_dir / f"{source.name}.{_digest(source, stat.st_mtime_ns, stat.st_size)}{suffix}"


def _write_atomic(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    with os.fdopen(fd, "wb") as out:
        out.write(data)
    os.replace(tmp, target)


def compress(source: Path, cache_dir: Path) -> None:
    """Write both compressed copies of `source` (skipped when already there)."""
    data = None
    for encoding, suffix in ENCODINGS:
        target = _cache_name(cache_dir, source, suffix)
        if target.exists():
            continue
        data = source.read_bytes() if data is None else data
        if encoding == "br":
            packed = brotli.compress(data, quality=11, mode=brotli.MODE_TEXT)
        else:
            packed = gzip.compress(data, compresslevel=9, mtime=0)
        _write_atomic(target, packed)


def _compress_in_background(source: Path, cache_dir: Path) -> None:
    with _lock:
        if source in _pending:
            return
        _pending.add(source)

    def run() -> None:
        try:
            compress(source, cache_dir)
        except OSError as exc:
            log.warning("assets.compress_failed", file=str(source), error=str(exc))
        finally:
            with _lock:
                _pending.discard(source)

    threading.Thread(target=run, name="asset-compress", daemon=True).start()


def accepted(accept_encoding: str | None) -> set[str]:
    """Codings the client accepts (q=0 refuses one)."""
    found = set()
    for part in (accept_encoding or "").split(","):
        name, _, params = part.strip().partition(";")
        quality = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if name and quality > 0:
            found.add(name.strip().lower())
    return found


def best_variant(source: Path, cache_dir: Path, accept_encoding: str | None) -> Variant:
    """The smallest copy the client accepts that exists now; starts making missing ones."""
    size = source.stat().st_size
    if size < MIN_BYTES:
        return Variant(source, None, size)
    wanted = accepted(accept_encoding)
    missing = False
    for encoding, suffix in ENCODINGS:
        copy = _cache_name(cache_dir, source, suffix)
        if copy.exists():
            if encoding in wanted:
                return Variant(copy, encoding, copy.stat().st_size)
        else:
            missing = True
    if missing:
        _compress_in_background(source, cache_dir)
    return Variant(source, None, size)


def main(argv: list[str]) -> int:
    """`python -m vertex_ar.viewer.compressed [NODE_MODULES] [CACHE_DIR]`: compress ahead."""
    from vertex_ar.core.settings import get_settings
    from vertex_ar.viewer.assets import page_files

    settings = get_settings()
    node_modules = Path(argv[0]) if argv else settings.node_modules_dir
    cache_dir = Path(argv[1]) if len(argv) > 1 else settings.data_dir / "asset-cache"
    for source in page_files(node_modules):
        compress(source, cache_dir)
        print(source)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
