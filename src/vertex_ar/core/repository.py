"""A repository base for tenant-owned rows: every read goes through the auth subject's scope."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from vertex_ar.auth.subject import AuthSubject
from vertex_ar.core.db import Base
from vertex_ar.core.errors import NotFound

M = TypeVar("M", bound=Base)


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

    def select(self) -> Select[M]:
        return self.subject.scope(select(self.model), self.company_column())

    async def get(self, row_id: int) -> M:
        row: M | None = await self.session.scalar(self.select().where(self.model.id == row_id))
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
