"""Sessions: idle and absolute timeouts, revocation, origin binding, CORS — in-process store
and a real Redis."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest

from selfcare_widget.auth.sessions import SessionStore, _key
from selfcare_widget.services import services
from tests.support import PORTAL_ORIGIN, ZELENA_ORIGIN, make_widget_app


@pytest.fixture(params=["memory", "redis"])
def store(request):
    if request.param == "memory":
        from selfcare_widget.store import connect

        return connect("memory://sessions-test")
    import redis

    client = redis.Redis.from_url(request.getfixturevalue("redis_url"), decode_responses=True)
    client.flushdb()
    return client


def test_session_round_trip_and_revocation(store):
    sessions = SessionStore(store, idle_seconds=60, absolute_seconds=3600)
    token = sessions.create("demo-mobil", "cust-0001", "cs", "sso")
    loaded = sessions.load(token)
    assert (loaded.partner_id, loaded.customer_id, loaded.locale) == ("demo-mobil", "cust-0001", "cs")
    # only a hash of the token is stored: the store never holds a usable credential
    assert token not in str(store.keys("*"))
    sessions.revoke(token)
    assert sessions.load(token) is None


def test_reads_sent_with_the_session_reach_only_a_live_session_of_their_customer(store):
    """Reads of the customer the process remembers for a session ride in its round trip; their
    replies are handed over only when the session is live and that customer's."""
    sessions = SessionStore(store, idle_seconds=60, absolute_seconds=3600)
    handed: list[tuple[str, list]] = []

    def customer_reads(pipe, known):
        pipe.get(f"sc:test:{known.customer_id}")
        return lambda replies: handed.append((known.customer_id, replies))

    store.set("sc:test:cust-0001", "cached")
    token = sessions.create("demo-mobil", "cust-0001", "cs", "sso")
    assert sessions.load(token, customer_reads).customer_id == "cust-0001"
    assert handed == []  # not known to this process yet: the session alone
    assert sessions.load(token, customer_reads).customer_id == "cust-0001"
    assert handed == [("cust-0001", ["cached"])]

    remembered = sessions.load(token)
    sessions._known.remember(replace(remembered, customer_id="cust-0002"))  # a wrong memory
    handed.clear()
    assert sessions.load(token, customer_reads).customer_id == "cust-0001"
    assert handed == []  # cust-0002's data never handed to cust-0001's session
    sessions.revoke(token)
    assert sessions.load(token, customer_reads) is None
    assert handed == []
    store.delete("sc:test:cust-0001")


def test_idle_timeout_ends_the_session_and_use_renews_it(store):
    sessions = SessionStore(store, idle_seconds=1, absolute_seconds=3600)
    token = sessions.create("demo-mobil", "cust-0001", "cs", "sso")
    assert 0 < store.ttl(_key(token)) <= 1
    time.sleep(1.3)
    assert sessions.load(token) is None


def test_absolute_timeout_ends_an_active_session(store):
    sessions = SessionStore(store, idle_seconds=600, absolute_seconds=3600)
    token = sessions.create("demo-mobil", "cust-0001", "cs", "sso")
    assert sessions.load(token) is not None
    store.hset(_key(token), "created", f"{time.time() - 3601:.3f}")  # created over an hour ago
    assert sessions.load(token) is None
    assert store.exists(_key(token)) == 0


def test_unknown_and_oversized_tokens_are_not_sessions(store):
    sessions = SessionStore(store, idle_seconds=60, absolute_seconds=3600)
    assert sessions.load("nope") is None
    assert sessions.load("x" * 500) is None
    assert sessions.load("") is None


def test_widget_sessions_live_in_real_redis(sandbox_url, test_partners, redis_url):
    """Two app instances (two workers) share sessions through Redis."""
    worker_a = make_widget_app(sandbox_url, test_partners, redis_url=redis_url)
    worker_b = make_widget_app(sandbox_url, test_partners, redis_url=redis_url)
    token = services(worker_a).sessions.create("demo-mobil", "cust-0001", "cs", "sso")
    response = worker_b.test_client().post(
        "/w/overview", data={"_st": token, "_partner": "demo-mobil"}, headers={"Origin": PORTAL_ORIGIN}
    )
    assert response.status_code == 200


def test_session_token_in_authorization_header_also_works(client, sign_in):
    token = sign_in("cust-0001")
    response = client.post(
        "/w/overview", headers={"Authorization": f"Bearer {token}", "Origin": PORTAL_ORIGIN}
    )
    assert response.status_code == 200


def test_session_token_in_the_url_is_ignored(client, sign_in):
    token = sign_in("cust-0001")
    response = client.post(
        f"/w/overview?_st={token}", data={"_partner": "demo-mobil"}, headers={"Origin": PORTAL_ORIGIN}
    )
    assert response.status_code == 401


def test_a_session_cannot_be_used_from_another_partners_origin(post, sign_in):
    token = sign_in("cust-0001")
    assert post("/w/overview", token, origin=ZELENA_ORIGIN).status_code == 403
    assert post("/w/overview", token, origin="https://evil.example").status_code == 403


def test_cors_allows_only_the_partners_origin(post, sign_in):
    token = sign_in("cust-0001")
    ok = post("/w/overview", token)
    assert ok.headers["Access-Control-Allow-Origin"] == PORTAL_ORIGIN
    assert "Origin" in ok.headers["Vary"]
    foreign = post("/w/overview", token, origin="https://evil.example")
    assert "Access-Control-Allow-Origin" not in foreign.headers
    anonymous = post("/auth/signin", origin="https://evil.example")
    assert "Access-Control-Allow-Origin" not in anonymous.headers


def test_preflight_only_for_partner_origins(client):
    headers = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
    ok = client.options("/w/overview", headers={"Origin": PORTAL_ORIGIN, **headers})
    assert ok.status_code == 204
    assert ok.headers["Access-Control-Allow-Origin"] == PORTAL_ORIGIN
    assert int(ok.headers["Access-Control-Max-Age"]) == 7200
    foreign = client.options("/w/overview", headers={"Origin": "https://evil.example", **headers})
    assert "Access-Control-Allow-Origin" not in foreign.headers


def test_locale_follows_the_session(post, sign_in):
    cs = post("/w/overview", sign_in("cust-0001", locale="cs")).get_data(as_text=True)
    en = post("/w/overview", sign_in("cust-0001", locale="en")).get_data(as_text=True)
    assert "Přehled" in cs and "Zbývající jednotky" in cs
    assert "Overview" in en and "Remaining units" in en
