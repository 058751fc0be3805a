"""The FastAPI application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from vertex_ar.analytics.endpoints import router as analytics_router
from vertex_ar.auth.endpoints import router as auth_router
from vertex_ar.companies.endpoints import router as companies_router
from vertex_ar.connections.endpoints import oauth_router as storage_oauth_router
from vertex_ar.connections.endpoints import router as storage_router
from vertex_ar.content.endpoints import router as content_router
from vertex_ar.core.db import Database
from vertex_ar.core.errors import install_error_handlers
from vertex_ar.core.logging import RequestIdMiddleware, configure_logging
from vertex_ar.core.security import configure_password_hashing
from vertex_ar.core.settings import Settings, get_settings
from vertex_ar.health.endpoints import router as health_router
from vertex_ar.observability.endpoints import install_metrics
from vertex_ar.projects.endpoints import router as projects_router
from vertex_ar.qr.endpoints import router as qr_router
from vertex_ar.rotation.endpoints import router as rotation_router
from vertex_ar.tasks.dispatch import TaskQueue
from vertex_ar.users.endpoints import router as users_router
from vertex_ar.viewer.endpoints import router as viewer_router


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings)
    configure_password_hashing(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.database = Database(settings.database_url)
        try:
            yield
        finally:
            await app.state.database.dispose()

    app = FastAPI(
        title="Vertex AR",
        version="0.1.0",
        description="Image-triggered web AR: tenants, AR content, markers, viewer.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.tasks = TaskQueue(settings)
    install_error_handlers(app)
    install_metrics(app)
    app.add_middleware(RequestIdMiddleware)
    for router in (
        auth_router,
        companies_router,
        users_router,
        projects_router,
        content_router,
        storage_router,
        storage_oauth_router,
        health_router,
        rotation_router,
        qr_router,
        analytics_router,
        viewer_router,
    ):
        app.include_router(router)
    return app


def app() -> FastAPI:
    """Uvicorn factory entry: `uvicorn --factory vertex_ar.core.app:app`."""
    return create_app()
