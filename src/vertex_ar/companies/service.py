from __future__ import annotations

import re
import secrets
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.companies.models import Company
from vertex_ar.companies.repository import CompanyRepository
from vertex_ar.companies.schemas import CompanyCreate, CompanyUpdate
from vertex_ar.connections.service import assign_storage, provision_company
from vertex_ar.content.service import ContentService
from vertex_ar.core.errors import Conflict
from vertex_ar.core.schemas import PageParams
from vertex_ar.core.settings import Settings
from vertex_ar.core.tenancy import AuthSubject
from vertex_ar.users.repository import UserRepository


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:80] or "company"


class CompanyService:
    def __init__(
        self,
        session: AsyncSession,
        subject: AuthSubject,
        settings: Settings,
        contents: ContentService,
    ) -> None:
        self.session = session
        self.subject = subject
        self.settings = settings
        self.contents = contents
        self.repository = CompanyRepository(session, subject)

    async def list(self, page: PageParams) -> tuple[Sequence[Company], int]:
        return await self.repository.page(
            self.repository.select(), limit=page.limit, offset=page.offset
        )

    async def get(self, company_id: int) -> Company:
        return await self.repository.get(company_id)

    async def create(self, data: CompanyCreate) -> Company:
        self.subject.require_superadmin()
        slug = data.slug or slugify(data.name)
        if await self.repository.slug_taken(slug):
            if data.slug:
                raise Conflict(f"slug {slug!r} is already used by another company")
            slug = f"{slug}-{secrets.token_hex(3)}"
        company = await self.repository.add(
            Company(name=data.name, slug=slug, timezone=data.timezone)
        )
        await provision_company(self.session, self.settings, company.id)
        await self.session.commit()
        return company

    async def update(self, company_id: int, data: CompanyUpdate) -> Company:
        company = await self.repository.get(company_id)
        self.subject.require_superadmin()
        changes = data.model_dump(exclude_unset=True)
        if (slug := changes.get("slug")) and await self.repository.slug_taken(
            slug, except_id=company.id
        ):
            raise Conflict(f"slug {slug!r} is already used by another company")
        if (connection_id := changes.pop("storage_connection_id", None)) is not None:
            await assign_storage(self.session, self.settings, company, connection_id)
        if changes.get("active") is False and company.active:
            # Suspension ends its users' sessions for good, not only while it lasts.
            await UserRepository(self.session).revoke_company_tokens(company.id)
        for field, value in changes.items():
            if value is not None:
                setattr(company, field, value)
        await self.session.commit()
        return company

    async def delete(self, company_id: int) -> None:
        """Delete the company with its rows (cascade) and then its media."""
        company = await self.repository.get(company_id)
        self.subject.require_superadmin()
        await self.contents.delete_with_content(company, company_id=company.id)
