"""Beat's trash purge in a real Celery worker: a project deleted longer ago than
TRASH_RETENTION_DAYS goes with its content and media; a recent deletion stays restorable."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from tests.support.api import Api
from tests.support.content import create_content, storage_files
from tests.support.tenants import Tenant, make_tenant
from tests.support.worker import running_worker
from vertex_ar.content.models import ARContent
from vertex_ar.core.clock import utc_now
from vertex_ar.projects.models import Project


async def test_beat_purges_an_old_project_with_its_media(
    app: Any, settings: Any, superadmin: Api, tenant_a: Tenant, mp4_bytes: bytes, tmp_path: Path
) -> None:
    old = (await create_content(tenant_a, videos=[mp4_bytes])).json()
    other = await make_tenant(superadmin, "Gamma Frames")
    recent = (await create_content(other, videos=[mp4_bytes])).json()
    assert (await tenant_a.admin.delete(f"/api/projects/{tenant_a.project_id}")).status_code == 204
    assert (await other.admin.delete(f"/api/ar-content/{recent['id']}")).status_code == 204
    root = Path(settings.storage_root)

    def owners() -> set[str]:
        return {f.relative_to(root).parts[0] for f in storage_files(settings)}

    assert owners() == {str(tenant_a.company_id), str(other.company_id)}
    # Deleted 31 days ago, as the expiry tests set time: the rows' own moments.
    long_ago = utc_now() - timedelta(days=settings.trash_retention_days + 1)
    async with app.state.database.sessions() as session:
        for model, column in ((Project, Project.id), (ARContent, ARContent.project_id)):
            await session.execute(
                update(model).where(column == tenant_a.project_id).values(deleted_at=long_ago)
            )
        await session.commit()

    async def purged() -> bool:
        async with app.state.database.sessions() as session:
            left = await session.scalar(
                select(func.count()).select_from(ARContent).where(ARContent.id == old["id"])
            )
        return left == 0 and str(tenant_a.company_id) not in owners()

    log = tmp_path / "worker.log"
    with running_worker(settings, log, TRASH_PURGE_SECONDS="2"):
        deadline = asyncio.get_running_loop().time() + 120
        while not await purged():
            tail = log.read_text(errors="replace")[-4000:] if log.exists() else ""
            assert asyncio.get_running_loop().time() < deadline, f"no purge by Beat\n{tail}"
            await asyncio.sleep(0.5)

    assert owners() == {str(other.company_id)}  # the recent deletion keeps its media
    trash = (await superadmin.get("/api/trash")).json()["items"]
    assert [(i["kind"], i["id"]) for i in trash] == [("content", recent["id"])]
    restored = await other.admin.post(f"/api/trash/content/{recent['id']}/restore")
    assert restored.status_code == 204
    log_a = (await tenant_a.admin.get("/api/audit")).json()["items"]
    assert (log_a[0]["action"], log_a[0]["item_kind"], log_a[0]["user_id"]) == (
        "purge", "project", None,
    )  # fmt: skip
