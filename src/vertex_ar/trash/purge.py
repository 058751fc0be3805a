"""Purging the trash: rows are deleted for good and their media leave storage.

The media keys are written to `storage_pending_deletes` in the same transaction that deletes the
rows (the deferred-delete mechanism of `connections.routing`), then deleted from storage: a crash
or a backend that is down in between leaves the keys queued for the periodic retry, never an
orphaned file nor a row without its media.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import structlog
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.audit.service import record
from vertex_ar.companies.models import Company
from vertex_ar.connections.models import PendingDelete
from vertex_ar.connections.routing import purge_pending_deletes
from vertex_ar.content.models import ARContent, Video
from vertex_ar.content.repository import media_keys
from vertex_ar.core.db import utcnow
from vertex_ar.core.settings import Settings
from vertex_ar.core.tenancy import AuthSubject
from vertex_ar.projects.models import Project
from vertex_ar.trash.operations import TRASH_MODELS, TrashKind

log = structlog.get_logger(__name__)

TrashRow = ARContent | Video | Project | Company
# Children before parents: a company's purge takes its projects and content along.
PURGE_ORDER = (TrashKind.video, TrashKind.content, TrashKind.project, TrashKind.company)


async def company_of(session: AsyncSession, kind: TrashKind, row: TrashRow) -> int:
    if isinstance(row, Company):
        return row.id
    if isinstance(row, Video):
        company_id = await session.scalar(
            select(ARContent.company_id).where(ARContent.id == row.content_id)
        )
        assert company_id is not None  # a video's content exists (foreign key)
        return int(company_id)
    return row.company_id


def label_of(row: TrashRow) -> str:
    if isinstance(row, ARContent):
        return row.title
    if isinstance(row, Video):
        return f"video of content {row.content_id}"
    return row.name


async def _keys(session: AsyncSession, kind: TrashKind, row: TrashRow) -> list[str]:
    if isinstance(row, Video):
        return row.media_keys
    where = {
        TrashKind.content: ARContent.id == row.id,
        TrashKind.project: ARContent.project_id == row.id,
        TrashKind.company: ARContent.company_id == row.id,
    }[kind]
    return await media_keys(session, where)


async def purge_row(
    session: AsyncSession, kind: TrashKind, row: TrashRow, subject: AuthSubject | None
) -> list[int]:
    """Delete one trashed row (and what belongs to it) and queue its media's deletion; commits.
    Returns the queued deletes' ids (`purge_pending_deletes` then deletes the objects)."""
    company_id = await company_of(session, kind, row)
    keys = await _keys(session, kind, row)
    connection_id = await session.scalar(
        select(Company.storage_connection_id).where(Company.id == company_id)
    )
    queued = [PendingDelete(connection_id=connection_id, key=key, last_error=None) for key in keys]
    session.add_all(queued)
    record(session, subject, "purge", kind=kind.value, item_id=row.id,
           company_id=company_id, label=label_of(row))  # fmt: skip
    await session.delete(row)
    await session.commit()
    log.info("trash.purged", kind=kind.value, item_id=row.id, media=len(keys))
    return [pending.id for pending in queued]


async def purge_expired_trash(
    session: AsyncSession, settings: Settings, now: datetime | None = None
) -> int:
    """Purge every item deleted on its own more than TRASH_RETENTION_DAYS ago (Beat's job;
    idempotent), then delete the queued media. Returns how many items were purged."""
    cutoff = (now or utcnow()) - timedelta(days=settings.trash_retention_days)
    purged, queued = 0, []
    for kind in PURGE_ORDER:
        model = TRASH_MODELS[kind]
        ids = (
            await session.scalars(
                select(model.id).where(model.deleted_at <= cutoff, model.trashed_with.is_(None))
            )
        ).all()
        for item_id in ids:
            row: TrashRow | None = await session.get(model, item_id, populate_existing=True)
            if row is None or row.deleted_at is None:  # taken along by an earlier purge
                continue
            queued += await purge_row(session, kind, row, None)
            purged += 1
    # This run's objects; older deferred deletes keep their own retry job.
    for start in range(0, len(queued), 500):
        await purge_pending_deletes(session, settings, ids=queued[start : start + 500])
    return purged
