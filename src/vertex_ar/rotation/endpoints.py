from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status

from vertex_ar.auth.dependencies import Subject
from vertex_ar.core.deps import SessionDep
from vertex_ar.rotation.cache import RotationCache
from vertex_ar.rotation.schemas import RotationRuleIn, RotationRuleRead
from vertex_ar.rotation.service import RotationService

router = APIRouter(prefix="/api/ar-content", tags=["rotation"])


def rotation_cache(request: Request) -> RotationCache | None:
    """The app's one Redis client for the cache (built by the app's lifespan; None: no Redis)."""
    cache: RotationCache | None = request.app.state.rotation_cache
    return cache


CacheDep = Annotated[RotationCache | None, Depends(rotation_cache)]


def _service(session: SessionDep, subject: Subject, cache: CacheDep) -> RotationService:
    return RotationService(session, subject, cache)


ServiceDep = Annotated[RotationService, Depends(_service)]


@router.get("/{content_id}/rotation-rule")
async def get_rotation_rule(content_id: int, service: ServiceDep) -> RotationRuleRead:
    return RotationRuleRead.model_validate(await service.read(content_id))


@router.put("/{content_id}/rotation-rule")
async def put_rotation_rule(
    content_id: int, data: RotationRuleIn, service: ServiceDep
) -> RotationRuleRead:
    """Set the content's rule (replaces any earlier one); answers with today's choice."""
    return RotationRuleRead.model_validate(await service.put(content_id, data))


@router.delete("/{content_id}/rotation-rule", status_code=status.HTTP_204_NO_CONTENT)
async def delete_rotation_rule(content_id: int, service: ServiceDep) -> Response:
    await service.delete(content_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
