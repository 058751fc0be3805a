from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from vertex_ar.auth.dependencies import OptionalSubject
from vertex_ar.core.deps import SessionDep, SettingsDep
from vertex_ar.health.service import platform_health

router = APIRouter(prefix="/api/health", tags=["health"])


@router.get("/status")
async def health_status(
    request: Request, session: SessionDep, settings: SettingsDep, subject: OptionalSubject
) -> JSONResponse:
    """ok / degraded (200) or down (503); per-check details for a superadmin only."""
    status, checks = await platform_health(
        session,
        settings,
        request.app.state.tasks,
        request.app.state.storage_probe,
        detailed=subject is not None and subject.is_superadmin,
    )
    return JSONResponse(
        {"status": status, "checks": checks}, status_code=503 if status == "down" else 200
    )
