from __future__ import annotations

from datetime import datetime

from vertex_ar.core.schemas import Schema
from vertex_ar.trash.operations import TrashKind


class TrashItemRead(Schema):
    kind: TrashKind
    id: int
    company_id: int
    label: str  # the content's title, the project's or company's name (a video: its content's)
    content_id: int | None  # a video's content
    deleted_at: datetime
    deleted_by_user_id: int | None
    deleted_by_email: str | None  # None once that user is gone
    purge_after: datetime  # Beat purges it (and its media) after this moment
