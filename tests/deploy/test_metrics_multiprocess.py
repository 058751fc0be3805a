"""prometheus-client's multiprocess mode as we use it: several processes, one aggregated view."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.deploy.promtext import value

ROUTE = "/api/ar-content/{id}"

WRITER = f"""
import sys
from vertex_ar.core.metrics import (
    HTTP_REQUEST_DURATION, HTTP_REQUESTS, marker_compile_timer
)
for _ in range(int(sys.argv[1])):
    HTTP_REQUESTS.labels("GET", "{ROUTE}", "200").inc()
    HTTP_REQUEST_DURATION.labels("GET", "{ROUTE}", "200").observe(0.25)
with marker_compile_timer():
    pass
"""
READER = """
import sys
from vertex_ar.core.metrics import render_latest
sys.stdout.write(render_latest().decode())
"""
RESET = """
from vertex_ar.core.metrics import reset_multiprocess_dir
print(reset_multiprocess_dir())
"""


def _env(directory: Path) -> dict[str, str]:
    return {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)}


def _python(code: str, directory: Path, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=_env(directory),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


def test_two_processes_are_aggregated(tmp_path: Path) -> None:
    directory = tmp_path / "prom"
    directory.mkdir()
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, n], env=_env(directory)) for n in ("3", "5")
    ]
    assert [w.wait(timeout=60) for w in writers] == [0, 0]
    assert len(list(directory.glob("counter_*.db"))) == 2  # one file per process

    text = _python(READER, directory)
    labels = {"method": "GET", "route": ROUTE, "status": "200"}
    assert value(text, "vertex_ar_http_requests_total", **labels) == 8
    assert value(text, "vertex_ar_http_request_duration_seconds_count", **labels) == 8
    assert value(text, "vertex_ar_http_request_duration_seconds_sum", **labels) == 2.0
    le_05 = value(text, "vertex_ar_http_request_duration_seconds_bucket", le="0.5", **labels)
    le_01 = value(text, "vertex_ar_http_request_duration_seconds_bucket", le="0.1", **labels)
    assert (le_05, le_01) == (8, 0)
    assert value(text, "vertex_ar_marker_compile_seconds_count", outcome="success") == 2


def test_reset_on_start_drops_the_previous_run(tmp_path: Path) -> None:
    directory = tmp_path / "prom"
    directory.mkdir()
    _python(WRITER, directory, "4")
    assert value(_python(READER, directory), "vertex_ar_http_requests_total", route=ROUTE) == 4

    assert _python(RESET, directory).strip() == str(directory)
    assert list(directory.iterdir()) == []
    _python(WRITER, directory, "1")
    assert value(_python(READER, directory), "vertex_ar_http_requests_total", route=ROUTE) == 1


def test_docker_entrypoint_empties_the_directory(tmp_path: Path) -> None:
    directory = tmp_path / "prom"
    directory.mkdir()
    _python(WRITER, directory, "2")
    entrypoint = Path(__file__).parents[2] / "deploy" / "docker-entrypoint.sh"
    done = subprocess.run(
        ["sh", str(entrypoint), "sh", "-c", 'ls -A "$PROMETHEUS_MULTIPROC_DIR" | wc -l'],
        env=_env(directory),
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    assert done.stdout.strip() == "0"


def test_marker_compile_timer_records_a_failure_and_reraises() -> None:
    import pytest
    from prometheus_client import REGISTRY

    from vertex_ar.core.metrics import marker_compile_timer

    name, labels = "vertex_ar_marker_compile_seconds_count", {"outcome": "failure"}
    before = REGISTRY.get_sample_value(name, labels) or 0
    with pytest.raises(RuntimeError, match="compiler broke"), marker_compile_timer():
        raise RuntimeError("compiler broke")
    assert REGISTRY.get_sample_value(name, labels) == before + 1
