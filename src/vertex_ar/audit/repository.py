from __future__ import annotations

from vertex_ar.audit.models import AuditEntry
from vertex_ar.core.tenancy import ScopedRepository


class AuditRepository(ScopedRepository[AuditEntry]):
    model = AuditEntry
    label = "audit entry"
