"""Rendered fragments kept while their data is unchanged (views/common.kept_fragment,
CachedPlatform.memo): reused without platform calls or rendering, never another customer's or
language's, gone after a change, never older than the data they show. Real Redis, sandbox over HTTP.
"""

from __future__ import annotations

import pytest

from selfcare_widget.platform.cached import _memo_key
from selfcare_widget.services import services
from tests.packages.helpers import confirmation_of, find_buyer
from tests.perf.test_request_cache import CountingConnection, forget, http_calls, request_scope
from tests.support import PORTAL_ORIGIN, make_widget_app

pytestmark = pytest.mark.redis


@pytest.fixture
def app(sandbox_url, test_partners, redis_url):
    app = make_widget_app(sandbox_url, test_partners, redis_url=redis_url)
    store = services(app).store
    store.connection_pool.connection_class = CountingConnection
    store.connection_pool.disconnect()
    return app


def _view(app, token: str, path: str = "/w/overview", **form) -> bytes:
    response = app.test_client().post(
        path, data={"_st": token, "_partner": "demo-mobil", **form}, headers={"Origin": PORTAL_ORIGIN}
    )
    assert response.status_code == 200, response.data[:300]
    return response.data


def _token_hash(token: str) -> str:
    import hashlib

    return hashlib.sha256(token.encode()).hexdigest()


def _memo_keys(app, customer: str) -> list[str]:
    return list(services(app).store.scan_iter(match=f"sc:cache:memo:{{{customer}}}:*"))


@pytest.mark.parametrize("path", ["/w/overview", "/w/billing", "/w/packages", "/w/contact"])
def test_a_kept_fragment_is_the_same_answer_with_no_platform_call_in_one_round_trip(app, path):
    forget(services(app).store, "cust-0001")
    token = services(app).sessions.create("demo-mobil", "cust-0001", "cs", "sso")
    first = _view(app, token, path)
    with http_calls(services(app).platform) as calls:
        before = CountingConnection.writes
        again = _view(app, token, path)
    # the session, with the customer's snapshot and the kept fragment (this process knows the session)
    assert calls == [] and CountingConnection.writes - before == 1
    assert again == first


def test_a_language_switch_is_a_miss_of_the_guess_not_a_wrong_answer(app):
    """The kept text read along with the session is guessed from the session as last seen; after
    the customer switches language the guess names the old language's text, which is not used."""
    forget(services(app).store, "cust-0001")
    sessions = services(app).sessions
    token = sessions.create("demo-mobil", "cust-0001", "cs", "sso")
    czech = _view(app, token)
    assert _view(app, token) == czech  # kept, and guessed right
    services(app).store.hset(f"sc:session:{_token_hash(token)}", "locale", "en")  # as the switch does
    english = _view(app, token)
    assert b">Overview</h2>" in english and b">Overview</h2>" not in czech
    assert _view(app, token) == english


def test_kept_per_customer_language_and_form_field(app):
    store = services(app).store
    forget(store, "cust-0001", "cust-0004")
    jan = services(app).sessions.create("demo-mobil", "cust-0001", "cs", "sso")
    lucie = services(app).sessions.create("demo-mobil", "cust-0004", "cs", "sso")
    jan_en = services(app).sessions.create("demo-mobil", "cust-0001", "en", "sso")
    assert "Šťastný".encode() in _view(app, jan)
    lucie_page = _view(app, lucie)
    assert "Černá".encode() in lucie_page and "Šťastný".encode() not in lucie_page
    english = _view(app, jan_en)
    assert b"Remaining" in english or b"left" in english
    assert english != _view(app, jan)

    sims = services(app).platform.list_sims("cust-0001")
    second = _view(app, jan, "/w/packages", sim=sims[1].product_id)
    assert sims[1].msisdn[-3:].encode() in second and second != _view(app, jan, "/w/packages")


def test_the_shell_inlines_each_section_from_its_own_kept_fragment(app, sso_token):
    from tests.perf.test_first_content import WITH_SHELL, exchange

    client = app.test_client()
    forget(services(app).store, "cust-0001")
    first = exchange(client, token=sso_token(), **WITH_SHELL, section="overview")
    assert 'data-sc-section="overview"' in first.get_data(as_text=True)
    for section in ("billing", "contact", "packages", "overview"):
        page = exchange(client, token=sso_token(), **WITH_SHELL, section=section).get_data(as_text=True)
        assert f'data-sc-section="{section}"' in page, section


def test_a_change_of_the_customers_data_is_shown_at_once(app):
    platform = services(app).platform
    customer_id, sim_id = find_buyer(platform)
    forget(services(app).store, customer_id)
    token = services(app).sessions.create("demo-mobil", customer_id, "cs", "sso")
    before = _view(app, token, "/w/packages", sim=sim_id)
    _view(app, token, "/w/packages", sim=sim_id)  # kept
    confirm = _view(app, token, "/w/packages/confirm", sim=sim_id, offering="addon-data-1gb")
    _view(
        app,
        token,
        "/w/packages/order",
        sim=sim_id,
        offering="addon-data-1gb",
        confirmation=confirmation_of(confirm.decode()),
    )
    after = _view(app, token, "/w/packages", sim=sim_id)
    marker = b'data-package="addon-data-1gb"'
    assert after.count(marker) == before.count(marker) + 1


def test_a_kept_fragment_lives_no_longer_than_the_data_it_shows(app, sandbox_url):
    store = services(app).store
    forget(store, "cust-0001")
    for key in _memo_keys(app, "cust-0001"):
        store.delete(key)
    token = services(app).sessions.create("demo-mobil", "cust-0001", "cs", "sso")
    _view(app, token)  # the overview shows the remaining units: cached 30 s ("buckets")
    (overview,) = _memo_keys(app, "cust-0001")
    assert 0 < store.ttl(overview) <= 30
    _view(app, token, "/w/contact")  # the customer's record alone: kept the full minute
    contact = next(k for k in _memo_keys(app, "cust-0001") if k != overview)
    assert 30 < store.ttl(contact) <= 60


def test_nothing_is_kept_when_built_from_a_live_read_or_not_html(app):
    platform = services(app).platform
    store = services(app).store
    with app.test_request_context("/"), request_scope(platform):
        built = platform.memo("cust-0001", "live", lambda: str(len(platform.list_top_ups("none"))), 60)
        error = platform.memo("cust-0001", "error", lambda: None, 60)
        kept = platform.memo("cust-0001", "cached", lambda: platform.get_customer("cust-0001").name, 60)
    assert built == "0" and error is None and kept
    assert not store.exists(_memo_key("cust-0001", "live"), _memo_key("cust-0001", "error"))
    assert store.exists(_memo_key("cust-0001", "cached"))
