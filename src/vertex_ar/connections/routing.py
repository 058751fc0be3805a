"""Which storage a company uses: its connection's backend, or the platform's local disk.

Every storage handed out here defers deletes that fail (backend down) to the
`storage_pending_deletes` table, which a periodic task retries: a failed upload's cleanup or a
deleted content's media therefore never stays behind for good.

Nothing here opens a database: callers pass their session. Deferred deletes and refreshed Yandex
tokens are written in sessions of their own on the caller's engine (`sessions_beside`), so they
are committed even when the caller's transaction is rolled back (a failed upload's cleanup).
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import AsyncIterator
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from vertex_ar.companies.models import Company
from vertex_ar.connections.crypto import decrypt_secrets, encrypt_secrets
from vertex_ar.connections.models import PendingDelete, StorageConnection, StorageKind
from vertex_ar.connections.schemas import SECRET_FIELDS, LocalConfig, S3Config, YandexDiskConfig
from vertex_ar.core.db import utcnow
from vertex_ar.core.settings import Settings
from vertex_ar.storage.base import Backend, ObjectInfo, StorageError, Usage, check_key
from vertex_ar.storage.local import LocalStorage
from vertex_ar.storage.s3 import S3Storage
from vertex_ar.storage.yandex_disk import OAuthTokens, YandexDiskStorage, YandexOAuth

log = structlog.get_logger(__name__)

# boto3 clients are costly to build (~50 ms) and thread-safe: keep a few, keyed by their config.
_S3_CACHE: OrderedDict[str, S3Storage] = OrderedDict()
_S3_CACHE_SIZE = 32


Sessions = async_sessionmaker[AsyncSession]


def sessions_beside(session: AsyncSession) -> Sessions:
    """Independent sessions on the engine of the caller's `session`."""
    return async_sessionmaker(session.bind, expire_on_commit=False)


def platform_storage(settings: Settings) -> LocalStorage:
    return _local_storage(settings.storage_root)


@lru_cache(maxsize=64)
def _local_storage(root: Path) -> LocalStorage:
    # One per root: resolving the root is a few system calls, and a cold scan makes one.
    return LocalStorage(root)


def full_config(settings: Settings, connection: StorageConnection) -> dict[str, Any]:
    """The connection's config with its secrets decrypted (never leaves the process)."""
    return {**connection.config, **decrypt_secrets(settings, connection.secrets_token)}


def split_config(
    settings: Settings, kind: StorageKind, config: dict[str, Any]
) -> tuple[dict[str, Any], str | None]:
    """(public part, encrypted secrets) of a validated config."""
    secret_names = SECRET_FIELDS[kind]
    public = {k: v for k, v in config.items() if k not in secret_names}
    hidden = {k: v for k, v in config.items() if k in secret_names and v is not None}
    return public, encrypt_secrets(settings, hidden)


def open_backend(settings: Settings, connection: StorageConnection, sessions: Sessions) -> Backend:
    """The raw backend of a connection (no deferred deletes); `sessions` save refreshed tokens."""
    config = full_config(settings, connection)
    if connection.kind is StorageKind.local:
        return LocalStorage(Path(LocalConfig.model_validate(config).path))
    if connection.kind is StorageKind.s3:
        return _s3(settings, S3Config.model_validate(config))
    connection_id = connection.id

    async def save_tokens(tokens: OAuthTokens) -> None:
        await _save_yandex_tokens(settings, sessions, connection_id, tokens)

    return YandexDiskStorage(
        **YandexDiskConfig.model_validate(config).model_dump(),
        api_url=settings.yandex_disk_api_url,
        oauth=yandex_oauth(settings),
        timeout_seconds=settings.storage_timeout_seconds,
        save_tokens=save_tokens,
    )


def yandex_oauth(settings: Settings) -> YandexOAuth:
    """The platform's registered Yandex OAuth app."""
    return YandexOAuth(
        settings.yandex_oauth_url,
        client_id=settings.yandex_client_id,
        client_secret=settings.yandex_client_secret,
        timeout_seconds=settings.storage_timeout_seconds,
    )


def _s3(settings: Settings, config: S3Config) -> S3Storage:
    material = json.dumps(
        [config.model_dump(), settings.s3_part_bytes, settings.storage_timeout_seconds],
        sort_keys=True,
    )
    cache_key = hashlib.sha256(material.encode()).hexdigest()
    storage = _S3_CACHE.get(cache_key)
    if storage is None:
        storage = S3Storage(
            **config.model_dump(),
            part_bytes=settings.s3_part_bytes,
            timeout_seconds=settings.storage_timeout_seconds,
        )
        _S3_CACHE[cache_key] = storage
        while len(_S3_CACHE) > _S3_CACHE_SIZE:
            _S3_CACHE.popitem(last=False)
    _S3_CACHE.move_to_end(cache_key)
    return storage


async def _save_yandex_tokens(
    settings: Settings, sessions: Sessions, connection_id: int, tokens: OAuthTokens
) -> None:
    async with sessions() as session:
        connection = await session.get(StorageConnection, connection_id)
        if connection is None:
            return
        config = full_config(settings, connection)
        config["token"] = tokens.access_token
        config["refresh_token"] = tokens.refresh_token
        connection.config, connection.secrets_token = split_config(
            settings, connection.kind, config
        )
        await session.commit()


class ManagedStorage:
    """A backend plus deferred deletes; everything else is passed through."""

    def __init__(self, backend: Backend, sessions: Sessions, connection_id: int | None) -> None:
        self.backend = backend
        self.sessions = sessions
        self.connection_id = connection_id

    async def put_stream(self, key: str, chunks: AsyncIterator[bytes]) -> ObjectInfo:
        return await self.backend.put_stream(key, chunks)

    async def put_file(self, key: str, path: Path) -> ObjectInfo:
        return await self.backend.put_file(key, path)

    def get_stream(self, key: str, start: int = 0, end: int | None = None) -> AsyncIterator[bytes]:
        return self.backend.get_stream(key, start, end)

    async def download_to(self, key: str, path: Path) -> None:
        await self.backend.download_to(key, path)

    async def size(self, key: str) -> int:
        return await self.backend.size(key)

    async def exists(self, key: str) -> bool:
        return await self.backend.exists(key)

    async def delete(self, key: str) -> None:
        """Delete now, or, when the backend fails, record the key so that it is deleted later."""
        try:
            await self.backend.delete(key)
        except StorageError as exc:
            log.warning("storage.delete_deferred", key=key, error=str(exc))
            await record_pending_delete(self.sessions, self.connection_id, key, str(exc))

    async def provision(self, company_id: int) -> None:
        await self.backend.provision(company_id)

    async def usage(self) -> Usage:
        return await self.backend.usage()

    def local_path(self, key: str) -> Path | None:
        return self.backend.local_path(key)

    def delivery_url(self, key: str, expires_seconds: int) -> str | None:
        return self.backend.delivery_url(key, expires_seconds)

    async def check(self) -> None:
        await self.backend.check()


async def record_pending_delete(
    sessions: Sessions, connection_id: int | None, key: str, error: str
) -> None:
    async with sessions() as session:
        session.add(PendingDelete(connection_id=connection_id, key=key, last_error=error[:2000]))
        await session.commit()


def delete_later(
    session: AsyncSession, storage: ManagedStorage, key: str, not_before: datetime
) -> None:
    """Queue a delete for the periodic task, in the caller's transaction: it happens with the
    change that superseded the object, and no earlier than `not_before`."""
    session.add(PendingDelete(connection_id=storage.connection_id, key=key, not_before=not_before))


def storage_for_connection(
    settings: Settings, connection: StorageConnection | None, sessions: Sessions
) -> ManagedStorage:
    """`None` is the platform's local disk."""
    if connection is None:
        return ManagedStorage(platform_storage(settings), sessions, None)
    return ManagedStorage(open_backend(settings, connection, sessions), sessions, connection.id)


async def storage_for_company(
    session: AsyncSession, settings: Settings, company_id: int
) -> ManagedStorage:
    connection_id = await session.scalar(
        select(Company.storage_connection_id).where(Company.id == company_id)
    )
    connection = (
        None if connection_id is None else await session.get(StorageConnection, connection_id)
    )
    return storage_for_connection(settings, connection, sessions_beside(session))


async def purge_pending_deletes(
    session: AsyncSession, settings: Settings, limit: int = 500, ids: list[int] | None = None
) -> int:
    """Retry deferred deletes (only `ids`, when given); returns how many objects are now gone
    (committed)."""
    done = 0
    due = or_(PendingDelete.not_before.is_(None), PendingDelete.not_before <= utcnow())
    stmt = select(PendingDelete).where(due).order_by(PendingDelete.id).limit(limit)
    if ids is not None:
        stmt = stmt.where(PendingDelete.id.in_(ids))
    rows = (await session.scalars(stmt)).all()
    backends: dict[int | None, Backend] = {}
    for row in rows:
        if row.connection_id not in backends:
            connection = (
                None
                if row.connection_id is None
                else await session.get(StorageConnection, row.connection_id)
            )
            backends[row.connection_id] = (
                platform_storage(settings)
                if connection is None
                else open_backend(settings, connection, sessions_beside(session))
            )
        try:
            await backends[row.connection_id].delete(row.key)
        except StorageError as exc:
            row.attempts += 1
            row.last_error = str(exc)[:2000]
            continue
        await session.delete(row)
        done += 1
    await session.commit()
    return done


class RoutedStorage:
    """One request's view of every company's storage, routed by the key's company segment.

    Keys are always `{company_id}/{kind}/...` (storage.base.new_key), so a service that writes
    for several companies can hold this single object; each company's backend is looked up once.
    Resolve a company with `await resolve(id)` before deleting its row.
    """

    def __init__(self, session: AsyncSession, settings: Settings) -> None:
        self.session = session
        self.settings = settings
        self._resolved: dict[int, ManagedStorage] = {}

    async def resolve(self, company_id: int) -> ManagedStorage:
        if company_id not in self._resolved:
            self._resolved[company_id] = await storage_for_company(
                self.session, self.settings, company_id
            )
        return self._resolved[company_id]

    async def _of(self, key: str) -> ManagedStorage:
        return await self.resolve(int(check_key(key).split("/", 1)[0]))

    async def put_stream(self, key: str, chunks: AsyncIterator[bytes]) -> ObjectInfo:
        return await (await self._of(key)).put_stream(key, chunks)

    async def put_file(self, key: str, path: Path) -> ObjectInfo:
        return await (await self._of(key)).put_file(key, path)

    async def get_stream(
        self, key: str, start: int = 0, end: int | None = None
    ) -> AsyncIterator[bytes]:
        async for chunk in (await self._of(key)).get_stream(key, start, end):
            yield chunk

    async def download_to(self, key: str, path: Path) -> None:
        await (await self._of(key)).download_to(key, path)

    async def size(self, key: str) -> int:
        return await (await self._of(key)).size(key)

    async def exists(self, key: str) -> bool:
        return await (await self._of(key)).exists(key)

    async def delete(self, key: str) -> None:
        await (await self._of(key)).delete(key)

    async def provision(self, company_id: int) -> None:
        await (await self.resolve(company_id)).provision(company_id)
