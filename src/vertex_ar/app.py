"""The FastAPI application: `create_app(settings)`, and the state its lifespan builds."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

import vertex_ar.models  # noqa: F401 - every table mapped before the first flush
from vertex_ar.api import ROUTERS
from vertex_ar.core.bodylimit import RequestBodyLimit
from vertex_ar.core.db import Database
from vertex_ar.core.errors import install_error_handlers
from vertex_ar.core.logging import RequestIdMiddleware, configure_logging
from vertex_ar.core.security import configure_password_hashing
from vertex_ar.core.settings import Settings, get_settings
from vertex_ar.health.probes import CachedProbe
from vertex_ar.observability.endpoints import install_metrics
from vertex_ar.rotation.cache import RotationCache, cache_from_settings
from vertex_ar.tasks.dispatch import TaskQueue
from vertex_ar.viewer.answers import ViewerAnswers, watch_commits
from vertex_ar.viewer.ratelimit import RateLimiter
from vertex_ar.viewer.scan_path import ScanPath


@dataclass(frozen=True)
class AppState:
    """What every request of one process shares. Each field is also `app.state.<field>`, where
    the domains' dependencies read it (`core.deps`, `rotation.endpoints`, `viewer.endpoints`...).
    """

    database: Database
    tasks: TaskQueue
    rotation_cache: RotationCache | None  # None without REDIS_CACHE_URL
    rate_limiter: RateLimiter
    viewer_answers: ViewerAnswers
    storage_probe: CachedProbe[dict[str, Any]]  # the health check's storage probes, shared

    @classmethod
    def build(cls, settings: Settings) -> AppState:
        return cls(
            database=Database(
                settings.database_url, busy_timeout=settings.sqlite_busy_timeout_seconds
            ),
            tasks=TaskQueue(settings),
            rotation_cache=cache_from_settings(settings),
            rate_limiter=RateLimiter.from_settings(settings),
            viewer_answers=ViewerAnswers.from_settings(settings),
            storage_probe=CachedProbe(settings.health_probe_ttl_seconds),
        )

    async def aclose(self) -> None:
        await self.viewer_answers.aclose()
        await self.rate_limiter.aclose()
        if self.rotation_cache is not None:
            await self.rotation_cache.aclose()
        await self.database.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings)
    configure_password_hashing(settings)
    watch_commits(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        state = AppState.build(settings)
        for name, value in vars(state).items():
            setattr(app.state, name, value)
        try:
            yield
        finally:
            await state.aclose()

    app = FastAPI(
        title="Vertex AR",
        version="0.1.0",
        description="Image-triggered web AR: tenants, AR content, markers, viewer.",
        lifespan=lifespan,
        docs_url=None,  # /docs and /redoc: the admin UI serves them with assets from npm
        redoc_url=None,
    )
    app.state.settings = settings
    install_error_handlers(app)
    # Each one added wraps the ones before: the request id (and log line) outermost, then the
    # metrics, then the scan path (pure ASGI, before routing: issue 15), then the body limit.
    app.add_middleware(RequestBodyLimit, max_bytes=settings.max_json_bytes)
    app.add_middleware(ScanPath)
    install_metrics(app)
    app.add_middleware(RequestIdMiddleware)
    # Outermost, so every layer (logs, metrics, rate limits) sees the client behind the proxy;
    # the launchers run uvicorn with --no-proxy-headers and leave this to the app.
    app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.forwarded_allow_ips)
    for router in ROUTERS:
        app.include_router(router)
    return app


def app() -> FastAPI:
    """Uvicorn factory entry: `uvicorn --factory vertex_ar.app:app`."""
    return create_app()
