"""What is left of a process tree, read from /proc (Linux), for tests of clean shutdowns."""

from __future__ import annotations

from pathlib import Path


def alive(pid: int) -> bool:
    """Running or sleeping; a zombie (exited, waiting to be reaped) counts as gone."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def descendants(pid: int) -> dict[int, str]:
    """Every descendant of `pid` (four generations deep) with its command line."""
    found: dict[int, str] = {}
    parents = {pid}
    for _ in range(4):
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                cmd = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if int(stat[1]) in parents:
                found[int(entry.name)] = cmd
        parents |= set(found)
    return found
