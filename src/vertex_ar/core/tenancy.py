"""Tenancy: roles, the authenticated caller, and the one place where tenant scoping is decided.

Every query on tenant-owned rows goes through `AuthSubject.scope`, usually via `ScopedRepository`.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from vertex_ar.core.db import Base, TrashMixin
from vertex_ar.core.errors import Forbidden, InvalidInput, NotFound

S = TypeVar("S", bound=Select[Any])
M = TypeVar("M", bound=Base)


class Role(enum.StrEnum):
    superadmin = "superadmin"
    company_admin = "company_admin"  # everything in its company, the team included
    editor = "editor"  # content and projects; no users, no settings
    viewer = "viewer"  # read-only: content, QR codes, analytics


_EDITORS = frozenset({Role.superadmin, Role.company_admin, Role.editor})
_TEAM_ADMINS = frozenset({Role.superadmin, Role.company_admin})


@dataclass(frozen=True)
class AuthSubject:
    user_id: int
    email: str
    role: Role
    company_id: int | None

    @property
    def is_superadmin(self) -> bool:
        return self.role is Role.superadmin

    def scope(self, stmt: S, company_column: InstrumentedAttribute[Any]) -> S:
        """Restrict a query to the caller's company; superadmins see every tenant."""
        if self.is_superadmin:
            return stmt
        return stmt.where(company_column == self.company_id)

    def can_see_company(self, company_id: int) -> bool:
        return self.is_superadmin or company_id == self.company_id

    def target_company(self, requested: int | None) -> int:
        """The company a new row belongs to: a company admin's own, or the one a superadmin names.

        Another tenant's id answers 404, as if it did not exist.
        """
        if self.is_superadmin:
            if requested is None:
                raise InvalidInput("company_id is required for a superadmin")
            return requested
        if requested is not None and requested != self.company_id:
            raise NotFound(f"company {requested} not found")
        assert self.company_id is not None
        return self.company_id

    def require_superadmin(self) -> None:
        if not self.is_superadmin:
            raise Forbidden("only a superadmin may do this")

    @property
    def can_edit(self) -> bool:
        return self.role in _EDITORS

    @property
    def can_manage_team(self) -> bool:
        return self.role in _TEAM_ADMINS

    def require_editor(self) -> None:
        """Content and projects change only by editors and admins; a viewer only looks."""
        if not self.can_edit:
            raise Forbidden("a viewer may look but not change anything")

    def require_team_admin(self) -> None:
        if not self.can_manage_team:
            raise Forbidden("only a company admin may manage the team")


class ScopedRepository(Generic[M]):
    model: ClassVar[type[Any]]
    label: ClassVar[str]

    def __init__(self, session: AsyncSession, subject: AuthSubject) -> None:
        self.session = session
        self.subject = subject

    @classmethod
    def company_column(cls) -> InstrumentedAttribute[Any]:
        column: InstrumentedAttribute[Any] = cls.model.company_id
        return column

    def select(self, *, trashed: bool | None = False) -> Select[M]:
        """The caller's rows; of a model with a trash, those outside it (`trashed`: those
        inside; None: both)."""
        stmt = self.subject.scope(select(self.model), self.company_column())
        if trashed is not None and issubclass(self.model, TrashMixin):
            deleted_at = self.model.deleted_at
            stmt = stmt.where(deleted_at.is_not(None) if trashed else deleted_at.is_(None))
        return stmt

    async def get(self, row_id: int, *, trashed: bool | None = False) -> M:
        stmt = self.select(trashed=trashed).where(self.model.id == row_id)
        row: M | None = await self.session.scalar(stmt)
        if row is None:
            raise NotFound(f"{self.label} {row_id} not found")
        return row

    async def page(self, stmt: Select[M], *, limit: int, offset: int) -> tuple[Sequence[M], int]:
        total = await self.session.scalar(select(func.count()).select_from(stmt.subquery()))
        rows = await self.session.scalars(
            stmt.order_by(self.model.id.desc()).limit(limit).offset(offset)
        )
        return rows.all(), int(total or 0)

    async def add(self, row: M) -> M:
        self.session.add(row)
        await self.session.flush()
        return row

    async def delete(self, row: M) -> None:
        await self.session.delete(row)
        await self.session.flush()
