"""The domain services an admin page uses, built exactly as the API's endpoints build them, for
the subject behind the session cookie. The one place that knows their constructors."""

from __future__ import annotations

from vertex_ar.admin.pages import Context
from vertex_ar.analytics.service import AnalyticsService
from vertex_ar.auth.service import AuthService
from vertex_ar.companies.repository import CompanyRepository
from vertex_ar.companies.service import CompanyService
from vertex_ar.content.service import ContentService
from vertex_ar.projects.repository import ProjectRepository
from vertex_ar.projects.service import ProjectService
from vertex_ar.qr.service import QRService
from vertex_ar.rotation.cache import RotationCache
from vertex_ar.rotation.service import RotationService
from vertex_ar.storage.registry import RoutedStorage
from vertex_ar.storage.service import ConnectionService
from vertex_ar.tasks.dispatch import TaskQueue
from vertex_ar.users.service import UserService
from vertex_ar.viewer.media import MediaLinks


def content(ctx: Context) -> ContentService:
    tasks: TaskQueue = ctx.request.app.state.tasks
    storage = RoutedStorage(ctx.session, ctx.settings)
    return ContentService(ctx.session, ctx.user, ctx.settings, storage, tasks)


def projects(ctx: Context) -> ProjectService:
    return ProjectService(ProjectRepository(ctx.session, ctx.user))


def rotation(ctx: Context) -> RotationService:
    cache: RotationCache | None = getattr(ctx.request.app.state, "rotation_cache", None)
    return RotationService(ctx.session, ctx.user, cache)


def qr(ctx: Context) -> QRService:
    return QRService(ctx.session, ctx.user, ctx.settings)


def media_links(ctx: Context) -> MediaLinks:
    return MediaLinks(ctx.session, ctx.settings)


def companies(ctx: Context) -> CompanyService:
    return CompanyService(CompanyRepository(ctx.session, ctx.user), ctx.settings)


def users(ctx: Context) -> UserService:
    return UserService(ctx.session, ctx.user)


def analytics(ctx: Context) -> AnalyticsService:
    return AnalyticsService(ctx.session, ctx.user)


def connections(ctx: Context) -> ConnectionService:
    return ConnectionService(ctx.session, ctx.user, ctx.settings)


def auth(ctx: Context) -> AuthService:
    return AuthService(ctx.session, ctx.settings)
