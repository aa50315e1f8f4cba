"""Contract tests: TmfPlatform against the real sandbox platform over HTTP, every port method.

The sandbox database is shared by the whole test session, so tests that change data use
generated (non-demo) customers or undo their change, and never touch the fixed demo customers'
state that other tests rely on.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest

from selfcare_widget.platform.errors import NotFound, Rejected, Unavailable
from selfcare_widget.platform.models import BucketKind, UsageFilter, UsageKind
from selfcare_widget.platform.tmf import TmfPlatform, TmfSettings
from tests.support import PLATFORM_CREDENTIAL, require

seed = pytest.importorskip("selfcare_widget.sandbox.seed")
import selfcare_widget.sandbox as sandbox  # noqa: E402

JAN = seed.DEMO_CUSTOMERS["cust-0001"]
HEAVY = seed.DEMO_CUSTOMERS[seed.HEAVY_CUSTOMER_ID]
OTHER_PARTNER = seed.DEMO_CUSTOMERS["cust-0003"]
BLOCKED = seed.DEMO_CUSTOMERS["cust-0004"]
PREPAID = seed.DEMO_CUSTOMERS["cust-0005"]
#: Generated customers, not used by fixed demo scenarios: safe to change.
SCRATCH_ORDER, SCRATCH_CONTACT, SCRATCH_SETTINGS = "cust-0040", "cust-0041", "cust-0042"


@pytest.fixture(scope="module")
def platform(request) -> Iterator[TmfPlatform]:
    """The real client against the real sandbox."""
    # The sandbox lands in parts; until its app exists these tests skip locally (and fail in CI).
    require(hasattr(sandbox, "create_sandbox_app"), "selfcare_widget.sandbox.create_sandbox_app")
    sandbox_url = request.getfixturevalue("sandbox_url")
    with TmfPlatform(TmfSettings(base_url=sandbox_url, credential=PLATFORM_CREDENTIAL)) as client:
        yield client


@pytest.fixture(scope="module")
def heavy_filter(platform) -> UsageFilter:
    """The heavy subscriber's SIM over the whole 3-month usage window of the seed."""
    (sim,) = platform.list_sims(HEAVY.id)
    today = date.today()
    return UsageFilter(sim.product_id, today - timedelta(days=seed.USAGE_DAYS), today)


# ---------------------------------------------------------------- customer and contact


def test_get_customer(platform):
    customer = platform.get_customer(JAN.id)
    assert (customer.id, customer.name, customer.partner_id) == (JAN.id, JAN.name, JAN.partner_id)
    assert customer.contact.email == JAN.email
    assert customer.contact.phone == "+" + JAN.sims[0].msisdn
    assert customer.contact.city and customer.contact.postal_code
    assert customer.billing_account_ids


def test_get_customer_unknown_is_not_found(platform):
    with pytest.raises(NotFound):
        platform.get_customer("cust-9999")


def test_update_contact_round_trip(platform):
    before = platform.get_customer(SCRATCH_CONTACT).contact
    changed = type(before)(**{**before.__dict__, "email": "nova.adresa@example.cz", "city": "Brno"})
    try:
        after = platform.update_contact(SCRATCH_CONTACT, changed, {"email", "city"})
        assert after.contact.email == "nova.adresa@example.cz"
        assert after.contact.city == "Brno"
        assert after.contact.phone == before.phone  # untouched medium type kept
        assert platform.get_customer(SCRATCH_CONTACT).contact == after.contact
    finally:
        platform.update_contact(SCRATCH_CONTACT, before, {"email", "city"})
    assert platform.get_customer(SCRATCH_CONTACT).contact == before


def test_update_contact_invalid_is_rejected(platform):
    contact = platform.get_customer(SCRATCH_CONTACT).contact
    bad = type(contact)(**{**contact.__dict__, "email": "not-an-address"})
    with pytest.raises(Rejected) as caught:
        platform.update_contact(SCRATCH_CONTACT, bad, {"email"})
    assert caught.value.code == "invalidContact"
    assert platform.get_customer(SCRATCH_CONTACT).contact == contact


# ---------------------------------------------------------------- SIMs, packages, settings


def test_list_sims(platform):
    sims = platform.list_sims(JAN.id)
    assert sorted(s.msisdn for s in sims) == sorted(s.msisdn for s in JAN.sims)
    for sim in sims:
        assert sim.tariff.offering_id == "tariff-pohoda" and sim.tariff.name
        assert sim.service_id and sim.resource_id and sim.billing_account_id
        assert sim.state == "active"
        assert sim.start_date is not None and sim.start_date <= date.today()


def test_list_packages(platform):
    packages = platform.list_packages(JAN.id)
    first_sim = next(s for s in platform.list_sims(JAN.id) if s.msisdn == JAN.sims[0].msisdn)
    on_first = [p for p in packages if p.sim_product_id == first_sim.product_id]
    offered = sorted(p.offering_id for p in on_first)
    for offering_id, _day in seed.SHEET_PACKAGES:
        assert offering_id in offered
    assert all(p.price > 0 and p.name and p.active_from for p in packages)


def test_list_sim_settings_and_blocked_sim(platform):
    settings = {s.sim_blocked for s in platform.list_sim_settings(BLOCKED.id)}
    assert settings == {True, False}


def test_settings_change_on_blocked_sim_is_rejected(platform):
    blocked = next(s for s in platform.list_sim_settings(BLOCKED.id) if s.sim_blocked)
    with pytest.raises(Rejected) as caught:
        platform.update_sim_settings(blocked.service_id, {"roaming_enabled": not blocked.roaming_enabled})
    assert caught.value.code == "simBlocked"
    with pytest.raises(Rejected) as caught:
        platform.update_sim_settings(blocked.service_id, {"sim_blocked": False})
    assert caught.value.code == "unblockNotAllowed"


def test_settings_change_round_trip(platform):
    service = platform.list_sim_settings(SCRATCH_SETTINGS)[0]
    flipped = platform.update_sim_settings(
        service.service_id, {"roaming_enabled": not service.roaming_enabled}
    )
    assert flipped.roaming_enabled is not service.roaming_enabled
    assert flipped.data_enabled is service.data_enabled
    restored = platform.update_sim_settings(service.service_id, {"roaming_enabled": service.roaming_enabled})
    assert restored == service


def test_get_sim_card(platform):
    sims = platform.list_sims(BLOCKED.id)
    cards = {s.msisdn: platform.get_sim_card(s.resource_id) for s in sims}
    for demo_sim in BLOCKED.sims:
        card = cards[demo_sim.msisdn]
        assert card.iccid == demo_sim.iccid
        assert (card.state == "suspended") is demo_sim.blocked


def test_get_sim_card_unknown_is_not_found(platform):
    with pytest.raises(NotFound):
        platform.get_sim_card("sim-nope")


def test_find_customer_by_msisdn(platform):
    assert platform.find_customer_by_msisdn(JAN.sims[1].msisdn) == JAN.id
    assert platform.find_customer_by_msisdn(OTHER_PARTNER.sims[0].msisdn) == OTHER_PARTNER.id
    with pytest.raises(NotFound):
        platform.find_customer_by_msisdn("420999000111")


# ---------------------------------------------------------------- catalog and ordering


def test_list_package_offers(platform):
    offers = {o.offering_id: o for o in platform.list_package_offers("tariff-pohoda")}
    assert "addon-50sms" in offers and "addon-200min" in offers
    assert "addon-50min" not in offers  # only for Start
    assert "addon-100sms-retired" not in offers  # retired
    assert offers["addon-50sms"].price == Decimal("75")
    assert all("tariff-pohoda" in o.tariff_offering_ids and o.description for o in offers.values())


def test_order_package_is_idempotent(platform):
    sim = platform.list_sims(SCRATCH_ORDER)[0]
    offer = platform.list_package_offers(sim.tariff.offering_id)[0]
    key = uuid.uuid4().hex
    first = platform.order_package(SCRATCH_ORDER, sim.product_id, offer.offering_id, key)
    again = platform.order_package(SCRATCH_ORDER, sim.product_id, offer.offering_id, key)
    assert first.created and not again.created
    assert again.id == first.id
    assert (first.external_id, first.offering_id, first.sim_product_id) == (
        key,
        offer.offering_id,
        sim.product_id,
    )
    assert first.state == "completed"
    ordered = [p for p in platform.list_packages(SCRATCH_ORDER) if p.offering_id == offer.offering_id]
    assert ordered  # in the inventory at once
    granted = [b for b in platform.list_buckets([sim.product_id]) if b.package_product_id]
    assert {p.product_id for p in ordered} & {b.package_product_id for b in granted}


def test_order_not_allowed_for_tariff_is_rejected(platform):
    sim = next(s for s in platform.list_sims(JAN.id))
    with pytest.raises(Rejected) as caught:
        platform.order_package(JAN.id, sim.product_id, "addon-50min", uuid.uuid4().hex)
    assert caught.value.code == "offeringNotAllowed"


def test_order_on_blocked_sim_is_rejected(platform):
    blocked_msisdn = next(s.msisdn for s in BLOCKED.sims if s.blocked)
    sim = next(s for s in platform.list_sims(BLOCKED.id) if s.msisdn == blocked_msisdn)
    with pytest.raises(Rejected) as caught:
        platform.order_package(BLOCKED.id, sim.product_id, "addon-50sms", uuid.uuid4().hex)
    assert caught.value.code == "simBlocked"


def test_order_for_someone_elses_sim_is_rejected(platform):
    foreign_sim = platform.list_sims(OTHER_PARTNER.id)[0]
    with pytest.raises(Rejected) as caught:
        platform.order_package(JAN.id, foreign_sim.product_id, "addon-50sms", uuid.uuid4().hex)
    assert caught.value.code == "productNotFound"


# ---------------------------------------------------------------- billing


def test_billing_accounts_and_invoices(platform):
    (account,) = platform.list_billing_accounts(JAN.id)
    assert account.name
    assert account.id in platform.get_customer(JAN.id).billing_account_ids
    invoices = platform.list_invoices(account.id)
    assert len(invoices) >= 12
    dates = [i.issue_date for i in invoices]
    assert dates == sorted(dates, reverse=True)
    for invoice in invoices:
        assert invoice.billing_account_id == account.id
        assert invoice.total_excl_vat + invoice.vat == invoice.total_incl_vat
        assert invoice.period_start <= invoice.period_end < invoice.issue_date <= invoice.due_date
    assert any(i.is_overdue(date.today()) for i in invoices)  # Jan has an overdue bill
    assert platform.get_invoice(invoices[0].id) == invoices[0]


def test_invoice_lines_add_up(platform):
    (account,) = platform.list_billing_accounts(JAN.id)
    invoice = platform.list_invoices(account.id)[1]
    lines = platform.list_invoice_lines(invoice.id)
    assert lines
    assert sum(line.amount_incl_vat for line in lines) == invoice.total_incl_vat
    assert sum(line.vat for line in lines) == invoice.vat
    assert {line.vat_rate for line in lines} == {Decimal("0.21")}


def test_get_invoice_unknown_is_not_found(platform):
    with pytest.raises(NotFound):
        platform.get_invoice("bill-nope-000000")


# ---------------------------------------------------------------- call log


def test_paging_heavy_call_log_visits_every_record_once(platform, heavy_filter):
    summary = platform.usage_summary(HEAVY.id, heavy_filter)
    assert summary.count >= 20_000
    seen: list[str] = []
    times = []
    offset, limit = 0, 1000
    while True:
        page = platform.list_usage(HEAVY.id, heavy_filter, offset, limit)
        assert page.total == summary.count
        seen.extend(r.id for r in page.records)
        times.extend(r.time for r in page.records)
        offset += limit
        if offset >= page.total:
            break
    assert len(seen) == len(set(seen)) == summary.count
    # Compare instants: same-zone aware datetimes compare by wall clock, which misorders the
    # repeated hour when daylight saving time ends (the window may contain that night).
    instants = [t.timestamp() for t in times]
    assert instants == sorted(instants, reverse=True)  # newest first across pages
    assert all(str(t.tzinfo) == "Europe/Prague" for t in times[:50])
    assert times[-1].date() >= heavy_filter.date_from and times[0].date() <= heavy_filter.date_to


def test_date_range_split_is_disjoint_and_complete(platform, heavy_filter):
    middle = heavy_filter.date_from + timedelta(days=45)
    early = UsageFilter(heavy_filter.sim_product_id, heavy_filter.date_from, middle)
    late = UsageFilter(heavy_filter.sim_product_id, middle + timedelta(days=1), heavy_filter.date_to)
    total = platform.list_usage(HEAVY.id, heavy_filter, 0, 1).total
    assert (
        platform.list_usage(HEAVY.id, early, 0, 1).total + platform.list_usage(HEAVY.id, late, 0, 1).total
        == total
    )
    page = platform.list_usage(HEAVY.id, late, 0, 200)
    assert all(r.time.date() > middle for r in page.records)


def test_filter_by_kind(platform, heavy_filter):
    totals = {}
    for kind in UsageKind:
        flt = UsageFilter(heavy_filter.sim_product_id, heavy_filter.date_from, heavy_filter.date_to, (kind,))
        page = platform.list_usage(HEAVY.id, flt, 0, 100)
        assert page.records and all(r.kind is kind for r in page.records)
        totals[kind] = page.total
        assert platform.usage_summary(HEAVY.id, flt).count == page.total
    assert sum(totals.values()) == platform.usage_summary(HEAVY.id, heavy_filter).count
    both = UsageFilter(
        heavy_filter.sim_product_id,
        heavy_filter.date_from,
        heavy_filter.date_to,
        (UsageKind.VOICE, UsageKind.SMS),
    )
    assert platform.list_usage(HEAVY.id, both, 0, 1).total == totals[UsageKind.VOICE] + totals[UsageKind.SMS]


def test_filter_by_b_number(platform, heavy_filter):
    voice = UsageFilter(
        heavy_filter.sim_product_id, heavy_filter.date_from, heavy_filter.date_to, (UsageKind.VOICE,)
    )
    number = platform.list_usage(HEAVY.id, voice, 0, 1).records[0].b_number
    part = number[2:7]
    flt = UsageFilter(
        heavy_filter.sim_product_id, heavy_filter.date_from, heavy_filter.date_to, b_number=part
    )
    page = platform.list_usage(HEAVY.id, flt, 0, 1000)
    assert page.total >= 1
    assert all(part in r.b_number for r in page.records)
    assert number in {r.b_number for r in page.records} or page.total > 1000


def test_usage_summary_totals(platform, heavy_filter):
    summary = platform.usage_summary(HEAVY.id, heavy_filter)
    assert summary.voice_seconds > 0 and summary.sms_count > 0 and summary.data_bytes > 0
    assert summary.fee_count > 0 and summary.charged > 0
    assert isinstance(summary.charged, Decimal)


def test_usage_of_another_customers_sim_is_empty(platform, heavy_filter):
    page = platform.list_usage(JAN.id, heavy_filter, 0, 10)
    assert page.total == 0 and page.records == []


# ---------------------------------------------------------------- balances


def test_list_buckets_one_call_for_all_sims(platform):
    sims = platform.list_sims(PREPAID.id)
    buckets = platform.list_buckets([s.product_id for s in sims])
    credit = {b.sim_product_id: b for b in buckets if b.kind is BucketKind.MONETARY}
    assert set(credit) == {s.product_id for s in sims}
    assert all(b.units == "CZK" and b.remaining >= 0 for b in credit.values())


def test_buckets_of_packages(platform):
    sims = platform.list_sims(JAN.id)
    buckets = platform.list_buckets([s.product_id for s in sims])
    from_packages = [b for b in buckets if b.package_product_id]
    assert from_packages
    assert {b.package_product_id for b in from_packages} <= {
        p.product_id for p in platform.list_packages(JAN.id)
    }
    allowances = [b for b in buckets if b.kind is not BucketKind.MONETARY]
    assert all(b.initial is not None and b.valid_until is not None for b in allowances)


# ---------------------------------------------------------------- sign-in support


def test_send_sms(platform):
    assert platform.send_sms(JAN.sims[0].msisdn, "Váš kód je 123456") is None


def test_authenticate(platform):
    assert platform.authenticate(JAN.partner_id, JAN.email, seed.DEMO_PASSWORD) == JAN.id
    assert platform.authenticate(JAN.partner_id, JAN.sims[1].msisdn, seed.DEMO_PASSWORD) == JAN.id


@pytest.mark.parametrize(
    ("partner", "login", "password"),
    [
        (JAN.partner_id, JAN.email, "wrong-password"),
        (JAN.partner_id, "nobody@example.cz", seed.DEMO_PASSWORD),
        (OTHER_PARTNER.partner_id, JAN.email, seed.DEMO_PASSWORD),  # right password, wrong partner
    ],
)
def test_authenticate_refused(platform, partner, login, password):
    with pytest.raises(Rejected) as caught:
        platform.authenticate(partner, login, password)
    assert caught.value.code == "invalidCredentials"


def test_wrong_platform_credential_is_unavailable(platform):
    settings = TmfSettings(base_url=platform.settings.base_url, credential="not-the-credential")
    with TmfPlatform(settings) as client, pytest.raises(Unavailable):
        client.get_customer(JAN.id)
