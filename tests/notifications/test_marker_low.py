"""A marker that is made but rates low (the print may be hard to detect) tells its company once
per content item and portrait, with the rating's reasons, in the company's language; a marker
that rates well tells nothing."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from fastapi import FastAPI
from PIL import Image

from tests.notifications.fakes import FakeTelegram, SmtpRecorder
from tests.notifications.helpers import configure, notifications, run
from tests.support import media
from tests.support.content import make_content, set_content
from tests.support.tenants import Tenant
from vertex_ar.content.marker_job import LOW_MARKER_SCORE, compile_content_marker
from vertex_ar.content.models import ARContent, MarkerStatus
from vertex_ar.notifications.events import MARKER_LOW, marker_failed, marker_scored_low


def _faint_image() -> bytes:
    """The test poster squeezed into a 20-level grey range: it compiles, but rates near 0."""
    grey = np.asarray(Image.open(io.BytesIO(media.textured_image())).convert("L"), dtype=float)
    out = io.BytesIO()
    Image.fromarray((grey / 255 * 20 + 118).astype(np.uint8)).save(out, "PNG")
    return out.getvalue()


async def _compile(app: FastAPI, content_id: int) -> MarkerStatus | None:
    settings = app.state.settings
    async with app.state.database.sessions() as session:
        return await compile_content_marker(
            session, settings, content_id, marker_failed(settings), marker_scored_low(settings)
        )


async def _quality(app: FastAPI, content_id: int) -> dict[str, Any]:
    async with app.state.database.sessions() as session:
        row = await session.get(ARContent, content_id)
        assert row is not None and row.marker_quality is not None
        return row.marker_quality


async def test_low_score_is_told_once_with_reasons(
    app: FastAPI, tenant_a: Tenant, tenant_b: Tenant, mail: SmtpRecorder, bot: FakeTelegram
) -> None:
    await configure(tenant_a.admin, tenant_a.company_id)
    await configure(tenant_b.admin, tenant_b.company_id, emails=["desk@beta.example"])
    content = await make_content(tenant_a, [], title="Faint poster", image=_faint_image())

    assert await _compile(app, content["id"]) is MarkerStatus.ready
    quality = await _quality(app, content["id"])
    assert quality["score"] < LOW_MARKER_SCORE and "low_contrast" in quality["codes"]
    # Compiled again (e.g. an operator's recompile of the same portrait): nothing new to tell.
    await set_content(app, content["id"], marker_status=MarkerStatus.pending)
    assert await _compile(app, content["id"]) is MarkerStatus.ready

    rows = [n for n in await notifications(app) if n.kind == MARKER_LOW]
    assert len(rows) == 1
    assert rows[0].company_id == tenant_a.company_id
    assert rows[0].payload["content_id"] == content["id"]
    assert rows[0].payload["threshold"] == LOW_MARKER_SCORE
    await run(app, "send-notifications")
    assert [m["X-Envelope-To"] for m in mail.messages] == ["ops@alpha.example"]
    message = mail.messages[0]
    assert 'the print of "Faint poster"' in message["Subject"]
    assert "may be hard to detect" in message["Subject"]
    body = message.get_content()
    assert f"trackability is {quality['score']:.0f}/100 (below 40)" in body
    assert "too little contrast" in body
    assert f"https://ar.example.test/admin/content/{content['id']}" in body
    assert len(bot.messages) == 1 and "Faint poster" in bot.messages[0]["text"]
    assert (await tenant_b.admin.get("/api/notifications")).json()["total"] == 0


async def test_low_score_in_russian_and_good_score_tells_nothing(
    app: FastAPI, tenant_a: Tenant, mail: SmtpRecorder
) -> None:
    await configure(tenant_a.admin, tenant_a.company_id, telegram_chat_ids=[], locale="ru")
    good = await make_content(tenant_a, [], title="Хороший постер")
    faint = await make_content(tenant_a, [], title="Бледный постер", image=_faint_image())

    assert await _compile(app, good["id"]) is MarkerStatus.ready
    assert (await _quality(app, good["id"]))["score"] >= LOW_MARKER_SCORE
    assert await _compile(app, faint["id"]) is MarkerStatus.ready

    rows = [n for n in await notifications(app) if n.kind == MARKER_LOW]
    assert [r.payload["content_id"] for r in rows] == [faint["id"]]
    await run(app, "send-notifications")
    assert len(mail.messages) == 1
    message = mail.messages[0]
    assert "печать «Бледный постер»" in message["Subject"]
    body = message.get_content()
    assert "слишком мало контраста" in body
    assert "too little contrast" not in body
