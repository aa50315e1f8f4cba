"""Czech is the first language: every UI string has a Czech translation, compiled and loaded.

Nothing here compares bytes a tool wrote: a new Babel release may change headers, not messages.
"""

from __future__ import annotations

from decimal import Decimal

from babel.messages.pofile import read_po

from selfcare_widget import catalog, i18n


def _po():
    with catalog.PO_FILE.open("rb") as fh:
        return read_po(fh, locale="cs")


def _key(message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def test_every_msgid_in_code_and_templates_is_in_the_catalog():
    in_po = {_key(m) for m in _po() if m.id}
    missing = sorted({_key(m) for m in catalog.extract() if m.id} - in_po)
    assert missing == [], "run `make i18n` and translate these"


def test_no_message_is_untranslated_or_fuzzy():
    untranslated = [
        _key(m)
        for m in _po()
        if m.id and (not m.string or (not isinstance(m.string, str) and not all(m.string)))
    ]
    fuzzy = [_key(m) for m in _po() if m.id and m.fuzzy]
    assert untranslated == []
    assert fuzzy == []


def test_compiled_catalog_carries_every_message_of_the_po():
    translations = i18n.compile_catalog("cs")
    for message in _po():
        if not message.id:
            continue
        if isinstance(message.id, str):
            assert translations.gettext(message.id) == message.string, message.id
        else:
            singular, plural = message.id
            assert translations.ngettext(singular, plural, 1) == message.string[0], singular
            assert translations.ngettext(singular, plural, 5) == message.string[2], singular


def test_the_app_serves_czech_from_the_po_and_english_as_written(app):
    from flask import g
    from flask_babel import gettext

    with app.test_request_context():
        g.locale = "cs"
        assert gettext("Overview") == "Přehled"
    with app.test_request_context():
        g.locale = "en"
        assert gettext("Overview") == "Overview"


def test_money_and_dates_in_czech(app):
    from datetime import date

    from flask import g

    from selfcare_widget.i18n import day, money, msisdn

    with app.test_request_context():
        g.locale = "cs"
        assert money(Decimal("75")) == "75,00\xa0Kč"
        assert day(date(2013, 4, 1)) == "1.4.2013"
        assert msisdn("420602777888") == "+420 602 777 888"
    with app.test_request_context():
        g.locale = "en"
        assert day(date(2013, 4, 1)) == "1 Apr 2013"
