from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from vertex_ar.auth.dependencies import Subject
from vertex_ar.core.deps import SessionDep
from vertex_ar.core.schemas import Page, PageParams, page_of
from vertex_ar.projects.schemas import ProjectCreate, ProjectRead, ProjectUpdate
from vertex_ar.projects.service import ProjectService

router = APIRouter(prefix="/api/projects", tags=["projects"])


def _service(session: SessionDep, subject: Subject) -> ProjectService:
    return ProjectService(session, subject)


ServiceDep = Annotated[ProjectService, Depends(_service)]


@router.get("")
async def list_projects(
    service: ServiceDep, page: Annotated[PageParams, Depends()], company_id: int | None = None
) -> Page[ProjectRead]:
    items, total = await service.list(page, company_id)
    return page_of(ProjectRead, items, total, page)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_project(data: ProjectCreate, service: ServiceDep) -> ProjectRead:
    return ProjectRead.model_validate(await service.create(data))


@router.get("/{project_id}")
async def get_project(project_id: int, service: ServiceDep) -> ProjectRead:
    return ProjectRead.model_validate(await service.get(project_id))


@router.patch("/{project_id}")
async def update_project(project_id: int, data: ProjectUpdate, service: ServiceDep) -> ProjectRead:
    return ProjectRead.model_validate(await service.update(project_id, data))


@router.delete("/{project_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_project(project_id: int, service: ServiceDep) -> Response:
    await service.delete(project_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
