from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request, Response, status

from vertex_ar.auth.dependencies import Subject
from vertex_ar.companies.schemas import (
    BrandingUpdate,
    CompanyCreate,
    CompanyDelete,
    CompanyRead,
    CompanyUpdate,
)
from vertex_ar.companies.service import MAX_LOGO_BYTES, CompanyService
from vertex_ar.content.uploads import FileField, multipart_schema, receive_multipart, upload_folder
from vertex_ar.core.deps import SessionDep, SettingsDep
from vertex_ar.core.errors import InvalidInput
from vertex_ar.core.schemas import Page, PageParams, page_of

router = APIRouter(prefix="/api/companies", tags=["companies"])


def _service(session: SessionDep, subject: Subject, settings: SettingsDep) -> CompanyService:
    return CompanyService(session, subject, settings)


ServiceDep = Annotated[CompanyService, Depends(_service)]


@router.get("")
async def list_companies(
    service: ServiceDep, page: Annotated[PageParams, Depends()]
) -> Page[CompanyRead]:
    items, total = await service.list(page)
    return page_of(CompanyRead, items, total, page)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_company(data: CompanyCreate, service: ServiceDep) -> CompanyRead:
    return CompanyRead.model_validate(await service.create(data))


@router.get("/{company_id}")
async def get_company(company_id: int, service: ServiceDep) -> CompanyRead:
    return CompanyRead.model_validate(await service.get(company_id))


@router.patch("/{company_id}")
async def update_company(company_id: int, data: CompanyUpdate, service: ServiceDep) -> CompanyRead:
    return CompanyRead.model_validate(await service.update(company_id, data))


@router.patch("/{company_id}/branding")
async def update_branding(
    company_id: int, data: BrandingUpdate, service: ServiceDep
) -> CompanyRead:
    """The viewer's start screen (accent colour, text) and the company's own domain in its QR
    codes and links. Its superadmin or its company admin."""
    return CompanyRead.model_validate(await service.update_branding(company_id, data))


_LOGO_FORM = multipart_schema(
    files={"logo": f"JPEG, PNG or WebP, at most {MAX_LOGO_BYTES // 1024} KB"}, required=["logo"]
)


@router.put("/{company_id}/logo", openapi_extra=_LOGO_FORM)
async def put_logo(
    company_id: int, request: Request, service: ServiceDep, settings: SettingsDep
) -> CompanyRead:
    """The logo on the viewer's start screen (replaces the previous one)."""
    await service.before_logo_upload(company_id)
    async with upload_folder(settings) as folder:
        fields = {"logo": FileField(MAX_LOGO_BYTES)}
        form = await receive_multipart(request, folder, fields, settings.upload_idle_seconds)
        logos = form.files.get("logo", [])
        if len(logos) != 1:
            raise InvalidInput(
                "Invalid input: logo (exactly one image file is required)",
                details=[{"field": "logo", "message": "exactly one file required"}],
            )
        return CompanyRead.model_validate(await service.set_logo(company_id, logos[0]))


@router.delete("/{company_id}/logo")
async def delete_logo(company_id: int, service: ServiceDep) -> CompanyRead:
    return CompanyRead.model_validate(await service.delete_logo(company_id))


@router.delete("/{company_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_company(
    company_id: int,
    service: ServiceDep,
    confirm: Annotated[
        str | None,
        Query(description="the company's name; required when the company has content"),
    ] = None,
    body: Annotated[CompanyDelete | None, Body()] = None,
) -> Response:
    """Move the company to the trash (restorable until it is purged)."""
    await service.delete(company_id, body.confirm if body is not None else confirm)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
