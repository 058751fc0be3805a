"""Storage connections (superadmin), a company's assignment, health of the backends in use."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import anyio
import structlog
from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from vertex_ar.companies.models import Company
from vertex_ar.connections.crypto import SecretsUnreadable
from vertex_ar.connections.models import StorageConnection, StorageKind
from vertex_ar.connections.repository import CompanyMedia, ConnectionRepository
from vertex_ar.connections.routing import (
    full_config,
    open_backend,
    sessions_beside,
    split_config,
    storage_for_company,
    storage_for_connection,
)
from vertex_ar.connections.schemas import (
    CONFIG_MODELS,
    MASK,
    SECRET_FIELDS,
    ConnectionCreate,
    ConnectionTestResult,
    ConnectionUpdate,
    UsageRead,
)
from vertex_ar.connections.targets import local_path_outside, private_target
from vertex_ar.content.models import ARContent
from vertex_ar.core.db import utcnow
from vertex_ar.core.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    ServiceUnavailable,
    invalid_input,
)
from vertex_ar.core.schemas import PageParams
from vertex_ar.core.settings import Settings
from vertex_ar.core.tenancy import AuthSubject
from vertex_ar.storage.base import StorageError

log = structlog.get_logger(__name__)

HEALTH_TIMEOUT_SECONDS = 5.0


def validate_config(kind: StorageKind, config: dict[str, Any]) -> dict[str, Any]:
    try:
        return CONFIG_MODELS[kind].model_validate(config).model_dump()
    except ValidationError as exc:
        raise invalid_input(exc.errors(), prefix=["config"], what=f"{kind} config") from exc


async def refuse_private_endpoint(settings: Settings, config: dict[str, Any]) -> None:
    endpoint = config.get("endpoint_url")
    if not endpoint or settings.allow_private_storage_endpoints:
        return
    if problem := await private_target(endpoint):
        message = f"config.endpoint_url {problem} (allowed with ALLOW_PRIVATE_STORAGE_ENDPOINTS)"
        raise InvalidInput(message, details=[{"field": "config.endpoint_url", "message": problem}])


def refuse_local_path_outside_roots(
    settings: Settings, kind: StorageKind, config: dict[str, Any]
) -> None:
    if kind is not StorageKind.local:
        return
    if problem := local_path_outside(config["path"], settings.local_roots):
        message = f"config.path {problem} (set LOCAL_STORAGE_ROOTS to allow other folders)"
        raise InvalidInput(message, details=[{"field": "config.path", "message": problem}])


async def timed_check(
    session: AsyncSession, settings: Settings, connection: StorageConnection
) -> ConnectionTestResult:
    """Write, read back and delete a probe object; the latency, or the exact failure."""
    started = time.perf_counter()
    try:
        backend = open_backend(settings, connection, sessions_beside(session))
        with anyio.fail_after(settings.storage_timeout_seconds * 2):
            await backend.check()
    except TimeoutError:
        return ConnectionTestResult(ok=False, error="timed out")
    except (StorageError, SecretsUnreadable) as exc:
        return ConnectionTestResult(ok=False, error=str(exc)[:1000])
    return ConnectionTestResult(ok=True, latency_ms=round((time.perf_counter() - started) * 1e3, 1))


class ConnectionService:
    def __init__(self, session: AsyncSession, subject: AuthSubject, settings: Settings) -> None:
        subject.require_superadmin()
        self.session = session
        self.settings = settings
        self.repository = ConnectionRepository(session)

    async def list(self, page: PageParams) -> tuple[Sequence[StorageConnection], int]:
        return await self.repository.page(limit=page.limit, offset=page.offset)

    async def get(self, connection_id: int) -> StorageConnection:
        return await self.repository.get(connection_id)

    async def create(self, data: ConnectionCreate) -> StorageConnection:
        if await self.repository.name_taken(data.name):
            raise Conflict(f"a storage connection named {data.name!r} exists already")
        config = validate_config(data.kind, data.config)
        await refuse_private_endpoint(self.settings, config)
        refuse_local_path_outside_roots(self.settings, data.kind, config)
        public, token = split_config(self.settings, data.kind, config)
        connection = await self.repository.add(
            StorageConnection(name=data.name, kind=data.kind, config=public, secrets_token=token)
        )
        await self.session.commit()
        log.info("storage.connection_created", connection_id=connection.id, kind=data.kind.value)
        return connection

    async def update(self, connection_id: int, data: ConnectionUpdate) -> StorageConnection:
        connection = await self.repository.get(connection_id)
        if data.name is not None and data.name != connection.name:
            if await self.repository.name_taken(data.name, except_id=connection.id):
                raise Conflict(f"a storage connection named {data.name!r} exists already")
            connection.name = data.name
        if data.config is not None:
            secret_names = SECRET_FIELDS[connection.kind]
            changes = {
                k: v for k, v in data.config.items() if not (k in secret_names and v == MASK)
            }
            try:
                current = full_config(self.settings, connection)
            except SecretsUnreadable:
                current = dict(connection.config)  # new secrets must then be sent in full
            merged = validate_config(connection.kind, {**current, **changes})
            await refuse_private_endpoint(self.settings, merged)
            refuse_local_path_outside_roots(self.settings, connection.kind, merged)
            connection.config, connection.secrets_token = split_config(
                self.settings, connection.kind, merged
            )
        if data.active is not None:
            if not data.active and await self.repository.companies_using(connection.id):
                raise Conflict("the connection is assigned to companies; move them first")
            connection.active = data.active
        await self.session.commit()
        return connection

    async def delete(self, connection_id: int) -> None:
        connection = await self.repository.get(connection_id)
        if companies := await self.repository.companies_using(connection.id):
            raise Conflict(
                "the connection is assigned to companies; move them first",
                details={"company_ids": companies},
            )
        await self.repository.delete(connection)
        await self.session.commit()

    async def test(self, connection_id: int) -> ConnectionTestResult:
        connection = await self.repository.get(connection_id)
        return await timed_check(self.session, self.settings, connection)

    async def media_per_company(self) -> Sequence[CompanyMedia]:
        return await self.repository.media_per_company()

    async def usage(self, connection_id: int) -> UsageRead:
        connection = await self.repository.get(connection_id)
        try:
            storage = storage_for_connection(
                self.settings, connection, sessions_beside(self.session)
            )
            used = await storage.usage()
        except StorageError as exc:
            raise ServiceUnavailable(f"storage usage unavailable: {exc}") from exc
        return UsageRead(used_bytes=used.used_bytes, total_bytes=used.total_bytes)


async def provision_company(session: AsyncSession, settings: Settings, company_id: int) -> None:
    """Create a new company's folder/prefix layout on its storage; 503 when it is down."""
    storage = await storage_for_company(session, settings, company_id)
    try:
        await storage.provision(company_id)
    except StorageError as exc:
        raise ServiceUnavailable(f"media storage is unavailable: {exc}") from exc


async def assign_storage(
    session: AsyncSession, settings: Settings, company: Company, connection_id: int
) -> None:
    """Point a company at a connection (not committed).

    Only while the company has no content: media already stored would become unreachable, and
    moving it is the job of `vertex-ar storage migrate`.
    """
    if company.storage_connection_id == connection_id:
        return
    connection = await session.get(StorageConnection, connection_id)
    if connection is None:
        raise InvalidInput(
            f"storage connection {connection_id} not found",
            details=[{"field": "storage_connection_id", "message": "not found"}],
        )
    if not connection.active:
        raise InvalidInput(f"storage connection {connection_id} is not active")
    ensure_allowed(settings, connection)
    has_content = await session.scalar(
        select(ARContent.id).where(ARContent.company_id == company.id).limit(1)
    )
    if has_content is not None:
        raise Conflict(
            "the company has media on its current storage; move it with "
            f"`vertex-ar storage migrate --company {company.id} --to {connection_id}`"
        )
    try:
        storage = storage_for_connection(settings, connection, sessions_beside(session))
        await storage.provision(company.id)
    except (StorageError, SecretsUnreadable) as exc:
        raise ServiceUnavailable(f"the new storage is unavailable: {exc}") from exc
    company.storage_connection_id = connection.id


def ensure_allowed(settings: Settings, connection: StorageConnection) -> None:
    if connection.kind is StorageKind.local and not settings.storage_allow_local_for_companies:
        raise Forbidden(
            "client companies may not use the platform's local storage "
            "(set STORAGE_ALLOW_LOCAL_FOR_COMPANIES=true to allow it)"
        )


async def backend_health(session: AsyncSession, settings: Settings) -> list[dict[str, Any]]:
    """A probe of every connection that companies use (5 s each, run side by side)."""
    in_use = await ConnectionRepository(session).in_use()
    results: list[dict[str, Any]] = [{} for _ in in_use]

    async def probe(index: int, connection: StorageConnection, companies: int) -> None:
        with anyio.move_on_after(HEALTH_TIMEOUT_SECONDS) as scope:
            result = await timed_check(session, settings, connection)
        if scope.cancelled_caught:
            result = ConnectionTestResult(ok=False, error="timed out")
        results[index] = {
            "id": connection.id,
            "name": connection.name,
            "kind": connection.kind.value,
            "companies": companies,
            **result.model_dump(exclude_none=True),
        }

    async with anyio.create_task_group() as group:
        for index, (connection, companies) in enumerate(in_use):
            group.start_soon(probe, index, connection, companies)
    return results


@dataclass(frozen=True)
class Outage:
    """A connection whose probe failed: since when (the outage's start), the error, and the
    companies that use it."""

    connection_id: int
    name: str
    kind: str
    since: datetime
    error: str
    company_ids: list[int]


async def track_outages(session: AsyncSession, settings: Settings) -> list[Outage]:
    """Probe every connection in use; a failure opens an outage (its start is kept until a probe
    succeeds), a success ends it. Returns the open outages. Two runs at once agree on the start:
    only the first UPDATE finds `outage_since` empty."""
    probes = await backend_health(session, settings)
    await session.rollback()  # the probes read; the writes below start their own transaction
    outages = []
    for probe in probes:
        if not probe:
            continue
        connection_id = probe["id"]
        if probe.get("ok"):
            await session.execute(
                update(StorageConnection)
                .where(
                    StorageConnection.id == connection_id,
                    StorageConnection.outage_since.is_not(None),
                )
                .values(outage_since=None, outage_error=None)
                .execution_options(synchronize_session=False)
            )
            continue
        error = str(probe.get("error") or "failed")[:1000]
        await session.execute(
            update(StorageConnection)
            .where(StorageConnection.id == connection_id, StorageConnection.outage_since.is_(None))
            .values(outage_since=utcnow())
            .execution_options(synchronize_session=False)
        )
        await session.execute(
            update(StorageConnection)
            .where(StorageConnection.id == connection_id)
            .values(outage_error=error)
            .execution_options(synchronize_session=False)
        )
        since = await session.scalar(
            select(StorageConnection.outage_since).where(StorageConnection.id == connection_id)
        )
        companies = await session.scalars(
            select(Company.id)
            .where(Company.storage_connection_id == connection_id, Company.deleted_at.is_(None))
            .order_by(Company.id)
        )
        if since is not None:
            outages.append(
                Outage(connection_id, probe["name"], probe["kind"], since, error, list(companies))
            )
    await session.commit()
    return outages
