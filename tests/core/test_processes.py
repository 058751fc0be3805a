"""A started process group stops as a whole: late members are waited for, stubborn ones killed."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import structlog

from vertex_ar.core.processes import group_members, start_group, stop_group

# The leader forks a child, then both report ready. On SIGTERM the leader passes it on to the child
# and exits at once, without waiting (as Celery does with its embedded beat); the child takes
# CHILD_EXIT seconds to exit, or ignores SIGTERM (CHILD_EXIT < 0).
TREE = textwrap.dedent(
    """
    import os, signal, sys, time
    child_exit, ready = float(sys.argv[1]), sys.argv[2]
    child = os.fork()
    if child == 0:
        if child_exit < 0:
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
        else:
            signal.signal(signal.SIGTERM, lambda *_: (time.sleep(child_exit), os._exit(0)))
        open(ready + ".child", "w").close()
        while True:
            time.sleep(1)
    signal.signal(signal.SIGTERM, lambda *_: (os.kill(child, signal.SIGTERM), os._exit(0)))
    open(ready + ".leader", "w").close()
    while True:
        time.sleep(1)
    """
)


def _start_tree(tmp_path: Path, child_exit: float) -> subprocess.Popen[bytes]:
    ready = tmp_path / "ready"
    leader = start_group([sys.executable, "-c", TREE, str(child_exit), str(ready)])
    deadline = time.monotonic() + 60
    while not (Path(f"{ready}.child").exists() and Path(f"{ready}.leader").exists()):
        assert time.monotonic() < deadline, "the process tree did not start"
        time.sleep(0.05)
    assert len(group_members(leader.pid)) == 2
    return leader


def test_waits_for_a_member_that_outlives_its_leader(tmp_path: Path) -> None:
    leader = _start_tree(tmp_path, child_exit=1.5)
    with structlog.testing.capture_logs() as logs:
        stop_group(leader, grace_seconds=60)
    assert group_members(leader.pid) == {}
    assert logs == []  # nothing had to be killed


def test_kills_a_member_that_ignores_sigterm_after_the_grace(tmp_path: Path) -> None:
    leader = _start_tree(tmp_path, child_exit=-1)
    with structlog.testing.capture_logs() as logs:
        stop_group(leader, grace_seconds=1)
    assert group_members(leader.pid) == {}
    [killed] = logs
    assert killed["event"] == "process_group.killed"
    assert any("-c" in process for process in killed["processes"])
