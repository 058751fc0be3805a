from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

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


class ScopedUserRepository(ScopedRepository[User]):
    model = User
    label = "user"

    async def email_taken(self, email: str) -> bool:
        return await UserRepository(self.session).by_email(email) is not None
