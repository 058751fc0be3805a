"""QR codes of a content item's public viewer URL."""

from __future__ import annotations

import enum
import io
from dataclasses import dataclass

import segno
from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.companies.repository import CompanyRepository
from vertex_ar.content.repository import ContentRepository
from vertex_ar.core.errors import InvalidInput
from vertex_ar.core.settings import Settings
from vertex_ar.core.tenancy import AuthSubject
from vertex_ar.qr.pdf import qr_pdf

QUIET_ZONE = 4  # modules of white border the QR standard asks for


class QRFormat(enum.StrEnum):
    png = "png"
    svg = "svg"
    pdf = "pdf"


@dataclass(frozen=True)
class SizeRule:
    default: int
    low: int
    high: int
    unit: str


# PNG and SVG sizes are pixels (the whole image, quiet zone included); PDF sizes are millimetres.
SIZES = {
    QRFormat.png: SizeRule(512, 64, 4096, "px"),
    QRFormat.svg: SizeRule(512, 64, 4096, "px"),
    QRFormat.pdf: SizeRule(50, 15, 500, "mm"),
}
MEDIA_TYPES = {
    QRFormat.png: "image/png",
    QRFormat.svg: "image/svg+xml",
    QRFormat.pdf: "application/pdf",
}


@dataclass(frozen=True)
class QRCode:
    data: bytes
    media_type: str
    filename: str


def viewer_url(settings: Settings, unique_id: str, company_base_url: str | None = None) -> str:
    """The print's public link: on the company's own domain if it has one."""
    return f"{(company_base_url or settings.public_base_url).rstrip('/')}/ar/{unique_id}"


def render(url: str, fmt: QRFormat, size: int | None = None) -> bytes:
    rule = SIZES[fmt]
    size = rule.default if size is None else size
    if not rule.low <= size <= rule.high:
        raise InvalidInput(
            f"size for {fmt.value} must be {rule.low}–{rule.high} {rule.unit}",
            details={"field": "size", "unit": rule.unit, "min": rule.low, "max": rule.high},
        )
    # Level M (15 % damage) at least, raised when the version has room: prints get scuffed.
    code = segno.make(url, error="m", micro=False, boost_error=True)
    modules = code.symbol_size(scale=1, border=QUIET_ZONE)[0]
    out = io.BytesIO()
    if fmt is QRFormat.png:
        # Whole pixels per module keep the edges sharp: the largest scale that fits in `size`.
        code.save(out, kind="png", scale=max(1, size // modules), border=QUIET_ZONE)
    elif fmt is QRFormat.svg:
        code.save(out, kind="svg", scale=size / modules, border=QUIET_ZONE, xmldecl=False)
    else:
        matrix = [list(row) for row in code.matrix_iter(scale=1, border=QUIET_ZONE)]
        out.write(qr_pdf(matrix, size, url))
    return out.getvalue()


class QRService:
    def __init__(self, session: AsyncSession, subject: AuthSubject, settings: Settings) -> None:
        self.contents = ContentRepository(session, subject)
        self.companies = CompanyRepository(session, subject)
        self.settings = settings

    async def code(self, content_id: int, fmt: QRFormat, size: int | None) -> QRCode:
        content = await self.contents.get(content_id)
        url = await self.viewer_link(content.unique_id, content.company_id)
        data = render(url, fmt, size)
        return QRCode(data, MEDIA_TYPES[fmt], f"vertex-ar-{content.unique_id}.{fmt.value}")

    async def viewer_link(self, unique_id: str, company_id: int) -> str:
        """The print's public link, on its company's own domain if it has one."""
        company = await self.companies.get(company_id)
        return viewer_url(self.settings, unique_id, company.public_base_url)
