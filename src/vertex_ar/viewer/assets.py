"""The viewer's browser assets: our own static files and the exact MindAR / three.js files the
page imports, served from the npm-installed packages (no CDN, nothing copied into the repo).

Vendor URLs carry the installed version (`/ar-assets/vendor/three@0.158.0/...`), so browsers may
cache them for a year; our own files carry a content hash for the same reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from vertex_ar.core.static_assets import AssetsMissing, OwnFiles, installed_version

ASSETS_PATH = "/ar-assets"
OWN_FILES = OwnFiles(
    Path(__file__).with_name("static"),
    ASSETS_PATH,
    {"viewer.js": "text/javascript", "viewer.css": "text/css"},
)
_SEGMENT = r"[A-Za-z0-9_][A-Za-z0-9_.-]*"


@dataclass(frozen=True)
class VendorPackage:
    name: str
    version: str
    root: Path
    allowed: re.Pattern[str]  # package-relative paths the page may load


# Only what MindAR's image-three build and its bare imports (`three`, `three/addons/...`) need.
_ALLOWED = {
    "mind-ar": re.compile(rf"dist/{_SEGMENT}\.js"),
    "three": re.compile(rf"build/three\.module\.js|examples/jsm/(?:{_SEGMENT}/)*{_SEGMENT}\.js"),
}

__all__ = ["OWN_FILES", "AssetsMissing", "import_map", "vendor_file", "vendor_url"]


@lru_cache(maxsize=4)
def vendor_packages(node_modules: Path) -> dict[str, VendorPackage]:
    packages = {}
    for name, allowed in _ALLOWED.items():
        root = (node_modules / name).resolve()
        version = installed_version(node_modules, name)
        packages[name] = VendorPackage(name, version, root, allowed)
    return packages


def vendor_file(node_modules: Path, name: str, version: str, path: str) -> Path | None:
    """The file behind a vendor URL, or None when it is not one the viewer may load."""
    package = vendor_packages(node_modules).get(name)
    if package is None or package.version != version or not package.allowed.fullmatch(path):
        return None
    file = (package.root / path).resolve()
    if not file.is_relative_to(package.root) or not file.is_file():
        return None
    return file


def vendor_url(node_modules: Path, name: str, path: str) -> str:
    package = vendor_packages(node_modules)[name]
    return f"{ASSETS_PATH}/vendor/{name}@{package.version}/{path}"


def import_map(node_modules: Path) -> dict[str, dict[str, str]]:
    return {
        "imports": {
            "three": vendor_url(node_modules, "three", "build/three.module.js"),
            "three/addons/": vendor_url(node_modules, "three", "examples/jsm/"),
            "mindar-image-three": vendor_url(
                node_modules, "mind-ar", "dist/mindar-image-three.prod.js"
            ),
        }
    }
