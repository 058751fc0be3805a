from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from vertex_ar.auth.dependencies import Subject
from vertex_ar.companies.repository import CompanyRepository
from vertex_ar.companies.schemas import CompanyCreate, CompanyRead, CompanyUpdate
from vertex_ar.companies.service import CompanyService
from vertex_ar.core.deps import SessionDep, SettingsDep
from vertex_ar.core.schemas import Page, PageParams, page_of

router = APIRouter(prefix="/api/companies", tags=["companies"])


def _service(session: SessionDep, subject: Subject, settings: SettingsDep) -> CompanyService:
    return CompanyService(CompanyRepository(session, subject), settings)


ServiceDep = Annotated[CompanyService, Depends(_service)]


@router.get("", response_model=Page[CompanyRead])
async def list_companies(service: ServiceDep, page: Annotated[PageParams, Depends()]) -> object:
    items, total = await service.list(page)
    return page_of(CompanyRead, items, total, page)


@router.post("", response_model=CompanyRead, status_code=status.HTTP_201_CREATED)
async def create_company(data: CompanyCreate, service: ServiceDep, subject: Subject) -> object:
    return await service.create(subject, data)


@router.get("/{company_id}", response_model=CompanyRead)
async def get_company(company_id: int, service: ServiceDep) -> object:
    return await service.get(company_id)


@router.patch("/{company_id}", response_model=CompanyRead)
async def update_company(
    company_id: int, data: CompanyUpdate, service: ServiceDep, subject: Subject
) -> object:
    return await service.update(subject, company_id, data)


@router.delete("/{company_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_company(company_id: int, service: ServiceDep, subject: Subject) -> Response:
    await service.delete(subject, company_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
