"""The Dockerfile: hadolint clean, the issue's invariants, and a build context that holds what it
copies (and not the secrets)."""

from __future__ import annotations

import fnmatch
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.deploy.dockerfile import Stage, parse

REPO = Path(__file__).parents[2]
DOCKERFILE = REPO / "Dockerfile"
HADOLINT = Path(sys.executable).with_name("hadolint")


@pytest.fixture(scope="module")
def stages() -> list[Stage]:
    return parse(DOCKERFILE)


def test_hadolint_is_clean() -> None:
    done = subprocess.run(
        [str(HADOLINT), "--no-color", "--failure-threshold", "info", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_multi_stage_with_a_slim_python_runtime(stages: list[Stage]) -> None:
    runtime = stages[-1]
    assert runtime.base == "python:3.11-slim"
    assert len(stages) >= 2
    build_steps = " ".join(i.args for s in stages[:-1] for i in s.all("RUN"))
    assert "uv sync --frozen --no-dev" in build_steps
    assert "npm ci" in build_steps
    runtime_runs = " ".join(i.args for i in runtime.all("RUN"))
    assert "uv " not in runtime_runs and "npm " not in runtime_runs  # no toolchains at runtime
    for stage in stages:
        assert ":" in stage.base and not stage.base.endswith(":latest"), stage.base


def test_runtime_environment_and_packages(stages: list[Stage]) -> None:
    runtime = stages[-1]
    env = runtime.env()
    for key in ("PYTHONUNBUFFERED", "PYTHONDONTWRITEBYTECODE", "PIP_DISABLE_PIP_VERSION_CHECK"):
        assert env[key] == "1", key
    assert env["PIP_NO_CACHE_DIR"] == "1"
    assert env["WEB_CONCURRENCY"] == "4"  # uvicorn's --workers default
    assert env["PROMETHEUS_MULTIPROC_DIR"]
    (apt,) = [i for i in runtime.all("RUN") if "apt-get install" in i.args]
    words = apt.args.replace("&&", " ").split()
    installed = {w for w in words[words.index("install") + 1 :] if not w.startswith("-")}
    installed -= {"rm", "/var/lib/apt/lists/*"}
    assert installed == {"ffmpeg", "curl", "postgresql-client"}  # pg_dump for `vertex-ar backup`
    assert "--no-install-recommends" in words


def test_non_root_user_owning_storage(stages: list[Stage]) -> None:
    runtime = stages[-1]
    (user,) = runtime.all("USER")
    assert user.args == "1000:1000"
    runs = " ".join(i.args for i in runtime.all("RUN"))
    assert "--uid 1000" in runs and "--gid 1000" in runs and "appuser" in runs
    assert "chown appuser:appuser /app/storage" in runs
    names = [i.keyword for i in runtime.instructions]
    assert names.index("USER") > max(i for i, k in enumerate(names) if k in ("RUN", "COPY"))


def test_port_health_check_and_server(stages: list[Stage]) -> None:
    runtime = stages[-1]
    assert [i.args for i in runtime.all("EXPOSE")] == ["8000"]
    (health,) = runtime.all("HEALTHCHECK")
    assert "http://127.0.0.1:8000/api/health/status" in health.args
    (entrypoint,) = runtime.all("ENTRYPOINT")
    assert entrypoint.words() == ["vertex-ar-entrypoint"]
    (cmd,) = runtime.all("CMD")
    words = cmd.words()
    assert words[:3] == ["uvicorn", "--factory", "vertex_ar.app:app"]
    assert "--workers" not in words  # from WEB_CONCURRENCY, so operators can change it by env
    assert "--no-access-log" in words  # its lines carry signed media tokens in query strings
    copies = {i.words()[-1]: i.words() for i in runtime.all("COPY")}
    assert copies["/usr/local/bin/vertex-ar-entrypoint"][0] == "deploy/docker-entrypoint.sh"


def _dockerignore() -> list[str]:
    lines = (REPO / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def _ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule: the last matching pattern wins; `!` re-includes; a directory match covers
    everything below it."""
    ignored = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        glob = pattern[1:] if negate else pattern
        glob = glob.rstrip("/")
        parts = path.split("/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        if any(fnmatch.fnmatchcase(p, glob) for p in prefixes) or (
            glob.startswith("**/") and any(fnmatch.fnmatchcase(part, glob[3:]) for part in parts)
        ):
            ignored = not negate
    return ignored


def test_build_context_has_every_copied_file_and_no_secrets(stages: list[Stage]) -> None:
    patterns = _dockerignore()
    for stage in stages:
        for copy in stage.all("COPY"):
            words = copy.words()
            if any(w.startswith("--from=") for w in words):
                continue
            for source in words[:-1]:
                assert (REPO / source).exists(), source
                assert not _ignored(source, patterns), f"{source} is excluded by .dockerignore"
    for secret in (".env", ".git/config", ".venv/bin/python", "node_modules/three/package.json",
                   "var/vertex_ar.db", "src/vertex_ar/__pycache__/x.pyc"):  # fmt: skip
        assert _ignored(secret, patterns), secret


def test_wheel_ships_every_package_file(tmp_path: Path) -> None:
    """The image installs the project as a wheel (not editable): data files must be in it."""
    uv = REPO / ".tools" / "bin" / "uv"
    subprocess.run(
        [str(uv), "build", "--wheel", "--quiet", "--out-dir", str(tmp_path)],
        cwd=REPO,
        check=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        shipped = set(archive.namelist())
    tracked = subprocess.run(
        ["git", "ls-files", "src/vertex_ar"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    missing = [f for f in tracked if f.removeprefix("src/") not in shipped]
    assert tracked and not missing, missing
