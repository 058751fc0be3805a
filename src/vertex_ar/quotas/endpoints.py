from __future__ import annotations

from fastapi import APIRouter

from vertex_ar.auth.dependencies import Subject
from vertex_ar.core.deps import SessionDep, SettingsDep
from vertex_ar.quotas.schemas import CompanyUsage
from vertex_ar.quotas.service import UsageService

router = APIRouter(prefix="/api/companies", tags=["companies"])


@router.get("/{company_id}/usage")
async def company_usage(
    company_id: int, session: SessionDep, subject: Subject, settings: SettingsDep
) -> CompanyUsage:
    """Used and allowed per quota (set by a superadmin with PATCH /api/companies/{id})."""
    return await UsageService(session, subject, settings).of_company(company_id)
