"""The content's "stable ↔ responsive" setting: set on create and by PATCH, refused out of
range, and handed to the viewer as MindAR's filter parameters."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest

from tests.support.content import create_content, ready_content
from tests.support.tenants import Tenant
from vertex_ar.viewer.tracking import RESPONSIVE, STABLE, filter_for


def test_the_setting_maps_onto_mindars_filter() -> None:
    assert filter_for(0.0) == RESPONSIVE
    assert filter_for(1.0) == STABLE
    # The default keeps MindAR's own minimum cut-off and lowers its beta (see viewer.tracking).
    assert filter_for(None) == filter_for(0.5) == (pytest.approx(1e-3), pytest.approx(1.0))
    steps = [filter_for(i / 10) for i in range(11)]
    assert all(a[0] > b[0] and a[1] > b[1] for a, b in itertools.pairwise(steps))


async def test_smoothing_is_set_per_content_and_reaches_the_viewer(
    app: Any, client: httpx.AsyncClient, tenant_a: Tenant, clips: list[bytes]
) -> None:
    content = await ready_content(app, tenant_a, clips, tracking_smoothing="1")
    assert content["tracking_smoothing"] == 1.0
    active = (await client.get(f"/api/ar/{content['unique_id']}/active-video")).json()
    assert (active["filter_min_cf"], active["filter_beta"]) == STABLE
    url = f"/api/ar-content/{content['id']}"
    patched = await tenant_a.admin.patch(url, json={"tracking_smoothing": 0})
    assert patched.status_code == 200 and patched.json()["tracking_smoothing"] == 0
    active = (await client.get(f"/api/ar/{content['unique_id']}/active-video")).json()
    assert (active["filter_min_cf"], active["filter_beta"]) == RESPONSIVE
    assert (await tenant_a.admin.patch(url, json={"tracking_smoothing": None})).json()[
        "tracking_smoothing"
    ] is None  # back to the default
    active = (await client.get(f"/api/ar/{content['unique_id']}/active-video")).json()
    assert (active["filter_min_cf"], active["filter_beta"]) == filter_for(None)
    for bad in (-0.1, 1.5, "smooth"):
        assert (
            await tenant_a.admin.patch(url, json={"tracking_smoothing": bad})
        ).status_code == 422
        refused = await create_content(tenant_a, tracking_smoothing=str(bad))
        assert refused.status_code == 422, refused.text
