"""Call-log filters read numbers and dates the way customers type them (issue 12, bugs 3 and 4)."""

from __future__ import annotations

from datetime import date

import pytest

from selfcare_widget.views.usage_filters import parse

TODAY = date(2026, 3, 15)


@pytest.mark.parametrize(
    ("typed", "searched"),
    [
        ("731", "731"),
        ("+420 731", "731"),
        ("+420731458447", "731458447"),
        ("00420 731 458 447", "731458447"),
        ("420 731 458 447", "731458447"),
        ("731-458-447", "731458447"),
        ("(+420) 731 45", "73145"),
        ("+49 30 1234", "49301234"),
        ("0049 30 1234", "49301234"),
        ("420", "420"),  # a fragment, not a prefix: searched as typed
    ],
)
def test_the_called_number_is_searched_as_stored(typed, searched):
    result = parse({"b": typed}, TODAY)
    assert result.ok, result.errors
    assert result.query.b_number == searched


def test_a_wholly_future_period_says_so_instead_of_contradicting_the_screen():
    result = parse({"from": "1.4.2026", "to": "30.4.2026"}, TODAY)
    assert result.errors == {"from": "from_in_future"}


def test_from_after_to_is_judged_on_the_dates_as_entered():
    result = parse({"from": "10.3.2026", "to": "1.3.2026"}, TODAY)
    assert result.errors == {"from": "from_after_to"}


def test_a_to_date_in_the_future_still_ends_the_period_today():
    result = parse({"from": "1.3.2026", "to": "31.3.2026"}, TODAY)
    assert result.ok
    assert (result.query.date_from, result.query.date_to) == (date(2026, 3, 1), TODAY)
