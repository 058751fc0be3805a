from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from vertex_ar.auth.dependencies import Subject
from vertex_ar.connections.routing import RoutedStorage
from vertex_ar.core.deps import SessionDep, SettingsDep
from vertex_ar.core.schemas import Page, PageParams, page_of
from vertex_ar.projects.repository import ProjectRepository
from vertex_ar.projects.schemas import ProjectCreate, ProjectRead, ProjectUpdate
from vertex_ar.projects.service import ProjectService

router = APIRouter(prefix="/api/projects", tags=["projects"])


def _service(session: SessionDep, subject: Subject) -> ProjectService:
    return ProjectService(ProjectRepository(session, subject))


ServiceDep = Annotated[ProjectService, Depends(_service)]


@router.get("", response_model=Page[ProjectRead])
async def list_projects(
    service: ServiceDep, page: Annotated[PageParams, Depends()], company_id: int | None = None
) -> object:
    items, total = await service.list(page, company_id)
    return page_of(ProjectRead, items, total, page)


@router.post("", response_model=ProjectRead, status_code=status.HTTP_201_CREATED)
async def create_project(data: ProjectCreate, service: ServiceDep) -> object:
    return await service.create(data)


@router.get("/{project_id}", response_model=ProjectRead)
async def get_project(project_id: int, service: ServiceDep) -> object:
    return await service.get(project_id)


@router.patch("/{project_id}", response_model=ProjectRead)
async def update_project(project_id: int, data: ProjectUpdate, service: ServiceDep) -> object:
    return await service.update(project_id, data)


@router.delete("/{project_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_project(
    project_id: int, service: ServiceDep, session: SessionDep, settings: SettingsDep
) -> Response:
    await service.delete(project_id, RoutedStorage(session, settings))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
