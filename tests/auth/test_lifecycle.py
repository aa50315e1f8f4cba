"""The server side of the loader's lifecycle (issue 18, issue 14 item 3): why an exchange was
refused, the session check and release, sign-out of an SSO widget, an unknown first section."""

from __future__ import annotations

import pytest
from jose import jwt

from selfcare_widget.services import services
from tests.auth.test_sso import claims, exchange
from tests.support import PORTAL_ORIGIN


@pytest.fixture
def sign(partner_rsa_key):
    """``sign(payload=None) -> token``: an SSO token signed with demo-mobil's key."""
    return lambda payload=None: jwt.encode(payload or claims(), partner_rsa_key, algorithm="RS256")


def test_a_refused_exchange_says_why(client, sign):
    token = sign()
    assert exchange(client, token).status_code == 200
    again = exchange(client, token)
    assert again.status_code == 401 and again.get_json() == {"error": "sso_rejected", "reason": "replayed"}
    assert again.headers["Access-Control-Allow-Origin"] == PORTAL_ORIGIN  # the loader reads it
    expired = exchange(client, sign(claims(iat=1_000_000_000, exp=1_000_000_100)))
    assert expired.get_json()["reason"] == "expired"
    # anything else is just "invalid": the details stay in the widget's log and EDR
    assert exchange(client, sign(claims(aud="someone-else"))).get_json()["reason"] == "invalid"


def test_an_origin_not_listed_gets_a_403_it_cannot_read(client, sign):
    response = exchange(client, sign(), origin="http://localhost:5173")
    assert response.status_code == 403
    assert response.get_json() == {"error": "origin_not_allowed", "origin": "http://localhost:5173"}
    assert "Access-Control-Allow-Origin" not in response.headers


def test_check_answers_while_the_session_lives(post, sign_in, app):
    token = sign_in("cust-0001")
    assert post("/auth/check", token).status_code == 204
    services(app).sessions.revoke(token)
    assert post("/auth/check", token).status_code == 401
    assert post("/auth/check").status_code == 401


def test_release_revokes_without_a_sign_out_edr(post, sign_in, app, edrs):
    token = sign_in("cust-0001")
    assert post("/auth/release", token).status_code == 204
    assert services(app).sessions.load(token) is None
    assert edrs("signout") == []
    assert post("/auth/release").status_code == 204  # nothing to release: still fine


def test_signing_out_of_an_sso_session_offers_no_sign_in_form(post, sign_in):
    response = post("/auth/logout", sign_in("cust-0001"))  # sign_in creates an "sso" session
    html = response.get_data(as_text=True)
    assert response.headers["X-Selfcare-Signed-Out"] == "1"
    assert "data-sc-portal-signon" in html and 'name="password"' not in html and 'name="msisdn"' not in html


def test_the_sign_in_fragment_for_an_sso_widget_has_no_forms(post):
    html = post("/auth/signin", signed_out="1", sso="1").get_data(as_text=True)
    assert "data-sc-portal-signon" in html and "<form" not in html
    html = post("/auth/signin").get_data(as_text=True)
    assert 'name="password"' in html  # a widget without SSO keeps its own sign-in


def test_an_unknown_first_section_opens_the_overview(post, sign_in):
    response = post("/w/shell", sign_in("cust-0001"), section="nonsense")
    assert response.status_code == 200
    assert 'data-sc-section="overview"' in response.get_data(as_text=True)
