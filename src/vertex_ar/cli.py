"""The `vertex-ar` command: each domain registers its own sub-commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    from vertex_ar.connections import cli as storage_cli
    from vertex_ar.core import cli as core_cli
    from vertex_ar.markers import cli as marker_cli
    from vertex_ar.users import cli as users_cli

    parser = argparse.ArgumentParser(prog="vertex-ar", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    core_cli.register(commands)
    users_cli.register(commands)
    marker_cli.register(commands)
    storage_cli.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command != "marker":  # the marker compiler needs no database: keep it fast
        import vertex_ar.models  # noqa: F401 - every table mapped before the first flush
    handler: Handler = args.handler
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
