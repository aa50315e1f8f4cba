"""Properties of the pure TMF <-> domain mapping (no HTTP)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from selfcare_widget.platform import tmf_mapping as tmf
from selfcare_widget.platform.models import UsageFilter

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 12, 30))


@given(start=days, length=st.integers(min_value=0, max_value=400))
def test_usage_date_bounds_are_prague_midnights_spanning_the_days(start, length):
    end = min(start + timedelta(days=length), date(2099, 12, 31))
    params = tmf.usage_params("c", UsageFilter("sim", start, end))
    gte = datetime.fromisoformat(params["usageDate.gte"])
    lt = datetime.fromisoformat(params["usageDate.lt"])
    for bound, day in ((gte, start), (lt, end + timedelta(days=1))):
        local = bound.astimezone(tmf.PLATFORM_TZ)
        assert (local.date(), local.hour, local.minute) == (day, 0, 0)
    # Whole days, give or take the hour daylight saving time adds or removes.
    hours = (lt - gte).total_seconds() / 3600
    assert abs(hours - 24 * ((end - start).days + 1)) <= 1


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False))
def test_money_is_exact(amount):
    assert tmf.money({"unit": "CZK", "value": amount}) == amount
    assert tmf.money({"unit": "CZK", "value": str(amount)}) == amount


def test_money_from_float_keeps_its_decimal_text():
    assert tmf.money({"unit": "CZK", "value": 0.1}) == Decimal("0.1")


@pytest.mark.parametrize("bad", [None, True, "abc", "NaN", "Infinity", [], {}])
def test_money_rejects_non_numbers(bad):
    with pytest.raises((TypeError, ValueError)):
        tmf.money({"unit": "CZK", "value": bad})


@pytest.mark.parametrize(
    ("end", "last_day"),
    [
        ("2026-03-31T23:59:59+02:00", date(2026, 3, 31)),
        ("2026-04-01T00:00:00+02:00", date(2026, 3, 31)),  # exclusive end
        ("2026-03-31T22:00:00Z", date(2026, 3, 31)),  # = next midnight in Prague, exclusive
        ("2026-03-31", date(2026, 3, 31)),
    ],
)
def test_billing_period_end(end, last_day):
    assert tmf.period_end_date(end) == last_day


def test_usage_time_in_prague_from_utc():
    assert tmf.local_datetime("2026-07-01T10:00:00Z").isoformat() == "2026-07-01T12:00:00+02:00"


def test_b_number_filter_keeps_digits_only():
    flt = UsageFilter("sim", date(2026, 1, 1), date(2026, 1, 2), b_number="+420 777-12")
    assert tmf.usage_params("c", flt)["destinationNumber.contains"] == "42077712"
    assert "destinationNumber.contains" not in tmf.usage_params(
        "c", UsageFilter("s", flt.date_from, flt.date_to, b_number="+ -")
    )


# --- what other conformant servers send (issue 10, item 6) ----------------------------------------


@pytest.mark.parametrize(
    ("raw", "utc"),
    [
        ("2026-03-29T00:30:00Z", "2026-03-29T00:30:00+00:00"),
        ("2026-03-29T00:30:00z", "2026-03-29T00:30:00+00:00"),  # RFC 3339 allows lowercase
        ("2026-03-29T01:30:00+01:00", "2026-03-29T00:30:00+00:00"),
        ("2026-03-29T01:30:00+0100", "2026-03-29T00:30:00+00:00"),
        ("2026-03-29t00:30:00.123456789Z", "2026-03-29T00:30:00.123456+00:00"),  # nanoseconds
        ("2026-03-29T00:30Z", "2026-03-29T00:30:00+00:00"),
    ],
)
def test_date_times_in_every_form_the_specs_allow(raw, utc):
    from datetime import timezone

    assert tmf.aware_datetime(raw).astimezone(timezone.utc).isoformat() == utc


@pytest.mark.parametrize("bad", ["", "yesterday", "2026-13-01T00:00:00Z", "2026-03-29T00:30:00+2"])
def test_malformed_date_times_are_refused(bad):
    with pytest.raises((TypeError, ValueError)):
        tmf.aware_datetime(bad)


@pytest.mark.parametrize(
    ("end", "last_day"),
    [
        ("2026-04-01T00:00:00Z", date(2026, 3, 31)),  # UTC midnight: exclusive, not "1.4."
        ("2026-04-01T00:00:00+01:00", date(2026, 3, 31)),
        ("2026-03-31T23:59:59.999Z", date(2026, 4, 1)),  # 01:59 on 1.4. in Prague: that day
    ],
)
def test_a_billing_period_ending_at_midnight_in_any_offset_ends_the_day_before(end, last_day):
    assert tmf.period_end_date(end) == last_day


SIM_PRODUCT = {
    "id": "p1",
    "status": "active",
    "href": "https://other-host.example.net/tmf-api/productInventory/v4/product/p1",  # absolute, elsewhere
    "productOffering": {"id": "tariff-start", "name": "Start", "href": "https://x.example/po/1"},
    "productCharacteristic": [
        {"name": "msisdn", "valueType": "number", "value": 420601234567},  # numeric
        {"name": "iccid", "value": 8942001234567890123},
    ],
    "relatedParty": [{"id": "c1", "role": "Customer", "@referredType": "Individual"}],
    "x-vendorExtension": {"anything": [1, 2, 3]},  # unknown fields are ignored
}


def test_a_numeric_msisdn_an_absolute_href_and_unknown_fields_are_read():
    sim = tmf.sim(SIM_PRODUCT)
    assert (sim.msisdn, sim.iccid, sim.tariff.offering_id) == (
        "420601234567",
        "8942001234567890123",
        "tariff-start",
    )


def test_party_roles_and_codes_are_compared_case_insensitively():
    assert tmf.owner_customer_id(SIM_PRODUCT) == "c1"  # role "Customer"
    customer = tmf.customer(
        {"id": "c1", "name": "Jan", "relatedParty": [{"id": "demo-mobil", "role": "MVNO"}]}
    )
    assert customer.partner_id == "demo-mobil"
    offering = {
        "id": "o1",
        "lifecycleStatus": "launched",
        "category": [{"id": "addon"}],
    }
    assert tmf.is_launched_addon(offering)
