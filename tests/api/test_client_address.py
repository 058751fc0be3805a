"""Per-IP limits and analytics key on the real client address (issue 10): `X-Forwarded-For` is
believed only from the proxy's own address (FORWARDED_ALLOW_IPS; the app applies it, every
launcher switches uvicorn's own handling off), so a client cannot name itself someone else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from ipaddress import ip_address, ip_network
from pathlib import Path

import httpx
import pytest
import yaml
from fastapi import FastAPI

from tests.support.content import client_from
from vertex_ar.app import create_app
from vertex_ar.core.settings import Settings

PROXY = "10.20.0.5"
PATH = "/api/ar/no-such-print/active-video"  # rate-limited per client before the 404


@pytest.fixture
async def small_bucket(settings: Settings) -> AsyncIterator[FastAPI]:
    update = {"viewer_rate_burst": 3, "viewer_rate_per_minute": 1, "forwarded_allow_ips": PROXY}
    app = create_app(settings.model_copy(update=update))
    async with app.router.lifespan_context(app):
        yield app


async def _statuses(viewer: httpx.AsyncClient, spoofed: list[str]) -> list[int]:
    return [(await viewer.get(PATH, headers={"X-Forwarded-For": ip})).status_code for ip in spoofed]


async def test_a_spoofed_forwarded_for_from_a_client_is_ignored(small_bucket: FastAPI) -> None:
    async with client_from(small_bucket, "198.51.100.7") as attacker:
        seen = await _statuses(attacker, [f"203.0.113.{n}" for n in range(6)])
    assert seen == [404, 404, 404, 429, 429, 429]  # one client, whatever it claims


async def test_the_proxys_forwarded_for_names_the_client(small_bucket: FastAPI) -> None:
    async with client_from(small_bucket, PROXY) as proxy:
        many = await _statuses(proxy, [f"203.0.113.{n}" for n in range(6)])
        one = await _statuses(proxy, ["192.0.2.9"] * 5)
    assert many == [404] * 6  # six visitors behind the proxy, each with its own bucket
    assert one == [404, 404, 404, 429, 429]


def test_forwarded_allow_ips_takes_addresses_and_networks_only() -> None:
    assert Settings(forwarded_allow_ips="10.0.0.0/8, ::1", _env_file=None)  # type: ignore[call-arg]
    with pytest.raises(ValueError, match="FORWARDED_ALLOW_IPS"):
        Settings(forwarded_allow_ips="*", _env_file=None)  # type: ignore[call-arg]


ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    ("launcher", "switch_off"),
    [
        ("Dockerfile", '"--no-proxy-headers"'),
        ("docker-compose.override.yml", "--no-proxy-headers"),
        ("deploy/stack.py", '"--no-proxy-headers"'),
        ("src/vertex_ar/cli.py", "proxy_headers=False"),
    ],
)
def test_no_launcher_lets_uvicorn_trust_forwarded_headers(launcher: str, switch_off: str) -> None:
    """uvicorn would rewrite the client from X-Forwarded-For before the app sees it (with
    `--forwarded-allow-ips "*"`, from anyone): each launcher leaves that to the app."""
    text = (ROOT / launcher).read_text()
    assert "--forwarded-allow-ips" not in text
    assert switch_off in text


def test_compose_trusts_nginx_only() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services, network = compose["services"], compose["networks"]["vertex-ar-network"]
    nginx_address = services["nginx"]["networks"]["vertex-ar-network"]["ipv4_address"]
    assert services["app"]["environment"]["FORWARDED_ALLOW_IPS"] == nginx_address
    subnet = network["ipam"]["config"][0]["subnet"]
    assert ip_address(_default(nginx_address)) in ip_network(_default(subnet))


def _default(value: str) -> str:
    """`${NAME:-default}` as Compose reads it with NAME unset."""
    return value.split(":-", 1)[1].rstrip("}") if value.startswith("${") else value
