from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Response, status

from vertex_ar.auth.dependencies import Subject
from vertex_ar.companies.schemas import CompanyCreate, CompanyDelete, CompanyRead, CompanyUpdate
from vertex_ar.companies.service import CompanyService
from vertex_ar.core.deps import SessionDep, SettingsDep
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
