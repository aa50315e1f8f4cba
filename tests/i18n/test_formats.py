"""Numbers and dates come out exactly as Babel formats them, though patterns are parsed once."""

from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal

from babel.dates import format_datetime, get_timezone
from babel.numbers import format_decimal
from flask import g

from selfcare_widget.i18n import TIME_ZONE, day_time, number

VALUES = [
    0,
    1,
    7,
    999,
    1000,
    1234567,
    -1500,
    Decimal("0.05"),
    Decimal("4.8"),
    Decimal("1024.0"),
    Decimal("12345.678"),
    Decimal("-0.5"),
    2.5,
    1e6,
    Decimal("10.25"),
]


def test_number_is_babels_format_decimal_in_both_languages(app):
    for locale in ("cs", "en"):
        with app.test_request_context("/"):
            g.locale = locale
            for digits in (0, 1, 2):
                pattern = "#,##0" + ("." + "0" * digits if digits else "")
                for value in VALUES:
                    assert number(value, digits) == format_decimal(value, pattern, locale=locale), (
                        locale,
                        value,
                    )


def test_each_request_formats_in_its_own_language(app):
    with app.test_request_context("/"):
        g.locale = "cs"
        assert number(1234567) == "1\xa0234\xa0567"
    with app.test_request_context("/"):
        g.locale = "en"
        assert number(1234567) == "1,234,567"
        assert number(Decimal("4.8"), 1) == "4.8"


def test_day_time_is_babels_format_in_prague_time(app):
    moment = datetime(2026, 3, 29, 0, 30, tzinfo=timezone.utc)  # the night clocks go forward
    for locale, pattern in (("cs", "d.M.yyyy HH:mm"), ("en", "d MMM yyyy HH:mm")):
        with app.test_request_context("/"):
            g.locale = locale
            expected = format_datetime(moment, pattern, tzinfo=get_timezone(TIME_ZONE), locale=locale)
            assert day_time(moment) == expected
    with app.test_request_context("/"):
        g.locale = "cs"
        assert day_time(moment) == "29.3.2026 01:30"
