from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.companies.models import Company
from vertex_ar.core.tenancy import ScopedRepository
from vertex_ar.users.models import User


class UserRepository:
    """Unscoped lookups for authentication; everything else goes through ScopedUserRepository."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def by_id(self, user_id: int) -> User | None:
        return await self.session.get(User, user_id)

    async def by_email(self, email: str) -> User | None:
        user: User | None = await self.session.scalar(
            select(User).where(func.lower(User.email) == email.lower())
        )
        return user

    async def company_active(self, user: User) -> bool:
        """Whether the user's company is active (a superadmin belongs to none)."""
        if user.company_id is None:
            return True
        active = await self.session.scalar(
            select(Company.active).where(
                Company.id == user.company_id, Company.deleted_at.is_(None)
            )  # a company in the trash is switched off for its users too
        )
        return bool(active)

    async def revoke_company_tokens(self, company_id: int) -> None:
        """End every token of the company's users (suspension)."""
        await self.session.execute(
            update(User)
            .where(User.company_id == company_id)
            .values(token_version=User.token_version + 1)
        )


class ScopedUserRepository(ScopedRepository[User]):
    model = User
    label = "user"

    async def email_taken(self, email: str) -> bool:
        return await UserRepository(self.session).by_email(email) is not None
