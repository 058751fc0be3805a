from __future__ import annotations

from datetime import datetime

from pydantic import EmailStr, Field

from vertex_ar.core.schemas import Schema
from vertex_ar.core.tenancy import Role


class UserCreate(Schema):
    email: EmailStr
    password: str = Field(min_length=8, max_length=256)
    role: Role = Role.company_admin
    company_id: int | None = None


class UserUpdate(Schema):
    email: EmailStr | None = None
    password: str | None = Field(default=None, min_length=8, max_length=256)
    active: bool | None = None


class UserRead(Schema):
    id: int
    email: str
    role: Role
    company_id: int | None
    active: bool
    created_at: datetime
