from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import InstrumentedAttribute

from vertex_ar.companies.models import Company
from vertex_ar.core.tenancy import ScopedRepository


class CompanyRepository(ScopedRepository[Company]):
    model = Company
    label = "company"

    @classmethod
    def company_column(cls) -> InstrumentedAttribute[Any]:
        return Company.id  # a company is its own tenant

    async def slug_taken(self, slug: str, *, except_id: int | None = None) -> bool:
        stmt = select(Company.id).where(Company.slug == slug)
        if except_id is not None:
            stmt = stmt.where(Company.id != except_id)
        return await self.session.scalar(stmt) is not None
