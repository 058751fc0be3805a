"""``vertex-ar marker …``: compile ``.mind`` files and rate targets from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from vertex_ar.markers.images import DEFAULT_MAX_SIDE


def _max_side(value: str) -> int | None:
    if value.lower() in ("0", "none", "off"):
        return None
    side = int(value)
    if side < 128:
        raise argparse.ArgumentTypeError("max side must be at least 128 px (or 0 for no limit)")
    return side


def _compile(args: argparse.Namespace) -> int:
    from vertex_ar.markers.compiler import compile_with_stats

    try:
        result = compile_with_stats(args.images, max_side=args.max_side, compat=args.compat)
    except (OSError, ValueError) as exc:
        print(f"marker compile: {exc}", file=sys.stderr)
        return 1
    args.output.write_bytes(result.mind)
    print(json.dumps(result.summary()))
    return 0


def _score(args: argparse.Namespace) -> int:
    from vertex_ar.markers.rating import rate_target

    try:
        rating: dict[str, Any] = rate_target(args.image, max_side=args.max_side)
    except (OSError, ValueError) as exc:
        print(f"marker score: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(rating))
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``marker compile`` and ``marker score`` to the top-level sub-command parsers."""
    marker = commands.add_parser(
        "marker", help="compile MindAR targets and rate their trackability"
    )
    actions = marker.add_subparsers(dest="marker_command", required=True)
    max_side_help = (
        f"downscale larger images to this long side first (default {DEFAULT_MAX_SIDE}; 0: never)"
    )

    compile_parser = actions.add_parser(
        "compile", help="compile images into one .mind file; prints one JSON line of stats"
    )
    compile_parser.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    compile_parser.add_argument("-o", "--output", type=Path, required=True, metavar="OUT.mind")
    compile_parser.add_argument(
        "--max-side", type=_max_side, default=DEFAULT_MAX_SIDE, help=max_side_help
    )
    compile_parser.add_argument(
        "--compat",
        action="store_true",
        help="write exactly what the official MindAR 1.2.5 compiler writes (no tilted-view"
        " keyframes: smaller, but found at fewer angles)",
    )
    compile_parser.set_defaults(handler=_compile)

    score_parser = actions.add_parser("score", help="rate how well an image will track (JSON)")
    score_parser.add_argument("image", type=Path, metavar="IMAGE")
    score_parser.add_argument(
        "--max-side", type=_max_side, default=DEFAULT_MAX_SIDE, help=max_side_help
    )
    score_parser.set_defaults(handler=_score)
