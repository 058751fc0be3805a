from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Form, Request, Response, UploadFile, status
from pydantic import ValidationError

from vertex_ar.auth.dependencies import Subject
from vertex_ar.content.models import MarkerStatus
from vertex_ar.content.schemas import ContentFields, ContentRead, ContentUpdate, VideoRead
from vertex_ar.content.service import ContentFilters, ContentService, present, present_video
from vertex_ar.core.deps import SessionDep, SettingsDep
from vertex_ar.core.errors import InvalidInput
from vertex_ar.core.schemas import Page
from vertex_ar.storage.registry import RoutedStorage
from vertex_ar.tasks.dispatch import TaskQueue

router = APIRouter(prefix="/api/ar-content", tags=["ar-content"])


def _service(
    request: Request, session: SessionDep, subject: Subject, settings: SettingsDep
) -> ContentService:
    tasks: TaskQueue = request.app.state.tasks
    return ContentService(session, subject, settings, RoutedStorage(session, settings), tasks)


ServiceDep = Annotated[ContentService, Depends(_service)]


@router.post("", response_model=ContentRead, status_code=status.HTTP_201_CREATED)
async def create_content(
    service: ServiceDep,
    portrait: Annotated[UploadFile, File(description="Target image: JPEG, PNG or WebP")],
    project_id: Annotated[int, Form()],
    title: Annotated[str, Form()],
    video: Annotated[list[UploadFile] | None, File(description="Videos (repeatable)")] = None,
    expires_at: Annotated[datetime | None, Form()] = None,
    customer_name: Annotated[str | None, Form()] = None,
    customer_email: Annotated[str | None, Form()] = None,
    customer_phone: Annotated[str | None, Form()] = None,
) -> dict[str, Any]:
    try:
        fields = ContentFields(
            project_id=project_id,
            title=title,
            expires_at=expires_at,
            customer_name=customer_name or None,
            customer_email=customer_email or None,
            customer_phone=customer_phone or None,
        )
    except ValidationError as exc:
        details = [
            {"field": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in exc.errors()
        ]
        raise InvalidInput(
            "Invalid input: " + ", ".join(d["field"] for d in details), details=details
        ) from exc
    return present(await service.create(fields, portrait, video or []))


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
    "/{content_id}/videos", response_model=list[VideoRead], status_code=status.HTTP_201_CREATED
)
async def add_videos(
    content_id: int,
    service: ServiceDep,
    video: Annotated[list[UploadFile], File(description="Videos (repeatable)")],
) -> list[dict[str, Any]]:
    return [present_video(v) for v in await service.add_videos(content_id, video)]


@router.delete("/{content_id}/videos/{video_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_video(content_id: int, video_id: int, service: ServiceDep) -> Response:
    await service.delete_video(content_id, video_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{content_id}/generate-marker", response_model=ContentRead)
async def generate_marker(content_id: int, service: ServiceDep) -> dict[str, Any]:
    return present(await service.requeue_marker(content_id))
