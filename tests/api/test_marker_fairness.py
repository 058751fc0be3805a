"""A fair marker queue: one tenant's backlog does not hold back another tenant's first marker.

A real worker (one pool slot: the tightest case) works through tenant A's backlog; tenant B
uploads one item meanwhile. B's compile must start at the next free slot, not after A's queue.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select

from tests.support.content import create_content, set_content
from tests.support.tenants import Tenant
from tests.support.worker import running_worker
from vertex_ar.content.marker_job import claim_next_marker, compile_claimed_marker
from vertex_ar.content.models import ARContent, MarkerStatus
from vertex_ar.core.settings import Settings
from vertex_ar.storage.base import InvalidKey

BACKLOG = 16


async def finished(app: FastAPI, ids: list[int]) -> dict[int, datetime]:
    """When each of `ids` whose marker is ready got it (the row's last update)."""
    async with app.state.database.sessions() as session:
        rows = await session.execute(
            select(ARContent.id, ARContent.updated_at).where(
                ARContent.id.in_(ids), ARContent.marker_status == MarkerStatus.ready
            )
        )
        return {content_id: at for content_id, at in rows.all()}


async def wait_until(predicate: object, timeout: float, what: str, log: Path) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        if await predicate():  # type: ignore[operator]
            return
        await asyncio.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}\n{log.read_text(errors='replace')[-3000:]}")


async def test_another_tenants_first_marker_waits_one_slot_not_the_backlog(
    app: FastAPI, settings: Settings, tenant_a: Tenant, tenant_b: Tenant, tmp_path: Path
) -> None:
    backlog = []
    for _ in range(BACKLOG):
        created = await create_content(tenant_a)
        assert created.status_code == 201, created.text
        backlog.append(created.json()["id"])
    log = tmp_path / "worker.log"
    with running_worker(settings, log):

        async def a_started() -> bool:
            return len(await finished(app, backlog)) >= 1

        await wait_until(a_started, 180, "the first compile of A's backlog", log)
        theirs = (await create_content(tenant_b)).json()
        queued_at = datetime.fromisoformat(theirs["created_at"])

        async def b_ready() -> bool:
            return bool(await finished(app, [theirs["id"]]))

        await wait_until(b_ready, 300, "B's marker", log)
    b_done = (await finished(app, [theirs["id"]]))[theirs["id"]]
    a_done = await finished(app, backlog)
    # A's compiles that ended while B's item waited: the one running when B queued, and at most
    # one more started in the same instant (with a FIFO queue: the whole rest of A's backlog).
    overtaken = sorted(at for at in a_done.values() if queued_at < at < b_done)
    assert len(overtaken) <= 2, (len(overtaken), len(a_done), BACKLOG)


async def test_turns_go_round_robin_over_companies(
    app: FastAPI, settings: Settings, tenant_a: Tenant, tenant_b: Tenant
) -> None:
    """Claims without a worker: A queued four, then B two; turns alternate A, B, A, B, A, A."""
    mine = [(await create_content(tenant_a)).json()["id"] for _ in range(4)]
    theirs = [(await create_content(tenant_b)).json()["id"] for _ in range(2)]
    order = []
    async with app.state.database.sessions() as session:
        while claimed := await claim_next_marker(session, settings):
            order.append(claimed[0])
    assert order == [mine[0], theirs[0], mine[1], theirs[1], mine[2], mine[3]]


async def test_an_item_that_fails_unexpectedly_does_not_take_its_companys_turns(
    app: FastAPI, settings: Settings, tenant_a: Tenant
) -> None:
    """A compile that raises something unexpected fails the item for good: released as
    claimable, it would be the company's oldest item at every turn, ahead of the others."""
    poison = (await create_content(tenant_a)).json()
    healthy = (await create_content(tenant_a)).json()
    await set_content(app, poison["id"], portrait_key="not a storage key")
    async with app.state.database.sessions() as session:
        claimed = await claim_next_marker(session, settings)
        assert claimed is not None and claimed[0] == poison["id"]
        with pytest.raises(InvalidKey):
            await compile_claimed_marker(session, settings, *claimed)
        following = await claim_next_marker(session, settings)
    assert following is not None and following[0] == healthy["id"]
    async with app.state.database.sessions() as session:
        row = await session.get(ARContent, poison["id"])
    assert row is not None and row.marker_status is MarkerStatus.failed
    assert row.marker_error is not None and "unexpected error" in row.marker_error
