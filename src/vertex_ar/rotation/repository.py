"""Rotation rules and the videos they choose from; rules belong to a content item and are scoped
through it (the caller first loads the content with a ContentRepository)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.companies.models import Company
from vertex_ar.content.models import Video
from vertex_ar.core.db import upsert_insert, utcnow
from vertex_ar.rotation.models import RotationType, VideoRotationRule


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

    async def replace(
        self,
        content_id: int,
        type: RotationType,
        config: dict[str, Any],
        default_video_id: int | None,
    ) -> VideoRotationRule:
        """Create or overwrite the content's one rule in one statement: concurrent first saves
        cannot both insert (the last one wins)."""
        now = utcnow()
        columns = {"type": type, "config": config, "default_video_id": default_video_id}
        statement = upsert_insert(self.session, VideoRotationRule).values(
            content_id=content_id, created_at=now, updated_at=now, **columns
        )
        await self.session.execute(
            statement.on_conflict_do_update(
                index_elements=[VideoRotationRule.content_id], set_={**columns, "updated_at": now}
            )
        )
        rule = await self.session.scalar(
            select(VideoRotationRule)
            .where(VideoRotationRule.content_id == content_id)
            .execution_options(populate_existing=True)
        )
        assert rule is not None  # just written, in this transaction
        return rule

    async def delete(self, rule: VideoRotationRule) -> None:
        await self.session.delete(rule)
        await self.session.flush()
