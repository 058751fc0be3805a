from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from vertex_ar.auth.dependencies import Subject
from vertex_ar.core.deps import SessionDep, SettingsDep
from vertex_ar.core.schemas import Page, PageParams, page_of
from vertex_ar.trash.operations import TrashKind
from vertex_ar.trash.schemas import TrashItemRead
from vertex_ar.trash.service import TrashService

router = APIRouter(prefix="/api/trash", tags=["trash"])


def _service(session: SessionDep, subject: Subject, settings: SettingsDep) -> TrashService:
    return TrashService(session, subject, settings)


ServiceDep = Annotated[TrashService, Depends(_service)]


@router.get("")
async def list_trash(
    service: ServiceDep,
    page: Annotated[PageParams, Depends()],
    kind: TrashKind | None = None,
    company_id: Annotated[int | None, Query(description="superadmin: one company")] = None,
) -> Page[TrashItemRead]:
    """Deleted items, newest first, until they are purged (see `purge_after`)."""
    items, total = await service.list(page, kind, company_id)
    return page_of(TrashItemRead, items, total, page)


@router.post("/{kind}/{item_id}/restore", status_code=status.HTTP_204_NO_CONTENT)
async def restore(kind: TrashKind, item_id: int, service: ServiceDep) -> Response:
    """Bring an item back (with what its deletion took along): same unique_id, same rule."""
    await service.restore(kind, item_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.delete("/{kind}/{item_id}", status_code=status.HTTP_204_NO_CONTENT)
async def purge(kind: TrashKind, item_id: int, service: ServiceDep) -> Response:
    """Superadmin: purge an item at once, its media deleted from storage."""
    await service.purge(kind, item_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
