from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, EmailStr

from vertex_ar.core.passwords import check_password
from vertex_ar.core.schemas import Schema
from vertex_ar.core.tenancy import Role

# Length and the common-password list (core.passwords); the message says which.
Password = Annotated[str, AfterValidator(check_password)]


class UserCreate(Schema):
    email: EmailStr
    password: Password
    role: Role = Role.company_admin
    company_id: int | None = None


class UserUpdate(Schema):
    email: EmailStr | None = None
    password: Password | None = None
    active: bool | None = None
    role: Role | None = None


class UserRead(Schema):
    id: int
    email: str
    role: Role
    company_id: int | None
    active: bool
    created_at: datetime
