from __future__ import annotations

from fastapi import APIRouter

from vertex_ar.auth import service
from vertex_ar.auth.dependencies import Subject
from vertex_ar.auth.schemas import LoginRequest, TokenResponse
from vertex_ar.core.deps import SessionDep, SettingsDep
from vertex_ar.users.repository import UserRepository
from vertex_ar.users.schemas import UserRead

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/login", response_model=TokenResponse)
async def login(data: LoginRequest, session: SessionDep, settings: SettingsDep) -> TokenResponse:
    token = await service.login(session, settings, data.email, data.password)
    return TokenResponse(access_token=token, expires_in=settings.access_token_minutes * 60)


@router.get("/me", response_model=UserRead)
async def me(subject: Subject, session: SessionDep) -> object:
    return await UserRepository(session).by_id(subject.user_id)
