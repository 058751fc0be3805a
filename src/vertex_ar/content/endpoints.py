from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import ValidationError

from vertex_ar.auth.dependencies import Subject
from vertex_ar.connections.routing import RoutedStorage
from vertex_ar.content.models import MarkerStatus
from vertex_ar.content.schemas import ContentFields, ContentRead, ContentUpdate, VideoRead
from vertex_ar.content.service import MAX_VIDEOS_PER_UPLOAD, ContentFilters, ContentService
from vertex_ar.content.uploads import (
    FileField,
    ReceivedForm,
    multipart_schema,
    receive_multipart,
    upload_folder,
)
from vertex_ar.core.deps import SessionDep, SettingsDep
from vertex_ar.core.errors import InvalidInput, invalid_input
from vertex_ar.core.schemas import Page, PageParams, page_of
from vertex_ar.tasks.dispatch import TaskQueue
from vertex_ar.viewer.ratelimit import RateLimiter

router = APIRouter(prefix="/api/ar-content", tags=["ar-content"])


def content_service(
    request: Request, session: SessionDep, subject: Subject, settings: SettingsDep
) -> ContentService:
    tasks: TaskQueue = request.app.state.tasks
    return ContentService(session, subject, settings, RoutedStorage(session, settings), tasks)


ServiceDep = Annotated[ContentService, Depends(content_service)]


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
        "chroma_key_color": {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"},
        "chroma_key_tolerance": {"type": "number", "minimum": 0, "maximum": 1},
    },
)
_VIDEO_FORM = multipart_schema(files={"video": "Videos (repeatable)"}, required=["video"])


def _fields(form: ReceivedForm) -> ContentFields:
    try:
        return ContentFields.model_validate(
            {name: form.text(name) for name in ContentFields.model_fields}
        )
    except ValidationError as exc:
        raise invalid_input(exc.errors()) from exc


@router.post("", status_code=status.HTTP_201_CREATED, openapi_extra=_CONTENT_FORM)
async def create_content(
    request: Request, service: ServiceDep, settings: SettingsDep
) -> ContentRead:
    fields = {
        "portrait": FileField(settings.max_image_bytes),
        "video": FileField(settings.max_video_bytes, MAX_VIDEOS_PER_UPLOAD),
    }
    await service.release_connection()
    async with upload_folder(settings) as folder:
        form = await receive_multipart(request, folder, fields, settings.upload_idle_seconds)
        content_fields = _fields(form)
        portraits = form.files.get("portrait", [])
        if len(portraits) != 1:
            raise InvalidInput(
                "Invalid input: portrait (exactly one image file is required)",
                details=[{"field": "portrait", "message": "exactly one file required"}],
            )
        content = await service.create(content_fields, portraits[0], form.files.get("video", []))
    return ContentRead.model_validate(content)


@router.get("")
async def list_content(
    service: ServiceDep,
    page: Annotated[PageParams, Depends()],
    project_id: int | None = None,
    marker_status: MarkerStatus | None = None,
) -> Page[ContentRead]:
    items, total = await service.find(ContentFilters(project_id, marker_status), page)
    return page_of(ContentRead, items, total, page)


@router.get("/{content_id}")
async def get_content(content_id: int, service: ServiceDep) -> ContentRead:
    return ContentRead.model_validate(await service.get(content_id))


@router.patch("/{content_id}")
async def update_content(content_id: int, data: ContentUpdate, service: ServiceDep) -> ContentRead:
    return ContentRead.model_validate(await service.update(content_id, data))


@router.delete("/{content_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_content(content_id: int, service: ServiceDep) -> Response:
    await service.delete(content_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{content_id}/videos", status_code=status.HTTP_201_CREATED, openapi_extra=_VIDEO_FORM)
async def add_videos(
    content_id: int, request: Request, service: ServiceDep, settings: SettingsDep
) -> list[VideoRead]:
    await service.get(content_id)  # another tenant's id is a 404 before any byte is stored
    await service.release_connection()
    async with upload_folder(settings) as folder:
        form = await receive_multipart(
            request,
            folder,
            {"video": FileField(settings.max_video_bytes, MAX_VIDEOS_PER_UPLOAD)},
            settings.upload_idle_seconds,
        )
        added = await service.add_videos(content_id, form.files.get("video", []))
    return [VideoRead.model_validate(video) for video in added]


@router.delete("/{content_id}/videos/{video_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_video(content_id: int, video_id: int, service: ServiceDep) -> Response:
    await service.delete_video(content_id, video_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{content_id}/generate-marker")
async def generate_marker(content_id: int, request: Request, service: ServiceDep) -> ContentRead:
    """Queue a compile; a no-op while one is queued or running. Rate-limited per company."""
    content = await service.get(content_id)
    limiter: RateLimiter = request.app.state.rate_limiter
    await limiter.check("marker", f"company-{content.company_id}")
    return ContentRead.model_validate(await service.requeue_marker(content_id))
