"""Property tests over the OpenAPI schema (schemathesis): requests generated from every operation's
schema, valid and invalid, sent as every role (anonymous, a company admin, the superadmin), against
real data; no answer may be a 5xx.

Bounded: a few examples per operation, role and mode (a few hundred requests a backend). Cases
are drawn by Hypothesis, then sent by the test's own client, so they run inside the app's event
loop and against the backend fixture's database.
"""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

import httpx
import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from tests.support.api import Api
from tests.support.backends import Backend
from tests.support.content import make_content
from tests.support.tenants import Tenant
from vertex_ar.core.settings import Settings

EXAMPLES = {"sqlite": 2, "postgresql": 1}  # per operation, role and generation mode


@pytest.fixture
def offline_settings(settings: Settings) -> Settings:
    """Generated storage connections and OAuth calls fail fast on a closed loopback port
    instead of waiting on the network."""
    settings.storage_timeout_seconds = 2
    settings.yandex_disk_api_url = "http://127.0.0.1:9"
    settings.yandex_oauth_url = "http://127.0.0.1:9"
    return settings


def draw_cases(operation: Any, mode: GenerationMode, count: int) -> list[Any]:
    cases: list[Any] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @hypothesis_settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def collect(case: Any) -> None:
        cases.append(case)

    try:
        collect()
    except Unsatisfiable:  # nothing to make invalid (an operation without parameters or body)
        assert mode is GenerationMode.NEGATIVE
    return cases[:count]


def request_kwargs(case: Any, headers: dict[str, str]) -> dict[str, Any]:
    kwargs = case.as_transport_kwargs(base_url="http://testserver")
    kwargs["headers"] = {**kwargs.get("headers", {}), **headers}
    kwargs.pop("cookies", None)
    if isinstance(kwargs.get("data"), bytes | str):
        kwargs["content"] = kwargs.pop("data")
    if kwargs.get("files"):  # httpx sends only text or bytes as a part: numbers as their text
        kwargs["files"] = [
            (name, (part[0], part[1] if isinstance(part[1], bytes | str) else str(part[1])))
            for name, part in kwargs["files"]
        ]
    return dict(kwargs)


# The app's own 503s: a missing dependency or configuration, and a print whose marker or video is
# not ready yet (the viewer's documented answer while the worker compiles).
DELIBERATE_503 = {"service_unavailable", "not_ready"}


def is_server_error(answer: httpx.Response) -> bool:
    """A 5xx, except the app's own deliberate 503s."""
    if answer.status_code == 503:
        return answer.json().get("error", {}).get("code") not in DELIBERATE_503
    return answer.status_code >= 500


async def test_no_generated_request_gets_a_5xx(
    offline_settings: Settings,
    backend: Backend,
    app: FastAPI,
    superadmin: Api,
    tenant_a: Tenant,
    tenant_b: Tenant,
    mp4_bytes: bytes,
) -> None:
    content = await make_content(tenant_a, [mp4_bytes])
    real_ids = {
        "company_id": tenant_a.company_id,
        "project_id": tenant_a.project_id,
        "content_id": content["id"],
        "video_id": content["videos"][0]["id"],
        "unique_id": content["unique_id"],
    }
    roles = {
        "anonymous": {},
        "company_admin": tenant_a.admin.headers,
        "other_company_admin": tenant_b.admin.headers,
        "superadmin": superadmin.headers,
    }
    schema = schemathesis.openapi.from_dict(app.openapi())
    operations = [result.ok() for result in schema.get_all_operations()]
    # Logging out ends the role's token: that operation goes last, so every other one is sent
    # with tokens that still work.
    operations.sort(key=lambda operation: operation.path == "/api/auth/logout")
    count = EXAMPLES[backend.name]
    sent: Counter[int] = Counter()
    failures: list[str] = []
    alternate = itertools.cycle([True, False])
    # An exception escaping the app is answered 500 as a server would, not raised into the test.
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            cases = draw_cases(operation, mode, count)
            for (role, headers), case in itertools.product(roles.items(), cases):
                if next(alternate):  # half the cases name rows that exist
                    for name in case.path_parameters or {}:
                        if name in real_ids:
                            case.path_parameters[name] = real_ids[name]
                kwargs = request_kwargs(case, headers)
                answer = await client.request(**kwargs)
                sent[answer.status_code] += 1
                if is_server_error(answer):
                    failures.append(
                        f"{role} {mode.value} -> {answer.status_code}: {answer.text[:200]}\n"
                        f"    {str({**kwargs, 'headers': None})[:600]}"
                    )
    await client.aclose()
    print(
        f"{sum(sent.values())} requests on {backend.name}, by status: {dict(sorted(sent.items()))}"
    )
    assert sum(sent.values()) >= len(operations) * len(roles)
    assert not failures, "\n".join(failures)
