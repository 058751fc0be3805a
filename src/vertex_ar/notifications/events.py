"""The events that make notifications: content about to expire, content expired and switched off,
a marker that failed.

`expiry_warnings` (Beat, queue `notifications`): for each company, the active content expiring
within one of its thresholds (default 7 and 1 days) that was not warned for that threshold yet;
one message per company and local day lists them all. An item is warned once per threshold (the
smallest one it has reached; the larger ones count as told), however often the job runs.

`record_expired` runs inside the deactivation job's transaction (content.expiry): an item is
switched off and told about in one commit, so it is told about exactly once.

`marker_scored_low` runs inside the marker job's transaction that stores a marker: when its rating
is below `content.marker_job.LOW_MARKER_SCORE`, one message per content item and portrait.

`storage_check` (Beat, every few minutes) probes the storage connections in use: a failing one
opens an outage (its start is kept until a probe succeeds); each company on it gets one message
per outage, keyed by (connection, outage start, company), however many probes fail meanwhile.

`marker_failed` runs inside the marker job's transaction that stores the failure: one message per
content item and portrait (a redelivered compile that fails again tells nothing new).
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import delete, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.companies.models import Company
from vertex_ar.connections.service import track_outages
from vertex_ar.content.marker_job import LOW_MARKER_SCORE
from vertex_ar.content.models import ARContent
from vertex_ar.core.clock import local_now, zone
from vertex_ar.core.db import utcnow
from vertex_ar.core.settings import Settings
from vertex_ar.notifications import templates
from vertex_ar.notifications.models import (
    DEFAULT_WARNING_DAYS,
    Notification,
    NotificationEvent,
    NotificationSettings,
)
from vertex_ar.notifications.outbox import publish, record, tell_once

log = structlog.get_logger(__name__)

EXPIRY_WARNING = "expiry_warning"
CONTENT_EXPIRED = "content_expired"
MARKER_FAILED = "marker_failed"
MARKER_LOW = "marker_low"
STORAGE_FAILING = "storage_failing"
MAX_WARNING_DAYS = 365
DAY = timedelta(days=1)


async def preferences(session: AsyncSession, company_id: int) -> NotificationSettings | None:
    row: NotificationSettings | None = await session.scalar(
        select(NotificationSettings).where(NotificationSettings.company_id == company_id)
    )
    return row


def thresholds(prefs: NotificationSettings | None) -> list[int]:
    days = prefs.expiry_warning_days if prefs is not None else list(DEFAULT_WARNING_DAYS)
    return sorted(set(days))


def locale_of(prefs: NotificationSettings | None) -> str:
    return prefs.locale if prefs is not None and prefs.locale in templates.LOCALES else "en"


def contacts(item: ARContent) -> str:
    return ", ".join(v for v in (item.customer_name, item.customer_email, item.customer_phone) if v)


def item_line(
    settings: Settings, company: Company, item: ARContent, now: datetime
) -> templates.ItemLine:
    assert item.expires_at is not None
    return templates.ItemLine(
        title=item.title,
        link=f"{settings.public_base_url.rstrip('/')}/ar/{item.unique_id}",
        date=item.expires_at.astimezone(zone(company.timezone)).strftime("%Y-%m-%d %H:%M"),
        days=max(math.ceil((item.expires_at - now) / DAY), 0),
        contacts=contacts(item),
    )


def _payload(
    locale: str, lines: Sequence[tuple[ARContent, templates.ItemLine]], **extra: Any
) -> dict[str, Any]:
    items = [
        {"content_id": item.id, "unique_id": item.unique_id, "title": line.title,
         "link": line.link, "expires_at": item.expires_at and item.expires_at.isoformat(),
         "days_left": line.days, "customer": line.contacts or None}
        for item, line in lines
    ]  # fmt: skip
    return {"locale": locale, **extra, "items": items}


@dataclass(frozen=True)
class _Candidate:
    item: ARContent
    threshold: int  # the smallest threshold the item has reached
    reached: list[int]  # every threshold it has reached


def _key(content_id: int, days: int) -> str:
    return f"{EXPIRY_WARNING}:content={content_id}:days={days}"


async def _warn_company(
    session: AsyncSession, settings: Settings, company: Company, now: datetime
) -> int:
    """The company's warning of the day: the number of items it lists (0: nothing new)."""
    prefs = await preferences(session, company.id)
    days = thresholds(prefs)
    if not days:
        return 0
    items = await session.scalars(
        select(ARContent)
        .where(
            ARContent.company_id == company.id,
            ARContent.active.is_(True),
            ARContent.expires_at > now,
            ARContent.expires_at <= now + timedelta(days=max(days)),
        )
        .order_by(ARContent.expires_at, ARContent.id)
    )
    candidates = []
    for item in items.all():
        assert item.expires_at is not None
        reached = [d for d in days if item.expires_at - now <= timedelta(days=d)]
        if reached:
            candidates.append(_Candidate(item, min(reached), reached))
    if not candidates:
        return 0
    # Told before (the usual case on every run but the first): no message is made.
    told = set(
        (await session.scalars(
            select(NotificationEvent.key).where(
                NotificationEvent.key.in_([_key(c.item.id, c.threshold) for c in candidates])
            )
        )).all()
    )  # fmt: skip
    candidates = [c for c in candidates if _key(c.item.id, c.threshold) not in told]
    if not candidates:
        return 0
    day = local_now(company.timezone, now).date().isoformat()
    notification_id = await record(
        session, company_id=company.id, key=f"{EXPIRY_WARNING}:company={company.id}:day={day}",
        kind=EXPIRY_WARNING, payload={},
    )  # fmt: skip
    if notification_id is None:
        await session.rollback()
        return 0  # today's message was made already; the rest waits for tomorrow's
    new: list[_Candidate] = []
    for candidate in candidates:
        keys = [_key(candidate.item.id, d) for d in candidate.reached]
        fresh = await tell_once(session, notification_id, keys)
        if _key(candidate.item.id, candidate.threshold) in fresh:
            new.append(candidate)
    if not new:
        await session.rollback()  # another run told them meanwhile
        return 0
    locale = locale_of(prefs)
    lines = [(c.item, item_line(settings, company, c.item, now)) for c in new]
    text = templates.expiry_warning(locale, company.name, [line for _, line in lines])
    payload = _payload(locale, lines, day=day)
    await publish(session, settings, notification_id, text, prefs, payload)
    await session.commit()
    return len(new)


async def expiry_warnings(session: AsyncSession, settings: Settings) -> dict[str, int]:
    """Make today's expiry warnings (the sender delivers them); how many items each company got."""
    now = utcnow()
    company_ids = (
        await session.scalars(
            select(ARContent.company_id)
            .where(
                ARContent.active.is_(True),
                ARContent.expires_at > now,
                ARContent.expires_at <= now + timedelta(days=MAX_WARNING_DAYS),
            )
            .distinct()
        )
    ).all()
    await session.commit()
    warned: dict[str, int] = {}
    for company_id in sorted(company_ids):
        for attempt in range(3):
            try:
                company = await session.get(Company, company_id)
                if company is None:
                    break
                if count := await _warn_company(session, settings, company, now):
                    warned[str(company_id)] = count
                break
            except OperationalError:
                # SQLite: another writer committed since this transaction read (two runs at once).
                await session.rollback()
                if attempt == 2:
                    raise
    if warned:
        log.info("notification.expiry_warnings", companies=len(warned), items=sum(warned.values()))
    return warned


def record_expired(settings: Settings) -> Callable[[AsyncSession, Sequence[int]], Awaitable[None]]:
    """The deactivation job's hook: tell each company which of its items were switched off."""

    async def hook(session: AsyncSession, content_ids: Sequence[int]) -> None:
        now = utcnow()
        items = (
            await session.scalars(
                select(ARContent).where(ARContent.id.in_(content_ids)).order_by(ARContent.id)
            )
        ).all()
        by_company: dict[int, list[ARContent]] = defaultdict(list)
        for item in items:
            by_company[item.company_id].append(item)
        for company_id, company_items in by_company.items():
            company = await session.get(Company, company_id)
            if company is None:
                continue
            first = company_items[0].id
            notification_id = await record(
                session, company_id=company_id,
                key=f"{CONTENT_EXPIRED}:company={company_id}:first={first}",
                kind=CONTENT_EXPIRED, payload={},
            )  # fmt: skip
            if notification_id is None:
                continue
            fresh = await tell_once(
                session,
                notification_id,
                [f"{CONTENT_EXPIRED}:content={i.id}" for i in company_items],
            )
            told = [i for i in company_items if f"{CONTENT_EXPIRED}:content={i.id}" in fresh]
            if not told:
                await session.execute(
                    delete(Notification).where(Notification.id == notification_id)
                )
                continue
            prefs = await preferences(session, company_id)
            locale = locale_of(prefs)
            lines = [(i, item_line(settings, company, i, now)) for i in told]
            text = templates.expired(locale, company.name, [line for _, line in lines])
            await publish(session, settings, notification_id, text, prefs, _payload(locale, lines))

    return hook


# What a per-item message says: (locale, company, item, admin link) -> (text, payload fields).
_Compose = Callable[[str, Company, ARContent, str], tuple[templates.Text, dict[str, Any]]]


async def _tell_about_content(
    session: AsyncSession, settings: Settings, kind: str, content_id: int, compose: _Compose
) -> None:
    """Tell the content's company once per (kind, item, portrait): a recompile of the same
    portrait that ends the same way says nothing new."""
    item = await session.get(ARContent, content_id)
    company = await session.get(Company, item.company_id) if item is not None else None
    if item is None or company is None:
        return
    notification_id = await record(
        session, company_id=company.id,
        key=f"{kind}:content={item.id}:portrait={_portrait(item)}",
        kind=kind, payload={},
    )  # fmt: skip
    if notification_id is None:
        return
    prefs = await preferences(session, company.id)
    locale = locale_of(prefs)
    link = f"{settings.public_base_url.rstrip('/')}/admin/content/{item.id}"
    text, fields = compose(locale, company, item, link)
    payload = {"locale": locale, "content_id": item.id, "unique_id": item.unique_id,
               "title": item.title, "link": link, **fields}  # fmt: skip
    await publish(session, settings, notification_id, text, prefs, payload)


def _portrait(item: ARContent) -> str:
    return hashlib.sha256(item.portrait_key.encode()).hexdigest()[:16]


def marker_failed(settings: Settings) -> Callable[[AsyncSession, int, str], Awaitable[None]]:
    """The marker job's hook: tell the content's company that its marker failed."""

    async def hook(session: AsyncSession, content_id: int, error: str) -> None:
        def compose(
            locale: str, company: Company, item: ARContent, link: str
        ) -> tuple[templates.Text, dict[str, Any]]:
            text = templates.marker_failed(locale, company.name, item.title, error, link)
            return text, {"error": error}

        await _tell_about_content(session, settings, MARKER_FAILED, content_id, compose)

    return hook


def marker_scored_low(
    settings: Settings,
) -> Callable[[AsyncSession, int, dict[str, Any]], Awaitable[None]]:
    """The marker job's hook on success: tell the company when the marker's rating is low."""

    async def hook(session: AsyncSession, content_id: int, rating: dict[str, Any]) -> None:
        score = rating.get("score")
        if not isinstance(score, int | float) or score >= LOW_MARKER_SCORE:
            return
        codes = [str(c) for c in rating.get("codes", [])]
        messages = [str(m) for m in rating.get("reasons", [])]
        reasons = list(zip(codes, messages, strict=False))

        def compose(
            locale: str, company: Company, item: ARContent, link: str
        ) -> tuple[templates.Text, dict[str, Any]]:
            text = templates.marker_low(
                locale, company.name, item.title, float(score), LOW_MARKER_SCORE, reasons, link
            )
            return text, {"score": score, "threshold": LOW_MARKER_SCORE, "codes": codes}

        await _tell_about_content(session, settings, MARKER_LOW, content_id, compose)

    return hook


async def storage_check(session: AsyncSession, settings: Settings) -> dict[str, Any]:
    """Probe the storage backends in use; tell each company on a failing one, once per outage."""
    outages = await track_outages(session, settings)
    told: dict[str, list[int]] = {}
    for outage in outages:
        since = outage.since.isoformat()
        for company_id in outage.company_ids:
            company = await session.get(Company, company_id)
            if company is None:
                continue
            notification_id = await record(
                session, company_id=company_id,
                key=f"{STORAGE_FAILING}:connection={outage.connection_id}:since={since}"
                f":company={company_id}",
                kind=STORAGE_FAILING, payload={},
            )  # fmt: skip
            if notification_id is None:
                continue  # this outage was told to this company already
            prefs = await preferences(session, company_id)
            locale = locale_of(prefs)
            local = outage.since.astimezone(zone(company.timezone)).strftime("%Y-%m-%d %H:%M %Z")
            text = templates.storage_failing(
                locale, company.name, outage.name, outage.kind, local, outage.error
            )
            payload = {"locale": locale, "connection_id": outage.connection_id,
                       "connection": outage.name, "kind": outage.kind, "since": since,
                       "error": outage.error}  # fmt: skip
            await publish(session, settings, notification_id, text, prefs, payload)
            told.setdefault(str(outage.connection_id), []).append(company_id)
        await session.commit()
    if told:
        log.warning("notification.storage_failing", connections=len(told))
    return {
        "failing": [o.connection_id for o in outages],
        "told": told,
    }
