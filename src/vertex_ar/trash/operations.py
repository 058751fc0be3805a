"""Moving rows into the trash and back. The callers (the domain services and the trash service)
check who may do it and commit; these functions only change rows in the session."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.companies.models import Company
from vertex_ar.content.models import ARContent, Video
from vertex_ar.core.db import utcnow
from vertex_ar.core.tenancy import AuthSubject
from vertex_ar.projects.models import Project


class TrashKind(enum.StrEnum):
    content = "content"
    video = "video"
    project = "project"
    company = "company"


TRASH_MODELS: dict[TrashKind, type[ARContent | Video | Project | Company]] = {
    TrashKind.content: ARContent,
    TrashKind.video: Video,
    TrashKind.project: Project,
    TrashKind.company: Company,
}


def _mark(row: ARContent | Video | Project | Company, subject: AuthSubject, now: datetime) -> None:
    row.deleted_at = now
    row.deleted_by_user_id = subject.user_id
    row.trashed_with = None


def trash_content(content: ARContent, subject: AuthSubject) -> None:
    _mark(content, subject, utcnow())


def trash_video(video: Video, subject: AuthSubject) -> None:
    _mark(video, subject, utcnow())


async def trash_project(session: AsyncSession, project: Project, subject: AuthSubject) -> None:
    """The project and its content still outside the trash (which go with it)."""
    now = utcnow()
    _mark(project, subject, now)
    await session.execute(
        update(ARContent)
        .where(ARContent.project_id == project.id, ARContent.deleted_at.is_(None))
        .values(deleted_at=now, deleted_by_user_id=subject.user_id, trashed_with="project")
    )


async def trash_company(session: AsyncSession, company: Company, subject: AuthSubject) -> None:
    """The company, its projects and its content still outside the trash (which go with it)."""
    now = utcnow()
    _mark(company, subject, now)
    for model in (Project, ARContent):
        await session.execute(
            update(model)
            .where(model.company_id == company.id, model.deleted_at.is_(None))
            .values(deleted_at=now, deleted_by_user_id=subject.user_id, trashed_with="company")
        )


def _clear(row: ARContent | Video | Project | Company) -> None:
    row.deleted_at = None
    row.deleted_by_user_id = None
    row.trashed_with = None


async def restore_rows(
    session: AsyncSession, row: ARContent | Video | Project | Company, kind: TrashKind
) -> None:
    """Take the row out of the trash, with the rows its deletion took along."""
    _clear(row)
    cleared = {"deleted_at": None, "deleted_by_user_id": None, "trashed_with": None}
    if kind is TrashKind.project:
        await session.execute(
            update(ARContent)
            .where(ARContent.project_id == row.id, ARContent.trashed_with == "project")
            .values(**cleared)
        )
    elif kind is TrashKind.company:
        for model in (Project, ARContent):
            await session.execute(
                update(model)
                .where(model.company_id == row.id, model.trashed_with == "company")
                .values(**cleared)
            )
