"""Which storage a company uses. Until per-company connections exist, the platform's local disk."""

from __future__ import annotations

from vertex_ar.core.settings import Settings
from vertex_ar.storage.base import Storage
from vertex_ar.storage.local import LocalStorage


def storage_for_company(settings: Settings, company_id: int) -> Storage:
    del company_id  # every company shares the platform's local root for now
    return LocalStorage(settings.storage_root)


def platform_storage(settings: Settings) -> LocalStorage:
    return LocalStorage(settings.storage_root)
