"""The domain services an admin page uses, built exactly as the API's endpoints build them, for
the subject behind the session cookie. The one place that knows their constructors."""

from __future__ import annotations

import time

from vertex_ar.admin.pages import Context
from vertex_ar.analytics.service import AnalyticsService
from vertex_ar.auth.service import AuthService
from vertex_ar.companies.service import CompanyService
from vertex_ar.connections.routing import storage_for_company
from vertex_ar.connections.service import ConnectionService
from vertex_ar.content.endpoints import content_service
from vertex_ar.content.service import ContentService
from vertex_ar.notifications.service import NotificationService
from vertex_ar.projects.service import ProjectService
from vertex_ar.qr.service import QRService
from vertex_ar.rotation.endpoints import rotation_cache
from vertex_ar.rotation.service import RotationService
from vertex_ar.trash.service import TrashService
from vertex_ar.users.service import UserService
from vertex_ar.viewer.media import MediaLinks


def auth(ctx: Context) -> AuthService:
    return AuthService(ctx.session, ctx.settings, ctx.request.app.state.rate_limiter)


def content(ctx: Context) -> ContentService:
    return content_service(ctx.request, ctx.session, ctx.user, ctx.settings)


def projects(ctx: Context) -> ProjectService:
    return ProjectService(ctx.session, ctx.user)


def companies(ctx: Context) -> CompanyService:
    return CompanyService(ctx.session, ctx.user, ctx.settings)


def trash(ctx: Context) -> TrashService:
    return TrashService(ctx.session, ctx.user, ctx.settings)


def notifications(ctx: Context) -> NotificationService:
    return NotificationService(ctx.session, ctx.user, ctx.settings)


def users(ctx: Context) -> UserService:
    return UserService(ctx.session, ctx.user)


def rotation(ctx: Context) -> RotationService:
    return RotationService(ctx.session, ctx.user, rotation_cache(ctx.request))


def qr(ctx: Context) -> QRService:
    return QRService(ctx.session, ctx.user, ctx.settings)


def analytics(ctx: Context) -> AnalyticsService:
    return AnalyticsService(ctx.session, ctx.user)


def connections(ctx: Context) -> ConnectionService:
    return ConnectionService(ctx.session, ctx.user, ctx.settings)


class MediaUrls:
    """Links to stored media for one page: the viewer's MediaLinks, one per company's storage,
    all with the same expiry."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.now = time.time()
        self.links: dict[int, MediaLinks] = {}

    async def url(self, company_id: int, key: str, mime: str) -> str:
        links = self.links.get(company_id)
        if links is None:
            storage = await storage_for_company(self.ctx.session, self.ctx.settings, company_id)
            links = self.links[company_id] = MediaLinks(self.ctx.settings, storage, self.now)
        return links.url(key, mime)


def media_links(ctx: Context) -> MediaUrls:
    return MediaUrls(ctx)
