"""The Russian catalog covers every message of the admin UI, with the same placeholders."""

from __future__ import annotations

import re

from babel.messages.extract import extract_from_dir

from vertex_ar.admin import i18n

ADMIN = i18n.LOCALE_DIR.parent
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2)}
PLACEHOLDER = re.compile(r"%\(\w+\)[ds]")


def test_every_message_has_a_russian_translation() -> None:
    russian = i18n.translations("ru")
    messages = list(extract_from_dir(ADMIN, METHODS, OPTIONS, KEYWORDS))
    assert len(messages) > 150
    untranslated = []
    for _file, _line, message, _comments, _context in messages:
        if isinstance(message, tuple):
            singular, plural = message[0], message[1]
            forms = [russian.ngettext(singular, plural, n) for n in (1, 3, 5)]
            if singular in forms or plural in forms[1:]:
                untranslated.append(singular)
            source = singular
        else:
            forms = [russian.gettext(message)]
            if forms[0] == message and message not in ("Email",):
                untranslated.append(message)
            source = message
        for form in forms:
            assert sorted(PLACEHOLDER.findall(form)) == sorted(PLACEHOLDER.findall(source)), form
    assert not untranslated


def test_locale_choice() -> None:
    assert i18n.pick_locale(None, "ru-RU,ru;q=0.9,en-US;q=0.8") == "ru"
    assert i18n.pick_locale(None, "de-DE,de;q=0.9,ru;q=0.5") == "ru"
    assert i18n.pick_locale(None, "de-DE,fr;q=0.9") == "en"
    assert i18n.pick_locale(None, "en;q=0.2,ru;q=0.9") == "ru"
    assert i18n.pick_locale("en", "ru") == "en"
    assert i18n.pick_locale("xx", "ru") == "ru"
    assert i18n.pick_locale(None, None) == "en"
    assert i18n.pick_locale(None, "*;q=0.5,garbage;;;q=x") == "en"
