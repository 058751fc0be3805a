"""`.env.example` documents every setting the code reads, and nothing else but Compose's variables;
the README states the same defaults as the code.

A field added to Settings without a line here fails this test, naming the field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import TypeAdapter

from tests.support import backends
from vertex_ar.core.settings import DEV_ADMIN_PASSWORD, Settings
from vertex_ar.markers import DEFAULT_MAX_SIDE

REPO = Path(__file__).parents[2]
ENTRY = re.compile(r"^(?P<commented>#)?(?P<name>[A-Z][A-Z0-9_]*)=(?P<value>.*)$")
COMPOSE_VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)")
# "`NAME` (default `value` ...)" or "`NAME` (default empty ...)", the README's one way to say it.
README_DEFAULT = re.compile(r"`(?P<name>[A-Z][A-Z0-9_]*)`\s+\(default\b(?P<rest>[^)]*)\)")
README_VALUE = re.compile(r"\s+(?:`(?P<value>[^`]*)`|(?P<empty>empty))")


@dataclass(frozen=True)
class Entry:
    name: str
    value: str
    commented: bool
    documented: bool  # a `# ...` prose line right above


def _entries() -> list[Entry]:
    lines = (REPO / ".env.example").read_text().splitlines()
    entries = []
    for i, line in enumerate(lines):
        match = ENTRY.match(line)
        if match is None:
            assert not line or line.startswith("# ") or line == "#", f"unreadable line: {line!r}"
            continue
        above = lines[i - 1] if i else ""
        entries.append(
            Entry(match["name"], match["value"], bool(match["commented"]), above.startswith("# "))
        )
    return entries


def _settings_env() -> dict[str, str]:
    """Environment name -> field name, as pydantic-settings reads them (no prefix)."""
    assert not Settings.model_config.get("env_prefix")
    return {(field.alias or name).upper(): name for name, field in Settings.model_fields.items()}


def _compose_variables() -> set[str]:
    text = "".join(
        (REPO / name).read_text() for name in ("docker-compose.yml", "docker-compose.override.yml")
    )
    return set(COMPOSE_VARIABLE.findall(text))


def test_every_setting_is_listed_once_and_documented() -> None:
    entries = _entries()
    names = [e.name for e in entries]
    duplicates = {n for n in names if names.count(n) > 1}
    assert not duplicates, duplicates
    missing = set(_settings_env()) - set(names)
    assert not missing, f"add these settings to .env.example: {sorted(missing)}"
    undocumented = [e.name for e in entries if not e.documented]
    assert not undocumented, f"give these a `# comment` line above: {undocumented}"


def test_every_other_entry_is_a_compose_variable_and_vice_versa() -> None:
    names = {e.name for e in _entries()}
    compose = _compose_variables()
    extra = names - set(_settings_env()) - compose
    assert not extra, f"listed but read by neither the app nor compose: {sorted(extra)}"
    assert compose <= names, f"compose variables missing: {sorted(compose - names)}"


def test_shown_defaults_are_the_real_defaults() -> None:
    """`#NAME=value` promises the default; it must be what the app uses when NAME is unset."""
    fields = Settings.model_fields
    env = _settings_env()
    for entry in _entries():
        if not entry.commented or entry.name not in env:
            continue
        field = fields[env[entry.name]]
        assert field.annotation is not None, entry.name
        parsed = TypeAdapter(field.annotation).validate_python(entry.value)
        assert parsed == field.default, (
            f"{entry.name}: shows {entry.value!r}, default {field.default!r}"
        )


def test_compose_defaults_shown_match_the_compose_file() -> None:
    text = (REPO / "docker-compose.yml").read_text()
    defaults = dict(re.findall(r"\$\{([A-Z0-9_]+):-([^}]*)\}", text))
    for entry in _entries():
        if entry.name in defaults and entry.value:
            assert entry.value == defaults[entry.name], entry.name


SECRETS = ["SECRET_KEY", "ADMIN_PASSWORD", "POSTGRES_PASSWORD", "REDIS_PASSWORD",
           "MINIO_ROOT_PASSWORD", "GRAFANA_ADMIN_PASSWORD"]  # fmt: skip


@pytest.mark.parametrize("name", SECRETS)
def test_secrets_are_left_empty(name: str) -> None:
    (entry,) = [e for e in _entries() if e.name == name]
    assert (entry.commented, entry.value) == (False, ""), name


def _default_of(name: str) -> object:
    """What the code (Settings), `.env.example` (Compose), the image (Dockerfile) or the test
    suite (TEST_*) defaults to."""
    if name.startswith("TEST_"):
        return getattr(backends, f"DEFAULT_{name}")
    env = _settings_env()
    if name in env:
        return Settings.model_fields[env[name]].default
    entries = {e.name: e.value for e in _entries()}
    if name in entries:
        return entries[name]
    image = dict(re.findall(r"\b([A-Z][A-Z0-9_]*)=(\S+)", (REPO / "Dockerfile").read_text()))
    assert name in image, f"README states a default for {name}, which nothing defines"
    return image[name]


def _readme_defaults() -> list[tuple[str, str]]:
    text = " ".join((REPO / "README.md").read_text().split())  # claims may wrap lines
    claims = []
    for match in README_DEFAULT.finditer(text):
        value = README_VALUE.match(match["rest"])
        assert value, f"README: write the default of {match['name']} as (default `value` ...)"
        claims.append((match["name"], value["value"] or ""))
    return claims


def test_readme_states_the_real_defaults() -> None:
    claims = _readme_defaults()
    assert {"DATABASE_URL", "PUBLIC_BASE_URL", "MARKER_MAX_SIDE"} <= {name for name, _ in claims}
    for name, shown in claims:
        default = _default_of(name)
        parsed = TypeAdapter(type(default)).validate_python(shown)
        assert parsed == default, f"README: {name} shows {shown!r}, default {default!r}"


def test_the_marker_side_setting_defaults_to_the_benchmarked_compiler_default() -> None:
    assert Settings.model_fields["marker_max_side"].default == DEFAULT_MAX_SIDE


def test_the_readme_walk_through_uses_the_default_address_and_admin() -> None:
    text = (REPO / "README.md").read_text()
    address = re.search(r"^B=(\S+)$", text, re.M)
    login = re.search(r'"email":"([^"]+)","password":"([^"]+)"', text)
    assert address is not None and login is not None
    assert address[1] == Settings.model_fields["public_base_url"].default
    assert login.groups() == (Settings.model_fields["admin_email"].default, DEV_ADMIN_PASSWORD)
