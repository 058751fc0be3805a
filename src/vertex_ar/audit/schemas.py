from __future__ import annotations

from datetime import datetime

from vertex_ar.core.schemas import Schema


class AuditEntryRead(Schema):
    id: int
    company_id: int | None
    user_id: int | None
    user_email: str | None
    action: str
    item_kind: str
    item_id: int
    item_label: str
    created_at: datetime
