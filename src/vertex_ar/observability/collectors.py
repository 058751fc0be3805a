"""Values read at scrape time: business numbers from the database, queue depth from the broker,
worker heartbeats, free space of the media volume.

Each source is read independently; a failing one is reported by `vertex_ar_scrape_source_up` = 0
and leaves the others (and the process metrics) intact, so /metrics keeps answering while the
database or the broker is down.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
from kombu import Connection
from kombu.exceptions import ChannelError
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vertex_ar.analytics.models import ARViewSession
from vertex_ar.companies.models import Company
from vertex_ar.content.models import ARContent, MarkerStatus
from vertex_ar.tasks.models import WorkerHeartbeat

log = logging.getLogger(__name__)

TOP_CONTENT_LIMIT = 10
SOURCE_TIMEOUT_SECONDS = 5.0

# Every family name this module can emit (tests compare dashboards and alerts against them).
COMPANIES = "vertex_ar_companies"
AR_CONTENT = "vertex_ar_ar_content"
AR_VIEWS = "vertex_ar_ar_views"
TOP_CONTENT_VIEWS = "vertex_ar_ar_content_views_24h"
WORKER_HEARTBEAT = "vertex_ar_celery_worker_heartbeat_timestamp_seconds"
QUEUE_LENGTH = "vertex_ar_celery_queue_length"
STORAGE_FREE = "vertex_ar_storage_free_bytes"
STORAGE_SIZE = "vertex_ar_storage_size_bytes"
SOURCE_UP = "vertex_ar_scrape_source_up"


async def business_families(session: AsyncSession) -> list[Metric]:
    companies = GaugeMetricFamily(
        COMPANIES, "Companies by active flag (the trash not counted).", labels=["active"]
    )
    by_active = await session.execute(
        select(Company.active, func.count())
        .where(Company.deleted_at.is_(None))
        .group_by(Company.active)
    )
    counts = {bool(active): int(n) for active, n in by_active.all()}
    for active in (True, False):
        companies.add_metric([str(active).lower()], counts.get(active, 0))

    content = GaugeMetricFamily(
        AR_CONTENT, "AR content by marker status (the trash not counted).", labels=["marker_status"]
    )
    by_status = await session.execute(
        select(ARContent.marker_status, func.count())
        .where(ARContent.deleted_at.is_(None))
        .group_by(ARContent.marker_status)
    )
    for status, n in by_status.all():
        content.add_metric([MarkerStatus(status).value], int(n))

    # A database count that only grows (view sessions are appended): a counter, so that
    # increase()/rate() give views per day and treat a deletion as a reset.
    views = CounterMetricFamily(
        AR_VIEWS, "AR view sessions recorded, by device type.", labels=["device_type"]
    )
    by_device = await session.execute(
        select(ARViewSession.device_type, func.count()).group_by(ARViewSession.device_type)
    )
    for device, n in by_device.all():
        views.add_metric([device or "unknown"], int(n))

    since = datetime.now(UTC) - timedelta(days=1)
    top = GaugeMetricFamily(
        TOP_CONTENT_VIEWS,
        f"View sessions in the last 24 h of the {TOP_CONTENT_LIMIT} most viewed AR contents.",
        # Ids only: metrics leave the tenants' trust boundary (Prometheus, Grafana, their users),
        # titles are the tenants' words; the admin UI resolves an id for those allowed to see it.
        labels=["company_id", "unique_id"],
    )
    n_views = func.count(ARViewSession.id).label("n")
    most_viewed = await session.execute(
        select(ARContent.company_id, ARContent.unique_id, n_views)
        .join(ARViewSession, ARViewSession.content_id == ARContent.id)
        .where(ARViewSession.created_at >= since, ARContent.deleted_at.is_(None))
        .group_by(ARContent.id, ARContent.company_id, ARContent.unique_id)
        .order_by(n_views.desc())
        .limit(TOP_CONTENT_LIMIT)
    )
    for company_id, unique_id, n in most_viewed.all():
        top.add_metric([str(company_id), unique_id], int(n))

    heartbeats = GaugeMetricFamily(
        WORKER_HEARTBEAT, "Last heartbeat of each Celery worker (Unix time).", labels=["hostname"]
    )
    seen = await session.execute(select(WorkerHeartbeat.hostname, WorkerHeartbeat.seen_at))
    for hostname, seen_at in seen.all():
        heartbeats.add_metric([hostname], seen_at.timestamp())
    return [companies, content, views, top, heartbeats]


def queue_lengths(
    broker_url: str, transport_options: dict[str, object], queues: Sequence[str]
) -> dict[str, int]:
    """Messages waiting in each queue, read from the broker (blocking; run it in a thread).

    On Redis each queue is a list (plus one list per priority step), on the embedded filesystem
    broker a set of files; Kombu's passive declare reports the count for both.
    """
    lengths: dict[str, int] = {}
    with Connection(broker_url, transport_options=transport_options, connect_timeout=2) as conn:
        conn.ensure_connection(max_retries=1)
        channel: Any = conn.default_channel
        for queue in queues:
            try:
                _, count, _ = channel.queue_declare(queue=queue, passive=True)
            except ChannelError:
                count = 0  # Redis deletes an empty list, so an idle queue "does not exist"
            lengths[queue] = int(count)
    return lengths


def queue_families(lengths: dict[str, int]) -> list[Metric]:
    family = GaugeMetricFamily(
        QUEUE_LENGTH, "Messages waiting in each Celery queue.", labels=["queue"]
    )
    for queue, length in sorted(lengths.items()):
        family.add_metric([queue], length)
    return [family]


def storage_families(root: Path) -> list[Metric]:
    # Before the first upload the folder may not exist yet: measure the filesystem it will be on.
    existing = next(p for p in (root, *root.parents) if p.exists())
    usage = shutil.disk_usage(existing)
    free = GaugeMetricFamily(STORAGE_FREE, "Free bytes on the filesystem holding local media.")
    free.add_metric([], usage.free)
    size = GaugeMetricFamily(STORAGE_SIZE, "Size in bytes of the filesystem holding local media.")
    size.add_metric([], usage.total)
    return [free, size]


async def _guarded(
    name: str, read: Callable[[], Awaitable[list[Metric]]], up: GaugeMetricFamily
) -> list[Metric]:
    try:
        with anyio.fail_after(SOURCE_TIMEOUT_SECONDS):
            families = await read()
    except Exception:  # any failure of one source must not take /metrics down
        log.warning("metrics source %s failed", name, exc_info=True)
        up.add_metric([name], 0)
        return []
    up.add_metric([name], 1)
    return families


async def scrape_families(
    sessions: async_sessionmaker[AsyncSession],
    broker_url: str,
    transport_options: dict[str, object],
    queues: Sequence[str],
    storage_root: Path,
) -> list[Metric]:
    up = GaugeMetricFamily(
        SOURCE_UP, "1 if the scrape-time source answered, else 0.", labels=["source"]
    )

    async def database() -> list[Metric]:
        async with sessions() as session:
            return await business_families(session)

    async def broker() -> list[Metric]:
        lengths = await anyio.to_thread.run_sync(
            queue_lengths, broker_url, transport_options, queues, abandon_on_cancel=True
        )
        return queue_families(lengths)

    async def storage() -> list[Metric]:
        return await anyio.to_thread.run_sync(storage_families, storage_root)

    families: list[Metric] = []
    families += await _guarded("database", database, up)
    families += await _guarded("broker", broker, up)
    families += await _guarded("storage", storage, up)
    return [*families, up]
