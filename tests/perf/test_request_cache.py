"""The per-request cache snapshot: few Redis round trips, fresh after changes, never another's data.

Everything here runs on a real Redis and the sandbox over real HTTP. Round trips are counted at
the socket: the store's connections are replaced by ones that count each packed write (one per
command, one per pipeline), the store and the cache themselves are the real ones.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, timedelta

import pytest
import redis
from redis.connection import Connection

from selfcare_widget.platform.cached import PREFIX, CachedPlatform
from selfcare_widget.platform.models import ContactDetails, UsageFilter
from selfcare_widget.platform.tmf import TmfPlatform, TmfSettings
from selfcare_widget.services import services
from tests.support import PLATFORM_CREDENTIAL, PORTAL_ORIGIN, make_widget_app


class CountingConnection(Connection):
    """A real Redis connection that counts what it sends: one write per command or pipeline."""

    writes = 0

    def send_packed_command(self, command, check_health=True):
        CountingConnection.writes += 1
        return super().send_packed_command(command, check_health)


def forget(store: redis.Redis, *customers: str) -> None:
    """Drop the cached state of ``customers`` so a test starts cold."""
    for customer in customers:
        store.delete(f"{PREFIX}snapshot:{{{customer}}}", f"{PREFIX}gen:c:{{{customer}}}")


@contextmanager
def http_calls(platform: CachedPlatform) -> Iterator[list[str]]:
    """The requests the cache lets through to the platform over HTTP, while the block runs."""
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


@contextmanager
def request_scope(platform: CachedPlatform) -> Iterator[CachedPlatform]:
    """What the app does around every request."""
    platform.begin_request()
    try:
        yield platform
    finally:
        platform.end_request()


@pytest.fixture
def cached(sandbox_url, redis_url) -> CachedPlatform:
    store = redis.Redis.from_url(redis_url, decode_responses=True)
    return CachedPlatform(
        TmfPlatform(TmfSettings(base_url=sandbox_url, credential=PLATFORM_CREDENTIAL)), store
    )


# --- the whole app: round trips per warm fragment --------------------------------------------------


@pytest.fixture
def counted_app(sandbox_url, test_partners, redis_url):
    app = make_widget_app(sandbox_url, test_partners, redis_url=redis_url)
    store = services(app).store
    store.connection_pool.connection_class = CountingConnection
    store.connection_pool.disconnect()
    return app


@pytest.mark.parametrize(
    ("path", "marker"),
    [
        ("/w/overview", b'data-sc-section="overview"'),
        ("/w/billing", b'data-sc-section="billing"'),
        ("/w/packages", b'data-sc-section="packages"'),
        ("/w/sims", b'data-sc-section="sims"'),
        ("/w/contact", b'data-sc-section="contact"'),
    ],
)
def test_a_warm_fragment_costs_one_redis_round_trip(counted_app, path, marker):
    forget(services(counted_app).store, "cust-0001")
    token = services(counted_app).sessions.create("demo-mobil", "cust-0001", "cs", "sso")
    client = counted_app.test_client()

    def view():
        response = client.post(
            path, data={"_st": token, "_partner": "demo-mobil"}, headers={"Origin": PORTAL_ORIGIN}
        )
        assert response.status_code == 200
        assert marker in response.data
        return response.data

    cold = view()  # fills the cache
    before = CountingConnection.writes
    warm = view()
    # the session, read and renewed with the customer's snapshot (and a kept fragment's text) in
    # one pipeline: this process saw the session before
    assert CountingConnection.writes - before == 1
    assert warm.count(b"<li") == cold.count(b"<li")


def test_the_snapshot_comes_with_the_session_only_once_the_process_knows_it(counted_app):
    """A session new to this process costs its own round trip; a revoked one gets no data."""
    forget(services(counted_app).store, "cust-0001")
    sessions = services(counted_app).sessions
    token = sessions.create("demo-mobil", "cust-0001", "cs", "sso")
    client = counted_app.test_client()

    def sims():
        return client.post(
            "/w/sims", data={"_st": token, "_partner": "demo-mobil"}, headers={"Origin": PORTAL_ORIGIN}
        )

    assert sims().status_code == 200  # fills the cache; the process learns the session's customer
    before = CountingConnection.writes
    assert sims().status_code == 200
    assert CountingConnection.writes - before == 1  # session + snapshot
    fresh = sessions.create("demo-mobil", "cust-0001", "cs", "sso")  # not seen by this process
    before = CountingConnection.writes
    response = client.post(
        "/w/sims", data={"_st": fresh, "_partner": "demo-mobil"}, headers={"Origin": PORTAL_ORIGIN}
    )
    assert response.status_code == 200
    assert CountingConnection.writes - before == 2  # session, then snapshot
    sessions.revoke(token)
    revoked = sims()
    assert revoked.status_code == 401
    assert b'data-sc-section="sims"' not in revoked.data


def test_the_call_log_page_and_totals_come_from_the_cache_when_warm(counted_app):
    forget(services(counted_app).store, "cust-0001")
    token = services(counted_app).sessions.create("demo-mobil", "cust-0001", "cs", "sso")
    client = counted_app.test_client()
    platform = services(counted_app).platform

    def view():
        response = client.post(
            "/w/usage", data={"_st": token, "_partner": "demo-mobil"}, headers={"Origin": PORTAL_ORIGIN}
        )
        assert response.status_code == 200
        return response.data

    cold = view()
    with http_calls(platform) as calls:
        before = CountingConnection.writes
        warm = view()
    assert calls == []
    # session with the snapshot + the call-log view's EDR (a customer action, written at once)
    assert CountingConnection.writes - before == 2
    assert warm.count(b"data-usage-id") == cold.count(b"data-usage-id") > 0


# --- invalidation -----------------------------------------------------------------------------------


def test_a_contact_change_shows_in_the_same_request_and_the_next(cached):
    forget(cached.store, "cust-0031")
    with request_scope(cached):
        customer = cached.get_customer("cust-0031")
    new = ContactDetails(**{**customer.contact.__dict__, "email": f"nova-{uuid.uuid4().hex[:6]}@example.cz"})
    try:
        with request_scope(cached):
            assert cached.get_customer("cust-0031") == customer  # warm
            cached.update_contact("cust-0031", new, {"email"})
            assert cached.get_customer("cust-0031").contact.email == new.email
        with request_scope(cached):
            assert cached.get_customer("cust-0031").contact.email == new.email
    finally:
        cached.update_contact("cust-0031", customer.contact, {"email"})
    with request_scope(cached):
        assert cached.get_customer("cust-0031").contact.email == customer.contact.email


def test_an_order_shows_in_packages_and_units_in_the_next_request(cached):
    forget(cached.store, "cust-0032")
    with request_scope(cached):
        sims = cached.list_sims("cust-0032")
        sim = next(s for s in sims if s.state == "active")
        packages = cached.list_packages("cust-0032")
        buckets = cached.list_buckets([s.product_id for s in sims])
        offers = cached.list_package_offers(sim.tariff.offering_id)
    with request_scope(cached), http_calls(cached) as calls:
        assert cached.list_packages("cust-0032") == packages
        assert cached.list_buckets([s.product_id for s in cached.list_sims("cust-0032")]) == buckets
    assert calls == []
    cached.order_package("cust-0032", sim.product_id, offers[0].offering_id, uuid.uuid4().hex)
    with request_scope(cached):
        assert len(cached.list_packages("cust-0032")) == len(packages) + 1
        assert len(cached.list_buckets([s.product_id for s in cached.list_sims("cust-0032")])) > len(buckets)


def test_the_call_log_cache_answers_only_the_same_query_and_is_invalidated(cached):
    forget(cached.store, "cust-0033")
    with request_scope(cached):
        sim = cached.list_sims("cust-0033")[0]
    month = UsageFilter(sim.product_id, date.today() - timedelta(days=30), date.today())
    week = replace(month, date_from=date.today() - timedelta(days=7))
    with request_scope(cached):
        summary = cached.usage_summary("cust-0033", month)
        page = cached.list_usage("cust-0033", month, 0, 50)
    with request_scope(cached), http_calls(cached) as calls:
        assert cached.usage_summary("cust-0033", month) == summary
        assert cached.list_usage("cust-0033", month, 0, 50) == page
        assert calls == []
        cached.list_usage("cust-0033", month, 50, 50)  # another page
        cached.usage_summary("cust-0033", week)  # another period
        assert len(calls) == 2
    cached._bump("c:cust-0033")  # what any change of the customer's does
    with request_scope(cached), http_calls(cached) as calls:
        cached.usage_summary("cust-0033", month)
    assert len(calls) == 1


def test_pages_of_the_csv_export_are_not_kept(cached):
    forget(cached.store, "cust-0033")
    with request_scope(cached):
        sim = cached.list_sims("cust-0033")[0]
    month = UsageFilter(sim.product_id, date.today() - timedelta(days=30), date.today())
    for _ in range(2):
        with request_scope(cached), http_calls(cached) as calls:
            cached.list_usage("cust-0033", month, 0, 1000)
        assert len(calls) == 1


# --- isolation ----------------------------------------------------------------------------------------


def test_customers_never_see_each_others_cached_data(cached):
    forget(cached.store, "cust-0034", "cust-0035")
    own: dict[str, tuple] = {}
    for customer in ("cust-0034", "cust-0035"):
        with request_scope(cached):
            sims = cached.list_sims(customer)
            accounts = cached.list_billing_accounts(customer)
            own[customer] = (
                cached.get_customer(customer),
                sims,
                cached.list_buckets([s.product_id for s in sims]),
                {a.id: cached.list_invoices(a.id) for a in accounts},
            )
    for customer, other in (("cust-0034", "cust-0035"), ("cust-0035", "cust-0034")):
        with request_scope(cached):
            assert cached.get_customer(customer) == own[customer][0]
            assert cached.list_sims(customer) == own[customer][1]
            # the other customer's account, asked for in this customer's request, is not read
            # from (or written to) this customer's snapshot: it is the other's, as it really is
            for account, invoices in own[other][3].items():
                assert cached.list_invoices(account) == invoices
        snapshot = cached.store.hgetall(f"{PREFIX}snapshot:{{{customer}}}")
        other_ids = {s.product_id for s in own[other][1]} | set(own[other][3])
        assert not any(i in name for name in snapshot for i in other_ids)
        assert own[customer][0].name in snapshot["customer"]


def test_ids_the_customer_does_not_own_are_read_the_ordinary_way(cached):
    forget(cached.store, "cust-0036", "cust-0037")
    with request_scope(cached):
        foreign = cached.list_sims("cust-0037")
    cached.store.delete(f"{PREFIX}snapshot:{{cust-0037}}")
    with request_scope(cached):
        cached.list_sims("cust-0036")
        buckets = cached.list_buckets([s.product_id for s in foreign])
    assert buckets == cached.inner.list_buckets([s.product_id for s in foreign])
    assert not any(
        name.startswith("buckets:") for name in cached.store.hgetall(f"{PREFIX}snapshot:{{cust-0036}}")
    )
    assert not cached.store.exists(f"{PREFIX}snapshot:{{cust-0037}}")
