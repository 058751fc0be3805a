"""Child processes that start and stop as a whole tree (the embedded worker and what it forks).

Celery's main process can exit while a process it forked is still shutting down (the embedded
beat is terminated, never joined). Each child we start therefore leads a process group of its own,
and stopping it means: SIGTERM the leader, wait for every member of the group, SIGKILL whatever is
left after the grace period.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import structlog

log = structlog.get_logger(__name__)

_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_parent() -> Callable[[], None] | None:
    """A pre-exec hook that makes the child get SIGTERM when its parent dies (Linux only)."""
    if not sys.platform.startswith("linux"):
        return None
    prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before the fork, not after

    def hook() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)

    return hook


def start_group(argv: Sequence[str], **popen: Any) -> subprocess.Popen[bytes]:
    """Start `argv` as the leader of a new process group that dies with this process.

    `popen` takes Popen's other keywords (env, stdout, stderr, cwd).
    """
    return subprocess.Popen(  # noqa: S603 - callers pass fixed argv
        list(argv), start_new_session=True, preexec_fn=_die_with_parent(), **popen
    )


def group_members(pgid: int) -> dict[int, str]:
    """Live (not zombie) processes of group `pgid`, with their command lines."""
    proc = Path("/proc")
    if not proc.is_dir():  # no procfs: ask the kernel whether anyone is left
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return {}
        return {pgid: "?"}
    members: dict[int, str] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            state, _ppid, pgrp = (entry / "stat").read_text().rsplit(")", 1)[1].split()[:3]
            if int(pgrp) != pgid or state == "Z":
                continue
            members[int(entry.name)] = (
                (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            )
        except (OSError, ValueError):
            continue  # exited while we looked
    return members


def stop_group(
    leader: subprocess.Popen[bytes], grace_seconds: float = 20.0, kill_wait_seconds: float = 10.0
) -> None:
    """SIGTERM the group's leader; return once no member of the group is alive.

    A member still alive after `grace_seconds` (a worker busy compiling, say) gets SIGKILL, and
    that is logged with what it was.
    """
    pgid = leader.pid
    if leader.poll() is None:
        leader.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace_seconds
    while (members := group_members(pgid)) and time.monotonic() < deadline:
        leader.poll()  # reap the leader as soon as it exits
        time.sleep(0.05)
    if members:
        log.warning(
            "process_group.killed",
            pgid=pgid,
            grace_seconds=grace_seconds,
            processes=[f"{pid}: {cmd[:200]}" for pid, cmd in members.items()],
        )
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, signal.SIGKILL)
        deadline = time.monotonic() + kill_wait_seconds
        while group_members(pgid) and time.monotonic() < deadline:
            leader.poll()
            time.sleep(0.05)
    leader.wait()
