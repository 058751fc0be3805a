from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from vertex_ar.auth.dependencies import Subject
from vertex_ar.core.deps import SessionDep, SettingsDep
from vertex_ar.qr.service import QRFormat, QRService

router = APIRouter(prefix="/api/ar-content", tags=["qr"])
SIZE_HELP = (
    "png/svg: pixels (64–4096, default 512); pdf: millimetres (15–500, default 50); "
    "the quiet zone is included"
)


def _service(session: SessionDep, subject: Subject, settings: SettingsDep) -> QRService:
    return QRService(session, subject, settings)


ServiceDep = Annotated[QRService, Depends(_service)]


@router.get(
    "/{content_id}/qr",
    response_class=Response,
    responses={
        200: {"content": {"image/png": {}, "image/svg+xml": {}, "application/pdf": {}}},
        404: {},
        422: {},
    },
)
async def content_qr(
    content_id: int,
    service: ServiceDep,
    format: Annotated[QRFormat, Query()] = QRFormat.png,
    size: Annotated[
        int | None,
        Query(description=SIZE_HELP),
    ] = None,
) -> Response:
    """A QR code of the content's public viewer URL (PUBLIC_BASE_URL/ar/{unique_id})."""
    code = await service.code(content_id, format, size)
    return Response(
        code.data,
        media_type=code.media_type,
        headers={
            "Content-Disposition": f'inline; filename="{code.filename}"',
            "Cache-Control": "private, max-age=300",
        },
    )
