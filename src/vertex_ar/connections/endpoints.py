from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Cookie, Depends, Request, Response, status
from fastapi.responses import JSONResponse, RedirectResponse

from vertex_ar.auth.dependencies import SuperadminSubject
from vertex_ar.connections import oauth
from vertex_ar.connections.schemas import (
    ConnectionCreate,
    ConnectionRead,
    ConnectionTestResult,
    ConnectionUpdate,
    UsageRead,
    YandexAuthorizeRead,
    reading,
)
from vertex_ar.connections.service import ConnectionService
from vertex_ar.core.deps import SessionDep, SettingsDep
from vertex_ar.core.errors import AppError
from vertex_ar.core.schemas import Page, PageParams

router = APIRouter(prefix="/api/storage/connections", tags=["storage"])
oauth_router = APIRouter(prefix=oauth.CALLBACK_PATH, tags=["storage"])
# Where a browser that started the flow in the admin UI is sent back to.
ADMIN_STORAGE_PAGE = "/admin/storage"


def _service(
    session: SessionDep, subject: SuperadminSubject, settings: SettingsDep
) -> ConnectionService:
    return ConnectionService(session, subject, settings)


ServiceDep = Annotated[ConnectionService, Depends(_service)]


@router.get("", response_model=Page[ConnectionRead])
async def list_connections(
    service: ServiceDep, settings: SettingsDep, page: Annotated[PageParams, Depends()]
) -> Page[ConnectionRead]:
    items, total = await service.list(page)
    return Page[ConnectionRead].model_validate(
        {"items": items, "total": total, "limit": page.limit, "offset": page.offset},
        context=reading(settings),
    )


@router.post("", response_model=ConnectionRead, status_code=status.HTTP_201_CREATED)
async def create_connection(
    data: ConnectionCreate, service: ServiceDep, settings: SettingsDep
) -> ConnectionRead:
    return ConnectionRead.model_validate(await service.create(data), context=reading(settings))


@router.get("/{connection_id}", response_model=ConnectionRead)
async def get_connection(
    connection_id: int, service: ServiceDep, settings: SettingsDep
) -> ConnectionRead:
    return ConnectionRead.model_validate(
        await service.get(connection_id), context=reading(settings)
    )


@router.patch("/{connection_id}", response_model=ConnectionRead)
async def update_connection(
    connection_id: int, data: ConnectionUpdate, service: ServiceDep, settings: SettingsDep
) -> ConnectionRead:
    return ConnectionRead.model_validate(
        await service.update(connection_id, data), context=reading(settings)
    )


@router.delete("/{connection_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_connection(connection_id: int, service: ServiceDep) -> Response:
    await service.delete(connection_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{connection_id}/test", response_model=ConnectionTestResult)
async def test_connection(connection_id: int, service: ServiceDep) -> ConnectionTestResult:
    return await service.test(connection_id)


@router.get("/{connection_id}/usage", response_model=UsageRead)
async def connection_usage(connection_id: int, service: ServiceDep) -> UsageRead:
    return await service.usage(connection_id)


@oauth_router.get("/authorize", response_model=YandexAuthorizeRead)
async def yandex_authorize(
    response: Response,
    session: SessionDep,
    settings: SettingsDep,
    subject: SuperadminSubject,
    name: str | None = None,
    connection_id: int | None = None,
    base_folder: str = "app:/vertex-ar",
) -> YandexAuthorizeRead:
    """Start connecting a Yandex Disk: open `authorize_url` in the same browser."""
    request = oauth.AuthorizeRequest(connection_id, name, base_folder)
    url, state, nonce = await oauth.authorize(session, settings, subject, request)
    oauth.set_state_cookie(response, settings, nonce)
    return YandexAuthorizeRead(authorize_url=url, state=state)


@oauth_router.get("/callback", response_model=ConnectionRead)
async def yandex_callback(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
    nonce: Annotated[str | None, Cookie(alias=oauth.STATE_COOKIE)] = None,
) -> Response:
    """Where Yandex sends the browser back; creates or updates the connection. A browser
    (asking for HTML) goes on to the admin Storage page, which shows the outcome."""
    browser = "text/html" in request.headers.get("accept", "")
    try:
        connection = await oauth.callback(
            session, settings, code=code, state=state, error=error, cookie_nonce=nonce
        )
    except AppError as exc:
        if not browser:
            raise
        failed = f"{ADMIN_STORAGE_PAGE}?{urlencode({'oauth_error': exc.message})}"
        return RedirectResponse(failed, status_code=status.HTTP_303_SEE_OTHER)
    if browser:
        response: Response = RedirectResponse(
            f"{ADMIN_STORAGE_PAGE}?connected={connection.id}", status_code=status.HTTP_303_SEE_OTHER
        )
    else:
        read = ConnectionRead.model_validate(connection, context=reading(settings))
        response = JSONResponse(read.model_dump(mode="json"))
    response.delete_cookie(oauth.STATE_COOKIE, path=oauth.CALLBACK_PATH)
    return response
