from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import ValidationError

from vertex_ar.auth.dependencies import Subject
from vertex_ar.connections.routing import RoutedStorage
from vertex_ar.content.links import ContentLinks
from vertex_ar.content.models import MarkerStatus
from vertex_ar.content.schemas import (
    ContentFields,
    ContentRead,
    ContentUpdate,
    VideoRead,
    VideoUpdate,
)
from vertex_ar.content.service import MAX_VIDEOS_PER_UPLOAD, ContentFilters, ContentService
from vertex_ar.content.uploads import (
    FileField,
    ReceivedFile,
    ReceivedForm,
    multipart_schema,
    receive_multipart,
    upload_folder,
)
from vertex_ar.core.deps import SessionDep, SettingsDep
from vertex_ar.core.errors import InvalidInput, invalid_input
from vertex_ar.core.schemas import Page, PageParams
from vertex_ar.tasks.dispatch import TaskQueue
from vertex_ar.viewer.ratelimit import RateLimiter

router = APIRouter(prefix="/api/ar-content", tags=["ar-content"])


def content_service(
    request: Request, session: SessionDep, subject: Subject, settings: SettingsDep
) -> ContentService:
    tasks: TaskQueue = request.app.state.tasks
    return ContentService(session, subject, settings, RoutedStorage(session, settings), tasks)


ServiceDep = Annotated[ContentService, Depends(content_service)]


def content_links(session: SessionDep, settings: SettingsDep) -> ContentLinks:
    return ContentLinks(session, settings)


LinksDep = Annotated[ContentLinks, Depends(content_links)]


_CONTENT_FORM = multipart_schema(
    files={"portrait": "Target image: JPEG, PNG or WebP", "video": "Videos (repeatable)"},
    required=["portrait", "project_id", "title"],
    fields={
        "project_id": {"type": "integer"},
        "title": {"type": "string"},
        "expires_at": {"type": "string", "format": "date-time"},
        "customer_name": {"type": "string"},
        "customer_email": {"type": "string", "format": "email"},
        "customer_phone": {"type": "string"},
        "tracking_smoothing": {"type": "number", "minimum": 0, "maximum": 1},
        "chroma_key_color": {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"},
        "chroma_key_tolerance": {"type": "number", "minimum": 0, "maximum": 1},
    },
)
_VIDEO_FORM = multipart_schema(files={"video": "Videos (repeatable)"}, required=["video"])
_PORTRAIT_FORM = multipart_schema(
    files={"portrait": "The new target image: JPEG, PNG or WebP"}, required=["portrait"]
)


def _one_portrait(form: ReceivedForm) -> ReceivedFile:
    portraits = form.files.get("portrait", [])
    if len(portraits) != 1:
        raise InvalidInput(
            "Invalid input: portrait (exactly one image file is required)",
            details=[{"field": "portrait", "message": "exactly one file required"}],
        )
    return portraits[0]


def _fields(form: ReceivedForm) -> ContentFields:
    try:
        return ContentFields.model_validate(
            {name: form.text(name) for name in ContentFields.model_fields}
        )
    except ValidationError as exc:
        raise invalid_input(exc.errors()) from exc


@router.post("", status_code=status.HTTP_201_CREATED, openapi_extra=_CONTENT_FORM)
async def create_content(
    request: Request, service: ServiceDep, settings: SettingsDep, links: LinksDep
) -> ContentRead:
    fields = {
        "portrait": FileField(settings.max_image_bytes),
        "video": FileField(settings.max_video_bytes, MAX_VIDEOS_PER_UPLOAD),
    }
    await service.refuse_when_full()  # a full company's body is not read
    await service.release_connection()
    async with upload_folder(settings) as folder:
        form = await receive_multipart(request, folder, fields, settings.upload_idle_seconds)
        content_fields = _fields(form)
        portrait = _one_portrait(form)
        content = await service.create(content_fields, portrait, form.files.get("video", []))
    return await links.content(content)


@router.get("")
async def list_content(
    service: ServiceDep,
    links: LinksDep,
    page: Annotated[PageParams, Depends()],
    project_id: int | None = None,
    marker_status: MarkerStatus | None = None,
) -> Page[ContentRead]:
    items, total = await service.find(ContentFilters(project_id, marker_status), page)
    shown = [await links.content(item) for item in items]
    return Page[ContentRead](items=shown, total=total, limit=page.limit, offset=page.offset)


@router.get("/{content_id}")
async def get_content(content_id: int, service: ServiceDep, links: LinksDep) -> ContentRead:
    return await links.content(await service.get(content_id))


@router.patch("/{content_id}")
async def update_content(
    content_id: int, data: ContentUpdate, service: ServiceDep, links: LinksDep
) -> ContentRead:
    return await links.content(await service.update(content_id, data))


@router.put("/{content_id}/portrait", openapi_extra=_PORTRAIT_FORM, responses={409: {}})
async def replace_portrait(
    content_id: int, request: Request, service: ServiceDep, settings: SettingsDep, links: LinksDep
) -> ContentRead:
    """Replace the portrait: its marker is recompiled, the `unique_id` and QR code stay, and the
    current marker serves until the new one is ready (409 while a compile is in flight)."""
    await service.get(content_id)  # another tenant's id is a 404 before any byte is stored
    await service.release_connection()
    async with upload_folder(settings) as folder:
        form = await receive_multipart(
            request,
            folder,
            {"portrait": FileField(settings.max_image_bytes)},
            settings.upload_idle_seconds,
        )
        content = await service.replace_portrait(content_id, _one_portrait(form))
    return await links.content(content)


@router.delete("/{content_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_content(content_id: int, service: ServiceDep) -> Response:
    await service.delete(content_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{content_id}/videos", status_code=status.HTTP_201_CREATED, openapi_extra=_VIDEO_FORM)
async def add_videos(
    content_id: int, request: Request, service: ServiceDep, settings: SettingsDep, links: LinksDep
) -> list[VideoRead]:
    # Another tenant's id is a 404, a full item or company a 409/413, before any byte is read.
    await service.refuse_when_full(content_id)
    await service.release_connection()
    async with upload_folder(settings) as folder:
        form = await receive_multipart(
            request,
            folder,
            {"video": FileField(settings.max_video_bytes, MAX_VIDEOS_PER_UPLOAD)},
            settings.upload_idle_seconds,
        )
        added = await service.add_videos(content_id, form.files.get("video", []))
    content = await service.get(content_id)
    return await links.videos(content.company_id, added)


@router.patch("/{content_id}/videos/{video_id}")
async def update_video(
    content_id: int, video_id: int, data: VideoUpdate, service: ServiceDep, links: LinksDep
) -> VideoRead:
    """Change a video's label."""
    video = await service.update_video(content_id, video_id, data)
    (read,) = await links.videos((await service.get(content_id)).company_id, [video])
    return read


@router.delete("/{content_id}/videos/{video_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_video(content_id: int, video_id: int, service: ServiceDep) -> Response:
    await service.delete_video(content_id, video_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{content_id}/generate-marker")
async def generate_marker(
    content_id: int, request: Request, service: ServiceDep, links: LinksDep
) -> ContentRead:
    """Queue a compile; a no-op while one is queued or running. Rate-limited per company."""
    content = await service.get(content_id)
    limiter: RateLimiter = request.app.state.rate_limiter
    await limiter.check("marker", f"company-{content.company_id}")
    return await links.content(await service.requeue_marker(content_id))
