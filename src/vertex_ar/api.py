"""Every router of the HTTP API, in the order the app includes them."""

from __future__ import annotations

from fastapi import APIRouter

from vertex_ar.admin.endpoints import router as admin_router
from vertex_ar.analytics.endpoints import router as analytics_router
from vertex_ar.audit.endpoints import router as audit_router
from vertex_ar.auth.endpoints import router as auth_router
from vertex_ar.companies.endpoints import router as companies_router
from vertex_ar.connections.endpoints import oauth_router as storage_oauth_router
from vertex_ar.connections.endpoints import router as storage_router
from vertex_ar.content.endpoints import router as content_router
from vertex_ar.health.endpoints import router as health_router
from vertex_ar.notifications.endpoints import router as notifications_router
from vertex_ar.notifications.endpoints import settings_router as notification_settings_router
from vertex_ar.projects.endpoints import router as projects_router
from vertex_ar.qr.endpoints import router as qr_router
from vertex_ar.quotas.endpoints import router as quotas_router
from vertex_ar.rotation.endpoints import router as rotation_router
from vertex_ar.trash.endpoints import router as trash_router
from vertex_ar.users.endpoints import router as users_router
from vertex_ar.viewer.endpoints import router as viewer_router

ROUTERS: tuple[APIRouter, ...] = (
    viewer_router,  # first: every scan is matched against the routes before it (issue 15)
    auth_router,
    companies_router,
    quotas_router,
    users_router,
    projects_router,
    content_router,
    storage_router,
    storage_oauth_router,
    health_router,
    rotation_router,
    qr_router,
    analytics_router,
    notification_settings_router,
    notifications_router,
    trash_router,
    audit_router,
    admin_router,  # the web UI, /docs and /redoc
)
