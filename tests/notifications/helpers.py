"""Running the jobs as Beat does (same functions), and reading the outbox."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI
from sqlalchemy import select

from tests.support.api import Api
from tests.support.content import make_content
from tests.support.tenants import Tenant
from vertex_ar.notifications.models import Notification, OutboxDelivery
from vertex_ar.tasks.jobs import JOBS


async def run(app: FastAPI, name: str) -> Any:
    async with app.state.database.sessions() as session:
        return await JOBS[name].run(session, app.state.settings)


async def deliveries(app: FastAPI) -> list[OutboxDelivery]:
    async with app.state.database.sessions() as session:
        return list(
            (await session.scalars(select(OutboxDelivery).order_by(OutboxDelivery.id))).all()
        )


async def notifications(app: FastAPI) -> list[Notification]:
    async with app.state.database.sessions() as session:
        rows = await session.scalars(select(Notification).order_by(Notification.id))
        return list(rows.all())


async def configure(api: Api, company_id: int, **body: Any) -> None:
    body = {"emails": ["ops@alpha.example"], "telegram_chat_ids": ["-100123"], **body}
    response = await api.put(f"/api/companies/{company_id}/notifications", json=body)
    assert response.status_code == 200, response.text


def in_days(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


async def expiring(
    tenant: Tenant, clips: list[bytes], days: float, **fields: Any
) -> dict[str, Any]:
    return await make_content(tenant, clips[:1], expires_at=in_days(days), **fields)


async def until(predicate: Any, timeout: float, what: str) -> Any:
    """Poll an async predicate (no fixed sleeps before asserting)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if value := await predicate():
            return value
        await asyncio.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")
