"""Every mapped model, imported once so that metadata (Alembic, tests) sees all tables."""

from vertex_ar.analytics.models import ARViewSession
from vertex_ar.audit.models import AuditEntry
from vertex_ar.auth.models import RevokedToken
from vertex_ar.companies.models import Company
from vertex_ar.connections.models import PendingDelete, StorageConnection
from vertex_ar.content.models import ARContent, Video
from vertex_ar.core.db import Base
from vertex_ar.notifications.models import (
    Notification,
    NotificationEvent,
    NotificationSettings,
    OutboxDelivery,
)
from vertex_ar.projects.models import Project
from vertex_ar.rotation.models import VideoRotationRule
from vertex_ar.tasks.models import WorkerHeartbeat
from vertex_ar.users.models import User

# SQLite hands a deleted row's id out again unless the table says AUTOINCREMENT: a token, a signed
# link or a rotation rule naming the old id would then point at the new row (issue 10).
# PostgreSQL sequences never reuse ids; the option means nothing there.
for _table in Base.metadata.tables.values():
    _table.dialect_options["sqlite"]["autoincrement"] = True

__all__ = [
    "ARContent",
    "ARViewSession",
    "AuditEntry",
    "Base",
    "Company",
    "Notification",
    "NotificationEvent",
    "NotificationSettings",
    "OutboxDelivery",
    "PendingDelete",
    "Project",
    "RevokedToken",
    "StorageConnection",
    "User",
    "Video",
    "VideoRotationRule",
    "WorkerHeartbeat",
]
