from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status

from vertex_ar.auth.dependencies import Subject
from vertex_ar.core.deps import SessionDep
from vertex_ar.core.schemas import Page, PageParams, page_of
from vertex_ar.users.schemas import UserCreate, UserRead, UserUpdate
from vertex_ar.users.service import UserService

router = APIRouter(prefix="/api/users", tags=["users"])


def _service(session: SessionDep, subject: Subject) -> UserService:
    return UserService(session, subject)


ServiceDep = Annotated[UserService, Depends(_service)]


@router.get("")
async def list_users(service: ServiceDep, page: Annotated[PageParams, Depends()]) -> Page[UserRead]:
    items, total = await service.list(page)
    return page_of(UserRead, items, total, page)


@router.post("", status_code=status.HTTP_201_CREATED)
async def create_user(data: UserCreate, service: ServiceDep) -> UserRead:
    return UserRead.model_validate(await service.create(data))


@router.get("/{user_id}")
async def get_user(user_id: int, service: ServiceDep) -> UserRead:
    return UserRead.model_validate(await service.get(user_id))


@router.patch("/{user_id}")
async def update_user(user_id: int, data: UserUpdate, service: ServiceDep) -> UserRead:
    return UserRead.model_validate(await service.update(user_id, data))


@router.delete("/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_user(user_id: int, service: ServiceDep) -> Response:
    await service.delete(user_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
