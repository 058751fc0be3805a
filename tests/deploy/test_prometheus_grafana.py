"""Prometheus config and alert rules checked by promtool (and the alerts unit-tested with it);
Grafana provisioning and dashboards consistent with them and with the metrics the app exports."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.deploy.promql import for_promtool, metric_names
from vertex_ar.app import create_app
from vertex_ar.core import migrate
from vertex_ar.core.settings import Settings

REPO = Path(__file__).parents[2]
PROMETHEUS = REPO / "deploy" / "prometheus"
GRAFANA = REPO / "deploy" / "grafana"
DASHBOARDS = sorted((GRAFANA / "dashboards").glob("*.json"))
PROMTOOL = shutil.which("promtool") or "/usr/bin/promtool"
# Series other programs export: Prometheus' own `up`, postgres-exporter's `pg_up`.
EXTERNAL_METRICS = {"up", "pg_up"}


def _promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PROMTOOL, *args], capture_output=True, text=True, timeout=120)


def _rules() -> list[dict[str, Any]]:
    data = yaml.safe_load((PROMETHEUS / "alert.rules.yml").read_text())
    return [rule for group in data["groups"] for rule in group["rules"]]


def _dashboard_exprs() -> list[tuple[str, str]]:
    found = []
    for path in DASHBOARDS:
        for panel in json.loads(path.read_text())["panels"]:
            for target in panel["targets"]:
                found.append((f"{path.name}: {panel['title']}", target["expr"]))
    return found


def test_promtool_checks_the_config_and_its_rule_files() -> None:
    done = _promtool("check", "config", str(PROMETHEUS / "prometheus.yml"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 rule files found" in done.stdout


def test_promtool_checks_the_rules() -> None:
    done = _promtool("check", "rules", str(PROMETHEUS / "alert.rules.yml"))
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_alerts_the_issue_asks_for_exist() -> None:
    alerts = {rule["alert"]: rule for rule in _rules()}
    assert {"HighErrorRate", "SlowRequests", "QueueBacklog", "NoWorkerHeartbeat", "DiskLow"} <= set(
        alerts
    )
    assert alerts["HighErrorRate"]["for"] == "5m" and "0.05" in alerts["HighErrorRate"]["expr"]
    assert "0.95" in alerts["SlowRequests"]["expr"] and "> 2" in alerts["SlowRequests"]["expr"]
    assert "> 100" in alerts["QueueBacklog"]["expr"]
    for rule in alerts.values():
        assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
        assert rule["annotations"]["summary"], rule["alert"]


def _series(name: str, values: str, **labels: str) -> dict[str, str]:
    selector = ",".join(f'{k}="{v}"' for k, v in labels.items())
    return {"series": f"{name}{{{selector}}}", "values": values}


def _alert(
    name: str, at: str, labels: dict[str, str] | None = None, **annotations: str
) -> dict[str, Any]:
    """`name` evaluated at `at`: firing once with these labels and rendered annotations, or
    (labels None) not firing."""
    firing = [] if labels is None else [{"exp_labels": labels, "exp_annotations": annotations}]
    return {"eval_time": at, "alertname": name, "exp_alerts": firing}


NO_HEARTBEAT = {
    "summary": "No Celery worker heartbeat for over 2 minutes",
    "description": "Markers are not compiled and notifications not sent while no worker runs.",
}


def test_alerts_fire_when_they_should_and_only_then(tmp_path: Path) -> None:
    requests, buckets = (
        "vertex_ar_http_requests_total",
        "vertex_ar_http_request_duration_seconds_bucket",
    )
    app = {"job": "vertex-ar-app", "instance": "app:8000"}
    ok_route = {**app, "method": "GET", "route": "/api/companies"}
    upload = {**app, "method": "POST", "route": "/api/ar-content/{content_id}/videos"}
    cases = [
        {  # 10 % errors: fires after 5 minutes; 1 % errors on another route: not by itself
            "interval": "1m",
            "input_series": [
                _series(requests, "0+90x20", status="200", **ok_route),
                _series(requests, "0+10x20", status="500", **ok_route),
            ],
            "alert_rule_test": [
                _alert("HighErrorRate", "4m"),
                _alert(
                    "HighErrorRate",
                    "12m",
                    {"severity": "critical"},
                    summary="More than 5 % of requests fail with 5xx",
                    description="10% of requests answered 5xx over 5 minutes.",
                ),
            ],
        },
        {
            "interval": "1m",
            "input_series": [
                _series(requests, "0+99x20", status="200", **ok_route),
                _series(requests, "0+1x20", status="503", **ok_route),
            ],
            "alert_rule_test": [_alert("HighErrorRate", "15m")],
        },
        {  # every request between 2 and 5 s: p95 above 2 s; slow uploads alone: no alert
            "interval": "1m",
            "input_series": [
                _series(buckets, "0+0x20", le="1", status="200", **ok_route),
                _series(buckets, "0+10x20", le="5", status="200", **ok_route),
                _series(buckets, "0+10x20", le="+Inf", status="200", **ok_route),
                _series(buckets, "0+0x20", le="1", status="201", **upload),
                _series(buckets, "0+10x20", le="+Inf", status="201", **upload),
            ],
            "alert_rule_test": [
                _alert(
                    "SlowRequests",
                    "15m",
                    {"severity": "warning"},
                    summary="95th percentile latency above 2 s",
                    description="p95 is 4.8s over 5 minutes.",
                )
            ],
        },
        {
            "interval": "1m",
            "input_series": [
                _series(buckets, "0+0x20", le="1", status="201", **upload),
                _series(buckets, "0+10x20", le="+Inf", status="201", **upload),
            ],
            "alert_rule_test": [_alert("SlowRequests", "15m")],
        },
        {
            "interval": "1m",
            "input_series": [
                _series("vertex_ar_celery_queue_length", "150x30", queue="markers", **app),
                _series("vertex_ar_celery_queue_length", "3x30", queue="default", **app),
            ],
            "alert_rule_test": [
                _alert("QueueBacklog", "5m"),
                _alert(
                    "QueueBacklog",
                    "15m",
                    {"severity": "warning", "queue": "markers"},
                    summary="Celery queue markers holds more than 100 tasks",
                    description="150 tasks waiting for 10 minutes: workers are missing or stuck.",
                ),
            ],
        },
        {  # heartbeat stuck at t=0 fires; a fresh one (moving with time) does not
            "interval": "1m",
            "input_series": [
                _series(
                    "vertex_ar_celery_worker_heartbeat_timestamp_seconds",
                    "0x20",
                    hostname="celery@a",
                    **app,
                ),
            ],
            "alert_rule_test": [
                _alert("NoWorkerHeartbeat", "10m", {"severity": "critical"}, **NO_HEARTBEAT)
            ],
        },
        {
            "interval": "1m",
            "input_series": [
                _series(
                    "vertex_ar_celery_worker_heartbeat_timestamp_seconds",
                    "0+60x20",
                    hostname="celery@a",
                    **app,
                ),
                _series("up", "1x20", **app),
            ],
            "alert_rule_test": [_alert("NoWorkerHeartbeat", "10m")],
        },
        {  # the app is up but no worker has ever reported: fires too
            "interval": "1m",
            "input_series": [_series("up", "1x20", **app)],
            "alert_rule_test": [
                _alert("NoWorkerHeartbeat", "10m", {"severity": "critical", **app}, **NO_HEARTBEAT)
            ],
        },
        {
            "interval": "1m",
            "input_series": [
                _series("vertex_ar_storage_free_bytes", "5x30", **app),
                _series("vertex_ar_storage_size_bytes", "100x30", **app),
            ],
            "alert_rule_test": [
                _alert(
                    "DiskLow",
                    "15m",
                    {"severity": "warning", **app},
                    summary="Less than 10 % free on the media volume",
                    description="5% free.",
                ),
                _alert("DiskCritical", "15m"),
            ],
        },
    ]
    spec = {"rule_files": [str(PROMETHEUS / "alert.rules.yml")], "evaluation_interval": "1m",
            "tests": cases}  # fmt: skip
    (tmp_path / "alerts.test.yml").write_text(yaml.safe_dump(spec, sort_keys=False))
    done = _promtool("test", "rules", str(tmp_path / "alerts.test.yml"))
    assert done.returncode == 0, done.stdout + done.stderr


def test_dashboard_queries_are_valid_promql(tmp_path: Path) -> None:
    rules = [
        {"record": f"dashboard:query_{i}", "expr": for_promtool(expr)}
        for i, (_, expr) in enumerate(_dashboard_exprs())
    ]
    path = tmp_path / "dashboards.rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    done = _promtool("check", "rules", str(path))
    assert done.returncode == 0, done.stdout + done.stderr


def test_grafana_provisioning_matches_compose_and_dashboards() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]["grafana"]
    mounts = dict(m.rsplit(":", 2)[:2] for m in compose["volumes"] if m.startswith("./"))
    provider = yaml.safe_load(
        (GRAFANA / "provisioning" / "dashboards" / "vertex-ar.yml").read_text()
    )
    assert provider["providers"][0]["options"]["path"] == mounts["./deploy/grafana/dashboards"]
    assert mounts["./deploy/grafana/provisioning"] == "/etc/grafana/provisioning"
    (source,) = yaml.safe_load(
        (GRAFANA / "provisioning" / "datasources" / "prometheus.yml").read_text()
    )["datasources"]
    assert source["url"] == "http://prometheus:9090"
    assert {p.name for p in DASHBOARDS} == {"system-health.json", "business.json"}
    uids = set()
    for path in DASHBOARDS:
        dashboard = json.loads(path.read_text())
        uids.add(dashboard["uid"])
        ids = [panel["id"] for panel in dashboard["panels"]]
        assert len(ids) == len(set(ids)), path.name
        for panel in dashboard["panels"]:
            assert panel["datasource"]["uid"] == source["uid"], panel["title"]
            assert panel["targets"] and all(t["expr"] for t in panel["targets"]), panel["title"]
    assert len(uids) == len(DASHBOARDS)


def test_prometheus_scrapes_what_compose_runs() -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    targets = {
        job["job_name"]: t
        for job in config["scrape_configs"]
        for static in job["static_configs"]
        for t in static["targets"]
    }
    services = yaml.safe_load((REPO / "docker-compose.yml").read_text())["services"]
    for job, target in targets.items():
        host, port = target.split(":")
        if host == "localhost":
            continue
        assert port in services[host].get("expose", []), (job, target)
    assert "--metrics-port=9808" in services["celery-worker"]["command"]
    assert "rule_files" in config and config["rule_files"] == ["alert.rules.yml"]


@pytest.fixture(scope="module")
async def scrape(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[str]:
    """/metrics of the real app after one request."""
    folder = tmp_path_factory.mktemp("names")
    url = f"sqlite+aiosqlite:///{folder / 'db.sqlite'}"
    migrate.upgrade(url)
    settings = Settings(
        env="test", database_url=url, data_dir=folder, storage_root=folder / "storage",
        _env_file=None,
    )  # fmt: skip
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            await http.get("/api/health/status")
            yield (await http.get("/metrics")).text


@pytest.fixture(scope="module")
def exported_names(scrape: str) -> set[str]:
    """Every metric name the app's scrape declares (TYPE lines), expanded to the sample names
    Prometheus stores (`_total`, `_bucket`, `_sum`, `_count`)."""
    names: set[str] = set()
    suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"]}
    for line in scrape.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split()
            base = name.removesuffix("_total")
            names |= {base + s for s in suffixes.get(kind, [""])}
    return names


def test_promtool_lints_the_apps_exposition(scrape: str) -> None:
    assert "vertex_ar_http_requests_total{" in scrape
    done = subprocess.run(
        [PROMTOOL, "check", "metrics"], input=scrape, capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_dashboards_and_alerts_name_only_exported_metrics(exported_names: set[str]) -> None:
    assert "vertex_ar_celery_task_failures_total" in exported_names  # the worker's, same module
    queries = _dashboard_exprs() + [(r["alert"], r["expr"]) for r in _rules()]
    unknown = {
        (where, name)
        for where, expr in queries
        for name in metric_names(expr) - EXTERNAL_METRICS
        if name not in exported_names
    }
    assert not unknown, sorted(unknown)
    used = {n for _, expr in queries for n in metric_names(expr)}
    ours = {n for n in used if n.startswith("vertex_ar_")}
    assert len(ours) >= 12, ours  # the extraction found the queries' metrics at all
