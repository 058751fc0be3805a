"""The admin UI's browser files: our own (content-hashed URLs) and the exact npm files the pages
load (htmx, Swagger UI, ReDoc), served from node_modules with versioned URLs. No CDN."""

from __future__ import annotations

import re
from pathlib import Path

from vertex_ar.core.static_assets import AssetsMissing, OwnFiles, installed_version

VENDOR_PATH = "/admin/vendor"
OWN_FILES = OwnFiles(
    Path(__file__).with_name("static"),
    "/admin/static",
    {"admin.css": "text/css", "admin.js": "text/javascript", "api-docs.js": "text/javascript"},
)
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

__all__ = ["OWN_FILES", "AssetsMissing", "vendor_file", "vendor_url"]


def vendor_url(node_modules: Path, package: str, path: str) -> str:
    return f"{VENDOR_PATH}/{package}@{installed_version(node_modules, package)}/{path}"


def vendor_file(node_modules: Path, package: str, version: str, path: str) -> tuple[Path, str]:
    """The file and media type behind a vendor URL; AssetsMissing when it is not one we serve."""
    media_type = VENDOR_FILES.get(package, {}).get(path)
    if media_type is None or not _VERSION.fullmatch(version):
        raise AssetsMissing(f"no such asset: {package}/{path}")
    if installed_version(node_modules, package) != version:
        raise AssetsMissing(f"{package}@{version} is not the installed version")
    file = node_modules / package / path
    if not file.is_file():
        raise AssetsMissing(f"{package}/{path} is missing from {node_modules}")
    return file, media_type
