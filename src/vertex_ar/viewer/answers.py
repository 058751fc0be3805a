"""The viewer's answers (what a print plays now, as JSON) kept in the web process.

A scan of a print that was scanned before needs no database: the answer is reused while it is
still the same local day in the company's zone, its signed links have the same expiry step
(`signing.expiry_for`), the content has not expired, and no change was committed since.

"No change" is a generation counter: every commit that wrote, through the ORM, a content item,
a video, a rotation rule, a company, a project or a storage connection bumps it
(`watch_commits`, in every process that writes: the app, the worker, the CLI). With
REDIS_CACHE_URL it lives in Redis, read in the rate limit's round trip (`scan_path`); on the
embedded default (SQLite) it is the modification time of DATA_DIR/viewer-generation (one stat),
so that every web process (`serve --workers N`) sees a change made by any of them. PostgreSQL
without Redis keeps nothing (its processes may be on several hosts). If Redis fails, nothing is
reused. Errors (404, 410, 503) are never kept: they are cheap, and their end must show at once.

The storage backend of a company is kept the same way, for `/media` (no database per request).
"""

from __future__ import annotations

import os
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import structlog
from redis import Redis as SyncRedis
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import event
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from vertex_ar.companies.models import Company
from vertex_ar.connections.models import StorageConnection
from vertex_ar.connections.routing import ManagedStorage
from vertex_ar.content.models import ARContent, Video
from vertex_ar.core.clock import local_now
from vertex_ar.core.settings import Settings
from vertex_ar.projects.models import Project
from vertex_ar.rotation.models import VideoRotationRule
from vertex_ar.viewer.pages import PreparedPage
from vertex_ar.viewer.schemas import ActiveVideoRead
from vertex_ar.viewer.signing import expiry_for

log = structlog.get_logger(__name__)

GENERATION_KEY = "vertex_ar:viewer:generation"
GENERATION_FILE = "viewer-generation"
TIMEOUT_SECONDS = 0.5
MAX_ANSWERS = 50_000
_WATCHED = (ARContent, Video, VideoRotationRule, Company, Project, StorageConnection)
_CHANGED = "vertex_ar.viewer_changed"


@dataclass(frozen=True)
class Answer:
    """One print's answer, with what it depends on besides the database."""

    video: ActiveVideoRead
    json: bytes
    timezone: str
    day: date
    content_expires_at: datetime | None
    # The viewer page rendered from this answer, by language (a fresh nonce per response).
    pages: dict[str, PreparedPage] = field(default_factory=dict, compare=False)


class Generations:
    """The change counter: a file's modification time in DATA_DIR (every process of one
    embedded install sees it for a stat), or a Redis key when REDIS_CACHE_URL is set."""

    def __init__(self, redis_url: str, path: Path) -> None:
        self.path = path
        self.client: Redis[bytes] | None = (
            Redis.from_url(
                redis_url, socket_timeout=TIMEOUT_SECONDS, socket_connect_timeout=TIMEOUT_SECONDS
            )
            if redis_url
            else None
        )

    @property
    def redis_key(self) -> str | None:
        """The Redis key holding the generation; None when it is the file's time."""
        return GENERATION_KEY if self.client is not None else None

    async def current(self) -> str | None:
        """The generation now; None when it cannot be known (Redis down)."""
        if self.client is None:
            return str(_file_generation(self.path))
        try:
            value = await self.client.get(GENERATION_KEY)
        except RedisError as exc:
            log.warning("viewer.answers_unavailable", error=str(exc))
            return None
        return value.decode() if value is not None else "0"

    async def aclose(self) -> None:
        if self.client is not None:
            await self.client.aclose()  # type: ignore[attr-defined]  # see rotation.cache


def generation_file(settings: Settings) -> Path:
    return settings.data_dir / GENERATION_FILE


def _file_generation(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except FileNotFoundError:
        return 0


# (REDIS_CACHE_URL or "", generation file) of every app or worker set up in this process.
_targets: set[tuple[str, Path]] = set()


def _bump() -> None:
    for redis_url, path in _targets:
        _bump_one(redis_url, path)


def _bump_one(redis_url: str, path: Path) -> None:
    if not redis_url:
        # Set the time ourselves: the clock's coarse ticks could repeat the last value.
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
        mtime = max(_file_generation(path) + 1, time.time_ns())
        os.utime(path, ns=(mtime, mtime))
        return
    try:
        # A commit hook is synchronous; the INCR is one short round trip on an admin write.
        with SyncRedis.from_url(redis_url, socket_timeout=TIMEOUT_SECONDS) as client:
            client.incr(GENERATION_KEY)
    except RedisError as exc:
        # Kept answers may stay stale until their links' expiry step ends.
        log.error("viewer.answers_invalidate_failed", error=str(exc))


def drop_kept_answers(settings: Settings) -> None:
    """Every web process drops its kept answers: for a change made outside the ORM (a backup
    restored under them), which no commit hook sees."""
    _bump_one(settings.redis_cache_url, generation_file(settings))


def _after_flush(session: Session, _flush: UOWTransaction) -> None:
    for row in (*session.new, *session.dirty, *session.deleted):
        if isinstance(row, _WATCHED):
            session.info[_CHANGED] = True
            return


def _on_statement(state: ORMExecuteState) -> None:
    """Bulk INSERT / UPDATE / DELETE statements (an upsert, say) bypass the flush above."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    mapper = state.bind_mapper
    if mapper is not None and issubclass(mapper.class_, _WATCHED):
        state.session.info[_CHANGED] = True


def _after_commit(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        _bump()


def _after_rollback(session: Session) -> None:
    session.info.pop(_CHANGED, None)


def watch_commits(settings: Settings) -> None:
    """Bump the generation on every commit that changed what a viewer answer is made of.

    Called by each process that writes (the app, the worker); listening twice is a no-op.
    """
    _targets.add((settings.redis_cache_url, generation_file(settings)))
    for name, listener in (
        ("after_flush", _after_flush),
        ("do_orm_execute", _on_statement),
        ("after_commit", _after_commit),
        ("after_rollback", _after_rollback),
    ):
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


class ViewerAnswers:
    def __init__(self, settings: Settings, generations: Generations | None) -> None:
        self.ttl_seconds = settings.media_url_ttl_seconds
        self.generations = generations
        self._answers: OrderedDict[str, tuple[str, Answer]] = OrderedDict()
        self._storages: dict[int, tuple[str, ManagedStorage]] = {}

    @property
    def generation_key(self) -> str | None:
        """The Redis key to read with the rate limit (`RateLimiter.check(also_read=...)`)."""
        return self.generations.redis_key if self.generations is not None else None

    @classmethod
    def from_settings(cls, settings: Settings) -> ViewerAnswers:
        embedded = settings.database_url.startswith("sqlite")
        if settings.redis_cache_url or embedded:
            return cls(settings, Generations(settings.redis_cache_url, generation_file(settings)))
        return cls(settings, None)

    async def _generation(self, read: str | None) -> str | None:
        """``read`` (the generation the rate limit's round trip brought), else the current one.
        Always taken before the database is: a change committed in between is seen next time."""
        if self.generations is None:
            return None
        return read if read is not None else await self.generations.current()

    async def get(
        self,
        unique_id: str,
        fresh: Callable[[], Awaitable[Answer]],
        generation: str | None = None,
    ) -> Answer:
        """The kept answer of ``unique_id`` if it still holds, else ``fresh()`` (then kept).

        ``generation``: as read with the rate limit, if it was.
        """
        generation = await self._generation(generation)
        if generation is None:
            return await fresh()
        kept = self._answers.get(unique_id)
        now = time.time()
        if kept is not None and kept[0] == generation and self._holds(kept[1], now):
            return kept[1]
        answer = await fresh()
        self._answers[unique_id] = (generation, answer)
        self._answers.move_to_end(unique_id)
        while len(self._answers) > MAX_ANSWERS:
            self._answers.popitem(last=False)
        return answer

    async def storage(
        self,
        company_id: int,
        fresh: Callable[[], Awaitable[ManagedStorage]],
        generation: str | None = None,
    ) -> ManagedStorage:
        """The company's storage backend, kept like the answers (a connection's change bumps the
        generation)."""
        generation = await self._generation(generation)
        if generation is None:
            return await fresh()
        kept = self._storages.get(company_id)
        if kept is not None and kept[0] == generation:
            return kept[1]
        storage = await fresh()
        if len(self._storages) >= MAX_ANSWERS:
            self._storages.clear()
        self._storages[company_id] = (generation, storage)
        return storage

    def _holds(self, answer: Answer, now: float) -> bool:
        expires = answer.content_expires_at
        return (
            int(answer.video.urls_expire_at.timestamp()) == expiry_for(self.ttl_seconds, now)
            and (expires is None or expires.timestamp() > now)
            and local_now(answer.timezone).date() == answer.day
        )

    async def aclose(self) -> None:
        if self.generations is not None:
            await self.generations.aclose()


def answer_of(
    video: ActiveVideoRead, timezone: str, day: date, expires_at: datetime | None
) -> Answer:
    """``day``: the local day the video was chosen for."""
    return Answer(video, video.model_dump_json().encode(), timezone, day, expires_at)
