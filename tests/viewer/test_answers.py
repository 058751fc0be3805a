"""The scan path's database use: a first scan is one query, a repeat scan none, and a change made
through the API shows on the next scan (the kept answer is dropped by the commit)."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event

from tests.support.content import create_content, ready_content
from tests.support.tenants import Tenant
from tests.support.worker import running_worker


@contextmanager
def statements(app: Any) -> Iterator[list[str]]:
    """The SQL statements the app's engine runs inside the block."""
    seen: list[str] = []
    engine = app.state.database.engine.sync_engine

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_first_scan_one_query_repeat_scan_none_changes_at_once(
    app: Any, client: httpx.AsyncClient, tenant_a: Tenant, clips: list[bytes]
) -> None:
    content = await ready_content(app, tenant_a, clips, title="Spring")
    url = f"/api/ar/{content['unique_id']}/active-video"
    with statements(app) as first_scan:
        first = await client.get(url)
    assert first.status_code == 200, first.text
    assert len(first_scan) == 1, first_scan

    with statements(app) as repeat_scan:
        again = await client.get(url)
        page = await client.get(f"/ar/{content['unique_id']}")
    assert again.json() == first.json()
    assert page.status_code == 200
    assert repeat_scan == []

    renamed = await tenant_a.admin.patch(
        f"/api/ar-content/{content['id']}", json={"title": "Summer"}
    )
    assert renamed.status_code == 200, renamed.text
    assert (await client.get(url)).json()["title"] == "Summer"
    switched_off = await tenant_a.admin.patch(
        f"/api/ar-content/{content['id']}", json={"active": False}
    )
    assert switched_off.status_code == 200, switched_off.text
    assert (await client.get(url)).status_code == 410


async def test_the_workers_commits_reach_the_kept_answers(
    app: Any, settings: Any, tenant_a: Tenant, tmp_path: Path
) -> None:
    """The worker is another process: its commits (a marker made ready, a job's switch-off) must
    bump the generation the web process checks kept answers against, like the app's own."""
    created = await create_content(tenant_a)
    assert created.status_code == 201, created.text
    url = f"/api/ar-content/{created.json()['id']}"
    generations = app.state.viewer_answers.generations
    before = await generations.current()
    log = tmp_path / "worker.log"
    with running_worker(settings, log):
        deadline = time.monotonic() + 180
        while (await tenant_a.admin.get(url)).json()["marker_status"] != "ready":
            assert time.monotonic() < deadline, log.read_text(errors="replace")[-3000:]
            await asyncio.sleep(0.5)
    assert await generations.current() != before


async def test_a_kept_page_gets_a_nonce_of_its_own_per_response(
    app: Any, client: httpx.AsyncClient, tenant_a: Tenant, clips: list[bytes]
) -> None:
    """The page is rendered once per kept answer and language; its CSP nonce never is."""
    content = await ready_content(app, tenant_a, clips)
    nonces = []
    for _ in range(3):
        page = await client.get(f"/ar/{content['unique_id']}")
        assert page.status_code == 200
        found = re.search(r"'nonce-([^']+)'", page.headers["content-security-policy"])
        assert found is not None
        assert page.text.count(f'nonce="{found.group(1)}"') == 2
        nonces.append(found.group(1))
    assert len(set(nonces)) == 3


async def test_what_the_scan_path_leaves_to_the_routes_is_still_refused(
    app: Any, client: httpx.AsyncClient, tenant_a: Tenant, clips: list[bytes]
) -> None:
    """A missing or overlong query parameter, another method: the declared routes answer."""
    content = await ready_content(app, tenant_a, clips)
    uid = content["unique_id"]
    for url in ("/media", "/media?t=" + "a" * 2049, f"/ar/{uid}?browser=" + "x" * 17):
        answer = await client.get(url)
        assert answer.status_code == 422, url
        assert answer.json()["error"]["code"] == "invalid_input"
    assert (await client.post(f"/api/ar/{uid}/active-video")).status_code == 405
    assert (await client.head(f"/api/ar/{uid}/active-video")).status_code == 405
    link = (await client.get(f"/api/ar/{uid}/active-video")).json()["url"]
    head = await client.head(link)
    assert head.status_code == 200 and head.headers["content-length"] == str(len(clips[0]))
