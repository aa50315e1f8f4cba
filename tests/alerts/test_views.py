"""The "Upozornění na spotřebu" panel: the widget app in-process, the sandbox over real HTTP.

Preferences round-trip through the platform (TMF629 ``characteristic``), invalid input comes back
as typed with a message, every save is an ``alerts.change`` EDR, another customer's SIM is a 404.
"""

from __future__ import annotations

import html
import json
import re
from decimal import Decimal

import pytest

from selfcare_widget.edr.recorder import stream_key
from selfcare_widget.platform.models import AlertChannel, UsageAlert
from selfcare_widget.services import services
from tests.support import PORTAL_ORIGIN


@pytest.fixture
def client(alerts_app):
    return alerts_app.test_client()


@pytest.fixture
def session(alerts_app):
    def _session(customer_id: str, locale: str = "cs", partner_id: str = "demo-mobil") -> str:
        return services(alerts_app).sessions.create(partner_id, customer_id, locale, "sso")

    return _session


@pytest.fixture
def post(client):
    def _post(path: str, token: str | None, **form):
        data = {"_partner": "demo-mobil", **form}
        if token:
            data["_st"] = token
        return client.post(path, data=data, headers={"Origin": PORTAL_ORIGIN})

    return _post


@pytest.fixture
def recorded(alerts_app):
    def _recorded() -> list[dict]:
        entries = services(alerts_app).store.xrange(stream_key("demo-mobil"))
        return [e for e in (json.loads(f["edr"]) for _, f in entries) if e["action"] == "alerts.change"]

    return _recorded


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_the_sim_detail_has_one_button_to_the_panel(post, session):
    body = text(post("/w/sims", session("cust-0001"), sim="prod-0001-2"))
    assert body.count('hx-post="/w/alerts"') == 1
    assert "Upozornění na spotřebu" in body


def test_panel_shows_the_alerts_off_by_default(post, session):
    response = post("/w/alerts", session("cust-0001"), sim="prod-0001-2")
    assert response.status_code == 200
    body = text(response)
    assert "Upozornění na spotřebu" in body and "+420 602 345 678" in body
    assert re.search(r'<input type="checkbox" name="enabled" value="1" id="sc-alerts-enabled">', body)
    assert "jan.stastny@example.cz" in body  # e-mail offered with the address it would go to
    assert 'name="credit_below"' not in body  # a postpaid line has no credit limit


def test_turn_on_by_sms_round_trips_through_the_platform(post, session, tmf, recorded):
    token = session("cust-0001")
    response = post("/w/alerts/save", token, sim="prod-0001-2", enabled="1", channel="sms", data="1")
    assert response.status_code == 200
    assert response.headers["X-Selfcare-Action"] == "alerts.change"
    body = text(response)
    assert "Upozornění na spotřebu jsou zapnutá. Pošleme je SMS na toto číslo." in body
    assert 'id="sc-alerts-enabled" checked' in body

    stored = tmf.get_customer("cust-0001").usage_alerts
    assert stored == (
        UsageAlert("prod-0001-2", AlertChannel.SMS, data=True, credit_below=None, language="cs"),
    )
    # read fresh, the panel shows what the platform holds
    assert 'id="sc-alerts-enabled" checked' in text(post("/w/alerts", token, sim="prod-0001-2"))
    (edr,) = recorded()[-1:]
    assert edr["outcome"] == "success" and edr["sim"] == "prod-0001-2"
    assert edr["details"] == {"enabled": True, "channel": "sms", "data": True, "credit_below": None}

    # the other SIM's alerts are kept when this one changes, and turning off removes only this one
    post("/w/alerts/save", token, sim="prod-0001-1", enabled="1", channel="email", data="1")
    off = post("/w/alerts/save", token, sim="prod-0001-2", channel="sms", data="1")
    assert off.status_code == 200 and "Upozornění na spotřebu jsou pro tuto SIM vypnutá." in text(off)
    remaining = tmf.get_customer("cust-0001").usage_alerts
    assert [(a.sim_product_id, a.channel) for a in remaining] == [("prod-0001-1", AlertChannel.EMAIL)]
    assert recorded()[-1]["details"]["enabled"] is False
    post("/w/alerts/save", token, sim="prod-0001-1")  # off again: the module's sandbox stays clean
    assert tmf.get_customer("cust-0001").usage_alerts == ()


def test_prepaid_credit_limit_is_validated_and_the_input_kept(post, session, tmf, recorded):
    token = session("cust-0005")
    panel = text(post("/w/alerts", token, sim="prod-0005-2"))
    assert 'name="credit_below" value="50"' in panel  # a suggestion for a prepaid line

    bad = post(
        "/w/alerts/save",
        token,
        sim="prod-0005-2",
        enabled="1",
        channel="email",
        credit="1",
        credit_below="padesát",
    )
    assert bad.status_code == 422
    body = text(bad)
    assert "Zadejte částku v Kč od 1 do 10000, např. 50." in body
    assert 'value="padesát"' in body  # nothing the customer typed is lost
    assert re.search(r'<input type="radio" name="channel" value="email" checked', body)
    assert 'aria-invalid="true"' in body and "data-sc-focus" in body
    assert tmf.get_customer("cust-0005").usage_alerts == ()
    assert recorded()[-1]["outcome"] == "rejected" and recorded()[-1]["details"]["fields"] == ["credit_below"]

    good = post(
        "/w/alerts/save",
        token,
        sim="prod-0005-2",
        enabled="1",
        channel="email",
        credit="1",
        credit_below="49,50",
    )
    assert good.status_code == 200
    assert "Pošleme je e-mailem na jiri.prochazka@example.cz." in text(good)
    (alert,) = tmf.get_customer("cust-0005").usage_alerts
    assert (alert.channel, alert.data, alert.credit_below) == (AlertChannel.EMAIL, False, Decimal("49.50"))
    assert 'name="credit_below" value="49,50"' in text(post("/w/alerts", token, sim="prod-0005-2"))
    post("/w/alerts/save", token, sim="prod-0005-2")
    assert tmf.get_customer("cust-0005").usage_alerts == ()


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"channel": "fax", "data": "1"}, "Vyberte, jak vám máme upozornění posílat."),
        ({"channel": "sms"}, "Vyberte aspoň jedno upozornění, nebo upozornění vypněte."),
    ],
)
def test_invalid_choices_are_explained(post, session, tmf, form, message):
    response = post("/w/alerts/save", session("cust-0002"), sim="prod-0002-1", enabled="1", **form)
    assert response.status_code == 422
    assert message in text(response)
    assert tmf.get_customer("cust-0002").usage_alerts == ()


def test_english_customer_gets_english_panel_and_language_stored(post, session, tmf):
    token = session("cust-0002", locale="en")
    response = post("/w/alerts/save", token, sim="prod-0002-1", enabled="1", channel="sms", data="1")
    assert "Usage alerts are on. We will send them by SMS to this number." in text(response)
    assert tmf.get_customer("cust-0002").usage_alerts[0].language == "en"
    post("/w/alerts/save", token, sim="prod-0002-1")


def test_another_customers_sim_is_not_found(post, session, tmf):
    token = session("cust-0001")
    assert post("/w/alerts", token, sim="prod-0004-2").status_code == 404
    assert (
        post("/w/alerts/save", token, sim="prod-0004-2", enabled="1", channel="sms", data="1").status_code
        == 404
    )
    assert tmf.get_customer("cust-0004").usage_alerts == ()


@pytest.mark.parametrize("path", ["/w/alerts", "/w/alerts/save"])
def test_every_route_needs_a_session(post, path):
    assert post(path, None, sim="prod-0001-1").status_code == 401


def test_platform_failure_keeps_the_form_and_records_a_failure(alerts_app, post, session, recorded):
    from selfcare_widget.platform import Unavailable

    port = services(alerts_app).platform
    original = port.update_usage_alerts

    def down(*args, **kwargs):
        raise Unavailable("platform down")

    port.update_usage_alerts = down  # the platform refuses writes; reads still work
    try:
        response = post(
            "/w/alerts/save", session("cust-0001"), sim="prod-0001-2", enabled="1", channel="email", data="1"
        )
    finally:
        port.update_usage_alerts = original
    assert response.status_code == 503
    body = text(response)
    assert "Upozornění se teď nepodařilo uložit." in body
    assert re.search(r'<input type="radio" name="channel" value="email" checked', body)
    assert recorded()[-1]["outcome"] == "failure"


def test_email_needs_an_address_in_the_contact_details(post, session, tmf, alerts_platform_url):
    from tests.sandbox.helpers import Client

    customer = "cust-0013"
    sim = tmf.list_sims(customer)[0].product_id
    partner = tmf.get_customer(customer).partner_id
    media = Client(alerts_platform_url).get("629", f"/customer/{customer}").json()["contactMedium"]
    without_email = [m for m in media if m["mediumType"] != "email"]
    assert (
        Client(alerts_platform_url)
        .patch("629", f"/customer/{customer}", json={"contactMedium": without_email})
        .ok
    )
    try:
        token = session(customer, partner_id=partner)
        panel = text(post("/w/alerts", token, sim=sim))
        assert "E-mailem (nejdřív doplňte adresu v kontaktních údajích)" in panel
        refused = post("/w/alerts/save", token, sim=sim, enabled="1", channel="email", data="1")
        assert refused.status_code == 422
        assert "V kontaktních údajích nemáte e-mailovou adresu." in text(refused)
        assert tmf.get_customer(customer).usage_alerts == ()
    finally:
        Client(alerts_platform_url).patch("629", f"/customer/{customer}", json={"contactMedium": media})
