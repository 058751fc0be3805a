from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response, status
from pydantic import ValidationError

from vertex_ar.auth.dependencies import Subject
from vertex_ar.connections.routing import RoutedStorage
from vertex_ar.content.models import MarkerStatus
from vertex_ar.content.schemas import ContentFields, ContentRead, ContentUpdate, VideoRead
from vertex_ar.content.service import ContentFilters, ContentService, present, present_video
from vertex_ar.content.uploads import (
    ReceivedForm,
    multipart_schema,
    receive_multipart,
    upload_folder,
)
from vertex_ar.core.deps import SessionDep, SettingsDep
from vertex_ar.core.errors import InvalidInput
from vertex_ar.core.schemas import Page
from vertex_ar.tasks.dispatch import TaskQueue

router = APIRouter(prefix="/api/ar-content", tags=["ar-content"])


def _service(
    request: Request, session: SessionDep, subject: Subject, settings: SettingsDep
) -> ContentService:
    tasks: TaskQueue = request.app.state.tasks
    return ContentService(session, subject, settings, RoutedStorage(session, settings), tasks)


ServiceDep = Annotated[ContentService, Depends(_service)]


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
    },
)
_VIDEO_FORM = multipart_schema(files={"video": "Videos (repeatable)"}, required=["video"])


def _fields(form: ReceivedForm) -> ContentFields:
    try:
        return ContentFields.model_validate(
            {name: form.text(name) for name in ContentFields.model_fields}
        )
    except ValidationError as exc:
        details = [
            {"field": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in exc.errors()
        ]
        fields = ", ".join(d["field"] for d in details)
        raise InvalidInput(f"Invalid input: {fields}", details=details) from exc


@router.post(
    "",
    response_model=ContentRead,
    status_code=status.HTTP_201_CREATED,
    openapi_extra=_CONTENT_FORM,
)
async def create_content(
    request: Request, service: ServiceDep, settings: SettingsDep
) -> dict[str, Any]:
    limits = {"portrait": settings.max_image_bytes, "video": settings.max_video_bytes}
    async with upload_folder(settings) as folder:
        form = await receive_multipart(request, folder, limits)
        fields = _fields(form)
        portraits = form.files.get("portrait", [])
        if len(portraits) != 1:
            raise InvalidInput(
                "Invalid input: portrait (exactly one image file is required)",
                details=[{"field": "portrait", "message": "exactly one file required"}],
            )
        content = await service.create(fields, portraits[0], form.files.get("video", []))
    return present(content)


@router.get("", response_model=Page[ContentRead])
async def list_content(
    service: ServiceDep,
    project_id: int | None = None,
    marker_status: MarkerStatus | None = None,
    limit: int = 50,
    offset: int = 0,
) -> dict[str, Any]:
    filters = ContentFilters(project_id, marker_status, max(1, min(limit, 200)), max(0, offset))
    items, total = await service.find(filters)
    return {
        "items": [present(c) for c in items],
        "total": total,
        "limit": filters.limit,
        "offset": filters.offset,
    }


@router.get("/{content_id}", response_model=ContentRead)
async def get_content(content_id: int, service: ServiceDep) -> dict[str, Any]:
    return present(await service.get(content_id))


@router.patch("/{content_id}", response_model=ContentRead)
async def update_content(
    content_id: int, data: ContentUpdate, service: ServiceDep
) -> dict[str, Any]:
    return present(await service.update(content_id, data))


@router.delete("/{content_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_content(content_id: int, service: ServiceDep) -> Response:
    await service.delete(content_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{content_id}/videos",
    response_model=list[VideoRead],
    status_code=status.HTTP_201_CREATED,
    openapi_extra=_VIDEO_FORM,
)
async def add_videos(
    content_id: int, request: Request, service: ServiceDep, settings: SettingsDep
) -> list[dict[str, Any]]:
    await service.get(content_id)  # another tenant's id is a 404 before any byte is stored
    async with upload_folder(settings) as folder:
        form = await receive_multipart(request, folder, {"video": settings.max_video_bytes})
        added = await service.add_videos(content_id, form.files.get("video", []))
    return [present_video(v) for v in added]


@router.delete("/{content_id}/videos/{video_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_video(content_id: int, video_id: int, service: ServiceDep) -> Response:
    await service.delete_video(content_id, video_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{content_id}/generate-marker", response_model=ContentRead)
async def generate_marker(content_id: int, service: ServiceDep) -> dict[str, Any]:
    return present(await service.requeue_marker(content_id))
