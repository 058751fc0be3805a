from __future__ import annotations

from typing import Annotated

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from vertex_ar.auth.repository import RevokedTokenRepository
from vertex_ar.auth.service import binding_of
from vertex_ar.core.deps import SessionDep, SettingsDep
from vertex_ar.core.errors import Unauthorized
from vertex_ar.core.security import decode_access_token, token_binding, token_session
from vertex_ar.core.tenancy import AuthSubject
from vertex_ar.users.repository import UserRepository

bearer_credentials = HTTPBearer(auto_error=False)


async def current_subject(
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_credentials)],
) -> AuthSubject:
    if credentials is None:
        raise Unauthorized("missing bearer token")
    claims = decode_access_token(credentials.credentials, settings.secret_key)
    binding = token_binding(claims) if claims is not None else None
    issued = token_session(claims) if claims is not None else None
    if binding is None or issued is None:
        raise Unauthorized("invalid or expired token")
    users = UserRepository(session)
    user = await users.by_id(binding.user_id)
    if user is None or not user.active:
        raise Unauthorized("user is inactive or no longer exists")
    # A password, role or activity change (or a suspension) since the token was issued ends it.
    if binding_of(user) != binding:
        raise Unauthorized("this token was revoked; log in again")
    if not await users.company_active(user):
        raise Unauthorized("your company's account is suspended")
    if await RevokedTokenRepository(session).is_revoked(issued.jti):
        raise Unauthorized("this session was logged out; log in again")
    return AuthSubject(user.id, user.email, user.role, user.company_id)


async def optional_subject(
    session: SessionDep,
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_credentials)],
) -> AuthSubject | None:
    """None for an anonymous call; a bearer token, if sent, must be valid."""
    if credentials is None:
        return None
    return await current_subject(session, settings, credentials)


async def superadmin_subject(
    subject: Annotated[AuthSubject, Depends(current_subject)],
) -> AuthSubject:
    subject.require_superadmin()
    return subject


Subject = Annotated[AuthSubject, Depends(current_subject)]
SuperadminSubject = Annotated[AuthSubject, Depends(superadmin_subject)]
OptionalSubject = Annotated[AuthSubject | None, Depends(optional_subject)]
