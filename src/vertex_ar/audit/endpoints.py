from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from vertex_ar.audit.schemas import AuditEntryRead
from vertex_ar.audit.service import AuditService
from vertex_ar.auth.dependencies import Subject
from vertex_ar.core.deps import SessionDep
from vertex_ar.core.schemas import Page, PageParams, page_of

router = APIRouter(prefix="/api/audit", tags=["audit"])


def _service(session: SessionDep, subject: Subject) -> AuditService:
    return AuditService(session, subject)


ServiceDep = Annotated[AuditService, Depends(_service)]


@router.get("")
async def list_audit(
    service: ServiceDep,
    page: Annotated[PageParams, Depends()],
    company_id: Annotated[int | None, Query(description="superadmin: one company")] = None,
) -> Page[AuditEntryRead]:
    """Admin actions (delete, restore, purge, ...), newest first, of the caller's company."""
    items, total = await service.list(page, company_id)
    return page_of(AuditEntryRead, items, total, page)
