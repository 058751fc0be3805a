"""docker-compose.yml and the development override: valid against the Compose Specification
schema, and the deployment's invariants (services, health, ordering, isolation, secrets)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from vertex_ar.core.settings import Settings
from vertex_ar.tasks.config import WORKER_APP, beat_command, worker_command

REPO = Path(__file__).parents[2]
PRODUCTION = REPO / "docker-compose.yml"
OVERRIDE = REPO / "docker-compose.override.yml"
CHECK_JSONSCHEMA = Path(sys.executable).with_name("check-jsonschema")

APP_SERVICES = {"migrate", "app", "celery-worker", "celery-beat"}  # built from our image
ONE_SHOT = {"migrate", "minio-setup", "backup"}
SERVICES = APP_SERVICES | ONE_SHOT | {
    "postgres", "redis", "redis-cache", "minio", "nginx", "prometheus", "grafana",
    "postgres-exporter",
}  # fmt: skip
# Variables our image's processes read that are not app settings.
PROCESS_ENV = {"PYTHONPATH", "WEB_CONCURRENCY"}
SECRET_NAME = re.compile(r"PASSWORD|SECRET|_KEY$|TOKEN|_PASS$|AUTH")
REQUIRED_VAR = re.compile(r"^\$\{[A-Z0-9_]+:\?[^}]+\}$")
VARIABLE = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?P<op>:?[-?])?(?P<arg>[^}]*)\}")


def _interpolate(text: str) -> str:
    """Like Compose: `${NAME:?msg}` -> `required-NAME`, `${NAME:-default}` -> default."""

    def one(match: re.Match[str]) -> str:
        op = match["op"] or ""
        return match["arg"] if "-" in op else f"required-{match['name']}"

    return VARIABLE.sub(one, text)


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())  # resolves the `<<: *app` merge keys
    assert isinstance(data, dict)
    return data


@pytest.fixture(scope="module")
def prod() -> dict[str, Any]:
    return _load(PRODUCTION)


@pytest.fixture(scope="module")
def services(prod: dict[str, Any]) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = prod["services"]
    return result


def _check_schema(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(CHECK_JSONSCHEMA), "--builtin-schema", "vendor.compose-spec", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_files_match_the_compose_specification() -> None:
    done = _check_schema(PRODUCTION, OVERRIDE)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_schema_check_rejects_a_broken_file(tmp_path: Path) -> None:
    broken = tmp_path / "compose.yml"
    broken.write_text("services:\n  app:\n    image: x:1\n    restart: 3\n    helthcheck: {}\n")
    done = _check_schema(broken)
    assert done.returncode != 0 and "helthcheck" in done.stdout + done.stderr


def test_every_service_is_there_and_named(services: dict[str, dict[str, Any]]) -> None:
    assert set(services) == SERVICES
    for name, service in services.items():
        assert service["container_name"] == f"vertex-ar-{name}"
        expected_restart = "no" if name in ONE_SHOT else "unless-stopped"
        assert service["restart"] == expected_restart, name
        assert list(service["networks"]) == ["vertex-ar-network"], name
    assert services["backup"]["profiles"] == ["backup"]


def test_network_and_named_volumes(
    prod: dict[str, Any], services: dict[str, dict[str, Any]]
) -> None:
    network = prod["networks"]["vertex-ar-network"]
    assert (network["name"], network["driver"]) == ("vertex-ar-network", "bridge")
    volumes = set(prod["volumes"])
    assert {"postgres_data", "redis_data", "minio_data", "media_data"} <= volumes

    def mounts(name: str) -> set[str]:
        return set(services[name].get("volumes", []))

    assert "postgres_data:/var/lib/postgresql/data" in mounts("postgres")
    assert "redis_data:/data" in mounts("redis")
    assert "minio_data:/data" in mounts("minio")
    assert "media_data:/app/storage" in mounts("app") & mounts("celery-worker")
    assert "media_data:/srv/media:ro" in mounts("nginx")
    used = {m.split(":")[0] for s in services.values() for m in s.get("volumes", [])}
    assert volumes <= used  # no declared volume left unused
    assert not any(m.startswith("/") for s in services.values() for m in s.get("volumes", []))


def test_health_checks_and_start_order(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        if name in ONE_SHOT or name == "celery-beat":  # beat has no probe to ask
            continue
        test = service["healthcheck"]["test"]
        assert test[0] in ("CMD", "CMD-SHELL") and len(test) > 1, name
    assert "pg_isready" in services["postgres"]["healthcheck"]["test"][1]
    assert services["redis"]["healthcheck"]["test"] == ["CMD", "redis-cli", "ping"]
    assert "/api/health/status" in " ".join(services["app"]["healthcheck"]["test"])

    for name, service in services.items():
        for target, rule in service.get("depends_on", {}).items():
            expected = "service_completed_successfully" if target in ONE_SHOT else "service_healthy"
            assert rule == {"condition": expected}, (name, target)
            if target not in ONE_SHOT:
                assert "healthcheck" in services[target], target
    for name in APP_SERVICES - {"migrate"}:
        assert services[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    assert services["nginx"]["depends_on"]["app"]["condition"] == "service_healthy"
    assert "vertex-ar db upgrade" in " ".join(services["migrate"]["command"])


def test_users(services: dict[str, dict[str, Any]]) -> None:
    for name in APP_SERVICES | {"backup"}:
        assert services[name]["user"] == "1000:1000", name


def test_backup_service_and_scheduled_backups(services: dict[str, dict[str, Any]]) -> None:
    """The backup service runs our CLI on our image; Beat's backups run in the worker, which
    writes into the same ./backups folder."""
    backup = services["backup"]
    assert backup["image"] == services["app"]["image"]
    assert backup["command"] == ["vertex-ar", "backup", "create"]
    assert "entrypoint" not in backup  # the image's entry point
    for name in ("backup", "celery-worker"):
        assert services[name]["environment"]["BACKUP_DIR"] == "/backups", name
        assert {"./backups:/backups", "media_data:/app/storage"} <= set(services[name]["volumes"])
    assert backup["depends_on"]["postgres"] == {"condition": "service_healthy"}


def test_worker_and_beat_commands(services: dict[str, dict[str, Any]]) -> None:
    """Compose's copies of the worker's command line are the one in tasks/config.py."""
    assert services["celery-worker"]["command"] == worker_command("INFO", "--metrics-port=9808")
    assert services["celery-beat"]["command"] == beat_command("INFO")
    development = _load(OVERRIDE)["services"]["celery-worker"]["command"]
    assert development == worker_command("DEBUG", "--metrics-port=9808")
    health = services["celery-worker"]["healthcheck"]["test"][1]
    assert health.startswith(f"celery -A {WORKER_APP} inspect ping "), health


def test_the_worker_command_serves_every_queue() -> None:
    command = worker_command("INFO")
    assert command[:4] == ["celery", "-A", "vertex_ar.worker", "worker"]
    assert "--queues=markers,media,notifications,default" in command
    assert "--concurrency=2" in command


def _strings(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return [node] if isinstance(node, str) else []


@pytest.mark.parametrize("path", [PRODUCTION, OVERRIDE], ids=lambda p: p.name)
def test_no_literal_secrets(path: Path) -> None:
    data = _load(path)
    for name, service in data["services"].items():
        environment = service.get("environment", {})
        assert isinstance(environment, dict), f"{name}: use the mapping form"
        for key, value in environment.items():
            if SECRET_NAME.search(key):
                assert REQUIRED_VAR.match(str(value)), f"{name}.{key} = {value!r}"
        command = service.get("command", [])
        if "--requirepass" in command:
            assert REQUIRED_VAR.match(command[command.index("--requirepass") + 1]), name
    # Credentials inside URLs come from required variables too.
    for text in _strings(data):
        for url in re.findall(r"\w+(?:\+\w+)?://\S+", _interpolate(text)):
            password = urlsplit(url).password
            assert password is None or password.startswith("required-"), url


@pytest.mark.parametrize("path", [PRODUCTION, OVERRIDE], ids=lambda p: p.name)
def test_images_are_pinned(path: Path) -> None:
    for name, service in _load(path)["services"].items():
        if "image" not in service:
            continue
        image = str(service["image"])
        repository, _, tag = image.rpartition(":")
        assert repository and tag and "/" not in tag, f"{name}: {image} has no tag"
        assert tag != "latest" and not tag.startswith("${"), f"{name}: {image}"
        if not image.startswith("vertex-ar:"):
            assert re.search(r"\d", tag), f"{name}: {image} is not a version"


def test_only_the_edge_is_published_in_production(services: dict[str, dict[str, Any]]) -> None:
    published = {name for name, s in services.items() if s.get("ports")}
    assert published == {"nginx", "grafana", "prometheus"}
    assert all(p.startswith("127.0.0.1:") for p in services["prometheus"]["ports"])


def _redis_flags(command: list[str]) -> dict[str, str]:
    assert command[0] == "redis-server"
    return {command[i][2:]: command[i + 1] for i in range(1, len(command) - 1, 2)}


def test_broker_never_evicts_and_is_not_the_cache(services: dict[str, dict[str, Any]]) -> None:
    broker = _redis_flags(services["redis"]["command"])
    cache = _redis_flags(services["redis-cache"]["command"])
    assert broker["maxmemory-policy"] == "noeviction"
    assert broker["appendonly"] == "yes"
    assert cache["maxmemory-policy"] == "allkeys-lru"
    assert "maxmemory" in cache
    env = services["app"]["environment"]
    assert urlsplit(_interpolate(env["CELERY_BROKER_URL"])).hostname == "redis"
    assert urlsplit(_interpolate(env["REDIS_CACHE_URL"])).hostname == "redis-cache"
    database = urlsplit(_interpolate(env["DATABASE_URL"]))
    assert (database.hostname, database.password) == ("postgres", "required-POSTGRES_PASSWORD")
    for name in APP_SERVICES:
        assert services[name]["environment"]["CELERY_BROKER_URL"] == env["CELERY_BROKER_URL"]


def _settings_env() -> set[str]:
    return {name.upper() for name in Settings.model_fields}


@pytest.mark.parametrize("path", [PRODUCTION, OVERRIDE], ids=lambda p: p.name)
def test_app_environment_names_are_read_by_the_app(path: Path) -> None:
    services = _load(path)["services"]
    known = _settings_env() | PROCESS_ENV
    for name in APP_SERVICES:
        unknown = set(services.get(name, {}).get("environment", {})) - known
        assert not unknown, f"{name} sets variables nothing reads: {unknown}"


def test_development_override() -> None:
    override = _load(OVERRIDE)["services"]
    assert "--reload" in override["app"]["command"]
    assert override["app"]["environment"]["LOG_LEVEL"] == "DEBUG"
    for name in APP_SERVICES:
        assert "./src:/app/src:ro" in override[name]["volumes"], name
        assert override[name]["environment"]["PYTHONPATH"] == "/app/src", name
    for name in ("app", "postgres", "redis", "redis-cache", "minio"):
        assert override[name]["ports"], name
        assert all(p.startswith("127.0.0.1:") for p in override[name]["ports"]), name
