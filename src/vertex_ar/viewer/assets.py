"""The viewer's browser assets: our own static files and the exact MindAR / three.js files the
page imports, served from the npm-installed packages (no CDN, nothing copied into the repo).

Vendor URLs carry the installed version (`/ar-assets/vendor/three@0.158.0/...`) and our own files
their content hash (`/ar-assets/<hash>/viewer.js`), so browsers may cache them for a year.

Only the files the page really loads are served (and precompressed): the module graph reached
from our scripts through the import map, read from the files' static `import`/`export ... from`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from vertex_ar.core.static_assets import AssetsMissing, OwnFiles, installed_version, precompress

ASSETS_PATH = "/ar-assets"
VENDOR_PATH = f"{ASSETS_PATH}/vendor"
OWN_FILES = OwnFiles(
    Path(__file__).with_name("static"),
    ASSETS_PATH,
    {"viewer.js": "text/javascript", "viewer.css": "text/css"},
)
# Our modules: where the page's module graph starts.
_ENTRY_MODULES = ("viewer.js",)
# `import "x"`, `import ... from "x"`, `export ... from "x"` (minified too: `from"x"`).
_STATIC_IMPORT = re.compile(r"""(?:\bfrom|\bimport)\s*(["'])([^"'\s]+)\1""")

__all__ = [
    "OWN_FILES",
    "AssetsMissing",
    "import_map",
    "page_files",
    "precompress_page_files",
    "vendor_file",
]


@dataclass(frozen=True)
class VendorFile:
    package: str
    path: str  # inside the package, with "/"


def _vendor_url(node_modules: Path, package: str, path: str) -> str:
    return f"{VENDOR_PATH}/{package}@{installed_version(node_modules, package)}/{path}"


def import_map(node_modules: Path) -> dict[str, dict[str, str]]:
    # three's minified module build: the same exports as three.module.js at half the bytes.
    return {
        "imports": {
            "three": _vendor_url(node_modules, "three", "build/three.module.min.js"),
            "three/addons/": _vendor_url(node_modules, "three", "examples/jsm/"),
            "mindar-image-three": _vendor_url(
                node_modules, "mind-ar", "dist/mindar-image-three.prod.js"
            ),
        }
    }


def _from_url(url: str) -> VendorFile | None:
    rest = url.removeprefix(f"{VENDOR_PATH}/")
    if rest == url:
        return None
    package_at_version, _, path = rest.partition("/")
    return VendorFile(package_at_version.rpartition("@")[0], path)


def _resolve_bare(imports: dict[str, str], specifier: str) -> VendorFile | None:
    if specifier in imports:
        return _from_url(imports[specifier])
    prefixes = [key for key in imports if key.endswith("/") and specifier.startswith(key)]
    if not prefixes:
        return None
    longest = max(prefixes, key=len)
    return _from_url(imports[longest] + specifier.removeprefix(longest))


def _resolve_relative(file: VendorFile, specifier: str) -> VendorFile | None:
    parts = file.path.split("/")[:-1]
    for part in specifier.split("/"):
        if part == "..":
            if not parts:
                return None  # outside the package
            parts.pop()
        elif part not in ("", "."):
            parts.append(part)
    return VendorFile(file.package, "/".join(parts))


@lru_cache(maxsize=4)
def page_files(node_modules: Path) -> frozenset[VendorFile]:
    """Every vendor file the viewer page loads: the closure of our modules' imports."""
    imports = import_map(node_modules)["imports"]
    found: set[VendorFile] = set()
    pending: list[tuple[VendorFile | None, str]] = []
    for name in _ENTRY_MODULES:
        source = (OWN_FILES.directory / name).read_text(encoding="utf-8")
        pending += [(None, match[1]) for match in _STATIC_IMPORT.findall(source)]
    while pending:
        importer, specifier = pending.pop()
        if specifier.startswith(("./", "../")):
            target = _resolve_relative(importer, specifier) if importer else None
        else:
            target = _resolve_bare(imports, specifier)
        if target is None or target in found:
            continue  # an own module, a string that only looks like an import, or seen
        path = _package_path(node_modules, target)
        if path is None:
            continue
        found.add(target)
        source = path.read_text(encoding="utf-8", errors="replace")
        pending += [(target, match[1]) for match in _STATIC_IMPORT.findall(source)]
    if not found:
        raise AssetsMissing(f"the viewer's modules are not installed in {node_modules}")
    return frozenset(found)


def _package_path(node_modules: Path, file: VendorFile) -> Path | None:
    root = (node_modules / file.package).resolve()
    path = (root / file.path).resolve()
    if not path.is_relative_to(root) or path.suffix != ".js" or not path.is_file():
        return None
    return path


def vendor_file(node_modules: Path, package: str, version: str, path: str) -> Path | None:
    """The file behind a vendor URL, or None when it is not one the viewer page loads."""
    file = VendorFile(package, path)
    if file not in page_files(node_modules) or installed_version(node_modules, package) != version:
        return None
    return _package_path(node_modules, file)


def precompress_page_files(node_modules: Path) -> list[tuple[str, int, dict[str, int], bool]]:
    """Brotli and gzip copies of every file the page loads: (url, bytes, encoded bytes, written)."""
    done = []
    for name in OWN_FILES.media_types:
        result = precompress(OWN_FILES.directory / name)
        url = OWN_FILES.versioned_url(name)
        done.append((url, result.size, dict(result.sizes), result.written))
    for file in sorted(page_files(node_modules), key=lambda f: (f.package, f.path)):
        path = _package_path(node_modules, file)
        assert path is not None  # page_files holds existing files only
        result = precompress(path)
        url = _vendor_url(node_modules, file.package, file.path)
        done.append((url, result.size, dict(result.sizes), result.written))
    return done
