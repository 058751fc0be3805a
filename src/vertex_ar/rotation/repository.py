"""Rotation rules and the videos they choose from; rules belong to a content item and are scoped
through it (the caller first loads the content with a ContentRepository)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.companies.models import Company
from vertex_ar.content.models import Video, VideoRotationRule


class RotationRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def rule(self, content_id: int) -> VideoRotationRule | None:
        rule: VideoRotationRule | None = await self.session.scalar(
            select(VideoRotationRule).where(VideoRotationRule.content_id == content_id)
        )
        return rule

    async def videos(self, content_id: int) -> Sequence[Video]:
        rows = await self.session.scalars(
            select(Video)
            .where(Video.content_id == content_id, Video.deleted_at.is_(None))
            .order_by(Video.id)
        )
        return rows.all()

    async def company_timezone(self, company_id: int) -> str:
        timezone: str | None = await self.session.scalar(
            select(Company.timezone).where(Company.id == company_id)
        )
        return timezone or "UTC"

    async def save(self, rule: VideoRotationRule) -> None:
        self.session.add(rule)
        await self.session.flush()

    async def delete(self, rule: VideoRotationRule) -> None:
        await self.session.delete(rule)
        await self.session.flush()
