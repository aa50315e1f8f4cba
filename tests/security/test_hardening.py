"""Small doors closed (issue 11, item 7): CSV formulas, download names, platform reasons, oversized
bodies, crafted page numbers, and EDRs without third parties' numbers.

What a request can reach is tested over real HTTP against a widget with a real Redis; the cell
and name functions, which only platform data reaches, are tested directly as well.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

import pytest
import requests

from selfcare_widget.edr.recorder import stream_key
from selfcare_widget.platform import Rejected
from selfcare_widget.platform.models import UsageKind, UsageRecord
from selfcare_widget.services import services
from selfcare_widget.views.usage import _safe_filename, csv_row
from tests.support import PORTAL_ORIGIN, make_widget_app, serve_wsgi


@pytest.fixture(scope="module")
def served(sandbox_url, test_partners, redis_url) -> Iterator[tuple[object, str, str]]:
    """A widget with a real Redis over real HTTP, and a session of cust-0001: (app, url, token)."""
    app = make_widget_app(sandbox_url, test_partners, redis_url=redis_url)
    token = services(app).sessions.create("demo-mobil", "cust-0001", "cs", "sso")
    with serve_wsgi(app) as url:
        yield app, url, token


def send(served, path: str, **form) -> requests.Response:
    _, url, token = served
    return requests.post(
        url + path,
        data={"_partner": "demo-mobil", "_st": token, **form},
        headers={"Origin": PORTAL_ORIGIN},
        timeout=30,
    )


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_text_cell_of_the_csv_is_kept_from_being_a_formula(app, start):
    record = UsageRecord(
        id="u1",
        time=datetime(2026, 3, 2, 10, 0),
        kind=UsageKind.VOICE,
        description=f'{start}HYPERLINK("http://evil")',
        network=f"{start}cmd|' /C calc'!A0",
        b_number=f"{start}1234",
        duration_seconds=61,
        charge=Decimal("1.5"),
    )
    with app.test_request_context():
        cells = csv_row(record)
    for text in (cells[2], cells[3], cells[4]):
        assert text.startswith("'" + start), cells


def test_download_names_keep_only_a_safe_alphabet():
    name = _safe_filename("vypis", "420601\r\nSet-Cookie: x=1", "2026-03-01")
    assert name == "vypis-420601Set-Cookiex1-2026-03-01"


def test_an_unknown_platform_reason_never_reaches_the_customer(app, caplog):
    from flask import g

    from selfcare_widget.views.common import rejection_message

    with app.test_request_context():
        g.locale = "cs"
        text = rejection_message(Rejected("ORA-00942", "ORA-00942: table or view does not exist"))
    assert "ORA" not in text and text == "Požadavek byl odmítnut."
    assert "ORA-00942" in caplog.text  # for the operator, with the request id


@pytest.mark.redis
def test_an_oversized_body_is_413_even_with_a_valid_session(served):
    response = send(served, "/w/overview", padding="x" * 70_000)
    assert response.status_code == 413
    assert "Požadavek nelze zpracovat" in response.text


@pytest.mark.redis
def test_a_crafted_page_number_shows_the_first_page(served):
    response = send(served, "/w/usage/results", sim="prod-0001-2", page="9" * 30)
    assert response.status_code == 200 and 'role="alert"' not in response.text


@pytest.mark.redis
def test_the_call_log_edr_says_a_number_was_searched_not_which(served):
    app, _, _ = served
    assert send(served, "/w/usage/results", sim="prod-0001-2", b="+420 731 45").status_code == 200
    entries = services(app).store.xrange(stream_key("demo-mobil"))
    views = [e for e in (json.loads(fields["edr"]) for _, fields in entries) if e["action"] == "usage.view"]
    assert views[-1]["details"]["filters"]["numberSearch"] is True
    assert "73145" not in str(views[-1]) and "731" not in str(views[-1]["details"])


@pytest.mark.redis
def test_the_export_is_named_from_a_safe_alphabet(served):
    response = send(served, "/w/usage/export", sim="prod-0001-2")
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    name = disposition.split('filename="', 1)[1].rstrip('"')
    assert name.endswith(".csv") and all(ch.isalnum() or ch in "-_." for ch in name), disposition


@pytest.mark.redis
def test_a_session_cookie_is_never_read_even_when_signed_with_the_apps_key(served):
    """The widget authenticates only by the token a request carries: a Flask session cookie,
    even one signed with the app's own secret key and naming a signed-in user, is ignored."""
    from flask.sessions import SecureCookieSessionInterface

    app, url, _ = served
    forged = (
        SecureCookieSessionInterface()
        .get_signing_serializer(app)
        .dumps({"_user_id": "cust-0001", "_fresh": True})
    )
    response = requests.post(
        url + "/w/overview",
        data={"_partner": "demo-mobil"},
        headers={"Origin": PORTAL_ORIGIN},
        cookies={app.config.get("SESSION_COOKIE_NAME", "session"): forged},
        timeout=30,
    )
    assert response.status_code == 401  # the session-expired fragment, not the overview
    assert 'data-sc-section="overview"' not in response.text
    assert "Set-Cookie" not in response.headers
