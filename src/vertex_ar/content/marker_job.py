"""Compiling one content item's marker: portrait from storage → `.mind` + rating → storage.

A replacement portrait (`next_portrait_*`, PUT /api/ar-content/{id}/portrait) is compiled the
same way while the current portrait and marker keep serving; success switches both in the one
conditional update that stores the marker. Superseded files (a replaced marker too) are queued for
deletion in that transaction, due once the links signed before it have expired. A replacement
that cannot be compiled is dropped (its file deleted) and the current pair stays, with the reason
in `portrait_error`.

Idempotent: a content item whose marker is ready is left alone; a retry after a crash starts over
and replaces whatever an earlier attempt stored. One compile at a time per item: a delivery claims
the row with a lease it renews while it works; a second delivery (a requeue, the broker's
redelivery) finds the live claim and stops, and a compile that lost its claim stores nothing.
"""

from __future__ import annotations

import secrets
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import anyio
import structlog
from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.companies.models import Company
from vertex_ar.connections.routing import delete_later, storage_for_company
from vertex_ar.content.models import ARContent, MarkerStatus
from vertex_ar.core.db import utcnow
from vertex_ar.core.metrics import marker_compile_timer
from vertex_ar.core.settings import Settings
from vertex_ar.storage.base import Storage, StorageError, new_key
from vertex_ar.storage.transaction import StagedWrites
from vertex_ar.tasks.dispatch import TaskQueue
from vertex_ar.viewer.signing import longest_link_seconds

log = structlog.get_logger(__name__)


# Told of a marker's final failure (session, content id, error) inside the transaction that
# records it, so that it is told exactly when the failure is stored (the entry point passes the
# notifications' hook; `content` does not import `notifications`).
MarkerFailed = Callable[[AsyncSession, int, str], Awaitable[None]]
# Told of a marker that was made (session, content id, its rating) inside the transaction that
# stores it; the notifications' hook tells the company when the rating is low.
MarkerReady = Callable[[AsyncSession, int, dict[str, Any]], Awaitable[None]]

# A rating (0-100, `markers.rating`) below this: the print may be hard for a phone to find. The
# admin dashboard lists such markers as "Low score"; 40 is two stars of five, the point where the
# rating's parts (features, coverage, tracking, times distinctiveness and contrast) say that at
# least half of what a tracker needs is missing.
LOW_MARKER_SCORE = 40.0


# Errors the worker's task retries (with backoff) after giving the claim up.
RETRYABLE = (StorageError, OperationalError)


class MarkerCompileError(Exception):
    """The portrait cannot be compiled: a final failure, not worth a retry."""


@dataclass(frozen=True)
class CompiledMarker:
    data: bytes
    rating: dict[str, Any]


def compile_portrait(path: Path, max_side: int) -> CompiledMarker:
    try:
        from vertex_ar.markers import compile_with_stats, rate_compiled
    except ImportError as exc:
        raise MarkerCompileError("marker compiler not available") from exc
    try:
        with marker_compile_timer():
            result = compile_with_stats([path], max_side=max_side)
    except (ValueError, OSError) as exc:
        raise MarkerCompileError(f"the portrait could not be compiled: {exc}") from exc
    return CompiledMarker(result.mind, rate_compiled(result.targets[0]))


async def _compile_from_storage(storage: Storage, key: str, max_side: int) -> CompiledMarker:
    with tempfile.TemporaryDirectory(prefix="marker-") as folder:
        portrait = Path(folder) / "portrait"
        await storage.download_to(key, portrait)
        return await anyio.to_thread.run_sync(compile_portrait, portrait, max_side)


class ClaimLost(Exception):
    """Another delivery of the task took the item over (this worker's lease had lapsed)."""


def _claimed(content_id: int, claim: str) -> Any:
    return (ARContent.id == content_id) & (ARContent.marker_claim == claim)


async def _claim(session: AsyncSession, settings: Settings, content_id: int) -> str | None:
    """Take the item for this compile unless another holds a live lease or it is done."""
    claim = secrets.token_hex(16)
    now = utcnow()
    result = await session.execute(
        update(ARContent)
        .where(
            ARContent.id == content_id,
            or_(ARContent.marker_status != MarkerStatus.ready, ARContent.marker_key.is_(None)),
            or_(
                ARContent.marker_status != MarkerStatus.processing,
                ARContent.marker_lease_until.is_(None),
                ARContent.marker_lease_until <= now,
            ),
        )
        .values(
            marker_status=MarkerStatus.processing,
            marker_claim=claim,
            marker_lease_until=now + timedelta(seconds=settings.marker_lease_seconds),
            marker_error=None,
        )
        .execution_options(synchronize_session=False)
    )
    await session.commit()
    return claim if _rowcount(result) == 1 else None


async def _renew_lease(
    session: AsyncSession, settings: Settings, content_id: int, claim: str, done: anyio.Event
) -> None:
    """Push the lease ahead while the compile runs; stops (between commits) once `done` is set."""
    while True:
        with anyio.move_on_after(settings.marker_lease_seconds / 3):
            await done.wait()
        if done.is_set():
            return
        await session.execute(
            update(ARContent)
            .where(_claimed(content_id, claim))
            .values(marker_lease_until=utcnow() + timedelta(seconds=settings.marker_lease_seconds))
            .execution_options(synchronize_session=False)
        )
        await session.commit()


def _rowcount(result: Any) -> int:
    return int(result.rowcount or 0)


async def _compile_while_leased(
    session: AsyncSession, settings: Settings, content: ARContent, claim: str, storage: Storage
) -> CompiledMarker:
    """Compile the portrait while renewing the claim's lease.

    The task group wraps whatever the compile or the renewal raised in an exception group; the
    error itself is raised again, so that callers see a MarkerCompileError and the task's retry
    sees a StorageError or a database error.
    """
    done = anyio.Event()
    compiled: CompiledMarker | None = None
    try:
        async with anyio.create_task_group() as lease:
            lease.start_soon(_renew_lease, session, settings, content.id, claim, done)
            try:
                compiled = await _compile_from_storage(
                    storage, content.next_portrait_key or content.portrait_key,
                    settings.marker_max_side,
                )  # fmt: skip
            finally:
                done.set()
    except BaseExceptionGroup as group:
        raise group.exceptions[0] from None
    assert compiled is not None  # the group raised otherwise
    return compiled


async def compile_content_marker(
    session: AsyncSession,
    settings: Settings,
    content_id: int,
    on_failed: MarkerFailed | None = None,
    on_ready: MarkerReady | None = None,
) -> MarkerStatus | None:
    """Compile and store the marker; returns the final status, or None when there was nothing
    for this delivery to do (the content is gone, or another worker holds or took its claim).

    Storage and database errors propagate so that the task can retry them.
    """
    claim = await _claim(session, settings, content_id)
    if claim is None:
        content = await session.get(ARContent, content_id, populate_existing=True)
        if content is None:
            return None
        ready = content.marker_status is MarkerStatus.ready and content.marker_key
        return content.marker_status if ready else None
    return await compile_claimed_marker(session, settings, content_id, claim, on_failed, on_ready)


# How many of the fairest claimable items a delivery tries to claim before giving up: the others
# were taken by concurrent deliveries.
FAIR_CANDIDATES = 8


async def claim_next_marker(session: AsyncSession, settings: Settings) -> tuple[int, str] | None:
    """Claim the claimable item of the company served longest ago; (content id, claim) or None.

    A queued task is a turn, not a promise to compile its own item: every item queued has sent
    one, so turns and items balance, but the turn goes to the company whose last compile started
    earliest (round robin), oldest item first within it. One company's 300 uploads thus delay
    another's first marker by the compiles already running, not by the 300 queued before it.
    """
    now = utcnow()
    claimable = (ARContent.marker_status == MarkerStatus.pending) | (
        (ARContent.marker_status == MarkerStatus.processing)
        & or_(ARContent.marker_lease_until.is_(None), ARContent.marker_lease_until <= now)
    )
    candidates = (
        await session.execute(
            select(ARContent.id, ARContent.company_id)
            .join(Company, Company.id == ARContent.company_id)
            .where(claimable)
            .order_by(Company.marker_served_at.asc().nulls_first(), ARContent.id)
            .limit(FAIR_CANDIDATES)
        )
    ).all()
    for content_id, company_id in candidates:
        claim = await _claim(session, settings, content_id)
        if claim is not None:
            await session.execute(
                update(Company).where(Company.id == company_id).values(marker_served_at=utcnow())
            )
            await session.commit()
            return content_id, claim
    return None


async def compile_claimed_marker(
    session: AsyncSession,
    settings: Settings,
    content_id: int,
    claim: str,
    on_failed: MarkerFailed | None = None,
    on_ready: MarkerReady | None = None,
) -> MarkerStatus | None:
    """Compile an item this delivery claimed; the claim is given up on a retryable error."""
    content = await session.get(ARContent, content_id, populate_existing=True)
    if content is None:
        return None
    try:
        return await _compile_claimed(session, settings, content, claim, on_failed, on_ready)
    except RETRYABLE:
        await _release(session, content_id, claim)  # so that the task's retry may claim it at once
        raise
    except Exception as exc:
        # Unexpected (a bug, a key the storage refuses): a final failure, or the next turn of the
        # company would pick the same item again, and the next, ahead of its other items.
        await _fail(session, content_id, claim, f"unexpected error: {exc!r}"[:500], on_failed)
        raise


async def _fail(
    session: AsyncSession, content_id: int, claim: str, error: str, on_failed: MarkerFailed | None
) -> None:
    async def tell() -> None:
        if on_failed is not None:
            await on_failed(session, content_id, error)

    try:
        await session.rollback()
        await _finish(session, content_id, claim, MarkerStatus.failed, tell, marker_error=error)
    except Exception:  # the lease lapses on its own and the sweep requeues the item
        log.warning("marker.fail_not_recorded", content_id=content_id, exc_info=True)


async def _compile_claimed(
    session: AsyncSession,
    settings: Settings,
    content: ARContent,
    claim: str,
    on_failed: MarkerFailed | None,
    on_ready: MarkerReady | None = None,
) -> MarkerStatus | None:
    content_id = content.id
    storage = await storage_for_company(session, settings, content.company_id)
    replacing = content.next_portrait_key is not None and content.marker_key is not None
    try:
        compiled = await _compile_while_leased(session, settings, content, claim, storage)
    except MarkerCompileError as exc:
        if replacing:
            return await _drop_replacement(session, storage, content, claim, str(exc))
        error = str(exc)

        async def tell() -> None:
            if on_failed is not None:
                await on_failed(session, content_id, error)

        try:
            await _finish(session, content_id, claim, MarkerStatus.failed, tell, marker_error=error)
        except ClaimLost:
            return None
        log.warning("marker.failed", content_id=content_id, error=str(exc))
        return MarkerStatus.failed

    superseded = [key for key in (content.marker_key,) if key]
    switch: dict[str, Any] = {}
    if content.next_portrait_key is not None:
        superseded.append(content.portrait_key)
        switch = {
            "portrait_key": content.next_portrait_key,
            "portrait_mime": content.next_portrait_mime,
            "portrait_width": content.next_portrait_width,
            "portrait_height": content.next_portrait_height,
            "portrait_error": None,
            **_NO_NEXT_PORTRAIT,
        }

    # Pages and answers made before the switch hold signed links to the superseded files: they
    # go when those links have expired (the periodic storage-delete task), queued in the same
    # transaction as the switch, so none is left behind.
    not_before = utcnow() + timedelta(seconds=longest_link_seconds(settings.media_url_ttl_seconds))

    async def told_ready() -> None:
        for old_key in superseded:
            delete_later(session, storage, old_key, not_before)
        if on_ready is not None:
            await on_ready(session, content_id, compiled.rating)

    try:
        async with StagedWrites(storage) as staged:
            key = await staged.put_bytes(
                new_key(content.company_id, "markers", "mind"), compiled.data
            )
            await _finish(
                session,
                content_id,
                claim,
                MarkerStatus.ready,
                told_ready,
                marker_key=key,
                marker_quality=compiled.rating,
                **switch,
            )
    except ClaimLost:
        log.warning("marker.claim_lost", content_id=content_id)
        return None
    log.info("marker.ready", content_id=content_id, bytes=len(compiled.data), switched=bool(switch))
    return MarkerStatus.ready


_NO_NEXT_PORTRAIT = {
    "next_portrait_key": None,
    "next_portrait_mime": None,
    "next_portrait_width": None,
    "next_portrait_height": None,
}


async def _drop_replacement(
    session: AsyncSession, storage: Storage, content: ARContent, claim: str, error: str
) -> MarkerStatus | None:
    """The replacement portrait cannot be compiled: the current portrait and marker stay."""
    content_id, dropped = content.id, content.next_portrait_key
    try:
        await _finish(
            session, content_id, claim, MarkerStatus.ready, None,
            portrait_error=error, **_NO_NEXT_PORTRAIT,
        )  # fmt: skip
    except ClaimLost:
        return None
    if dropped:
        await storage.delete(dropped)
    log.warning("marker.replacement_failed", content_id=content_id, error=error)
    return MarkerStatus.ready


async def _finish(
    session: AsyncSession,
    content_id: int,
    claim: str,
    status: MarkerStatus,
    then: Callable[[], Awaitable[None]] | None,
    **values: Any,
) -> None:
    """Record the outcome if this compile still holds the claim (and run `then` in the same
    transaction); raise ClaimLost otherwise."""
    result = await session.execute(
        update(ARContent)
        .where(_claimed(content_id, claim))
        .values(marker_status=status, marker_claim=None, marker_lease_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    if _rowcount(result) != 1:
        await session.rollback()
        raise ClaimLost
    if then is not None:
        await then()
    await session.commit()


async def _release(session: AsyncSession, content_id: int, claim: str) -> None:
    """Give the claim up after an error the task retries (storage or database); best effort."""
    try:
        await session.rollback()
        await session.execute(
            update(ARContent)
            .where(_claimed(content_id, claim))
            .values(marker_claim=None, marker_lease_until=None)
            .execution_options(synchronize_session=False)
        )
        await session.commit()
    except Exception:  # the lease lapses on its own and the sweep requeues the item
        log.warning("marker.release_failed", content_id=content_id, exc_info=True)


async def mark_failed(
    session: AsyncSession, content_id: int, error: str, on_failed: MarkerFailed | None = None
) -> None:
    """Record a final failure after the task's retries are used up."""
    content = await session.get(ARContent, content_id)
    if content is not None and content.next_portrait_key and content.marker_key:
        # A replacement's compile gave up: the current pair serves on; `generate-marker` tries
        # the replacement again (its file stays, listed by `repository.media_keys`).
        content.marker_status = MarkerStatus.ready
        content.portrait_error = error
        content.marker_claim = None
        content.marker_lease_until = None
        await session.commit()
    elif content is not None and content.marker_status is not MarkerStatus.ready:
        content.marker_status = MarkerStatus.failed
        content.marker_error = error
        content.marker_claim = None
        content.marker_lease_until = None
        if on_failed is not None:
            await session.flush()
            await on_failed(session, content_id, error)
        await session.commit()


def _stale() -> Any:
    return ARContent.marker_status.in_((MarkerStatus.pending, MarkerStatus.processing)) & (
        ARContent.marker_lease_until <= utcnow()
    )


async def count_stale_markers(session: AsyncSession) -> int:
    """Compiles whose lease lapsed: a worker died mid-compile, or a queued task was lost."""
    count = await session.scalar(select(func.count()).select_from(ARContent).where(_stale()))
    return int(count or 0)


async def requeue_stale_markers(session: AsyncSession, tasks: TaskQueue) -> list[int]:
    """Put every stale compile back in the queue (a Beat job); returns the content ids."""
    requeued = []
    for content_id in await session.scalars(
        select(ARContent.id).where(_stale()).order_by(ARContent.id)
    ):
        result = await session.execute(
            update(ARContent)
            .where(ARContent.id == content_id, _stale())
            .values(
                marker_status=MarkerStatus.pending,
                marker_claim=None,
                marker_lease_until=utcnow()
                + timedelta(seconds=tasks.settings.marker_queue_seconds),
            )
            .execution_options(synchronize_session=False)
        )
        await session.commit()
        if _rowcount(result) != 1:
            continue  # another worker's sweep requeued it first
        try:
            await anyio.to_thread.run_sync(tasks.compile_marker, content_id)
        except Exception as exc:
            # The broker is down: leave the lease lapsed, so that the next sweep tries again
            # (with a queue lease it would wait MARKER_QUEUE_SECONDS for nothing).
            await session.execute(
                update(ARContent)
                .where(ARContent.id == content_id, ARContent.marker_claim.is_(None))
                .values(marker_lease_until=utcnow())
                .execution_options(synchronize_session=False)
            )
            await session.commit()
            log.warning("marker.requeue_failed", content_id=content_id, error=str(exc))
            break
        log.warning("marker.requeued_stale", content_id=content_id)
        requeued.append(content_id)
    return requeued
