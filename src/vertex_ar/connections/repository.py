"""Storage connections are platform-wide (not tenant rows): only superadmins reach them."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.companies.models import Company
from vertex_ar.connections.models import StorageConnection
from vertex_ar.core.errors import NotFound


class ConnectionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, connection_id: int) -> StorageConnection:
        connection = await self.session.get(StorageConnection, connection_id)
        if connection is None:
            raise NotFound(f"storage connection {connection_id} not found")
        return connection

    async def page(self, *, limit: int, offset: int) -> tuple[Sequence[StorageConnection], int]:
        total = await self.session.scalar(select(func.count(StorageConnection.id)))
        rows = await self.session.scalars(
            select(StorageConnection).order_by(StorageConnection.id).limit(limit).offset(offset)
        )
        return rows.all(), int(total or 0)

    async def name_taken(self, name: str, *, except_id: int | None = None) -> bool:
        stmt = select(StorageConnection.id).where(StorageConnection.name == name)
        if except_id is not None:
            stmt = stmt.where(StorageConnection.id != except_id)
        return await self.session.scalar(stmt) is not None

    async def companies_using(self, connection_id: int) -> list[int]:
        rows = await self.session.scalars(
            select(Company.id).where(Company.storage_connection_id == connection_id)
        )
        return list(rows.all())

    async def in_use(self) -> Sequence[tuple[StorageConnection, int]]:
        """Connections assigned to at least one company, with the number of companies."""
        rows = await self.session.execute(
            select(StorageConnection, func.count(Company.id))
            .join(Company, Company.storage_connection_id == StorageConnection.id)
            .group_by(StorageConnection.id)
            .order_by(StorageConnection.id)
        )
        return [(connection, int(count)) for connection, count in rows.all()]

    async def add(self, connection: StorageConnection) -> StorageConnection:
        self.session.add(connection)
        await self.session.flush()
        return connection

    async def delete(self, connection: StorageConnection) -> None:
        await self.session.delete(connection)
        await self.session.flush()
