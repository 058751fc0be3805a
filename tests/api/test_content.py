"""AR content uploads: happy path, every kind of bad input, atomicity and tenancy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select

from tests.support import media
from tests.support.api import Api
from tests.support.content import create_content, storage_files
from tests.support.tenants import Tenant
from vertex_ar.content.models import ARContent, Video


async def _row_counts(app: Any) -> tuple[int, int]:
    async with app.state.database.sessions() as session:
        contents = await session.scalar(select(func.count()).select_from(ARContent))
        videos = await session.scalar(select(func.count()).select_from(Video))
    return int(contents or 0), int(videos or 0)


async def test_create_content_with_videos(
    tenant_a: Tenant, mp4_bytes: bytes, settings: Any, tmp_path: Path
) -> None:
    webm = media.video(tmp_path / "clip.webm", fmt="webm")
    response = await create_content(
        tenant_a,
        videos=[mp4_bytes, webm],
        expires_at="2030-01-01T00:00:00Z",
        customer_name="Ivan Petrov",
        customer_email="ivan@example.com",
        customer_phone="+7 900 000 00 00",
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["marker_status"] in {"pending", "processing", "ready", "failed"}
    assert body["marker_error"] is None or "queue" not in body["marker_error"]
    assert len(body["unique_id"]) >= 32
    assert body["project_id"] == tenant_a.project_id
    assert body["company_id"] == tenant_a.company_id
    assert body["expires_at"].startswith("2030-01-01")
    assert (body["portrait_width"], body["portrait_height"]) == (640, 480)
    assert [v["mime"] for v in body["videos"]] == ["video/mp4", "video/webm"]
    first = body["videos"][0]
    assert (first["width"], first["height"]) == (160, 120)
    assert first["duration_seconds"] == pytest.approx(1.0, abs=0.1)
    assert first["has_thumbnail"] is True
    # portrait + 2 × (video + thumbnail), all under the company's folder
    files = storage_files(settings)
    assert len(files) == 5
    root = Path(settings.storage_root)
    assert {f.relative_to(root).parts[0] for f in files} == {str(tenant_a.company_id)}

    fetched = await tenant_a.admin.get(f"/api/ar-content/{body['id']}")
    assert fetched.json()["unique_id"] == body["unique_id"]


async def test_unique_ids_differ(tenant_a: Tenant) -> None:
    ids = {(await create_content(tenant_a)).json()["unique_id"] for _ in range(3)}
    assert len(ids) == 3


PNG = media.textured_image(64, 64)
NOT_AN_IMAGE = b"hello, this is not an image at all" * 10


# Each bad upload: the portrait and the videos (made from the test video), the limits lowered for
# it, and the answer: status and words of the message.
@pytest.mark.parametrize(
    ("portrait", "videos", "limits", "status", "words"),
    [
        pytest.param(lambda mp4: PNG[: len(PNG) // 2], lambda mp4: [mp4], {}, 422, "corrupt",
                     id="corrupt_png"),
        pytest.param(lambda mp4: NOT_AN_IMAGE, lambda mp4: [mp4], {}, 415,
                     "not a JPEG, PNG or WebP", id="text_as_png"),
        pytest.param(lambda mp4: mp4, lambda mp4: [mp4], {}, 415, "not a JPEG, PNG or WebP",
                     id="video_as_portrait"),
        pytest.param(lambda mp4: b"", lambda mp4: [mp4], {}, 422, "empty", id="empty"),
        pytest.param(lambda mp4: PNG, lambda mp4: [mp4], {"max_image_pixels": 64 * 63}, 413, "MP",
                     id="too_many_pixels"),
        pytest.param(lambda mp4: PNG, lambda mp4: [mp4], {"max_image_bytes": len(PNG) - 1}, 413,
                     "larger than", id="too_large"),
        pytest.param(lambda mp4: PNG, lambda mp4: [mp4, PNG], {}, 415, "not an MP4",
                     id="image_as_video"),
        pytest.param(lambda mp4: PNG, lambda mp4: [mp4[:64] + bytes(2000)], {}, 422, "corrupt",
                     id="corrupt_video"),
    ],
)  # fmt: skip
async def test_bad_uploads_leave_nothing(
    portrait: Callable[[bytes], bytes], videos: Callable[[bytes], list[bytes]],
    limits: dict[str, int], status: int, words: str, tenant_a: Tenant, app: Any, settings: Any,
    mp4_bytes: bytes,
) -> None:  # fmt: skip
    for name, value in limits.items():
        setattr(settings, name, value)
    response = await create_content(tenant_a, image=portrait(mp4_bytes), videos=videos(mp4_bytes))
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert words in error["message"]
    assert await _row_counts(app) == (0, 0)
    assert storage_files(settings) == []
    assert list((Path(settings.data_dir) / "tmp").glob("*")) == []


async def test_traversal_filename_is_ignored(tenant_a: Tenant, settings: Any) -> None:
    files = {"portrait": ("../../../../etc/passwd.png", media.textured_image(), "image/png")}
    data = {"project_id": str(tenant_a.project_id), "title": "Sneaky"}
    response = await tenant_a.admin.post("/api/ar-content", data=data, files=files)
    assert response.status_code == 201
    root = Path(settings.storage_root).resolve()
    stored = storage_files(settings)
    assert len(stored) == 1
    assert stored[0].resolve().is_relative_to(root)
    assert "passwd" not in str(stored[0])


async def test_missing_fields(tenant_a: Tenant, app: Any) -> None:
    no_portrait = await tenant_a.admin.post(
        "/api/ar-content", data={"project_id": str(tenant_a.project_id), "title": "x"}
    )
    assert no_portrait.status_code == 415  # a form without files is not multipart
    assert "portrait" in no_portrait.json()["error"]["message"]
    only_video = await tenant_a.admin.post(
        "/api/ar-content",
        data={"project_id": str(tenant_a.project_id), "title": "x"},
        files={"video": ("v.mp4", b"\x00" * 10, "video/mp4")},
    )
    assert only_video.status_code == 422
    assert "portrait" in only_video.json()["error"]["message"]
    no_title = await tenant_a.admin.post(
        "/api/ar-content",
        data={"project_id": str(tenant_a.project_id)},
        files={"portrait": ("p.png", media.textured_image(), "image/png")},
    )
    assert no_title.status_code == 422
    assert "title" in no_title.json()["error"]["message"]
    bad_email = await create_content(tenant_a, customer_email="not-an-email")
    assert bad_email.status_code == 422
    assert "customer_email" in bad_email.json()["error"]["message"]
    assert await _row_counts(app) == (0, 0)


async def test_exif_orientation_applied(tenant_a: Tenant, settings: Any) -> None:
    response = await create_content(tenant_a, image=media.image_with_exif_rotation(300, 200))
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["portrait_width"], body["portrait_height"]) == (200, 300)
    (stored,) = storage_files(settings)
    with Image.open(stored) as img:
        assert img.size == (200, 300)


async def test_jpeg_and_webp_accepted(tenant_a: Tenant) -> None:
    for fmt, mime in (("JPEG", "image/jpeg"), ("WEBP", "image/webp")):
        response = await create_content(tenant_a, image=media.textured_image(fmt=fmt))
        assert response.status_code == 201, response.text
        assert response.json()["portrait_mime"] == mime


async def test_list_filter_update_delete(
    superadmin: Api, tenant_a: Tenant, settings: Any, mp4_bytes: bytes
) -> None:
    first = (await create_content(tenant_a, videos=[mp4_bytes])).json()
    second = (await create_content(tenant_a, title="Second")).json()
    listed = (await tenant_a.admin.get("/api/ar-content", params={"limit": 1})).json()
    assert listed["total"] == 2
    assert len(listed["items"]) == 1
    by_project = await tenant_a.admin.get(
        "/api/ar-content", params={"project_id": tenant_a.project_id}
    )
    assert by_project.json()["total"] == 2
    wrong_status = await tenant_a.admin.get("/api/ar-content", params={"marker_status": "nope"})
    assert wrong_status.status_code == 422

    patched = await tenant_a.admin.patch(
        f"/api/ar-content/{first['id']}", json={"title": "Renamed", "active": False}
    )
    assert patched.status_code == 200
    assert patched.json()["title"] == "Renamed"
    assert patched.json()["active"] is False

    before = len(storage_files(settings))
    assert (await tenant_a.admin.delete(f"/api/ar-content/{first['id']}")).status_code == 204
    assert len(storage_files(settings)) == before  # in the trash: its media stay
    assert (await tenant_a.admin.get(f"/api/ar-content/{first['id']}")).status_code == 404
    assert (await tenant_a.admin.get(f"/api/ar-content/{second['id']}")).status_code == 200
    listed = (await tenant_a.admin.get("/api/ar-content")).json()
    assert [item["id"] for item in listed["items"]] == [second["id"]]
    assert (await superadmin.delete(f"/api/trash/content/{first['id']}")).status_code == 204
    assert len(storage_files(settings)) == before - 3  # portrait, video, thumbnail


async def test_purging_a_deleted_project_or_company_removes_its_media(
    superadmin: Api, tenant_a: Tenant, tenant_b: Tenant, settings: Any, app: Any, mp4_bytes: bytes
) -> None:
    await create_content(tenant_a, videos=[mp4_bytes])
    await create_content(tenant_b, videos=[mp4_bytes])
    root = Path(settings.storage_root)

    def owners() -> set[str]:
        return {f.relative_to(root).parts[0] for f in storage_files(settings)}

    both = {str(tenant_a.company_id), str(tenant_b.company_id)}
    assert owners() == both
    assert (await tenant_a.admin.delete(f"/api/projects/{tenant_a.project_id}")).status_code == 204
    assert owners() == both  # in the trash until purged
    purged = await superadmin.delete(f"/api/trash/project/{tenant_a.project_id}")
    assert purged.status_code == 204
    assert owners() == {str(tenant_b.company_id)}
    company = f"/api/companies/{tenant_b.company_id}"
    name = (await superadmin.get(company)).json()["name"]
    assert (await superadmin.delete(company, params={"confirm": name})).status_code == 204
    assert owners() == {str(tenant_b.company_id)}
    purged = await superadmin.delete(f"/api/trash/company/{tenant_b.company_id}")
    assert purged.status_code == 204
    assert owners() == set()
    assert await _row_counts(app) == (0, 0)


async def test_add_and_delete_videos(
    superadmin: Api, tenant_a: Tenant, settings: Any, mp4_bytes: bytes
) -> None:
    content = (await create_content(tenant_a)).json()
    url = f"/api/ar-content/{content['id']}/videos"
    added = await tenant_a.admin.post(url, files=[("video", ("a.mp4", mp4_bytes, "video/mp4"))] * 2)
    assert added.status_code == 201, added.text
    assert len(added.json()) == 2
    bad = await tenant_a.admin.post(url, files=[("video", ("a.mp4", b"\x00" * 100, "video/mp4"))])
    assert bad.status_code == 415
    assert len(storage_files(settings)) == 1 + 2 * 2
    video_id = added.json()[0]["id"]
    assert (await tenant_a.admin.delete(f"{url}/{video_id}")).status_code == 204
    assert (await tenant_a.admin.delete(f"{url}/{video_id}")).status_code == 404
    after = (await tenant_a.admin.get(f"/api/ar-content/{content['id']}")).json()
    assert [v["id"] for v in after["videos"]] == [added.json()[1]["id"]]
    assert len(storage_files(settings)) == 1 + 2 * 2  # in the trash until purged
    assert (await superadmin.delete(f"/api/trash/video/{video_id}")).status_code == 204
    assert len(storage_files(settings)) == 1 + 2


async def test_other_tenant_gets_404_everywhere(
    tenant_a: Tenant, tenant_b: Tenant, mp4_bytes: bytes, app: Any
) -> None:
    content = (await create_content(tenant_a, videos=[mp4_bytes])).json()
    base = f"/api/ar-content/{content['id']}"
    video_id = content["videos"][0]["id"]
    b = tenant_b.admin
    assert (await b.get(base)).status_code == 404
    assert (await b.patch(base, json={"title": "mine"})).status_code == 404
    assert (await b.delete(base)).status_code == 404
    assert (await b.post(f"{base}/generate-marker")).status_code == 404
    assert (await b.delete(f"{base}/videos/{video_id}")).status_code == 404
    add = await b.post(f"{base}/videos", files=[("video", ("a.mp4", mp4_bytes, "video/mp4"))])
    assert add.status_code == 404
    assert (await b.get("/api/ar-content")).json()["total"] == 0
    # B cannot upload into A's project either
    into_a = Tenant(tenant_b.company_id, tenant_a.project_id, b)
    assert (await create_content(into_a)).status_code == 404
    assert await _row_counts(app) == (1, 1)
    still = await tenant_a.admin.get(base)
    assert still.json()["title"] == content["title"]


async def test_generate_marker_requeues(tenant_a: Tenant) -> None:
    content = (await create_content(tenant_a)).json()
    again = await tenant_a.admin.post(f"/api/ar-content/{content['id']}/generate-marker")
    assert again.status_code == 200
    assert again.json()["marker_status"] == "pending"
