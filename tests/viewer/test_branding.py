"""Company branding: logo, accent colour, start text and a custom public address, shown on the
viewer page and used by the QR code; scoped to the company like everything else."""

from __future__ import annotations

from typing import Any

import cv2
import httpx
import numpy as np

from tests.qr.test_qr import decode
from tests.support import media
from tests.support.content import client_from, ready_content, storage_files
from tests.support.tenants import Tenant

PHONE = {"User-Agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) Mobile Safari/537.36"}


async def test_branding_reaches_the_viewer_page_and_the_qr(
    app: Any, tenant_a: Tenant, tenant_b: Tenant, clips: list[bytes]
) -> None:
    content = await ready_content(app, tenant_a, clips[:1])
    url = f"/api/companies/{tenant_a.company_id}/branding"
    assert (await tenant_a.admin.get(url)).json()["has_logo"] is False
    changed = await tenant_a.admin.patch(
        url,
        json={"accent_color": "#E4007C", "start_text": "Bring the <poster> to life",
              "public_base_url": "https://ar.alpha.example/"},
    )  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert changed.json()["public_base_url"] == "https://ar.alpha.example"
    logo = await tenant_a.admin.put(
        f"{url}/logo", files={"logo": ("logo.png", media.textured_image(200, 80), "image/png")}
    )
    assert logo.status_code == 200, logo.text and logo.json()["has_logo"] is True

    async with client_from(app, "203.0.113.5") as visitor:
        page = await visitor.get(f"/ar/{content['unique_id']}", headers=PHONE)
    assert page.status_code == 200
    body = page.text
    assert "--accent:#E4007C" in body
    assert "Bring the &lt;poster&gt; to life" in body  # the company's text, escaped
    assert 'class="logo" src="/media?t=' in body
    assert f"https://ar.alpha.example/ar/{content['unique_id']}" in body  # desktop QR page

    qr = await tenant_a.admin.get(f"/api/ar-content/{content['id']}/qr", params={"format": "png"})
    image = cv2.imdecode(np.frombuffer(qr.content, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert decode(image) == f"https://ar.alpha.example/ar/{content['unique_id']}"

    # Another tenant cannot read or change it; its id answers 404.
    assert (await tenant_b.admin.get(url)).status_code == 404
    assert (await tenant_b.admin.patch(url, json={"start_text": "x"})).status_code == 404


async def test_bad_branding_is_refused_and_leaves_nothing(
    app: Any, settings: Any, tenant_a: Tenant
) -> None:
    url = f"/api/companies/{tenant_a.company_id}/branding"
    bad_fields = [
        {"accent_color": "red"},
        {"public_base_url": "ftp://x.example"},
        {"public_base_url": "https://x.example/?a=1"},
        {"start_text": "x" * 201},
    ]
    for bad in bad_fields:
        response = await tenant_a.admin.patch(url, json=bad)
        assert response.status_code == 422, (bad, response.text)
    before = storage_files(settings)
    not_image = await tenant_a.admin.put(
        f"{url}/logo", files={"logo": ("logo.png", b"GIF89a" + b"0" * 100, "image/png")}
    )
    assert not_image.status_code == 415, not_image.text
    too_big = await tenant_a.admin.put(
        f"{url}/logo", files={"logo": ("logo.png", b"\x89PNG" + b"0" * 3_000_000, "image/png")}
    )
    assert too_big.status_code == 413, too_big.text
    assert storage_files(settings) == before
    assert (await tenant_a.admin.get(url)).json()["has_logo"] is False


async def test_russian_browsers_get_russian(app: Any, tenant_a: Tenant, clips: list[bytes]) -> None:
    content = await ready_content(app, tenant_a, clips[:1])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as visitor:
        ru = await visitor.get(
            f"/ar/{content['unique_id']}",
            headers=PHONE | {"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.8"},
        )
        en = await visitor.get(
            f"/ar/{content['unique_id']}", headers=PHONE | {"Accept-Language": "de,en;q=0.5"}
        )
    assert '<html lang="ru">' in ru.text and ">Старт</button>" in ru.text
    assert '<html lang="en">' in en.text and ">Start</button>" in en.text
