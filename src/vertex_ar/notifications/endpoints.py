"""Notification settings per company (`/api/companies/{id}/notifications`) and the inbox
(`/api/notifications`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from vertex_ar.auth.dependencies import Subject
from vertex_ar.core.deps import SessionDep, SettingsDep
from vertex_ar.core.schemas import Page, PageParams
from vertex_ar.notifications.schemas import (
    NotificationRead,
    NotificationSettingsIn,
    NotificationSettingsRead,
    TestReport,
    present,
)
from vertex_ar.notifications.service import NotificationService

settings_router = APIRouter(prefix="/api/companies", tags=["notifications"])
router = APIRouter(prefix="/api/notifications", tags=["notifications"])


def _service(session: SessionDep, subject: Subject, settings: SettingsDep) -> NotificationService:
    return NotificationService(session, subject, settings)


ServiceDep = Annotated[NotificationService, Depends(_service)]


@settings_router.get("/{company_id}/notifications")
async def get_notification_settings(
    company_id: int, service: ServiceDep
) -> NotificationSettingsRead:
    return await service.get_settings(company_id)


@settings_router.put("/{company_id}/notifications")
async def put_notification_settings(
    company_id: int, data: NotificationSettingsIn, service: ServiceDep
) -> NotificationSettingsRead:
    return await service.put_settings(company_id, data)


@settings_router.post("/{company_id}/notifications/test")
async def test_notifications(company_id: int, service: ServiceDep) -> TestReport:
    return await service.send_test(company_id)


@router.get("")
async def list_notifications(
    service: ServiceDep,
    page: Annotated[PageParams, Depends()],
    company_id: Annotated[int | None, Query()] = None,
    unread: Annotated[bool | None, Query()] = None,
) -> Page[NotificationRead]:
    rows, total = await service.inbox(page, company_id=company_id, unread=unread)
    return Page[NotificationRead](
        items=[present(row) for row in rows], total=total, limit=page.limit, offset=page.offset
    )


@router.post("/{notification_id}/read")
async def mark_notification_read(notification_id: int, service: ServiceDep) -> NotificationRead:
    return present(await service.mark_read(notification_id))
