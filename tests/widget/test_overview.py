"""The overview fragment over real HTTP to the sandbox."""

from __future__ import annotations

import html

from selfcare_widget.services import services


def test_overview_shows_customer_sims_credit_and_units(post, sign_in):
    token = sign_in("cust-0001")
    response = post("/w/overview", token)
    assert response.status_code == 200
    body = html.unescape(response.get_data(as_text=True))
    assert "Jan Šťastný" in body
    assert "+420 601 234 567" in body and "+420 602 345 678" in body
    assert "Pohoda" in body
    assert "Kč" in body  # credit in Czech format
    assert "<progress" in body  # bars for remaining units


def test_overview_requires_a_session(post):
    response = post("/w/overview")
    assert response.status_code == 401


def test_overview_makes_one_platform_call_per_resource_kind(app, post, sign_in):
    """Three SIMs, still: customer, products, buckets — no N+1 (lists end on an empty page)."""
    calls = []
    platform = services(app).platform
    session = platform.inner._session  # the real requests.Session under the cache: count HTTP calls
    original = session.request

    def counting(method, url, *args, **kwargs):
        calls.append((method, url.split("/v4/")[-1].split("?")[0].split("/")[0]))
        return original(method, url, *args, **kwargs)

    session.request = counting
    try:
        token = sign_in("cust-0005")
        assert post("/w/overview", token).status_code == 200
    finally:
        session.request = original
    kinds = [kind for _, kind in calls]
    assert sorted(kinds) == ["bucket", "bucket", "customer", "product", "product"], calls


def test_used_up_data_gets_a_hint_with_a_way_to_packages(post, sign_in):
    body = post("/w/overview", sign_in("cust-0004")).get_data(as_text=True)
    assert 'class="sc-hint"' in body
    assert 'hx-post="/w/packages"' in body.split('class="sc-hint"')[1].split("</p>")[0]
    assert "Vyčerpali jste mobilní data" in body


def test_no_hint_while_data_is_left(post, sign_in):
    assert 'class="sc-hint"' not in post("/w/overview", sign_in("cust-0002")).get_data(as_text=True)


def test_overview_platform_outage_is_a_friendly_error(sandbox_url, test_partners):
    from tests.support import PORTAL_ORIGIN, free_port, make_widget_app

    app = make_widget_app(f"http://127.0.0.1:{free_port()}", test_partners)  # nothing listens there
    token = services(app).sessions.create("demo-mobil", "cust-0001", "cs", "sso")
    response = app.test_client().post(
        "/w/overview", data={"_st": token, "_partner": "demo-mobil"}, headers={"Origin": PORTAL_ORIGIN}
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 503
    assert 'role="alert"' in body and "dočasně nedostupná" in body
    assert "Traceback" not in body and "ConnectionError" not in body
