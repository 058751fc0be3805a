"""Public reads by `unique_id`. No auth subject here: the unguessable id in the printed QR code
is the capability, and only what the viewer needs is read (no customer data)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.companies.models import Company
from vertex_ar.connections.models import StorageConnection
from vertex_ar.content.models import ARContent, MarkerStatus, Video
from vertex_ar.projects.models import Project
from vertex_ar.rotation.models import VideoRotationRule


@dataclass(frozen=True)
class PublicContent:
    id: int
    company_id: int
    unique_id: str
    title: str
    active: bool  # the content and its project (in the trash: off)
    expires_at: datetime | None
    marker_status: MarkerStatus
    marker_key: str | None
    portrait_width: int
    portrait_height: int
    company_active: bool  # in the trash: off
    timezone: str
    company_name: str
    logo_digest: str | None  # None: no logo
    accent_color: str | None
    start_text: str | None
    public_base_url: str | None  # the company's own; None: the platform's
    tracking_smoothing: float | None
    chroma_key_color: str | None
    chroma_key_tolerance: float


# PublicContent's fields, in order (from ARContent joined with its Project and Company).
_CONTENT_COLUMNS = (
    ARContent.id, ARContent.company_id, ARContent.unique_id, ARContent.title,
    and_(ARContent.active, Project.active, ARContent.deleted_at.is_(None),
         Project.deleted_at.is_(None)),
    ARContent.expires_at, ARContent.marker_status, ARContent.marker_key,
    ARContent.portrait_width, ARContent.portrait_height,
    and_(Company.active, Company.deleted_at.is_(None)), Company.timezone, Company.name,
    Company.logo_digest, Company.accent_color, Company.start_text, Company.public_base_url,
    ARContent.tracking_smoothing,
    ARContent.chroma_key_color, ARContent.chroma_key_tolerance,
)  # fmt: skip


@dataclass(frozen=True)
class Scan:
    """All a scan needs, read in one query: the content, its company's storage connection
    (None: the platform's disk), its rotation rule and its videos (by id)."""

    content: PublicContent
    connection: StorageConnection | None
    rule: VideoRotationRule | None
    videos: list[Video]


# Built once: a cold scan would otherwise spend a tenth of its CPU making and keying it.
_SCAN = (
    select(*_CONTENT_COLUMNS, StorageConnection, VideoRotationRule, Video)
    .join(Project, Project.id == ARContent.project_id)
    .join(Company, Company.id == ARContent.company_id)
    .outerjoin(StorageConnection, StorageConnection.id == Company.storage_connection_id)
    .outerjoin(VideoRotationRule, VideoRotationRule.content_id == ARContent.id)
    .outerjoin(Video, and_(Video.content_id == ARContent.id, Video.deleted_at.is_(None)))
    .where(ARContent.unique_id == bindparam("unique_id"))
    .order_by(Video.id)
)


class PublicContentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_unique_id(self, unique_id: str) -> PublicContent | None:
        stmt = (
            select(*_CONTENT_COLUMNS)
            .join(Project, Project.id == ARContent.project_id)
            .join(Company, Company.id == ARContent.company_id)
            .where(ARContent.unique_id == unique_id)
        )
        row = (await self.session.execute(stmt)).one_or_none()
        return PublicContent(*tuple(row)) if row is not None else None

    async def logo(self, company_id: int) -> tuple[bytes, str, str] | None:
        """The company's logo: its bytes, media type and digest."""
        stmt = select(Company.logo, Company.logo_mime, Company.logo_digest).where(
            Company.id == company_id
        )
        row = (await self.session.execute(stmt)).one_or_none()
        if row is None or row.logo is None or row.logo_mime is None or row.logo_digest is None:
            return None
        return row.logo, row.logo_mime, row.logo_digest

    async def scan(self, unique_id: str) -> Scan | None:
        """One row per video (one with no video), every row carrying the content's columns."""
        rows = (await self.session.execute(_SCAN, {"unique_id": unique_id})).all()
        if not rows:
            return None
        *columns, connection, rule, _ = rows[0]
        videos: list[Video] = [row.Video for row in rows if row.Video is not None]
        return Scan(PublicContent(*columns), connection, rule, videos)
