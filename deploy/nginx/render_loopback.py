"""Render deploy/nginx/nginx.conf for a native run on loopback (tests, `make stack`).

Only lines tagged `# loopback: <tag>` change: the upstream goes to a local app address, the
listener to a loopback port, paths into one run folder, and the `user` line is dropped. Each tag
must be found as many times as expected, so a config edit that escapes the rendering fails here
instead of being tested half-rendered.

    python deploy/nginx/render_loopback.py --out DIR --port 8080 --app 127.0.0.1:8000 --media DIR
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

CONFIG = Path(__file__).with_name("nginx.conf")
TAG = re.compile(r"^(?P<indent>\s*)(?P<directive>\S+)(?P<args>[^;]*);\s*# loopback: (?P<tag>\w+)$")
EXPECTED_TAGS = Counter(
    {
        "dropped": 1, "pid": 1, "error_log": 1, "access_log": 1, "temp": 5, "cache": 1,
        "upstream": 1, "listen": 1, "media": 1,
    }
)  # fmt: skip


@dataclass(frozen=True)
class Loopback:
    run_dir: Path  # pid, logs, temp files and cache
    port: int  # where Nginx listens on 127.0.0.1
    app: str  # host:port of the app
    media_dir: Path  # the storage root the app writes local media to


def render(text: str, target: Loopback) -> str:
    seen: Counter[str] = Counter()
    run = target.run_dir
    out: list[str] = []
    for line in text.splitlines():
        match = TAG.match(line)
        if match is None:
            out.append(line)
            continue
        tag, directive, args = match["tag"], match["directive"], match["args"].split()
        seen[tag] += 1
        if tag == "dropped":
            continue
        if tag == "pid":
            args = [str(run / "nginx.pid")]
        elif tag in ("error_log", "access_log"):
            args = [str(run / Path(args[0]).name), *args[1:]]
        elif tag == "temp":
            args = [str(run / "temp" / Path(args[0]).name)]
        elif tag == "cache":
            args = [str(run / "cache" / Path(args[0]).name), *args[1:]]
        elif tag == "upstream":
            args = [target.app, *args[1:]]
        elif tag == "listen":
            args = [f"127.0.0.1:{target.port}", *args[1:]]
        elif tag == "media":
            args = [f"{target.media_dir.resolve()}/"]
        else:
            raise ValueError(f"unknown loopback tag {tag!r}")
        out.append(f"{match['indent']}{directive} {' '.join(args)};")
    if seen != EXPECTED_TAGS:
        raise ValueError(
            f"loopback tags in nginx.conf changed: {dict(seen)} != {dict(EXPECTED_TAGS)}"
        )
    return "\n".join(out) + "\n"


def write(target: Loopback, source: Path = CONFIG) -> Path:
    """Render into `target.run_dir/nginx.conf`, creating the folders Nginx expects."""
    for sub in ("temp", "cache"):
        (target.run_dir / sub).mkdir(parents=True, exist_ok=True)
    target.media_dir.mkdir(parents=True, exist_ok=True)
    path = target.run_dir / "nginx.conf"
    path.write_text(render(source.read_text(), target))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="run folder")
    parser.add_argument("--port", type=int, required=True, help="loopback port to listen on")
    parser.add_argument("--app", default="127.0.0.1:8000", help="host:port of the app")
    parser.add_argument("--media", type=Path, required=True, help="local media root")
    args = parser.parse_args()
    print(write(Loopback(args.out.resolve(), args.port, args.app, args.media)))


if __name__ == "__main__":
    main()
