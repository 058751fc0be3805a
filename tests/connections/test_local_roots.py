"""A `local` storage connection writes where the server's user may write: its folder must lie
under an allowed root (LOCAL_STORAGE_ROOTS, default DATA_DIR), or any superadmin typo or a
stolen superadmin token could point tenant writes at /etc or the app's own files (issue 10)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.api import Api
from vertex_ar.core.settings import Settings

BASE = "/api/storage/connections"


def _local(path: str | Path, name: str = "disk") -> dict[str, object]:
    return {"name": name, "kind": "local", "config": {"path": str(path)}}


async def test_a_local_path_under_the_data_dir_is_accepted(
    superadmin: Api, settings: Settings
) -> None:
    created = await superadmin.post(BASE, json=_local(settings.data_dir / "tenant-media"))
    assert created.status_code == 201, created.text


@pytest.mark.parametrize(
    "where",
    ["/etc", "/tmp/elsewhere", "{data}/../outside", "{data}/media/../../outside", "{link}/inside"],
)
async def test_local_paths_outside_the_allowed_roots_are_refused(
    superadmin: Api, settings: Settings, tmp_path: Path, where: str
) -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    (settings.data_dir / "escape").symlink_to(tmp_path, target_is_directory=True)
    path = where.format(data=settings.data_dir, link=settings.data_dir / "escape")
    refused = await superadmin.post(BASE, json=_local(path))
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert error["details"][0]["field"] == "config.path"
    assert "LOCAL_STORAGE_ROOTS" in error["message"]
    assert (await superadmin.get(BASE)).json()["total"] == 0  # nothing half-written


async def test_an_update_cannot_move_a_connection_out(superadmin: Api, settings: Settings) -> None:
    created = await superadmin.post(BASE, json=_local(settings.data_dir / "tenant-media"))
    moved = await superadmin.patch(
        f"{BASE}/{created.json()['id']}", json={"config": {"path": "/var/lib"}}
    )
    assert moved.status_code == 422, moved.text
    kept = await superadmin.get(f"{BASE}/{created.json()['id']}")
    assert kept.json()["config"]["path"] == str(settings.data_dir / "tenant-media")


async def test_operators_name_other_roots(
    superadmin: Api, settings: Settings, tmp_path: Path
) -> None:
    settings.local_storage_roots = f"{tmp_path / 'srv'},{tmp_path / 'mnt'}"
    assert (await superadmin.post(BASE, json=_local(tmp_path / "mnt" / "a"))).status_code == 201
    refused = await superadmin.post(BASE, json=_local(settings.data_dir / "b", name="b"))
    assert refused.status_code == 422, refused.text
