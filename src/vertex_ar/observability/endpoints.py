"""GET /metrics and `install_metrics(app)`, the one call that wires metrics into the app.

/metrics is for Prometheus on the internal network: Nginx does not forward it, and the app
itself answers only clients in `METRICS_ALLOWED_NETWORKS` (also under `vertex-ar serve`).
"""

from __future__ import annotations

from collections.abc import Sequence
from ipaddress import ip_address

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST

from vertex_ar.core.db import Database
from vertex_ar.core.errors import NotFound
from vertex_ar.core.metrics import render_latest
from vertex_ar.core.settings import Settings
from vertex_ar.observability.collectors import scrape_families
from vertex_ar.observability.middleware import MetricsMiddleware
from vertex_ar.tasks.config import QUEUES, broker_options

METRICS_PATH = "/metrics"

router = APIRouter()


@router.get(METRICS_PATH, include_in_schema=False)
async def metrics(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    if not _from_monitoring_network(request, settings):
        raise NotFound("no such page")
    database: Database = request.app.state.database
    extra = await scrape_families(
        database.sessions,
        settings.broker_url,
        broker_options(settings),
        QUEUES,
        settings.storage_root,
    )
    return Response(render_latest(extra), media_type=CONTENT_TYPE_LATEST)


def _from_monitoring_network(request: Request, settings: Settings) -> bool:
    host = request.client.host if request.client else None
    try:
        address = ip_address(host or "")
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped:  # a dual-stack socket's IPv4 client
        address = address.ipv4_mapped
    return any(address in network for network in settings.metrics_networks)


def install_metrics(app: FastAPI, *, skip_paths: Sequence[str] = (METRICS_PATH,)) -> None:
    """Count every request by route template and serve GET /metrics.

    Needs `app.state.settings` and `app.state.database` by the time /metrics is scraped.
    """
    app.add_middleware(MetricsMiddleware, fastapi_app=app, skip_paths=frozenset(skip_paths))
    app.include_router(router)
