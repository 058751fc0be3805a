"""`vertex-ar storage migrate`: local disk -> S3 for a company with content, interrupted midway
and resumed; every object verified by size and SHA-256; the company switched only at the end."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.connections.conftest import connect, fetch_range, tenant_on
from tests.storage.conftest import PART_BYTES, collect
from tests.storage.fault_proxy import FaultProxy
from tests.support.api import Api
from tests.support.content import create_content, storage_files
from tests.support.worker import worker_env
from vertex_ar.connections.migrate import MigrationError, MigrationReport, migrate_company
from vertex_ar.connections.routing import storage_for_company
from vertex_ar.content.marker_job import compile_content_marker
from vertex_ar.content.models import MarkerStatus
from vertex_ar.content.repository import media_keys_of_company


async def _migrate(app: Any, settings: Any, company_id: int, target: str) -> MigrationReport:
    async with app.state.database.sessions() as session:
        return await migrate_company(session, settings, company_id, target)


async def test_migrate_local_to_s3_resumes_after_interruption(
    app: Any,
    settings: Any,
    superadmin: Api,
    s3_config: dict[str, Any],
    s3_proxy: FaultProxy,
    s3_direct: Any,
    mp4_bytes: bytes,
    client: httpx.AsyncClient,
    tmp_path: Path,
) -> None:
    tenant = await tenant_on(superadmin, "Moving", None)  # on the platform's local disk
    contents = []
    for _ in range(2):
        created = await create_content(tenant, videos=[mp4_bytes])
        assert created.status_code == 201, created.text
        contents.append(created.json())
    async with app.state.database.sessions() as session:
        status = await compile_content_marker(session, settings, contents[0]["id"])
    assert status is MarkerStatus.ready
    async with app.state.database.sessions() as session:
        keys = sorted(await media_keys_of_company(session, tenant.company_id))
    assert len(keys) == 7  # 2 × (portrait, video, thumbnail) + one marker
    root = Path(settings.storage_root)
    local = {key: (root / key).read_bytes() for key in keys}

    connection_id = await connect(superadmin, "s3", s3_config, name="agency-s3")
    # Objects go in key order: the S3 endpoint dies halfway through the third one's upload
    # (the first two with their few KB of request headers fit in the budget well before that).
    sizes = [len(local[key]) for key in keys]
    s3_proxy.cut_after(sizes[0] + sizes[1] + sizes[2] // 2)
    with pytest.raises(MigrationError, match="S3 unreachable") as failed:
        await _migrate(app, settings, tenant.company_id, str(connection_id))
    assert failed.value.report is not None and not failed.value.report.switched
    company = (await superadmin.get(f"/api/companies/{tenant.company_id}")).json()
    assert company["storage_connection_id"] is None  # not switched
    assert sorted(p.relative_to(root).as_posix() for p in storage_files(settings)) == keys
    bucket, prefix = s3_config["bucket"], s3_config["prefix"]
    listed = s3_direct.list_objects_v2(Bucket=bucket).get("Contents", [])
    copied_before = {o["Key"] for o in listed if not o["Key"].endswith("/")}
    # The endpoint died part-way: a non-empty strict prefix of the objects (in key order) went up.
    # How many depends on the objects' sizes and the requests' headers (a multipart marker of
    # 1.3 MB sends ~20 part requests), so the count is not pinned.
    assert 0 < len(copied_before) < len(keys)
    assert copied_before == {prefix + key for key in keys[: len(copied_before)]}

    # Resume with the real command line, as an operator would; old copies deleted at the end.
    s3_proxy.restore()
    env = worker_env(
        settings,
        S3_PART_BYTES=str(PART_BYTES),
        STORAGE_TIMEOUT_SECONDS=str(settings.storage_timeout_seconds),
    )
    run = subprocess.run(
        [sys.executable, "-m", "vertex_ar.cli", "storage", "migrate",
         "--company", str(tenant.company_id), "--to", "agency-s3", "--delete-source"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert "switched: yes" in run.stdout
    outcomes = ("copied", "present")
    lines = [line.split() for line in run.stdout.splitlines() if line.startswith(outcomes)]
    assert sorted(key for _, key in lines) == keys
    present = {key for outcome, key in lines if outcome == "present"}
    assert present and {prefix + key for key in present} <= copied_before

    company = (await superadmin.get(f"/api/companies/{tenant.company_id}")).json()
    assert company["storage_connection_id"] == connection_id
    for key, data in local.items():
        stored = s3_direct.get_object(Bucket=bucket, Key=prefix + key)["Body"].read()
        assert hashlib.sha256(stored).digest() == hashlib.sha256(data).digest(), key
    assert storage_files(settings) == []  # --delete-source, after the switch

    # The content is served from S3 now, Range included, and the API still shows it.
    async with app.state.database.sessions() as session:
        storage = await storage_for_company(session, settings, tenant.company_id)
    assert storage.connection_id == connection_id
    for content in contents:
        body = (await superadmin.get(f"/api/ar-content/{content['id']}")).json()
        assert body["videos"][0]["size_bytes"] == len(mp4_bytes)
    video_keys = [k for k in keys if "/videos/" in k]
    assert await collect(storage.get_stream(video_keys[0], 10, 509)) == local[video_keys[0]][10:510]
    # ...and the viewer plays it: its media links now point into the bucket.
    active = await client.get(f"/api/ar/{contents[0]['unique_id']}/active-video")
    assert active.status_code == 200, active.text
    assert active.json()["url"].startswith(s3_config["endpoint_url"])
    ranged = await fetch_range(client, active.json()["url"], 10, 509)
    assert ranged.status_code == 206 and ranged.content == mp4_bytes[10:510]

    again = await _migrate(app, settings, tenant.company_id, "agency-s3")
    assert again.switched and again.objects == 0  # already there: nothing to do


async def test_migrate_refuses_unknown_or_forbidden_targets(
    app: Any, settings: Any, superadmin: Api
) -> None:
    tenant = await tenant_on(superadmin, "Stays", None)
    with pytest.raises(MigrationError, match="not found"):
        await _migrate(app, settings, tenant.company_id, "no-such-connection")
    with pytest.raises(MigrationError, match="company 987654 not found"):
        await _migrate(app, settings, 987654, "no-such-connection")
    await connect(superadmin, "local", {"path": str(settings.data_dir / "x")}, name="disk")
    strict = settings.model_copy(update={"storage_allow_local_for_companies": False})
    with pytest.raises(MigrationError, match="STORAGE_ALLOW_LOCAL_FOR_COMPANIES"):
        await _migrate(app, strict, tenant.company_id, "disk")
