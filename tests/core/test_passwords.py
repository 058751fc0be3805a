"""Password hashes cost what the settings say: strong by default, cheap only in the test suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from argon2 import extract_parameters
from pydantic import ValidationError

from vertex_ar.core.security import configure_password_hashing, hash_password, verify_password
from vertex_ar.core.settings import Settings


@pytest.fixture
def restore_strong_hashing() -> Iterator[None]:
    yield
    configure_password_hashing(Settings(_env_file=None))  # type: ignore[call-arg]


def test_the_default_profile_is_strong() -> None:
    assert Settings(_env_file=None).password_hash_profile == "strong"  # type: ignore[call-arg]


@pytest.mark.parametrize("env", ["production", "development"])
def test_only_the_test_environment_accepts_the_cheap_profile(env: str) -> None:
    with pytest.raises(ValidationError, match="PASSWORD_HASH_PROFILE=cheap is for the test suite"):
        Settings(env=env, password_hash_profile="cheap", secret_key="s" * 40,
                 admin_password="a-real-password", _env_file=None)  # type: ignore[call-arg]  # fmt: skip


@pytest.mark.parametrize(
    ("profile", "memory_kib", "passes", "lanes"),
    [("strong", 65536, 3, 4), ("cheap", 8, 1, 1)],
)
def test_new_hashes_carry_the_profile_cost(
    restore_strong_hashing: None, profile: str, memory_kib: int, passes: int, lanes: int
) -> None:
    settings = Settings(env="test", password_hash_profile=profile, _env_file=None)  # type: ignore[call-arg]
    configure_password_hashing(settings)
    parameters = extract_parameters(hash_password("a password"))
    assert (parameters.memory_cost, parameters.time_cost, parameters.parallelism) == (
        memory_kib, passes, lanes,
    )  # fmt: skip


def test_hashes_of_either_profile_verify_under_the_other(restore_strong_hashing: None) -> None:
    configure_password_hashing(Settings(_env_file=None))  # type: ignore[call-arg]
    strong = hash_password("first password")
    configure_password_hashing(
        Settings(env="test", password_hash_profile="cheap", _env_file=None)  # type: ignore[call-arg]
    )
    cheap = hash_password("second password")
    assert verify_password(strong, "first password")
    assert not verify_password(strong, "second password")
    configure_password_hashing(Settings(_env_file=None))  # type: ignore[call-arg]
    assert verify_password(cheap, "second password")
    assert not verify_password(cheap, "first password")
