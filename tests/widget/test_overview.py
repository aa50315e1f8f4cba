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


def test_used_up_data_names_the_number_and_opens_that_sims_packages(app, post, sign_in):
    """Issue 12 bug 2: cust-0004's second SIM ran out of data; the first is blocked."""
    import html
    import json
    import re

    sims = services(app).platform.list_sims("cust-0004")
    blocked = next(s for s in sims if s.state == "suspended")
    ran_out = next(s for s in sims if s.state == "active")
    body = html.unescape(post("/w/overview", sign_in("cust-0004")).get_data(as_text=True))
    (hint,) = re.findall(r'<p class="sc-hint".*?</p>', body, re.S)
    national = ran_out.msisdn[3:]
    assert f"Mobilní data čísla +420 {national[:3]} {national[3:6]} {national[6:]} jsou vyčerpaná" in hint
    assert 'hx-post="/w/packages"' in hint
    values = json.loads(re.search(r"hx-vals='([^']+)'", hint).group(1))
    assert values == {"sim": ran_out.product_id} and values["sim"] != blocked.product_id


def test_packages_open_on_a_sim_in_service_not_a_blocked_one(app, post, sign_in):
    sims = services(app).platform.list_sims("cust-0004")
    assert sims[0].state == "suspended"  # the first SIM is the blocked one
    body = post("/w/packages", sign_in("cust-0004")).get_data(as_text=True)
    active = next(s for s in sims if s.state == "active")
    assert f'<option value="{active.product_id}" selected' in body


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
