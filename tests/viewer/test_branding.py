"""Company branding: the API (who may set it, what is refused) and what the viewer makes of it
(logo, accent colour, start text on the start screen; the company's domain in its QR codes and
links). The browser test in test_viewer_browser.py shows it rendered."""

from __future__ import annotations

import io
from typing import Any

import cv2
import httpx
import numpy as np
from PIL import Image

from tests.support import media
from tests.support.api import Api
from tests.support.content import ready_content
from tests.support.qr_decode import decode
from tests.support.tenants import Tenant
from vertex_ar.core.settings import Settings

DOMAIN = "https://ar.print-shop.example"


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def _qr_text(png: bytes) -> str:
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_GRAYSCALE)
    return decode(image)


async def test_company_admin_brands_the_viewer(
    app: Any, client: httpx.AsyncClient, tenant_a: Tenant, clips: list[bytes], settings: Settings
) -> None:
    content = await ready_content(app, tenant_a, clips)
    uid = content["unique_id"]
    url = f"/api/companies/{tenant_a.company_id}"
    branded = await tenant_a.admin.patch(
        f"{url}/branding",
        json={"accent_color": "#FF6600", "start_text": "Point at the poster & enjoy",
              "public_base_url": f"{DOMAIN}/"},
    )  # fmt: skip
    assert branded.status_code == 200, branded.text
    body = branded.json()
    assert (body["accent_color"], body["start_text"], body["public_base_url"]) == (
        "#FF6600", "Point at the poster & enjoy", DOMAIN,  # the trailing slash goes
    )  # fmt: skip
    assert body["logo_digest"] is None
    logo = _png(300, 100)
    put = await tenant_a.admin.put(f"{url}/logo", files={"logo": ("logo.png", logo, "image/png")})
    assert put.status_code == 200, put.text
    digest = put.json()["logo_digest"]
    assert digest and len(digest) == 16

    # The public side: the active video names it all, the page shows it.
    active = (await client.get(f"/api/ar/{uid}/active-video")).json()
    assert active["viewer_url"] == f"{DOMAIN}/ar/{uid}"
    assert active["logo"] == f"/ar/{uid}/logo?v={digest}"
    assert (active["accent_color"], active["start_text"]) == (
        "#FF6600",
        "Point at the poster & enjoy",
    )
    served = await client.get(active["logo"])
    assert served.status_code == 200 and served.content == logo
    assert served.headers["content-type"] == "image/png"
    assert "immutable" in served.headers["cache-control"]
    page = (await client.get(f"/ar/{uid}")).text
    assert f'<img id="logo" class="logo" src="/ar/{uid}/logo?v={digest}"' in page
    assert '<body class="viewer-page" style="--accent: #FF6600">' in page
    assert "Point at the poster &amp; enjoy" in page
    # QR codes (the page's own and the API's) and links lead to the company's domain.
    assert _qr_text((await client.get(f"/ar/{uid}/qr.png")).content) == f"{DOMAIN}/ar/{uid}"
    qr = await tenant_a.admin.get(f"/api/ar-content/{content['id']}/qr", params={"format": "png"})
    assert _qr_text(qr.content) == f"{DOMAIN}/ar/{uid}"

    # Null restores the defaults; a removed logo is gone from the page and its route.
    await tenant_a.admin.patch(f"{url}/branding", json={"public_base_url": None})
    assert (await tenant_a.admin.delete(f"{url}/logo")).json()["logo_digest"] is None
    active = (await client.get(f"/api/ar/{uid}/active-video")).json()
    assert active["viewer_url"] == f"{settings.public_base_url}/ar/{uid}"
    assert active["logo"] is None and active["accent_color"] == "#FF6600"
    assert (await client.get(f"/ar/{uid}/logo")).status_code == 404
    assert 'id="logo"' not in (await client.get(f"/ar/{uid}")).text


async def test_branding_is_refused_to_others_and_for_bad_input(
    superadmin: Api, tenant_a: Tenant, tenant_b: Tenant, tmp_path: Any
) -> None:
    url = f"/api/companies/{tenant_a.company_id}"
    # Another tenant's admin does not see the company at all.
    assert (
        await tenant_b.admin.patch(f"{url}/branding", json={"start_text": "x"})
    ).status_code == 404
    stranger = await tenant_b.admin.put(f"{url}/logo", files={"logo": ("l.png", _png(9, 9))})
    assert stranger.status_code == 404
    # The superadmin may.
    assert (await superadmin.patch(f"{url}/branding", json={"start_text": "Hi"})).status_code == 200
    bad_fields: list[dict[str, Any]] = [
        {"accent_color": "red"},
        {"accent_color": "#ff660"},
        {"accent_color": "#ff6600; background: url(x)"},
        {"public_base_url": "ftp://ar.example.com"},
        {"public_base_url": "https://ar.example.com/?q=<x>"},
        {"start_text": ""},
        {"start_text": "x" * 301},
    ]
    for fields in bad_fields:
        response = await tenant_a.admin.patch(f"{url}/branding", json=fields)
        assert response.status_code == 422, (fields, response.text)
    video = media.video(tmp_path / "clip.mp4")
    bad_logos = [
        ({"logo": ("logo.png", b"not an image at all", "image/png")}, 415),
        ({"logo": ("clip.mp4", video, "video/mp4")}, 415),
        ({"logo": ("big.png", _png(2100, 2000), "image/png")}, 413),  # over 4 MP
        ({"logo": ("huge.png", b"\x89PNG" + b"\0" * (600 * 1024), "image/png")}, 413),  # bytes
        ({"other": ("logo.png", _png(9, 9), "image/png")}, 422),
        ({"logo": ("a.png", _png(9, 9)), "logo2": ("b.png", _png(9, 9))}, 422),
    ]
    for files, status in bad_logos:
        response = await tenant_a.admin.put(f"{url}/logo", files=files)
        assert response.status_code == status, (list(files), response.text)
    company = (await tenant_a.admin.get(url)).json()
    assert company["logo_digest"] is None  # nothing half-written
