"""Unit tests of the call-log filter parsing (pure, no app)."""

from __future__ import annotations

from datetime import date

import pytest

from selfcare_widget.platform.models import UsageKind
from selfcare_widget.views.usage_filters import MESSAGES, PAGE_SIZE, months_back, parse, parse_day

TODAY = date(2026, 3, 17)


def test_empty_form_is_the_current_billing_month():
    result = parse({}, TODAY)
    assert result.ok and not result.errors
    q = result.query
    assert (q.date_from, q.date_to, q.type, q.b_number, q.page) == (date(2026, 3, 1), TODAY, "all", "", 1)
    assert q.offset == 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-02-03", date(2026, 2, 3)),
        ("3.2.2026", date(2026, 2, 3)),
        ("03.02.2026", date(2026, 2, 3)),
        ("3. 2. 2026", date(2026, 2, 3)),
        (" 2026-2-3 ", date(2026, 2, 3)),
    ],
)
def test_iso_and_czech_dates(text, expected):
    assert parse_day(text) == expected


@pytest.mark.parametrize(
    "text", ["nonsense", "31.2.2026", "2026-13-01", "1/2/2026", "2026-02-03T00:00", "3.2.26"]
)
def test_nonsense_dates_raise(text):
    with pytest.raises(ValueError):
        parse_day(text)


def test_filters_map_to_the_port_filter():
    result = parse(
        {"from": "1.2.2026", "to": "2026-02-28", "type": "sms", "b": "+420 602-777", "page": "3"}, TODAY
    )
    q = result.query
    assert q.b_number == "602777"  # Czech numbers are stored without +420
    assert q.page == 3 and q.offset == 2 * PAGE_SIZE
    flt = q.usage_filter("prod-1")
    assert flt.sim_product_id == "prod-1" and flt.kinds == (UsageKind.SMS,)
    assert (flt.date_from, flt.date_to, flt.b_number) == (date(2026, 2, 1), date(2026, 2, 28), "602777")
    assert q.values("prod-1") == {
        "sim": "prod-1",
        "from": "2026-02-01",
        "to": "2026-02-28",
        "type": "sms",
        "b": "602777",
        "size": "50",
    }
    assert parse({"type": "all"}, TODAY).query.usage_filter("p").kinds == ()


def test_empty_from_is_first_of_to_month():
    assert parse({"to": "15.1.2026"}, TODAY).query.date_from == date(2026, 1, 1)


def test_future_to_is_clamped_to_today():
    q = parse({"from": "2026-03-01", "to": "2026-03-31"}, TODAY).query
    assert q.date_to == TODAY


@pytest.mark.parametrize("page", ["0", "-3", "x", "", "1.5"])
def test_bad_page_means_first_page(page):
    assert parse({"page": page}, TODAY).query.page == 1


@pytest.mark.parametrize(
    ("form", "field", "key"),
    [
        ({"from": "nonsense"}, "from", "date_invalid"),
        ({"to": "32.1.2026"}, "to", "date_nonexistent"),  # a date's shape, but no such day
        ({"to": "1/2/2026"}, "to", "date_invalid"),  # ambiguous (1 Feb or 2 Jan?): not accepted
        ({"from": "1.1.1999", "to": "1.2.1999"}, "from", "date_too_old"),
        ({"from": "10.3.2026", "to": "1.3.2026"}, "from", "from_after_to"),
        ({"from": "2026-04-01"}, "from", "from_in_future"),  # no usage can exist yet
        ({"from": "16.3.2025", "to": "16.3.2026"}, "from", "range_too_long"),
        ({"type": "premium"}, "type", "type_invalid"),
        ({"b": '"><img src=x onerror=alert(1)>'}, "b", "b_number_invalid"),
        ({"b": "1" * 21}, "b", "b_number_too_long"),
    ],
)
def test_invalid_inputs_give_a_field_message_key(form, field, key):
    result = parse(form, TODAY)
    assert not result.ok
    assert result.errors[field] == key
    assert key in MESSAGES
    for name, value in form.items():
        assert result.raw[name] == value  # inputs preserved for re-rendering


def test_exactly_twelve_months_is_allowed():
    assert parse({"from": "17.3.2025", "to": "16.3.2026"}, TODAY).ok
    assert parse({"from": "1.1.2025", "to": "31.12.2025"}, TODAY).ok
    assert not parse({"from": "31.12.2024", "to": "31.12.2025"}, TODAY).ok


def test_several_errors_are_reported_together():
    result = parse({"from": "x", "to": "y", "type": "z", "b": "abc"}, TODAY)
    assert result.errors == {
        "from": "date_invalid",
        "to": "date_invalid",
        "type": "type_invalid",
        "b": "b_number_invalid",
    }


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 3, 31), 1, date(2026, 2, 28)),
        (date(2024, 3, 31), 1, date(2024, 2, 29)),
        (date(2026, 1, 15), 12, date(2025, 1, 15)),
        (date(2026, 1, 15), 1, date(2025, 12, 15)),
    ],
)
def test_months_back(day, months, expected):
    assert months_back(day, months) == expected
