"""Per-company quotas (issue 10): storage bytes, content items, videos per content item. Enforced
at upload with a 409/413 naming the quota and nothing half-written; visible at
GET /api/companies/{id}/usage; set by a superadmin; concurrent uploads cannot pass them."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI

from tests.support.api import Api
from tests.support.content import create_content, storage_files
from tests.support.media import textured_image
from tests.support.tenants import Tenant
from vertex_ar.core.settings import Settings

SMALL = textured_image(160, 120)  # a small portrait keeps six concurrent uploads quick


async def _quotas(superadmin: Api, tenant: Tenant, **quotas: int | None) -> dict[str, Any]:
    response = await superadmin.patch(f"/api/companies/{tenant.company_id}", json=quotas)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _usage(who: Api, tenant: Tenant) -> dict[str, Any]:
    response = await who.get(f"/api/companies/{tenant.company_id}/usage")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _refused(response: Any, status: int, quota: str) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == "quota_exceeded"
    assert quota in error["message"]
    assert error["details"]["quota"] == quota


async def test_defaults_come_from_settings_and_usage_is_visible(
    settings: Settings, superadmin: Api, tenant_a: Tenant, tenant_b: Tenant, mp4_bytes: bytes
) -> None:
    assert (await create_content(tenant_a, image=SMALL, videos=[mp4_bytes])).status_code == 201
    usage = await _usage(tenant_a.admin, tenant_a)
    assert usage["storage_bytes"]["limit"] == settings.quota_storage_bytes
    assert usage["storage_bytes"]["used"] >= len(mp4_bytes)
    assert usage["content_items"] == {"used": 1, "limit": settings.quota_content_items}
    assert usage["videos_per_content"] == {"used": 1, "limit": settings.quota_videos_per_content}
    assert (await superadmin.get(f"/api/companies/{tenant_a.company_id}/usage")).status_code == 200
    other = await tenant_b.admin.get(f"/api/companies/{tenant_a.company_id}/usage")
    assert other.status_code == 404  # another tenant's company does not exist for it


async def test_only_a_superadmin_sets_quotas_and_null_restores_the_default(
    settings: Settings, superadmin: Api, tenant_a: Tenant
) -> None:
    own = await tenant_a.admin.patch(
        f"/api/companies/{tenant_a.company_id}", json={"quota_content_items": 10**6}
    )
    assert own.status_code == 403
    company = await _quotas(superadmin, tenant_a, quota_content_items=5)
    assert company["quota_content_items"] == 5
    assert (await _usage(tenant_a.admin, tenant_a))["content_items"]["limit"] == 5
    company = await _quotas(superadmin, tenant_a, quota_content_items=None)
    assert company["quota_content_items"] is None
    limit = (await _usage(tenant_a.admin, tenant_a))["content_items"]["limit"]
    assert limit == settings.quota_content_items


async def test_content_items_quota(
    settings: Settings, superadmin: Api, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    await _quotas(superadmin, tenant_a, quota_content_items=2)
    for _ in range(2):
        assert (await create_content(tenant_a, image=SMALL)).status_code == 201
    files = storage_files(settings)
    _refused(await create_content(tenant_a, image=SMALL), 409, "content_items")
    assert storage_files(settings) == files  # nothing written
    assert (await _usage(tenant_a.admin, tenant_a))["content_items"]["used"] == 2
    assert (await create_content(tenant_b, image=SMALL)).status_code == 201  # others unaffected


async def test_videos_per_content_quota(
    settings: Settings, superadmin: Api, tenant_a: Tenant, clips: list[bytes]
) -> None:
    await _quotas(superadmin, tenant_a, quota_videos_per_content=2)
    _refused(
        await create_content(tenant_a, image=SMALL, videos=clips * 2), 409, "videos_per_content"
    )
    created = await create_content(tenant_a, image=SMALL, videos=clips)
    assert created.status_code == 201
    files = storage_files(settings)
    more = await tenant_a.admin.post(
        f"/api/ar-content/{created.json()['id']}/videos",
        files=[("video", ("c.mp4", clips[0], "video/mp4"))],
    )
    _refused(more, 409, "videos_per_content")
    assert storage_files(settings) == files
    detail = await tenant_a.admin.get(f"/api/ar-content/{created.json()['id']}")
    assert len(detail.json()["videos"]) == 2


async def test_storage_quota(
    settings: Settings, superadmin: Api, tenant_a: Tenant, mp4_bytes: bytes
) -> None:
    assert (await create_content(tenant_a, image=SMALL, videos=[mp4_bytes])).status_code == 201
    one_upload = (await _usage(tenant_a.admin, tenant_a))["storage_bytes"]["used"]
    await _quotas(superadmin, tenant_a, quota_storage_bytes=2 * one_upload - 1)
    files = storage_files(settings)
    refused = await create_content(tenant_a, image=SMALL, videos=[mp4_bytes])
    _refused(refused, 413, "storage_bytes")
    assert refused.json()["error"]["details"]["requested"] == one_upload
    assert storage_files(settings) == files
    await _quotas(superadmin, tenant_a, quota_storage_bytes=2 * one_upload)
    assert (await create_content(tenant_a, image=SMALL, videos=[mp4_bytes])).status_code == 201
    full = await create_content(tenant_a, image=SMALL)  # refused before its body is read
    _refused(full, 413, "storage_bytes")
    assert (await _usage(tenant_a.admin, tenant_a))["storage_bytes"]["used"] == 2 * one_upload


async def test_concurrent_uploads_do_not_pass_the_quotas(
    app: FastAPI, settings: Settings, superadmin: Api, tenant_a: Tenant, mp4_bytes: bytes
) -> None:
    """Six uploads at once, room for three: each fits alone when it starts, so only the check
    under the company's lock, in the inserting transaction, keeps the total within the quota."""
    assert (await create_content(tenant_a, image=SMALL, videos=[mp4_bytes])).status_code == 201
    one_upload = (await _usage(tenant_a.admin, tenant_a))["storage_bytes"]["used"]
    await _quotas(superadmin, tenant_a, quota_storage_bytes=4 * one_upload, quota_content_items=10)
    answers = await asyncio.gather(
        *(create_content(tenant_a, image=SMALL, videos=[mp4_bytes]) for _ in range(6))
    )
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [201, 201, 201, 413, 413, 413], [r.text for r in answers]
    usage = await _usage(tenant_a.admin, tenant_a)
    assert usage["storage_bytes"]["used"] == 4 * one_upload
    assert usage["content_items"]["used"] == 4
    # Each refused upload deleted what it had stored: 4 items' portrait, video and thumbnail.
    assert len(storage_files(settings)) == 4 * 3


async def test_a_restore_from_the_trash_does_not_pass_the_quotas(
    superadmin: Api, tenant_a: Tenant, clips: list[bytes]
) -> None:
    await _quotas(superadmin, tenant_a, quota_content_items=1, quota_videos_per_content=1)
    first = (await create_content(tenant_a, image=SMALL, videos=clips[:1])).json()
    assert (await tenant_a.admin.delete(f"/api/ar-content/{first['id']}")).status_code == 204
    second = (await create_content(tenant_a, image=SMALL, videos=clips[:1])).json()
    _refused(await tenant_a.admin.post(f"/api/trash/content/{first['id']}/restore"), 409,
             "content_items")  # fmt: skip
    assert (await tenant_a.admin.get(f"/api/ar-content/{first['id']}")).status_code == 404

    video_id = second["videos"][0]["id"]
    gone = await tenant_a.admin.delete(f"/api/ar-content/{second['id']}/videos/{video_id}")
    assert gone.status_code == 204
    added = await tenant_a.admin.post(
        f"/api/ar-content/{second['id']}/videos",
        files=[("video", ("c.mp4", clips[1], "video/mp4"))],
    )
    assert added.status_code == 201, added.text
    _refused(await tenant_a.admin.post(f"/api/trash/video/{video_id}/restore"), 409,
             "videos_per_content")  # fmt: skip
    videos = (await tenant_a.admin.get(f"/api/ar-content/{second['id']}")).json()["videos"]
    assert [v["id"] for v in videos] == [added.json()[0]["id"]]
