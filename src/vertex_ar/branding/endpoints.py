from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from vertex_ar.auth.dependencies import Subject
from vertex_ar.branding.schemas import BrandingRead, BrandingUpdate
from vertex_ar.branding.service import BrandingService
from vertex_ar.connections.routing import RoutedStorage
from vertex_ar.content.uploads import (
    FileField,
    multipart_schema,
    receive_multipart,
    upload_folder,
)
from vertex_ar.core.deps import SessionDep, SettingsDep
from vertex_ar.core.errors import InvalidInput

router = APIRouter(prefix="/api/companies/{company_id}/branding", tags=["branding"])
MAX_LOGO_BYTES = 2 * 1024 * 1024


def _service(session: SessionDep, subject: Subject, settings: SettingsDep) -> BrandingService:
    return BrandingService(session, subject, RoutedStorage(session, settings))


ServiceDep = Annotated[BrandingService, Depends(_service)]


@router.get("")
async def get_branding(company_id: int, service: ServiceDep) -> BrandingRead:
    return await service.get(company_id)


@router.patch("")
async def update_branding(
    company_id: int, data: BrandingUpdate, service: ServiceDep
) -> BrandingRead:
    return await service.update(company_id, data)


@router.put(
    "/logo",
    openapi_extra=multipart_schema(files={"logo": "PNG, JPEG or WebP, at most 2 MB"},
                                   required=["logo"]),
)  # fmt: skip
async def put_logo(
    company_id: int, request: Request, service: ServiceDep, settings: SettingsDep
) -> BrandingRead:
    await service.get(company_id)  # another tenant's id is a 404 before any byte is stored
    async with upload_folder(settings) as folder:
        form = await receive_multipart(
            request, folder, {"logo": FileField(MAX_LOGO_BYTES)}, settings.upload_idle_seconds
        )
        logos = form.files.get("logo", [])
        if len(logos) != 1:
            raise InvalidInput("Invalid input: logo (exactly one image file is required)")
        return await service.set_logo(company_id, logos[0].path)


@router.delete("/logo")
async def delete_logo(company_id: int, service: ServiceDep) -> BrandingRead:
    return await service.delete_logo(company_id)
