"""Public reads by `unique_id`. No auth subject here: the unguessable id in the printed QR code
is the capability, and only what the viewer needs is read (no customer data)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.companies.models import Company
from vertex_ar.content.models import ARContent, MarkerStatus


@dataclass(frozen=True)
class PublicContent:
    id: int
    company_id: int
    unique_id: str
    title: str
    active: bool
    expires_at: datetime | None
    marker_status: MarkerStatus
    marker_key: str | None
    portrait_width: int
    portrait_height: int
    company_active: bool
    timezone: str


class PublicContentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_unique_id(self, unique_id: str) -> PublicContent | None:
        stmt = (
            select(
                ARContent.id, ARContent.company_id, ARContent.unique_id, ARContent.title,
                ARContent.active, ARContent.expires_at, ARContent.marker_status,
                ARContent.marker_key, ARContent.portrait_width, ARContent.portrait_height,
                Company.active, Company.timezone,
            )
            .join(Company, Company.id == ARContent.company_id)
            .where(ARContent.unique_id == unique_id)
        )  # fmt: skip
        row = (await self.session.execute(stmt)).one_or_none()
        return PublicContent(*tuple(row)) if row is not None else None
