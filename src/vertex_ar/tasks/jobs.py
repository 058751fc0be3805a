"""The periodic jobs, named once: Beat runs them through the worker's tasks (`worker.py`) and an
operator runs the same code at once with `vertex-ar jobs run NAME`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.connections.routing import purge_pending_deletes
from vertex_ar.content.expiry import deactivate_expired
from vertex_ar.core.settings import Settings
from vertex_ar.notifications.events import expiry_warnings, record_expired, storage_check
from vertex_ar.notifications.outbox import send_due
from vertex_ar.trash.purge import purge_expired_trash

DEACTIVATE_EXPIRED = "maintenance.deactivate_expired"
PURGE_STORAGE_DELETES = "maintenance.purge_storage_deletes"
EXPIRY_WARNINGS = "notifications.expiry_warnings"
SEND_NOTIFICATIONS = "notifications.send"
PURGE_TRASH = "maintenance.purge_trash"
STORAGE_CHECK = "notifications.storage_check"


@dataclass(frozen=True)
class Job:
    name: str  # as the operator types it
    task: str  # the Celery task Beat sends
    help: str
    run: Callable[[AsyncSession, Settings], Awaitable[Any]]


async def _deactivate(session: AsyncSession, settings: Settings) -> dict[str, Any]:
    switched_off = await deactivate_expired(session, record_expired(settings))
    return {"switched_off": switched_off, **(await send_due(session, settings)).as_dict()}


async def _warn(session: AsyncSession, settings: Settings) -> dict[str, Any]:
    warned = await expiry_warnings(session, settings)
    return {"warned": warned, **(await send_due(session, settings)).as_dict()}


async def _send(session: AsyncSession, settings: Settings) -> dict[str, Any]:
    return (await send_due(session, settings)).as_dict()


async def _storage_check(session: AsyncSession, settings: Settings) -> dict[str, Any]:
    checked = await storage_check(session, settings)
    return {**checked, **(await send_due(session, settings)).as_dict()}


async def _purge(session: AsyncSession, settings: Settings) -> dict[str, Any]:
    return {"purged": await purge_pending_deletes(session, settings)}


async def _purge_trash(session: AsyncSession, settings: Settings) -> dict[str, Any]:
    return {"purged": await purge_expired_trash(session, settings)}


JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job("deactivate-expired", DEACTIVATE_EXPIRED,
            "switch off content past its expiry date and tell its company", _deactivate),
        Job("expiry-warnings", EXPIRY_WARNINGS,
            "warn companies of content expiring within their thresholds (once per item)", _warn),
        Job("send-notifications", SEND_NOTIFICATIONS,
            "deliver due notifications and retry failed deliveries", _send),
        Job("purge-storage-deletes", PURGE_STORAGE_DELETES,
            "retry media deletes that failed while a storage backend was down", _purge),
        Job("purge-trash", PURGE_TRASH,
            "delete for good what has been in the trash for TRASH_RETENTION_DAYS", _purge_trash),
        Job("storage-check", STORAGE_CHECK,
            "probe the storage backends in use; tell their companies once per outage",
            _storage_check),
    )
}  # fmt: skip
