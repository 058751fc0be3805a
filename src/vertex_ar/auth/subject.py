"""The authenticated caller and the one place where tenant scoping is decided."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import InstrumentedAttribute

from vertex_ar.core.errors import Forbidden, InvalidInput, NotFound
from vertex_ar.users.models import Role

S = TypeVar("S", bound=Select[Any])


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
