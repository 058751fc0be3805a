"""Moving a company's media to another storage connection.

Every object the company's rows name is copied, then read back from the target and compared by
size and SHA-256 with what the source gave. The company is switched only when every object is
verified; the source keeps its copies until then (and afterwards too, unless asked to delete).
A run that is interrupted can simply be started again: objects already on the target with the
same size and checksum are not copied again.
"""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.companies.models import Company
from vertex_ar.connections.crypto import SecretsUnreadable
from vertex_ar.connections.models import StorageConnection
from vertex_ar.connections.routing import ManagedStorage, sessions_beside, storage_for_connection
from vertex_ar.connections.service import ensure_allowed
from vertex_ar.content.repository import media_keys_of_company
from vertex_ar.core.errors import AppError
from vertex_ar.core.settings import Settings
from vertex_ar.storage.base import Storage, StorageError

Progress = Callable[[str, str], None]


@dataclass
class MigrationReport:
    company_id: int
    source: str
    target: str
    objects: int = 0
    copied: int = 0
    already_there: int = 0
    bytes_copied: int = 0
    switched: bool = False
    source_deleted: int = 0
    failures: list[str] = field(default_factory=list)


class MigrationError(Exception):
    def __init__(self, message: str, report: MigrationReport | None = None) -> None:
        super().__init__(message)
        self.report = report


async def _digest(storage: Storage, key: str) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    async for chunk in storage.get_stream(key):
        digest.update(chunk)
        size += len(chunk)
    return size, digest.hexdigest()


async def transfer(source: Storage, target: Storage, key: str) -> tuple[str, int]:
    """Copy one object unless the target has it intact; ("copied" | "present", bytes copied).

    Raises StorageError when a backend fails and ValueError when the copy does not verify.
    """
    source_size = await source.size(key)
    if (
        await target.exists(key)
        and await target.size(key) == source_size
        and await _digest(source, key) == await _digest(target, key)
    ):
        return "present", 0
    sent = hashlib.sha256()
    sent_size = 0

    async def hashed() -> AsyncIterator[bytes]:
        nonlocal sent_size
        async for chunk in source.get_stream(key):
            sent.update(chunk)
            sent_size += len(chunk)
            yield chunk

    await target.put_stream(key, hashed())
    if sent_size != source_size:
        raise ValueError(f"{key}: source gave {sent_size} bytes, its size is {source_size}")
    if await _digest(target, key) != (sent_size, sent.hexdigest()):
        await target.delete(key)
        raise ValueError(f"{key}: the copy on the target differs (size or SHA-256)")
    return "copied", sent_size


class CompanyMigration:
    def __init__(
        self,
        session: AsyncSession,
        settings: Settings,
        company: Company,
        source: ManagedStorage,
        target: ManagedStorage,
        source_connection: StorageConnection | None,
        target_connection: StorageConnection,
        progress: Progress | None,
    ) -> None:
        self.session = session
        self.settings = settings
        self.company_id = company.id
        self.source = source
        self.target = target
        self.target_id = target_connection.id  # plain ints: rows are expired between passes
        self.progress = progress
        self.verified: set[str] = set()
        self.report = MigrationReport(
            company.id, _label(source_connection), _label(target_connection)
        )

    async def _current_keys(self) -> set[str]:
        # A fresh transaction and identity map: content added or changed meanwhile is seen.
        await self.session.commit()
        self.session.expire_all()
        return set(await media_keys_of_company(self.session, self.company_id))

    async def _copy_pending(self) -> None:
        """Copy and verify every key not verified yet, until no new ones appear."""
        while pending := sorted(await self._current_keys() - self.verified):
            for key in pending:
                try:
                    outcome, copied = await transfer(self.source, self.target, key)
                except ValueError as exc:
                    self.report.failures.append(str(exc))
                    self._tell(key, "failed")
                    continue
                except StorageError as exc:
                    raise MigrationError(f"{key}: {exc}", self.report) from exc
                self.verified.add(key)
                self.report.objects += 1
                self.report.copied += outcome == "copied"
                self.report.already_there += outcome == "present"
                self.report.bytes_copied += copied
                self._tell(key, outcome)
            if self.report.failures:
                raise MigrationError(
                    f"{len(self.report.failures)} object(s) did not verify; company not switched",
                    self.report,
                )

    async def run(self, *, delete_source: bool) -> MigrationReport:
        try:
            await self.target.provision(self.company_id)
        except StorageError as exc:
            raise MigrationError(f"target storage unavailable: {exc}", self.report) from exc
        await self._copy_pending()
        company = await self.session.get(Company, self.company_id)
        if company is None:
            raise MigrationError(f"company {self.company_id} was deleted meanwhile", self.report)
        company.storage_connection_id = self.target_id
        await self.session.commit()
        self.report.switched = True
        # Uploads that resolved the old storage just before the switch land there: copy them too.
        await self._copy_pending()
        if delete_source:
            for key in sorted(self.verified):
                await self.source.delete(key)  # deferred, not lost, if the source is down
                self.report.source_deleted += 1
        return self.report

    def _tell(self, key: str, outcome: str) -> None:
        if self.progress is not None:
            self.progress(key, outcome)


def _label(connection: StorageConnection | None) -> str:
    if connection is None:
        return "platform local storage"
    return f"{connection.name} ({connection.kind.value})"


async def _connection(session: AsyncSession, reference: str) -> StorageConnection | None:
    if reference.isdigit():
        return await session.get(StorageConnection, int(reference))
    found: StorageConnection | None = await session.scalar(
        select(StorageConnection).where(StorageConnection.name == reference)
    )
    return found


async def migrate_company(
    session: AsyncSession,
    settings: Settings,
    company_id: int,
    target: str,
    *,
    delete_source: bool = False,
    progress: Progress | None = None,
) -> MigrationReport:
    """Move company `company_id` to the connection named or numbered `target`.

    Commits on `session` as it goes: the switch must not wait for the caller.
    """
    company = await session.get(Company, company_id)
    if company is None:
        raise MigrationError(f"company {company_id} not found")
    connection = await _connection(session, target)
    if connection is None:
        raise MigrationError(f"storage connection {target!r} not found")
    if not connection.active:
        raise MigrationError(f"storage connection {connection.name!r} is not active")
    try:
        ensure_allowed(settings, connection)
    except AppError as exc:
        raise MigrationError(exc.message) from exc
    current = (
        None
        if company.storage_connection_id is None
        else await session.get(StorageConnection, company.storage_connection_id)
    )
    sessions = sessions_beside(session)
    try:
        source = storage_for_connection(settings, current, sessions)
        destination = storage_for_connection(settings, connection, sessions)
    except SecretsUnreadable as exc:
        raise MigrationError(str(exc)) from exc
    migration = CompanyMigration(
        session, settings, company, source, destination, current, connection, progress
    )
    if company.storage_connection_id == connection.id:
        migration.report.switched = True
        return migration.report
    return await migration.run(delete_source=delete_source)
