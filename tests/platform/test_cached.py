"""The platform cache: warm reads cost no platform call; the customer's own writes show at once."""

from __future__ import annotations

import uuid
from contextlib import contextmanager

import pytest

from selfcare_widget.platform import codec
from selfcare_widget.platform.cached import CachedPlatform
from selfcare_widget.platform.models import ContactDetails
from selfcare_widget.platform.tmf import TmfPlatform, TmfSettings
from tests.support import PLATFORM_CREDENTIAL


@pytest.fixture(params=["memory", "redis"])
def cached(request, sandbox_url):
    if request.param == "memory":
        from selfcare_widget.store import connect

        store = connect(f"memory://cache-{request.node.name}")
    else:
        import redis

        store = redis.Redis.from_url(request.getfixturevalue("redis_url"), decode_responses=True)
    store.flushdb()
    return CachedPlatform(
        TmfPlatform(TmfSettings(base_url=sandbox_url, credential=PLATFORM_CREDENTIAL)), store
    )


@contextmanager
def http_calls(platform: CachedPlatform):
    """Count requests that really go to the platform over HTTP."""
    calls: list[str] = []
    session = platform.inner._session
    original = session.request

    def counting(method, url, *args, **kwargs):
        calls.append(f"{method} {url.split('/v4/')[-1].split('?')[0]}")
        return original(method, url, *args, **kwargs)

    session.request = counting
    try:
        yield calls
    finally:
        session.request = original


def overview_reads(platform, customer_id):
    customer = platform.get_customer(customer_id)
    sims = platform.list_sims(customer_id)
    buckets = platform.list_buckets([s.product_id for s in sims])
    return customer, sims, buckets


def test_warm_cache_reads_cost_no_platform_call(cached):
    with http_calls(cached) as cold:
        first = overview_reads(cached, "cust-0005")
    # customer; products and buckets, each one page plus the end-of-list check — however many SIMs
    assert sorted(c.split(" ")[1].split("/")[0] for c in cold) == [
        "bucket",
        "bucket",
        "customer",
        "product",
        "product",
    ]
    with http_calls(cached) as warm:
        second = overview_reads(cached, "cust-0005")
    assert warm == []
    assert first == second  # same domain objects after the JSON round trip


def test_contact_change_is_visible_at_once(cached):
    customer = cached.get_customer("cust-0012")
    new = ContactDetails(**{**customer.contact.__dict__, "email": "nova.adresa@example.cz"})
    cached.update_contact("cust-0012", new, {"email"})
    assert cached.get_customer("cust-0012").contact.email == "nova.adresa@example.cz"
    cached.update_contact("cust-0012", customer.contact, {"email"})
    assert cached.get_customer("cust-0012").contact.email == customer.contact.email


def test_settings_change_is_visible_at_once(cached):
    before = {s.service_id: s for s in cached.list_sim_settings("cust-0013")}
    sims = cached.list_sims("cust-0013")
    service = sims[0].service_id
    flipped = not before[service].roaming_enabled
    cached.update_sim_settings(service, {"roaming_enabled": flipped})
    after = {s.service_id: s for s in cached.list_sim_settings("cust-0013")}
    assert after[service].roaming_enabled is flipped
    cached.update_sim_settings(service, {"roaming_enabled": not flipped})


def test_order_shows_in_packages_and_units_at_once(cached):
    sims = cached.list_sims("cust-0014")
    sim = sims[0]
    packages_before = cached.list_packages("cust-0014")
    buckets_before = cached.list_buckets([s.product_id for s in sims])
    offers = cached.list_package_offers(sim.tariff.offering_id)
    assert offers, "the seed gives every tariff add-on offers"
    order = cached.order_package("cust-0014", sim.product_id, offers[0].offering_id, uuid.uuid4().hex)
    assert order.id
    assert len(cached.list_packages("cust-0014")) == len(packages_before) + 1
    assert len(cached.list_buckets([s.product_id for s in sims])) > len(buckets_before)


def test_call_log_is_not_cached_outside_a_request(cached):
    # In a request the last page and totals are cached briefly: tests/perf/test_request_cache.py
    from datetime import date, timedelta

    from selfcare_widget.platform.models import UsageFilter

    sim = cached.list_sims("cust-0002")[0]
    usage_filter = UsageFilter(sim.product_id, date.today() - timedelta(days=30), date.today())
    with http_calls(cached) as calls:
        cached.list_usage("cust-0002", usage_filter, 0, 10)
        cached.list_usage("cust-0002", usage_filter, 0, 10)
    assert len(calls) == 2


def test_codec_round_trips_every_cached_type(sandbox_url):
    platform = TmfPlatform(TmfSettings(base_url=sandbox_url, credential=PLATFORM_CREDENTIAL))
    sims = platform.list_sims("cust-0001")
    bills = platform.list_invoices(sims[0].billing_account_id)
    values = [
        (type(platform.get_customer("cust-0001")), platform.get_customer("cust-0001")),
        (list, sims),
        (list, platform.list_packages("cust-0001")),
        (list, platform.list_sim_settings("cust-0001")),
        (list, platform.list_package_offers(sims[0].tariff.offering_id)),
        (list, bills),
        (list, platform.list_invoice_lines(bills[0].id)),
        (list, platform.list_buckets([s.product_id for s in sims])),
    ]
    for tp, value in values:
        if tp is list:
            assert value, "the seed has data for every kind"
            tp = list[type(value[0])]
        assert codec.loads(tp, codec.dumps(value)) == value


def test_entries_written_together_do_not_all_expire_together(sandbox_url, redis_url):
    """A burst of reads (sign-ins after a campaign, a warm-up) is kept for different times within
    the kind's TTL, so the reloads from the platform spread out instead of landing in one second."""
    import redis

    from selfcare_widget.platform.cached import PREFIX, TTL

    store = redis.Redis.from_url(redis_url, decode_responses=True)
    store.flushdb()
    cached = CachedPlatform(
        TmfPlatform(TmfSettings(base_url=sandbox_url, credential=PLATFORM_CREDENTIAL)), store
    )
    customers = [f"cust-{n:04d}" for n in range(1, 13)]
    for customer in customers:
        cached.get_customer(customer)
    ttls = [store.ttl(key) for key in store.scan_iter(f"{PREFIX}customer:*")]
    assert len(ttls) == len(customers)
    assert all(TTL["customer"] * 0.8 - 1 <= ttl <= TTL["customer"] for ttl in ttls), ttls
    assert len(set(ttls)) > 3, ttls
