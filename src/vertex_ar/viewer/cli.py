"""``vertex-ar assets precompress``: brotli and gzip copies of the viewer's browser files, written
once at build time (`make assets`, the Dockerfile) so that no request compresses anything."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from vertex_ar.core.settings import get_settings


def _precompress(args: argparse.Namespace) -> int:
    from vertex_ar.viewer.assets import AssetsMissing, precompress_page_files

    try:
        done = precompress_page_files(get_settings().node_modules_dir)
    except (AssetsMissing, OSError) as exc:
        print(f"assets precompress: {exc} (run `npm ci` first)", file=sys.stderr)
        return 1
    for url, size, sizes, written in done:
        print(json.dumps({"url": url, "bytes": size, **sizes, "written": written}))
    return 0


def register(commands: Any) -> None:
    assets = commands.add_parser("assets", help="the viewer's browser files")
    assets_commands = assets.add_subparsers(dest="assets_command", required=True)
    precompress = assets_commands.add_parser(
        "precompress", help="write .br and .gz copies of every file the viewer page loads"
    )
    precompress.set_defaults(handler=_precompress)
