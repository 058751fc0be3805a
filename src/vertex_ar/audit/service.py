"""Writing and reading the audit log. Services add an entry in their own transaction, so an
action and its record are committed (or rolled back) together."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.audit.models import AuditEntry
from vertex_ar.audit.repository import AuditRepository
from vertex_ar.core.errors import NotFound
from vertex_ar.core.schemas import PageParams, Schema
from vertex_ar.core.tenancy import AuthSubject


def record(
    session: AsyncSession,
    subject: AuthSubject | None,
    action: str,
    *,
    kind: str,
    item_id: int,
    company_id: int | None,
    label: str = "",
) -> None:
    """Add one entry to the session (committed with the caller's work); `subject` None is the
    platform itself."""
    session.add(
        AuditEntry(
            company_id=company_id,
            user_id=subject.user_id if subject else None,
            user_email=subject.email if subject else None,
            action=action,
            item_kind=kind,
            item_id=item_id,
            item_label=label[:300],
        )
    )


def changed(label: str, data: Schema) -> str:
    """A label for an update: the item and the names of the fields the request set (never
    their values: a password stays out of the log)."""
    return f"{label} ({', '.join(sorted(data.model_dump(exclude_unset=True)))})"


class AuditService:
    def __init__(self, session: AsyncSession, subject: AuthSubject) -> None:
        self.session = session
        self.subject = subject
        self.repository = AuditRepository(session, subject)

    async def list(
        self, page: PageParams, company_id: int | None
    ) -> tuple[Sequence[AuditEntry], int]:
        """Newest first; a company admin reads their company's log, a superadmin any (or all)."""
        self.subject.require_team_admin()
        stmt = self.repository.select()
        if company_id is not None:
            if not self.subject.can_see_company(company_id):
                raise NotFound(f"company {company_id} not found")
            stmt = stmt.where(AuditEntry.company_id == company_id)
        return await self.repository.page(stmt, limit=page.limit, offset=page.offset)
