"""Rotation rules (admin side) and today's video (viewer side)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

import structlog
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.content.models import ARContent, Video
from vertex_ar.content.repository import ContentRepository
from vertex_ar.core.clock import local_now, seconds_left_today, zone
from vertex_ar.core.errors import InvalidInput, NotFound
from vertex_ar.core.tenancy import AuthSubject
from vertex_ar.rotation.cache import RotationCache
from vertex_ar.rotation.models import VideoRotationRule
from vertex_ar.rotation.repository import RotationRepository
from vertex_ar.rotation.resolver import RotationPlan, resolve_video
from vertex_ar.rotation.schemas import RotationConfig, RotationRuleIn

log = structlog.get_logger(__name__)


def plan_of(rule: VideoRotationRule | None) -> RotationPlan | None:
    """The rule as a plan; a stored config that no longer validates plays the fallback video
    (logged) rather than breaking the viewer."""
    if rule is None:
        return None
    try:
        return RotationConfig.model_validate(rule.config).to_plan(rule.default_video_id)
    except ValidationError as exc:
        log.error("rotation.invalid_stored_rule", content_id=rule.content_id, error=str(exc))
        return None


async def todays_video(
    session: AsyncSession,
    cache: RotationCache | None,
    content_id: int,
    timezone: str,
    now: datetime | None = None,
) -> Video | None:
    """The video a content item plays now (None when it has no video).

    The caller has already decided that the content may be shown (tenancy or public id).
    """
    repository = RotationRepository(session)
    rule = await repository.rule(content_id)
    videos = await repository.videos(content_id)
    return await choose_today(cache, content_id, timezone, rule, videos, now)


async def choose_today(
    cache: RotationCache | None,
    content_id: int,
    timezone: str,
    rule: VideoRotationRule | None,
    videos: Sequence[Video],
    now: datetime | None = None,
) -> Video | None:
    """Today's video among ``videos`` (all of the content's, with its ``rule``: the caller read
    them, in one query on the viewer's path); the choice is cached per local day."""
    by_id = {video.id: video for video in videos}
    local = local_now(timezone, now)
    day = local.date()
    generation = ""
    inputs = _inputs_digest(rule, by_id)
    if cache is not None:
        generation, cached = await cache.lookup(content_id, day, inputs)
        if cached is not None and cached in by_id:
            return by_id[cached]
    chosen = resolve_video(plan_of(rule), set(by_id), content_id, day)
    if chosen is None:
        return None
    if cache is not None:
        await cache.store(content_id, generation, day, inputs, chosen, seconds_left_today(local))
    return by_id[chosen]


def _inputs_digest(rule: VideoRotationRule | None, videos: Iterable[int]) -> str:
    """What the choice is made of (the rule and the video ids), as a short digest. A request that
    read the rule just before another one changed it may read the generation just after that
    change's bump; its choice then lands under the old digest, where no reader of the new rule
    looks."""
    plan = [rule.type, rule.config, rule.default_video_id] if rule is not None else None
    text = json.dumps([plan, sorted(videos)], sort_keys=True, default=str)
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


@dataclass(frozen=True)
class TodaysChoice:
    date: date
    timezone: str
    video_id: int | None


@dataclass(frozen=True)
class RuleToday:
    """A rule and the video it chooses today, in the company's time zone."""

    rule: VideoRotationRule
    today: TodaysChoice


class RotationService:
    def __init__(
        self, session: AsyncSession, subject: AuthSubject, cache: RotationCache | None
    ) -> None:
        self.session = session
        self.subject = subject
        self.cache = cache
        self.contents = ContentRepository(session, subject)
        self.rules = RotationRepository(session)

    async def read(self, content_id: int) -> RuleToday:
        content = await self.contents.get(content_id)
        rule = await self.rules.rule(content.id)
        if rule is None:
            raise NotFound(f"AR content {content_id} has no rotation rule")
        return await self._with_today(content, rule)

    async def put(self, content_id: int, data: RotationRuleIn) -> RuleToday:
        self.subject.require_editor()
        content = await self.contents.get(content_id)
        own = {v.id for v in content.videos}
        unknown = sorted(data.video_ids() - own)
        if unknown:
            raise InvalidInput(
                f"videos {unknown} are not videos of AR content {content_id}",
                details={"unknown_video_ids": unknown, "video_ids": sorted(own)},
            )
        rule = await self.rules.replace(
            content.id,
            data.type,
            data.config.model_dump(mode="json", exclude_none=True),
            data.default_video_id,
        )
        await self.session.commit()
        await self._invalidate(content.id)
        return await self._with_today(content, rule)

    async def delete(self, content_id: int) -> None:
        self.subject.require_editor()
        content = await self.contents.get(content_id)
        rule = await self.rules.rule(content.id)
        if rule is None:
            raise NotFound(f"AR content {content_id} has no rotation rule")
        await self.rules.delete(rule)
        await self.session.commit()
        await self._invalidate(content.id)

    async def _invalidate(self, content_id: int) -> None:
        if self.cache is not None:
            await self.cache.invalidate(content_id)

    async def _with_today(self, content: ARContent, rule: VideoRotationRule) -> RuleToday:
        timezone = await self.rules.company_timezone(content.company_id)
        video = await todays_video(self.session, self.cache, content.id, timezone)
        today = TodaysChoice(
            date=local_now(timezone).date(),
            timezone=str(zone(timezone)),
            video_id=video.id if video else None,
        )
        return RuleToday(rule, today)
