from __future__ import annotations

from datetime import datetime

from pydantic import Field

from vertex_ar.core.schemas import Schema


class ProjectCreate(Schema):
    name: str = Field(min_length=1, max_length=200)
    company_id: int | None = None
    description: str = Field(default="", max_length=5000)


class ProjectUpdate(Schema):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=5000)
    active: bool | None = None


class ProjectRead(Schema):
    id: int
    company_id: int
    name: str
    description: str
    active: bool
    created_at: datetime
