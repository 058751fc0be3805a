"""Storage connections are platform-wide (not tenant rows): only superadmins reach them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.companies.models import Company
from vertex_ar.connections.models import StorageConnection
from vertex_ar.content.models import ARContent, Video
from vertex_ar.core.errors import NotFound


class CompanyMedia(NamedTuple):
    company_id: int
    name: str
    connection_id: int | None
    content_items: int
    video_bytes: int


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

    async def media_per_company(self) -> list[CompanyMedia]:
        """Every company (trashed ones too: their media stay until purged) with its connection,
        content count and the bytes of its videos, largest first."""
        content = (
            select(ARContent.company_id, func.count().label("content_items"))
            .group_by(ARContent.company_id)
            .subquery()
        )
        videos = (
            select(ARContent.company_id, func.sum(Video.size_bytes).label("bytes"))
            .join(Video, Video.content_id == ARContent.id)
            .group_by(ARContent.company_id)
            .subquery()
        )
        stmt = (
            select(Company.id, Company.name, Company.storage_connection_id,
                   func.coalesce(content.c.content_items, 0), func.coalesce(videos.c.bytes, 0))
            .outerjoin(content, content.c.company_id == Company.id)
            .outerjoin(videos, videos.c.company_id == Company.id)
            .order_by(func.coalesce(videos.c.bytes, 0).desc(), Company.id)
        )  # fmt: skip
        return [CompanyMedia(*row) for row in await self.session.execute(stmt)]

    async def add(self, connection: StorageConnection) -> StorageConnection:
        self.session.add(connection)
        await self.session.flush()
        return connection

    async def delete(self, connection: StorageConnection) -> None:
        await self.session.delete(connection)
        await self.session.flush()
