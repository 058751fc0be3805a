"""The trash as its users see it: list (scoped by the caller's company), restore, purge now."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.audit.service import record
from vertex_ar.companies.models import Company
from vertex_ar.companies.repository import CompanyRepository
from vertex_ar.connections.routing import purge_pending_deletes
from vertex_ar.content.models import ARContent, Video
from vertex_ar.content.repository import ContentRepository
from vertex_ar.core.errors import Conflict, NotFound
from vertex_ar.core.schemas import PageParams
from vertex_ar.core.settings import Settings
from vertex_ar.core.tenancy import AuthSubject
from vertex_ar.projects.models import Project
from vertex_ar.projects.repository import ProjectRepository
from vertex_ar.quotas.service import QuotaChecker
from vertex_ar.rotation.cache import invalidate_rotation
from vertex_ar.trash.operations import TrashKind, restore_rows
from vertex_ar.trash.purge import TrashRow, company_of, label_of, purge_row
from vertex_ar.trash.repository import TrashRepository


@dataclass(frozen=True)
class TrashItem:
    kind: TrashKind
    id: int
    company_id: int
    label: str
    content_id: int | None
    deleted_at: datetime
    deleted_by_user_id: int | None
    deleted_by_email: str | None  # None once that user is gone
    purge_after: datetime


def _content_of(row: TrashRow) -> int | None:
    """The content item whose videos a restore adds to (a video's), else None."""
    return row.content_id if isinstance(row, Video) else None


class TrashService:
    def __init__(self, session: AsyncSession, subject: AuthSubject, settings: Settings) -> None:
        self.session = session
        self.subject = subject
        self.settings = settings
        self.repository = TrashRepository(session, subject)

    async def list(
        self, page: PageParams, kind: TrashKind | None = None, company_id: int | None = None
    ) -> tuple[list[TrashItem], int]:
        """Newest deletions first; a superadmin may narrow to one company."""
        if company_id is not None and not self.subject.can_see_company(company_id):
            raise NotFound(f"company {company_id} not found")
        rows, total = await self.repository.page(page, kind, company_id)
        retention = timedelta(days=self.settings.trash_retention_days)
        items = [
            TrashItem(
                kind=TrashKind(row.kind),
                id=row.id,
                company_id=row.company_id,
                label=row.label,
                content_id=row.content_id,
                deleted_at=row.deleted_at,
                deleted_by_user_id=row.deleted_by_user_id,
                deleted_by_email=row.email,
                purge_after=row.deleted_at + retention,
            )
            for row in rows
        ]
        return items, total

    async def _row(self, kind: TrashKind, item_id: int) -> TrashRow:
        """The caller's row in or out of the trash (404 if unseen)."""
        if kind is TrashKind.content:
            return await ContentRepository(self.session, self.subject).get(item_id, trashed=None)
        if kind is TrashKind.project:
            return await ProjectRepository(self.session, self.subject).get(item_id, trashed=None)
        if kind is TrashKind.company:
            return await CompanyRepository(self.session, self.subject).get(item_id, trashed=None)
        return await self.repository.video(item_id)

    async def _trashed(self, kind: TrashKind, item_id: int) -> TrashRow:
        row = await self._row(kind, item_id)
        if row.deleted_at is None:
            raise Conflict(f"{kind.value} {item_id} is not in the trash")
        return row

    def _require_rights(self, kind: TrashKind) -> None:
        if kind is TrashKind.company:
            self.subject.require_superadmin()
        else:
            self.subject.require_editor()

    async def restore(self, kind: TrashKind, item_id: int) -> TrashRow:
        """Back as it was: same unique_id (the printed code works again), rotation rule and
        analytics; 409 while the item's parent is still in the trash."""
        self._require_rights(kind)
        row = await self._trashed(kind, item_id)
        await self._parents_present(row)
        company_id = await company_of(self.session, kind, row)
        quotas = QuotaChecker(self.session, self.settings)
        await quotas.lock_for_restore(company_id)
        await restore_rows(self.session, row, kind)
        await self.session.flush()
        await quotas.check_after_restore(company_id, _content_of(row))
        record(self.session, self.subject, "restore", kind=kind.value, item_id=row.id,
               company_id=company_id, label=label_of(row))  # fmt: skip
        await self.session.commit()
        if isinstance(row, Video):
            await invalidate_rotation(self.settings, row.content_id)
        return row

    async def _parents_present(self, row: TrashRow) -> None:
        if isinstance(row, Video):
            content = await self.session.get_one(ARContent, row.content_id)
            if content.deleted_at is not None:
                raise Conflict(
                    f"content {content.id} ({content.title!r}) is in the trash; restore it first",
                    details={"content_id": content.id},
                )
            return
        if isinstance(row, ARContent):
            project = await self.session.get_one(Project, row.project_id)
            if project.deleted_at is not None:
                raise Conflict(
                    f"project {project.id} ({project.name!r}) is in the trash; restore it first",
                    details={"project_id": project.id},
                )
        if isinstance(row, ARContent | Project):
            company = await self.session.get_one(Company, row.company_id)
            if company.deleted_at is not None:
                raise Conflict(
                    f"company {company.id} ({company.name!r}) is in the trash; restore it first",
                    details={"company_id": company.id},
                )

    async def purge(self, kind: TrashKind, item_id: int) -> None:
        """A superadmin empties one item at once: its rows go, its media leave storage."""
        self.subject.require_superadmin()
        row = await self._trashed(kind, item_id)
        queued = await purge_row(self.session, kind, row, self.subject)
        for start in range(0, len(queued), 500):  # what stays (a backend down) is retried later
            chunk = queued[start : start + 500]
            await purge_pending_deletes(self.session, self.settings, ids=chunk)
