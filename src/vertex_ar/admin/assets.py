"""The admin UI's browser files: our own (content-hashed URLs) and the exact npm files the pages
load (htmx, Swagger UI, ReDoc), served from node_modules with versioned URLs. No CDN."""

from __future__ import annotations

import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path

STATIC_DIR = Path(__file__).with_name("static")
STATIC_PATH = "/admin/static"
VENDOR_PATH = "/admin/vendor"
OWN_FILES = {
    "admin.css": "text/css",
    "admin.js": "text/javascript",
    "api-docs.js": "text/javascript",
}
# package -> the files pages may load from it
VENDOR_FILES: dict[str, dict[str, str]] = {
    "htmx.org": {"dist/htmx.min.js": "text/javascript"},
    "swagger-ui-dist": {
        "swagger-ui-bundle.js": "text/javascript",
        "swagger-ui.css": "text/css",
    },
    "redoc": {"bundles/redoc.standalone.js": "text/javascript"},
}
_VERSION = re.compile(r"[0-9A-Za-z.+-]{1,40}")


class AssetsMissing(Exception):
    """node_modules lacks a package the admin UI needs (run `make assets`)."""


@lru_cache(maxsize=16)
def vendor_version(node_modules: Path, package: str) -> str:
    try:
        return str(json.loads((node_modules / package / "package.json").read_text())["version"])
    except (OSError, ValueError, KeyError) as exc:
        raise AssetsMissing(f"{package} is not installed in {node_modules}") from exc


def vendor_url(node_modules: Path, package: str, path: str) -> str:
    return f"{VENDOR_PATH}/{package}@{vendor_version(node_modules, package)}/{path}"


def vendor_file(node_modules: Path, package: str, version: str, path: str) -> tuple[Path, str]:
    """The file and media type behind a vendor URL; AssetsMissing when it is not one we serve."""
    media_type = VENDOR_FILES.get(package, {}).get(path)
    if media_type is None or not _VERSION.fullmatch(version):
        raise AssetsMissing(f"no such asset: {package}/{path}")
    if vendor_version(node_modules, package) != version:
        raise AssetsMissing(f"{package}@{version} is not the installed version")
    file = node_modules / package / path
    if not file.is_file():
        raise AssetsMissing(f"{package}/{path} is missing from {node_modules}")
    return file, media_type


@lru_cache(maxsize=16)
def _digest(path: Path, mtime_ns: int) -> str:
    del mtime_ns  # part of the cache key only: an edited file gets a new hash
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def own_version(name: str) -> str:
    path = STATIC_DIR / name
    return _digest(path, path.stat().st_mtime_ns)


def own_url(name: str) -> str:
    return f"{STATIC_PATH}/{name}?v={own_version(name)}"
