"""Password policy: long enough and not one of the most common passwords.

The common passwords are zxcvbn's list (the 30 000 most frequent passwords of public leaks,
lower-cased), a declared dependency; a password is refused when it, lower-cased, is on the list,
also after dropping trailing digits and symbols ("Password1!" is "password").
"""

from __future__ import annotations

import re
from functools import cache

from zxcvbn.frequency_lists import FREQUENCY_LISTS  # type: ignore[import-untyped]  # no stubs

MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
_TRAILING_DIGITS_AND_SYMBOLS = re.compile(r"[\d\W_]+$")


@cache
def _common_passwords() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str) -> str | None:
    """Why this password may not be used, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"the password needs at least {MIN_PASSWORD_LENGTH} characters"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"the password may have at most {MAX_PASSWORD_LENGTH} characters"
    lowered = password.lower()
    stem = _TRAILING_DIGITS_AND_SYMBOLS.sub("", lowered)
    common = _common_passwords()
    if lowered in common or (stem and stem in common) or len(set(lowered)) < 3:
        return "the password is too common; choose a longer, less guessable one"
    return None


def check_password(password: str) -> str:
    """A pydantic validator: the password, or ValueError with the reason."""
    if (problem := password_problem(password)) is not None:
        raise ValueError(problem)
    return password
