"""The public viewer: honest pages and API answers (404, 410, not ready), today's video with
signed links, the viewer page and the files it loads."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import cv2
import httpx
import numpy as np

from tests.support.api import Api
from tests.support.content import make_content, mark_ready, ready_content, set_content
from tests.support.qr_decode import decode
from tests.support.tenants import Tenant
from vertex_ar.content.models import MarkerStatus


async def _both(client: httpx.AsyncClient, unique_id: str) -> tuple[httpx.Response, httpx.Response]:
    page = await client.get(f"/ar/{unique_id}")
    api = await client.get(f"/api/ar/{unique_id}/active-video")
    return page, api


async def test_unknown_ids_are_404(client: httpx.AsyncClient) -> None:
    for unique_id in ("0b7d3c8e-0000-4000-8000-000000000000", "x", "%2e%2e", "a" * 65):
        page, api = await _both(client, unique_id)
        assert page.status_code == 404, unique_id
        assert "text/html" in page.headers["content-type"]
        assert "Nothing here" in page.text
        assert api.status_code == 404
        assert api.json()["error"]["code"] == "not_found"


async def test_inactive_expired_and_switched_off_company_are_410(
    app: Any, client: httpx.AsyncClient, superadmin: Api, tenant_a: Tenant, clips: list[bytes]
) -> None:
    content = await ready_content(app, tenant_a, clips)
    uid = content["unique_id"]
    assert (await client.get(f"/api/ar/{uid}/active-video")).status_code == 200

    off = await tenant_a.admin.patch(f"/api/ar-content/{content['id']}", json={"active": False})
    assert off.status_code == 200
    page, api = await _both(client, uid)
    assert page.status_code == 410
    assert "has ended" in page.text
    assert 'data-state="inactive"' in page.text
    assert api.status_code == 410
    assert api.json()["error"]["code"] == "gone"
    assert api.json()["error"]["details"]["reason"] == "inactive"

    yesterday = datetime.now(UTC) - timedelta(days=1)
    patched = await tenant_a.admin.patch(
        f"/api/ar-content/{content['id']}",
        json={"active": True, "expires_at": yesterday.isoformat()},
    )
    assert patched.status_code == 200
    page, api = await _both(client, uid)
    assert page.status_code == 410
    assert "has expired" in page.text
    assert yesterday.date().isoformat() in page.text
    assert api.json()["error"]["details"]["reason"] == "expired"

    tomorrow = datetime.now(UTC) + timedelta(days=1)
    await tenant_a.admin.patch(
        f"/api/ar-content/{content['id']}", json={"expires_at": tomorrow.isoformat()}
    )
    assert (await client.get(f"/api/ar/{uid}/active-video")).status_code == 200
    company = f"/api/companies/{tenant_a.company_id}"
    assert (await superadmin.patch(company, json={"active": False})).status_code == 200
    page, api = await _both(client, uid)
    assert (page.status_code, api.status_code) == (410, 410)


async def test_not_ready_until_the_marker_and_a_video_exist(
    app: Any, client: httpx.AsyncClient, tenant_a: Tenant, clips: list[bytes]
) -> None:
    content = await make_content(tenant_a, clips)
    uid = content["unique_id"]
    page, api = await _both(client, uid)
    assert page.status_code == 503
    assert "Almost ready" in page.text
    assert page.headers["retry-after"] == "15"
    assert '<meta http-equiv="refresh" content="15">' in page.text
    assert api.status_code == 503
    assert api.json()["error"]["code"] == "not_ready"
    assert api.json()["error"]["details"] == {"reason": "marker", "marker_status": "pending"}

    await set_content(app, content["id"], marker_status=MarkerStatus.failed)
    page, api = await _both(client, uid)
    assert page.status_code == 503
    assert "could not be prepared" in page.text
    assert api.json()["error"]["details"]["marker_status"] == "failed"

    without_video = await make_content(tenant_a, [])
    await mark_ready(app, without_video)
    page, api = await _both(client, without_video["unique_id"])
    assert page.status_code == 503
    assert "No video has been added" in page.text
    assert api.json()["error"]["details"] == {"reason": "no_video"}

    await mark_ready(app, content)
    assert (await client.get(f"/api/ar/{uid}/active-video")).status_code == 200


async def test_active_video_gives_signed_links_to_the_right_bytes(
    app: Any, client: httpx.AsyncClient, tenant_a: Tenant, clips: list[bytes]
) -> None:
    content = await ready_content(app, tenant_a, clips, title="Anna's 30th")
    response = await client.get(f"/api/ar/{content['unique_id']}/active-video")
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    first = content["videos"][0]
    assert body["video_id"] == first["id"]  # no rule: the first video
    assert (body["mime"], body["width"], body["height"]) == ("video/mp4", 160, 120)
    assert abs(body["duration"] - 1.0) < 0.1
    assert (body["target_width"], body["target_height"]) == (640, 480)
    assert body["title"] == "Anna's 30th"
    expires = datetime.fromisoformat(body["urls_expire_at"])
    ttl = app.state.settings.media_url_ttl_seconds
    assert timedelta(seconds=ttl) <= expires - datetime.now(UTC) <= timedelta(seconds=ttl * 1.3)
    for field in ("url", "poster", "marker_url"):
        assert body[field].startswith("/media?t="), body[field]
    video = await client.get(body["url"])
    assert video.status_code == 200
    assert video.content == clips[0]
    assert video.headers["content-type"] == "video/mp4"
    poster = await client.get(body["poster"])
    assert poster.headers["content-type"] == "image/jpeg"
    assert poster.content.startswith(b"\xff\xd8\xff")
    marker = await client.get(body["marker_url"])
    assert marker.content.startswith(b"MIND")
    # Links don't carry customer data or guessable ids in clear text.
    assert "Anna" not in body["url"]


async def test_viewer_page_loads_mindar_and_three_from_our_server(
    app: Any, client: httpx.AsyncClient, tenant_a: Tenant, clips: list[bytes]
) -> None:
    content = await ready_content(app, tenant_a, clips, title="</script><script>alert(1)</script>")
    page = await client.get(f"/ar/{content['unique_id']}")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert "<script>alert(1)" not in page.text
    csp = page.headers["content-security-policy"]
    nonce = re.search(r"'nonce-([^']+)'", csp)
    assert nonce is not None
    assert "unsafe-eval" not in csp
    assert page.text.count(f'nonce="{nonce.group(1)}"') == 2  # the import map and the guard

    import_map = json.loads(
        re.search(r'<script type="importmap"[^>]*>(.*?)</script>', page.text, re.S).group(1)  # type: ignore[union-attr]
    )["imports"]
    assert import_map["three"] == "/ar-assets/vendor/three@0.158.0/build/three.module.min.js"
    assert import_map["three/addons/"] == "/ar-assets/vendor/three@0.158.0/examples/jsm/"
    config = json.loads(
        re.search(r'<script type="application/json" id="viewer-config">(.*?)</script>',
                  page.text, re.S).group(1)  # type: ignore[union-attr]
    )  # fmt: skip
    assert config["video_id"] == content["videos"][0]["id"]
    assert config["title"] == "</script><script>alert(1)</script>"
    assert config["session_url"] == f"/api/ar/{content['unique_id']}/track-session"

    for url in (
        import_map["three"],
        import_map["three/addons/"] + "renderers/CSS3DRenderer.js",
        import_map["mindar-image-three"],
    ):
        asset = await client.get(url)
        assert asset.status_code == 200, url
        assert asset.headers["content-type"].startswith("text/javascript")
        assert "immutable" in asset.headers["cache-control"]
    mindar = (await client.get(import_map["mindar-image-three"])).text
    for chunk in re.findall(r'from"\./([\w.-]+\.js)"', mindar):  # MindAR's own split chunks
        assert (
            await client.get(f"/ar-assets/vendor/mind-ar@1.2.5/dist/{chunk}")
        ).status_code == 200
    for name in ("viewer.js", "viewer.css"):
        url = re.search(rf'"(/ar-assets/\w+/{name})"', page.text).group(1)  # type: ignore[union-attr]
        own = await client.get(url)
        assert own.status_code == 200 and "immutable" in own.headers["cache-control"]
        stale = await client.get(f"/ar-assets/old/{name}")
        assert stale.headers["cache-control"] == "no-cache"


async def test_only_the_viewers_files_are_served(client: httpx.AsyncClient) -> None:
    refused = [
        "/ar-assets/vendor/three@0.158.0/package.json",
        "/ar-assets/vendor/three@0.157.0/build/three.module.js",  # not the installed version
        "/ar-assets/vendor/three@0.158.0/src/Three.js",
        "/ar-assets/vendor/three@0.158.0/build/three.module.js",  # the page loads the .min one
        "/ar-assets/vendor/three@0.158.0/examples/jsm/controls/OrbitControls.js",  # not imported
        "/ar-assets/vendor/mind-ar@1.2.5/dist/mindar-face-three.prod.js",
        "/ar-assets/vendor/three@0.158.0/examples/jsm/%2e%2e/%2e%2e/package.json",
        "/ar-assets/vendor/three@0.158.0/examples/jsm/..%2f..%2f..%2fmind-ar/package.json",
        "/ar-assets/vendor/mind-ar@1.2.5/src/image-target/three.js",
        "/ar-assets/vendor/mind-ar@1.2.5/package.json",
        "/ar-assets/vendor/lodash@4.17.21/lodash.js",
        "/ar-assets/1a2b/viewer.html",
        "/ar-assets/1a2b/..%2fendpoints.py",
        "/ar-assets/vendor/three@0.158.0/build/three.module.min.js.br",
    ]
    for url in refused:
        response = await client.get(url)
        assert response.status_code == 404, url


async def test_openapi_documents_the_public_api(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    session = spec["paths"]["/api/ar/{unique_id}/track-session"]["post"]
    body = session["requestBody"]["content"]["application/json"]["schema"]
    assert set(body["required"]) == {"device_type", "found", "duration_seconds"}
    refs = re.findall(r'"\$ref": "#/([^"]+)"', json.dumps(spec))
    for ref in refs:  # every reference resolves inside the document
        node = spec
        for part in ref.split("/"):
            node = node[part]
    assert "/api/ar/{unique_id}/active-video" in spec["paths"]


def _config(page: httpx.Response) -> dict[str, Any]:
    found = re.search(r'id="viewer-config">(.*?)</script>', page.text, re.S)
    assert found is not None
    config: dict[str, Any] = json.loads(found.group(1))
    return config


async def test_the_start_screen_speaks_the_browsers_language(
    app: Any, client: httpx.AsyncClient, tenant_a: Tenant, clips: list[bytes]
) -> None:
    content = await ready_content(app, tenant_a, clips, title="Birthday")
    url = f"/ar/{content['unique_id']}"
    english = await client.get(url)  # no Accept-Language: English
    assert '<html lang="en">' in english.text
    assert re.search(r'<button id="start"[^>]*>Start</button>', english.text)
    assert english.headers["vary"] == "Accept-Language"
    assert _config(english)["strings"]["fallback_no-webgl"].endswith("here is the video.")

    russian = await client.get(url, headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.8"})
    assert '<html lang="ru">' in russian.text
    assert re.search(r'<button id="start"[^>]*>Начать</button>', russian.text)
    assert "Наведите камеру на изображение" in russian.text
    assert _config(russian)["lang"] == "ru"
    assert _config(russian)["strings"]["sound_on"] == "Звук включён"
    company = (await tenant_a.admin.get(f"/api/companies/{tenant_a.company_id}")).json()
    assert _config(russian)["company_name"] == company["name"]
    assert f'<p id="company" class="company">{company["name"]}</p>' in russian.text

    # The best quality wins; languages we do not have fall back to English.
    cases = {"en-US,en;q=0.9,ru;q=0.8": "en", "de-DE,ru;q=0.5": "ru", "de-DE,fr": "en",
             "ru;q=0.2,en;q=0.7": "en", "RU": "ru", "ru;q=bad": "en"}  # fmt: skip
    for header, lang in cases.items():
        page = await client.get(url, headers={"Accept-Language": header})
        assert f'<html lang="{lang}">' in page.text, header
    # The pages that say why nothing can be shown speak it too.
    missing = await client.get(
        "/ar/0b7d3c8e-0000-4000-8000-000000000000", headers={"Accept-Language": "ru"}
    )
    assert missing.status_code == 404 and "Здесь ничего нет" in missing.text


IN_APP_AGENTS = {
    "Instagram": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 Instagram 330.0.0.32.104 (iPhone14,5; iOS 17_4; en_US)",
    "Facebook": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/458.0.0.38.108;FBBV/5]",
    "Telegram": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Mobile Safari/537.36 Telegram-Android/10.11.1",
    "WhatsApp": "Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 Chrome/120 Mobile WhatsApp/2",
    "VK": "Mozilla/5.0 (Linux; Android 12) AppleWebKit/537.36 Chrome/118 Mobile VKAndroidApp/8.5",
    "TikTok": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 musical_ly_33.4.0 BytedanceWebview/d8a21c6",
}
SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)


async def test_in_app_browsers_are_offered_a_real_browser(
    app: Any, client: httpx.AsyncClient, tenant_a: Tenant, clips: list[bytes]
) -> None:
    content = await ready_content(app, tenant_a, clips, title="Birthday")
    path = f"/ar/{content['unique_id']}"
    public_url = f"{app.state.settings.public_base_url.rstrip('/')}{path}"
    for name, agent in IN_APP_AGENTS.items():
        page = await client.get(path, headers={"User-Agent": agent})
        assert page.status_code == 200, name
        assert 'data-state="in-app"' in page.text and "viewer-config" not in page.text, name
        assert f"The browser inside {name} cannot use the camera" in page.text
        assert f'value="{public_url}"' in page.text
        assert re.search(r'<button id="copy"[^>]*>Copy link</button>', page.text)
        assert f'href="{path}?browser=here"' in page.text
        nonce = re.search(r"'nonce-([^']+)'", page.headers["content-security-policy"])
        assert nonce is not None and f'<script nonce="{nonce.group(1)}">' in page.text
        # Android: an intent link that opens Chrome itself.
        has_intent = "intent://" in page.text
        assert has_intent == ("Android" in agent), name
    telegram = await client.get(path, headers={"User-Agent": IN_APP_AGENTS["Telegram"]})
    host = public_url.split("://", 1)[1]
    assert f"intent://{host}#Intent;scheme=http;package=com.android.chrome;end" in telegram.text

    russian = await client.get(
        path, headers={"User-Agent": IN_APP_AGENTS["VK"], "Accept-Language": "ru"}
    )
    assert "Встроенный браузер VK не может" in russian.text and "Скопировать ссылку" in russian.text

    # A real browser, or "continue here anyway": the viewer itself.
    for agent, query in ((SAFARI, ""), (IN_APP_AGENTS["Instagram"], "?browser=here")):
        page = await client.get(path + query, headers={"User-Agent": agent})
        assert "viewer-config" in page.text and 'data-state="in-app"' not in page.text
    # A link that shows nothing stays a 404, whatever the browser.
    missing = await client.get("/ar/0b7d3c8e-0000-4000-8000-000000000000",
                               headers={"User-Agent": IN_APP_AGENTS["Instagram"]})  # fmt: skip
    assert missing.status_code == 404


async def test_the_viewers_own_qr_code_is_public(
    app: Any, client: httpx.AsyncClient, tenant_a: Tenant, clips: list[bytes]
) -> None:
    """For a desktop visitor to scan: the PNG decodes to the viewer's public link."""
    content = await ready_content(app, tenant_a, clips, title="Birthday")
    path = f"/ar/{content['unique_id']}"
    page = await client.get(path)
    assert f'data-src="{path}/qr.png"' in page.text
    code = await client.get(f"{path}/qr.png")
    assert code.status_code == 200 and code.headers["content-type"] == "image/png"
    image = cv2.imdecode(np.frombuffer(code.content, np.uint8), cv2.IMREAD_GRAYSCALE)
    assert decode(image) == f"{app.state.settings.public_base_url.rstrip('/')}{path}"
    assert (await client.get("/ar/0b7d3c8e-0000-4000-8000-000000000000/qr.png")).status_code == 404
    await tenant_a.admin.patch(f"/api/ar-content/{content['id']}", json={"active": False})
    assert (await client.get(f"{path}/qr.png")).status_code == 410
