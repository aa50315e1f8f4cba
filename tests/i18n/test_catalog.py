"""Czech is the first language: every UI string has a Czech translation, compiled and loaded."""

from __future__ import annotations

import io
from decimal import Decimal

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from selfcare_widget import catalog


def test_every_msgid_has_a_czech_translation():
    with catalog.PO_FILE.open("rb") as fh:
        po = read_po(fh, locale="cs")
    translated = {m.id if isinstance(m.id, str) else m.id[0]: m.string for m in po if m.id}
    missing = [m.id for m in catalog.extract() if m.id and not translated.get(m.id)]
    assert missing == [], "run `make i18n` and translate these"


def test_compiled_catalog_is_up_to_date():
    with catalog.PO_FILE.open("rb") as fh:
        po = read_po(fh, locale="cs")
    compiled = io.BytesIO()
    write_mo(compiled, po)
    assert catalog.PO_FILE.with_suffix(".mo").read_bytes() == compiled.getvalue()


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
