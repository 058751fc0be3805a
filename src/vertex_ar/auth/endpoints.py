from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.security import HTTPAuthorizationCredentials

from vertex_ar.auth.dependencies import Subject, bearer_credentials
from vertex_ar.auth.schemas import LoginRequest, TokenResponse
from vertex_ar.auth.service import AuthService
from vertex_ar.core.deps import SessionDep, SettingsDep
from vertex_ar.users.schemas import UserRead
from vertex_ar.users.service import UserService

router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post("/login", responses={401: {}, 403: {}, 429: {}})
async def login(
    data: LoginRequest, request: Request, session: SessionDep, settings: SettingsDep
) -> TokenResponse:
    service = AuthService(session, settings, request.app.state.rate_limiter)
    client_ip = request.client.host if request.client else "unknown"
    token = await service.login(data.email, data.password, client_ip)
    return TokenResponse(access_token=token, expires_in=settings.access_token_minutes * 60)


@router.get("/me")
async def me(subject: Subject, session: SessionDep) -> UserRead:
    return UserRead.model_validate(await UserService(session, subject).get(subject.user_id))


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, responses={401: {}})
async def logout(
    _subject: Subject,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_credentials)],
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    """End this token now; the account's other tokens and sessions stay valid."""
    assert credentials is not None  # `Subject` refused a call without one
    await AuthService(session, settings, request.app.state.rate_limiter).logout(
        credentials.credentials
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
