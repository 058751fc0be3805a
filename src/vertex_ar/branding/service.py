"""Reading and changing a company's branding; the logo lives in the company's storage."""

from __future__ import annotations

from pathlib import Path

import anyio
from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.branding.models import CompanyBranding
from vertex_ar.branding.schemas import BrandingRead, BrandingUpdate
from vertex_ar.companies.repository import CompanyRepository
from vertex_ar.content.media import IMAGE_TYPES, validate_image
from vertex_ar.core.errors import ServiceUnavailable
from vertex_ar.core.tenancy import AuthSubject
from vertex_ar.storage.base import Storage, StorageError, new_key
from vertex_ar.storage.transaction import StagedWrites

MAX_LOGO_PIXELS = 4_000_000  # a logo is shown at most a few hundred pixels wide


def present(company_id: int, branding: CompanyBranding | None) -> BrandingRead:
    if branding is None:
        return BrandingRead(
            company_id=company_id,
            accent_color=None,
            start_text=None,
            public_base_url=None,
            has_logo=False,
        )
    return BrandingRead(
        company_id=company_id,
        accent_color=branding.accent_color,
        start_text=branding.start_text,
        public_base_url=branding.public_base_url,
        has_logo=branding.logo_key is not None,
    )


async def branding_of(session: AsyncSession, company_id: int) -> CompanyBranding | None:
    """A company's branding without a subject: the public viewer and QR codes read it."""
    return await session.get(CompanyBranding, company_id)


class BrandingService:
    def __init__(self, session: AsyncSession, subject: AuthSubject, storage: Storage) -> None:
        self.session = session
        self.companies = CompanyRepository(session, subject)
        self.storage = storage

    async def _row(self, company_id: int) -> CompanyBranding:
        await self.companies.get(company_id)  # another tenant's company: 404
        branding = await self.session.get(CompanyBranding, company_id)
        if branding is None:
            branding = CompanyBranding(company_id=company_id)
            self.session.add(branding)
        return branding

    async def get(self, company_id: int) -> BrandingRead:
        await self.companies.get(company_id)
        return present(company_id, await branding_of(self.session, company_id))

    async def update(self, company_id: int, data: BrandingUpdate) -> BrandingRead:
        branding = await self._row(company_id)
        for field, value in data.model_dump(exclude_unset=True).items():
            setattr(branding, field, value)
        await self.session.commit()
        return present(company_id, branding)

    async def set_logo(self, company_id: int, upload: Path) -> BrandingRead:
        branding = await self._row(company_id)
        image = await anyio.to_thread.run_sync(validate_image, upload, "logo", MAX_LOGO_PIXELS)
        old_key = branding.logo_key
        try:
            async with StagedWrites(self.storage) as staged:
                branding.logo_key = await staged.put_file(
                    new_key(company_id, "branding", IMAGE_TYPES[image.mime]), image.path
                )
                branding.logo_mime = image.mime
                await self.session.commit()
        except StorageError as exc:
            raise ServiceUnavailable(f"media storage is unavailable: {exc}") from exc
        if old_key:
            await self.storage.delete(old_key)
        return present(company_id, branding)

    async def delete_logo(self, company_id: int) -> BrandingRead:
        branding = await self._row(company_id)
        old_key = branding.logo_key
        branding.logo_key = branding.logo_mime = None
        await self.session.commit()
        if old_key:
            await self.storage.delete(old_key)
        return present(company_id, branding)
