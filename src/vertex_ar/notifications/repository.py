from __future__ import annotations

from vertex_ar.core.tenancy import ScopedRepository
from vertex_ar.notifications.models import Notification


class NotificationRepository(ScopedRepository[Notification]):
    model = Notification
    label = "notification"
