"""Lost SIM: the partner's customer care and a replacement SIM (plastic or eSIM) after blocking,
and PIN/PUK behind a fresh re-authentication — widget to sandbox over real HTTP."""

from __future__ import annotations

import html
import logging
import re
import uuid

import pytest
import requests

from selfcare_widget.platform.models import SimKind
from selfcare_widget.sandbox.resources import sim_codes
from selfcare_widget.sandbox.seed import DEMO_PASSWORD
from selfcare_widget.services import services
from tests.sims.helpers import find_customer
from tests.support import PLATFORM_CREDENTIAL, new_sms_code, sms_codes

CUST1_SIM1 = "prod-0001-1"
CUST4_BLOCKED = "prod-0004-1"  # another customer's blocked SIM (cust-0004)
ORDERS = "/tmf-api/productOrderingManagement/v4/productOrder"
RESOURCES = "/tmf-api/resourceInventoryManagement/v4/resource"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def platform_get(sandbox_url: str, path: str, **params):
    response = requests.get(
        sandbox_url + path,
        params=params,
        headers={"Authorization": f"Bearer {PLATFORM_CREDENTIAL}"},
        timeout=5,
    )
    response.raise_for_status()
    return response.json()


@pytest.fixture
def lost(app, post, sign_in):
    """(token, customer id, SIM product id) of a generated demo-mobil customer whose SIM the test
    blocks here (a replacement puts the line back in service, so the state is restored after)."""
    customer_id, sim_id = find_customer(
        services(app).platform, [f"cust-{n:04d}" for n in range(6, 31) if n != 10], tariff="tariff-pohoda"
    )
    token = sign_in(customer_id)
    blocked = post("/w/sims/block/confirm", token, sim=sim_id)
    assert blocked.status_code == 200
    yield token, customer_id, sim_id
    # a test that did not replace it leaves the line blocked: put it back in service
    platform = services(app).platform
    if any(s.product_id == sim_id and s.state != "active" for s in platform.list_sims(customer_id)):
        platform.order_sim_replacement(
            customer_id, sim_id, SimKind.ESIM, None, f"test-restore-{uuid.uuid4()}"
        )


def _form_token(body: str) -> str:
    match = re.search(r'name="confirmation" value="([^"]+)"', body)
    assert match, "no confirmation token in the form"
    return match.group(1)


def test_after_blocking_the_partners_care_and_a_replacement_are_offered(post, lost):
    token, _customer, sim_id = lost
    body = text(post("/w/sims", token, sim=sim_id))
    assert "Zákaznická péče Demo Mobil" in body
    assert 'href="tel:+420800123456"' in body and "+420 800 123 456" in body
    assert 'href="mailto:pece@demo-mobil.cz"' in body
    assert 'href="https://www.demo-mobil.cz/podpora"' in body
    assert "/w/sims/replace" in body and "/w/sims/block" not in body.replace("/w/sims/block/", "")


def test_a_partner_without_care_contact_shows_none(app, post, sign_in):
    """zelena-mobil has no support contact in the test partners: no empty box is shown."""
    platform = services(app).platform
    for n in range(1, 65):
        customer_id = f"cust-{n:04d}"
        if platform.get_customer(customer_id).partner_id == "zelena-mobil":
            break
    sim = platform.list_sims(customer_id)[0]
    body = text(
        post("/w/sims", sign_in(customer_id, "zelena-mobil"), partner="zelena-mobil", sim=sim.product_id)
    )
    assert "data-sc-support" not in body


def test_a_plastic_replacement_goes_to_the_contact_address_and_is_ordered_once(
    app, post, lost, edrs, sandbox_url
):
    token, customer_id, sim_id = lost
    contact = services(app).platform.get_customer(customer_id).contact
    form = text(post("/w/sims/replace", token, sim=sim_id))
    assert contact.street in form and contact.city in form  # the delivery address, shown
    assert "/w/contact/edit" in form  # with the way to change it
    confirmation = _form_token(form)
    first = post("/w/sims/replace/order", token, sim=sim_id, kind="physical", confirmation=confirmation)
    second = post("/w/sims/replace/order", token, sim=sim_id, kind="physical", confirmation=confirmation)
    assert first.status_code == 200 and second.status_code == 200
    assert first.headers["X-Selfcare-Action"] == "sim.replace"
    assert "Náhradní SIM je objednaná." in text(first)
    assert "Nic nebylo objednáno dvakrát" in text(second)
    assert contact.street in text(first)
    orders = platform_get(sandbox_url, ORDERS, **{"relatedParty.id": customer_id})
    replacements = [o for o in orders if o.get("externalId", "").startswith("sc-sim-")]
    keys = [o["externalId"] for o in replacements]
    assert len(keys) == len(set(keys))  # one order per confirmation, however often submitted
    replaced = edrs("sim.replace")[-2:]
    assert [(e["outcome"], e["details"]["kind"], e["details"]["duplicate"]) for e in replaced] == [
        ("success", "physical", False),
        ("success", "physical", True),
    ]
    assert replaced[0]["details"]["order"] == replaced[1]["details"]["order"]
    assert contact.street not in str(replaced)  # the address is not recorded
    sim = next(s for s in services(app).platform.list_sims(customer_id) if s.product_id == sim_id)
    assert sim.state == "active"  # in service again on the new card


def test_an_esim_replacement_shows_its_activation_qr_once(app, post, lost, edrs, sandbox_url):
    token, customer_id, sim_id = lost
    confirmation = _form_token(text(post("/w/sims/replace", token, sim=sim_id)))
    response = post("/w/sims/replace/order", token, sim=sim_id, kind="esim", confirmation=confirmation)
    assert response.status_code == 200
    body = text(response)
    lpa = re.search(r"<code data-sc-lpa>([^<]+)</code>", body)
    assert lpa and lpa.group(1).startswith("LPA:1$smdp.example$")
    assert '<svg role="img"' in body and "<title>" in body  # the QR code with its text alternative
    assert "Naskenujte tento QR kód novým telefonem" in body
    sim = next(s for s in services(app).platform.list_sims(customer_id) if s.product_id == sim_id)
    card = platform_get(sandbox_url, f"{RESOURCES}/{sim.resource_id}")
    values = {c["name"]: c["value"] for c in card["resourceCharacteristic"]}
    assert values["activationCode"] == lpa.group(1) and values["simType"] == "esim"
    later = text(post("/w/sims", token, sim=sim_id))
    assert lpa.group(1) not in later and "data-sc-lpa" not in later  # shown only once
    assert edrs("sim.replace")[-1]["details"]["kind"] == "esim"
    assert lpa.group(1) not in str(edrs())


def test_a_replacement_needs_its_own_valid_form(post, lost, edrs):
    token, _customer, sim_id = lost
    refused = post("/w/sims/replace/order", token, sim=sim_id, kind="esim", confirmation="forged")
    assert refused.status_code == 400
    assert edrs("sim.replace")[-1]["details"]["code"] == "invalidConfirmation"
    missing_kind = post("/w/sims/replace/order", token, sim=sim_id, confirmation="x")
    assert missing_kind.status_code == 400 and 'name="kind"' in text(missing_kind)


def test_a_sim_in_service_gets_no_replacement_form(post, sign_in):
    response = post("/w/sims/replace", sign_in("cust-0001"), sim=CUST1_SIM1)
    assert response.status_code == 422


def test_another_customers_sim_cannot_be_replaced(app, post, sign_in, edrs):
    token = sign_in("cust-0001")
    before = len(edrs("sim.replace"))
    assert post("/w/sims/replace", token, sim=CUST4_BLOCKED).status_code == 404
    # even with a form of one's own SIM: the token names the SIM it was issued for
    own_token = sign_in("cust-0004")
    confirmation = _form_token(text(post("/w/sims/replace", own_token, sim=CUST4_BLOCKED)))
    for kind in ("esim", "physical"):
        response = post(
            "/w/sims/replace/order", token, sim=CUST4_BLOCKED, kind=kind, confirmation=confirmation
        )
        assert response.status_code == 404
    assert len(edrs("sim.replace")) == before
    sim = next(s for s in services(app).platform.list_sims("cust-0004") if s.product_id == CUST4_BLOCKED)
    assert sim.state == "suspended"  # still blocked: nothing was ordered


# --- PIN and PUK ----------------------------------------------------------------------------------


def _card_codes(app, customer_id: str, sim_id: str, sandbox_url: str) -> tuple[str, str]:
    sim = next(s for s in services(app).platform.list_sims(customer_id) if s.product_id == sim_id)
    card = platform_get(sandbox_url, f"{RESOURCES}/{sim.resource_id}")
    values = {c["name"]: c["value"] for c in card["resourceCharacteristic"]}
    assert (values["pin1"], values["puk1"]) == sim_codes(values["iccid"])
    return values["pin1"], values["puk1"]


def test_puk_needs_the_password_and_is_never_logged(app, post, sign_in, edrs, sandbox_url, caplog):
    pin, puk = _card_codes(app, "cust-0001", CUST1_SIM1, sandbox_url)
    token = sign_in("cust-0001")
    caplog.set_level(logging.DEBUG)
    asked = text(post("/w/sims/puk", token, sim=CUST1_SIM1))
    assert 'name="password"' in asked and puk not in asked
    for password in ("", "wrong password"):
        refused = post("/w/sims/puk/show", token, sim=CUST1_SIM1, password=password)
        assert refused.status_code == 422 and puk not in text(refused) and pin not in text(refused)
    shown = post("/w/sims/puk/show", token, sim=CUST1_SIM1, password=DEMO_PASSWORD)
    assert shown.status_code == 200
    assert f"<dd data-sc-pin>{pin}</dd>" in text(shown) and f"<dd data-sc-puk>{puk}</dd>" in text(shown)
    assert shown.headers["Cache-Control"] == "no-store"
    assert shown.headers["X-Selfcare-Action"] == "sim.puk.view"
    logged = caplog.text
    assert puk not in logged and DEMO_PASSWORD not in logged
    views = edrs("sim.puk.view")[-3:]
    assert [(e["outcome"], e["details"]["method"]) for e in views] == [
        ("rejected", "password"),
        ("rejected", "password"),
        ("success", "password"),
    ]
    assert puk not in str(edrs()) and pin not in str(edrs())


def test_puk_with_a_code_sent_by_sms(app, post, sign_in, sandbox_url):
    _pin, puk = _card_codes(app, "cust-0001", CUST1_SIM1, sandbox_url)
    token = sign_in("cust-0001")
    msisdn = "420601234567"
    before = len(sms_codes(sandbox_url, msisdn))
    sent = post("/w/sims/puk/code", token, sim=CUST1_SIM1)
    assert sent.status_code == 200 and 'autocomplete="one-time-code"' in text(sent)
    code = new_sms_code(sandbox_url, msisdn, before)
    wrong = "000000" if code != "000000" else "111111"
    assert post("/w/sims/puk/show", token, sim=CUST1_SIM1, reauth_code=wrong).status_code == 422
    shown = post("/w/sims/puk/show", token, sim=CUST1_SIM1, reauth_code=code)
    assert shown.status_code == 200 and puk in text(shown)
    again = post("/w/sims/puk/show", token, sim=CUST1_SIM1, reauth_code=code)
    assert again.status_code == 422  # a code is used once


def test_another_customers_puk_cannot_be_read(app, post, sign_in, edrs, sandbox_url):
    _pin, puk = _card_codes(app, "cust-0004", CUST4_BLOCKED, sandbox_url)
    token = sign_in("cust-0001")
    for path in ("/w/sims/puk", "/w/sims/puk/code", "/w/sims/puk/show"):
        response = post(path, token, sim=CUST4_BLOCKED, password=DEMO_PASSWORD)
        assert response.status_code == 404 and puk not in text(response)


def test_guessing_the_password_for_the_puk_is_limited(post, sign_in, sandbox_url, app):
    _pin, puk = _card_codes(app, "cust-0001", CUST1_SIM1, sandbox_url)
    token = sign_in("cust-0001")
    codes = [post("/w/sims/puk/show", token, sim=CUST1_SIM1, password="guess").status_code for _ in range(5)]
    assert codes == [422] * 5
    blocked = post("/w/sims/puk/show", token, sim=CUST1_SIM1, password=DEMO_PASSWORD)
    assert blocked.status_code == 429 and puk not in text(blocked)
