"""Languages of the admin UI: gettext catalogs (Babel .po files) compiled in memory on first use.

English is the source language (the msgids); the user's pick (a cookie) wins over the browser's
Accept-Language.
"""

from __future__ import annotations

import gettext
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).with_name("locale")
DEFAULT_LOCALE = "en"
LOCALES = {"en": "English", "ru": "Русский"}
LANG_COOKIE = "vertex_lang"


@lru_cache(maxsize=len(LOCALES))
def translations(locale: str) -> gettext.NullTranslations:
    if locale == DEFAULT_LOCALE:
        return gettext.NullTranslations()
    with (LOCALE_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale=locale)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def pick_locale(cookie: str | None, accept_language: str | None) -> str:
    if cookie in LOCALES:
        return cookie
    for tag, _quality in _accepted(accept_language or ""):
        try:
            language = Locale.parse(tag, sep="-").language
        except (ValueError, UnknownLocaleError):
            continue
        if language in LOCALES:
            return language
    return DEFAULT_LOCALE


def _accepted(header: str) -> list[tuple[str, float]]:
    """Accept-Language entries, best first (`ru-RU,ru;q=0.9,en;q=0.8`)."""
    entries = []
    for part in header.split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                continue
        if tag and tag != "*":
            entries.append((tag, quality))
    return sorted(entries, key=lambda entry: -entry[1])
