from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence

import anyio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.audit.service import changed, record
from vertex_ar.companies.models import Company
from vertex_ar.companies.repository import CompanyRepository
from vertex_ar.companies.schemas import BrandingUpdate, CompanyCreate, CompanyUpdate
from vertex_ar.connections.service import assign_storage, provision_company
from vertex_ar.content.media import validate_image
from vertex_ar.content.models import ARContent
from vertex_ar.content.uploads import ReceivedFile
from vertex_ar.core.errors import Conflict, InvalidInput, PayloadTooLarge
from vertex_ar.core.schemas import PageParams
from vertex_ar.core.settings import Settings
from vertex_ar.core.tenancy import AuthSubject
from vertex_ar.trash.operations import trash_company
from vertex_ar.users.repository import UserRepository

QUOTA_FIELDS = frozenset({"quota_storage_bytes", "quota_content_items", "quota_videos_per_content"})

# A start-screen logo: shown at most ~200 px wide, sent with every first visit.
MAX_LOGO_BYTES = 512 * 1024
MAX_LOGO_PIXELS = 4_000_000


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:80] or "company"


class CompanyService:
    def __init__(
        self,
        session: AsyncSession,
        subject: AuthSubject,
        settings: Settings,
    ) -> None:
        self.session = session
        self.subject = subject
        self.settings = settings
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
        record(self.session, self.subject, "create", kind="company", item_id=company.id,
               company_id=company.id, label=company.name)  # fmt: skip
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
            if value is not None or field in QUOTA_FIELDS:  # a null quota: the default again
                setattr(company, field, value)
        record(self.session, self.subject, "update", kind="company", item_id=company.id,
               company_id=company.id, label=changed(company.name, data))  # fmt: skip
        await self.session.commit()
        return company

    async def update_branding(self, company_id: int, data: BrandingUpdate) -> Company:
        company = await self._brandable(company_id)
        for field, value in data.model_dump(exclude_unset=True).items():
            setattr(company, field, value)
        record(self.session, self.subject, "update", kind="company", item_id=company.id,
               company_id=company.id, label=f"{company.name}: branding")  # fmt: skip
        await self.session.commit()
        return company

    async def before_logo_upload(self, company_id: int) -> None:
        """Refuse early (404/403) and hold no database connection while the body arrives."""
        await self._brandable(company_id)
        await self.session.close()

    async def set_logo(self, company_id: int, logo: ReceivedFile) -> Company:
        """Validated like a portrait (sniffed, fully decoded, EXIF-rotated), kept in the row."""
        company = await self._brandable(company_id)
        image = await anyio.to_thread.run_sync(validate_image, logo.path, "logo", MAX_LOGO_PIXELS)
        data = await anyio.Path(image.path).read_bytes()
        if len(data) > MAX_LOGO_BYTES:  # EXIF rotation re-encodes: check what is stored
            raise PayloadTooLarge(f"logo: at most {MAX_LOGO_BYTES // 1024} KB")
        company.logo = data
        company.logo_mime = image.mime
        company.logo_digest = hashlib.sha256(data).hexdigest()[:16]
        record(self.session, self.subject, "update", kind="company", item_id=company.id,
               company_id=company.id, label=f"{company.name}: logo")  # fmt: skip
        await self.session.commit()
        return company

    async def delete_logo(self, company_id: int) -> Company:
        company = await self._brandable(company_id)
        company.logo = company.logo_mime = company.logo_digest = None
        record(self.session, self.subject, "update", kind="company", item_id=company.id,
               company_id=company.id, label=f"{company.name}: logo removed")  # fmt: skip
        await self.session.commit()
        return company

    async def _brandable(self, company_id: int) -> Company:
        """The company, for its superadmin or its own company admin (404 to other tenants)."""
        company = await self.repository.get(company_id)
        self.subject.require_team_admin()
        return company

    async def delete(self, company_id: int, confirm: str | None) -> None:
        """Move the company to the trash with its projects and content; its users' sessions
        end. A company with content is deleted only when `confirm` repeats its name."""
        company = await self.repository.get(company_id)
        self.subject.require_superadmin()
        has_content = await self.session.scalar(
            select(ARContent.id)
            .where(ARContent.company_id == company.id, ARContent.deleted_at.is_(None))
            .limit(1)
        )
        if has_content is not None:
            if confirm is None:
                raise InvalidInput(
                    "Invalid input: confirm (the company has content: repeat its name)",
                    details=[{"field": "confirm", "message": "required: the company's name"}],
                )
            if confirm != company.name:
                raise InvalidInput(
                    "Invalid input: confirm (does not match the company's name)",
                    details=[{"field": "confirm", "message": "does not match the company's name"}],
                )
        await trash_company(self.session, company, self.subject)
        await UserRepository(self.session).revoke_company_tokens(company.id)
        record(self.session, self.subject, "delete", kind="company", item_id=company.id,
               company_id=company.id, label=company.name)  # fmt: skip
        await self.session.commit()
