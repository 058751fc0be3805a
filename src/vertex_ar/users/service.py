from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.audit.service import changed, record
from vertex_ar.companies.repository import CompanyRepository
from vertex_ar.core.errors import Conflict, Forbidden, InvalidInput
from vertex_ar.core.schemas import PageParams
from vertex_ar.core.security import hash_password_off_loop
from vertex_ar.core.tenancy import AuthSubject, Role
from vertex_ar.users.models import User
from vertex_ar.users.repository import ScopedUserRepository
from vertex_ar.users.schemas import UserCreate, UserUpdate


def _email_unavailable() -> Conflict:
    # One answer whether the address is taken in the caller's company or in another tenant's:
    # the message neither repeats the address nor says where it is used.
    return Conflict("this email address cannot be used for a new account; choose another")


class UserService:
    def __init__(self, session: AsyncSession, subject: AuthSubject) -> None:
        self.session = session
        self.subject = subject
        self.repository = ScopedUserRepository(session, subject)

    async def list(self, page: PageParams) -> tuple[Sequence[User], int]:
        self.subject.require_team_admin()
        return await self.repository.page(
            self.repository.select(), limit=page.limit, offset=page.offset
        )

    async def get(self, user_id: int) -> User:
        if user_id != self.subject.user_id:
            self.subject.require_team_admin()
        return await self.repository.get(user_id)

    async def create(self, data: UserCreate) -> User:
        self.subject.require_team_admin()
        if data.role is Role.superadmin:
            self.subject.require_superadmin()
            if data.company_id is not None:
                raise InvalidInput("a superadmin belongs to no company: omit company_id")
            company_id = None
        else:
            company_id = self.subject.target_company(data.company_id)
            # The company must exist and be visible to the caller (404 otherwise).
            await CompanyRepository(self.session, self.subject).get(company_id)
        if await self.repository.email_taken(data.email):
            raise _email_unavailable()
        user = User(
            email=data.email.lower(),
            password_hash=await hash_password_off_loop(data.password),
            role=data.role,
            company_id=company_id,
        )
        self.session.add(user)
        await self._flush_unique()
        record(self.session, self.subject, "create", kind="user", item_id=user.id,
               company_id=company_id, label=f"{user.email} ({user.role.value})")  # fmt: skip
        await self._commit_unique(user)
        return user

    async def _flush_unique(self) -> None:
        try:
            await self.session.flush()
        except IntegrityError:
            await self.session.rollback()
            raise _email_unavailable() from None

    async def _commit_unique(self, user: User) -> None:
        """Commit; a concurrent request that took the email first makes it a 409, not a 500
        (and the failed statement, password hash included, is never logged)."""
        self.session.add(user)
        try:
            await self.session.commit()
        except IntegrityError:
            await self.session.rollback()
            raise _email_unavailable() from None

    async def update(self, user_id: int, data: UserUpdate) -> User:
        """A team admin changes the team; anyone may change their own email and password."""
        changes = data.model_dump(exclude_unset=True, exclude_none=True)
        if user_id != self.subject.user_id or changes.keys() - {"email", "password"}:
            self.subject.require_team_admin()
        user = await self.repository.get(user_id)
        if "role" in changes:
            self._check_role_change(user, changes["role"])
            user.role = changes["role"]
        if "email" in changes and changes["email"].lower() != user.email:
            if await self.repository.email_taken(changes["email"]):
                raise _email_unavailable()
            user.email = changes["email"].lower()
        if "password" in changes:
            user.password_hash = await hash_password_off_loop(changes["password"])
            user.token_version += 1  # every session of the old password ends
        if "active" in changes and changes["active"] != user.active:
            if user.id == self.subject.user_id and not changes["active"]:
                raise Forbidden("you cannot deactivate yourself")
            user.active = changes["active"]
            user.token_version += 1  # a reactivated account starts with fresh tokens only
        record(self.session, self.subject, "update", kind="user", item_id=user.id,
               company_id=user.company_id, label=changed(user.email, data))  # fmt: skip
        await self._commit_unique(user)
        return user

    def _check_role_change(self, user: User, role: Role) -> None:
        if user.id == self.subject.user_id and role is not user.role:
            raise Forbidden("you cannot change your own role")
        if (role is Role.superadmin) != (user.role is Role.superadmin):
            raise InvalidInput("a superadmin stays one and a company user cannot become one")

    async def delete(self, user_id: int) -> None:
        self.subject.require_team_admin()
        user = await self.repository.get(user_id)
        if user.id == self.subject.user_id:
            raise Forbidden("you cannot delete yourself")
        record(self.session, self.subject, "delete", kind="user", item_id=user.id,
               company_id=user.company_id, label=user.email)  # fmt: skip
        await self.repository.delete(user)
        await self.session.commit()
