"""The trash's SQL: one listing over every kind of soft-deleted row, scoped by the caller."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, Select, String, func, literal_column, null, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.companies.models import Company
from vertex_ar.content.models import ARContent, Video
from vertex_ar.core.errors import NotFound
from vertex_ar.core.schemas import PageParams
from vertex_ar.core.tenancy import AuthSubject
from vertex_ar.projects.models import Project
from vertex_ar.trash.operations import TrashKind
from vertex_ar.users.models import User


def _kind(value: str) -> Any:
    return literal_column(f"'{TrashKind(value).value}'", String(16)).label("kind")


class TrashRepository:
    def __init__(self, session: AsyncSession, subject: AuthSubject) -> None:
        self.session = session
        self.subject = subject

    def _listing(self, kind: TrashKind | None, company_id: int | None) -> Select[Any]:
        """One row per item deleted on its own (not those its parent's deletion took along)."""
        scope = self.subject.scope
        parts: dict[TrashKind, Select[Any]] = {
            TrashKind.content: scope(
                select(_kind("content"), ARContent.id, ARContent.company_id,
                       ARContent.title.label("label"), null().label("content_id"),
                       ARContent.deleted_at, ARContent.deleted_by_user_id, User.email)
                .outerjoin(User, User.id == ARContent.deleted_by_user_id)
                .where(ARContent.deleted_at.is_not(None), ARContent.trashed_with.is_(None)),
                ARContent.company_id,
            ),
            TrashKind.video: scope(
                select(_kind("video"), Video.id, ARContent.company_id,
                       ARContent.title.label("label"), Video.content_id, Video.deleted_at,
                       Video.deleted_by_user_id, User.email)
                .join(ARContent, ARContent.id == Video.content_id)
                .outerjoin(User, User.id == Video.deleted_by_user_id)
                .where(Video.deleted_at.is_not(None)),
                ARContent.company_id,
            ),
            TrashKind.project: scope(
                select(_kind("project"), Project.id, Project.company_id,
                       Project.name.label("label"), null().label("content_id"),
                       Project.deleted_at, Project.deleted_by_user_id, User.email)
                .outerjoin(User, User.id == Project.deleted_by_user_id)
                .where(Project.deleted_at.is_not(None), Project.trashed_with.is_(None)),
                Project.company_id,
            ),
            TrashKind.company: scope(
                select(_kind("company"), Company.id, Company.id.label("company_id"),
                       Company.name.label("label"), null().label("content_id"),
                       Company.deleted_at, Company.deleted_by_user_id, User.email)
                .outerjoin(User, User.id == Company.deleted_by_user_id)
                .where(Company.deleted_at.is_not(None)),
                Company.id,
            ),
        }  # fmt: skip
        if company_id is not None:
            column = {
                TrashKind.content: ARContent.company_id,
                TrashKind.video: ARContent.company_id,
                TrashKind.project: Project.company_id,
                TrashKind.company: Company.id,
            }
            parts = {k: stmt.where(column[k] == company_id) for k, stmt in parts.items()}
        chosen = [parts[kind]] if kind is not None else list(parts.values())
        return select(union_all(*chosen).subquery())

    async def page(
        self, page: PageParams, kind: TrashKind | None, company_id: int | None
    ) -> tuple[Sequence[Row[Any]], int]:
        """Rows (kind, id, company_id, label, content_id, deleted_at, deleted_by_user_id,
        email), newest deletions first, and the total."""
        stmt = self._listing(kind, company_id)
        total = await self.session.scalar(select(func.count()).select_from(stmt.subquery()))
        columns = stmt.selected_columns
        rows = await self.session.execute(
            stmt.order_by(columns.deleted_at.desc(), columns.kind, columns.id.desc())
            .limit(page.limit)
            .offset(page.offset)
        )
        return rows.all(), int(total or 0)

    async def video(self, video_id: int) -> Video:
        """The caller's video in or out of the trash (404 if unseen)."""
        video: Video | None = await self.session.scalar(
            self.subject.scope(
                select(Video)
                .join(ARContent, ARContent.id == Video.content_id)
                .where(Video.id == video_id),
                ARContent.company_id,
            )
        )
        if video is None:
            raise NotFound(f"video {video_id} not found")
        return video
