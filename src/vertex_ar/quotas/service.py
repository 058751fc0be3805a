"""Quotas are checked twice per upload: before the body is read or stored (cheap, refuses a full
company at once) and again under a per-company lock in the transaction that inserts the rows, so
concurrent uploads cannot together pass a limit (the lock orders them; each sees the others'
committed rows). A refused upload's stored files are deleted by its StagedWrites."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.companies.models import Company
from vertex_ar.companies.repository import CompanyRepository
from vertex_ar.core.errors import Conflict, NotFound, PayloadTooLarge
from vertex_ar.core.settings import Settings
from vertex_ar.core.tenancy import AuthSubject
from vertex_ar.quotas.repository import UsageRepository
from vertex_ar.quotas.schemas import Amount, CompanyUsage

QUOTA_EXCEEDED = "quota_exceeded"


@dataclass(frozen=True)
class Limits:
    storage_bytes: int
    content_items: int
    videos_per_content: int


def limits_of(company: Company, settings: Settings) -> Limits:
    """The company's own quotas, or the platform's defaults where it has none."""

    def pick(own: int | None, default: int) -> int:
        return default if own is None else own

    return Limits(
        pick(company.quota_storage_bytes, settings.quota_storage_bytes),
        pick(company.quota_content_items, settings.quota_content_items),
        pick(company.quota_videos_per_content, settings.quota_videos_per_content),
    )


@dataclass(frozen=True)
class Addition:
    """What an upload adds: new content items, videos (to `content_id`, if it exists) and bytes."""

    items: int = 0
    videos: int = 0
    bytes: int = 0
    content_id: int | None = None


def _size(value: int) -> str:
    if value < 1024:
        return f"{value} bytes"
    amount, unit = value / 1024, "KiB"
    for larger in ("MiB", "GiB"):
        if amount < 1024:
            break
        amount, unit = amount / 1024, larger
    return f"{amount:.1f} {unit}"


class QuotaChecker:
    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.session = session
        self.settings = settings
        self.usage = UsageRepository(session)

    async def check(self, company_id: int, addition: Addition, *, lock: bool = False) -> None:
        """Raise 409 (counts) or 413 (bytes) naming the quota when `addition` does not fit.
        `lock=True`: hold the company's quota lock until the transaction ends (then commit the
        rows in the same transaction)."""
        if lock:
            await self.usage.lock_company(company_id)
        company = await self.session.get(Company, company_id)
        if company is None:
            raise NotFound(f"company {company_id} not found")
        limits = limits_of(company, self.settings)
        if addition.items:
            used = await self.usage.content_items(company_id)
            if used + addition.items > limits.content_items:
                raise Conflict(
                    f"content items quota reached: {used} of {limits.content_items} used "
                    "(quota content_items; delete items or ask the platform to raise it)",
                    code=QUOTA_EXCEEDED,
                    details={"quota": "content_items", "used": used, "limit": limits.content_items},
                )
        if addition.videos:
            has = await self.usage.videos_of(addition.content_id) if addition.content_id else 0
            if has + addition.videos > limits.videos_per_content:
                raise Conflict(
                    f"videos per content item quota: {has} + {addition.videos} is more than "
                    f"{limits.videos_per_content} (quota videos_per_content)",
                    code=QUOTA_EXCEEDED,
                    details={"quota": "videos_per_content", "used": has,
                             "requested": addition.videos, "limit": limits.videos_per_content},
                )  # fmt: skip
        if addition.bytes:
            used = await self.usage.storage_bytes(company_id)
            if used + addition.bytes > limits.storage_bytes:
                raise PayloadTooLarge(
                    f"storage quota: {_size(used)} of {_size(limits.storage_bytes)} used, this "
                    f"upload needs {_size(addition.bytes)} (quota storage_bytes; purge the trash "
                    "or ask the platform to raise it)",
                    code=QUOTA_EXCEEDED,
                    details={"quota": "storage_bytes", "used": used,
                             "requested": addition.bytes, "limit": limits.storage_bytes},
                )  # fmt: skip

    async def check_after_restore(self, company_id: int, content_id: int | None) -> None:
        """After rows came back from the trash (flushed, not committed): refuse (409) when the
        company's live items, or `content_id`'s live videos, are now past their quota. Hold
        the company's quota lock (taken with `lock_for_restore` before restoring)."""
        company = await self.session.get_one(Company, company_id)
        limits = limits_of(company, self.settings)
        items = await self.usage.content_items(company_id)
        if items > limits.content_items:
            raise Conflict(
                f"content items quota: restoring makes {items} of {limits.content_items} "
                "(quota content_items)",
                code=QUOTA_EXCEEDED,
                details={"quota": "content_items", "used": items, "limit": limits.content_items},
            )
        videos = await self.usage.videos_of(content_id) if content_id is not None else 0
        if videos > limits.videos_per_content:
            raise Conflict(
                f"videos per content item quota: restoring makes {videos} of "
                f"{limits.videos_per_content} (quota videos_per_content)",
                code=QUOTA_EXCEEDED,
                details={"quota": "videos_per_content", "used": videos,
                         "limit": limits.videos_per_content},
            )  # fmt: skip

    async def lock_for_restore(self, company_id: int) -> None:
        await self.usage.lock_company(company_id)


class UsageService:
    def __init__(self, session: AsyncSession, subject: AuthSubject, settings: Settings) -> None:
        self.settings = settings
        self.companies = CompanyRepository(session, subject)
        self.usage = UsageRepository(session)

    async def of_company(self, company_id: int) -> CompanyUsage:
        company = await self.companies.get(company_id)  # another tenant's id: 404
        limits = limits_of(company, self.settings)
        return CompanyUsage(
            company_id=company.id,
            storage_bytes=Amount(
                used=await self.usage.storage_bytes(company.id), limit=limits.storage_bytes
            ),
            content_items=Amount(
                used=await self.usage.content_items(company.id), limit=limits.content_items
            ),
            videos_per_content=Amount(
                used=await self.usage.most_videos(company.id), limit=limits.videos_per_content
            ),
        )
