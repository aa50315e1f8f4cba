"""The customer's main journeys against the sandbox and against a platform as strict as the
TMF v4 specs allow (tests/strict/platform.py): same results, nothing lost, nothing invented."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from selfcare_widget.i18n import TIME_ZONE
from selfcare_widget.sandbox.seed import DEMO_PASSWORD
from tests.support import new_sms_code, sms_codes

SETTINGS = (
    "dataEnabled",
    "roamingEnabled",
    "premiumSmsBarred",
    "internationalCallsBarred",
    "voicemailEnabled",
)


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_sms_sign_in(platform, post):
    msisdn = "420776100201"
    before = len(sms_codes(platform.url, msisdn))
    assert post("/auth/sms/send", msisdn="776 100 201").status_code == 200
    code = new_sms_code(platform.url, msisdn, before)
    signed_in = post("/auth/sms/verify", msisdn=msisdn, code=code)
    assert signed_in.status_code == 200 and signed_in.headers.get("X-Selfcare-Session")


def test_overview_shows_every_sim_and_no_package_as_a_sim(platform, post, sign_in):
    body = text(post("/w/overview", sign_in("cust-0001")))
    sims = platform.query(
        "SELECT msisdn FROM product WHERE customer_id = 'cust-0001' AND spec_id = 'spec-mobile-line'"
    )
    assert len(sims) == 2
    for (msisdn,) in sims:
        assert f"+420 {msisdn[3:6]} {msisdn[6:9]} {msisdn[9:]}" in body
    # one card per SIM: the packages a strict server returns despite the spec filter are no SIMs
    assert len(re.findall(r'<article class="sc-card" aria-labelledby="sc-sim-', body)) == 2


def test_a_sim_setting_change_keeps_every_other_setting(platform, post, sign_in):
    (doc,) = platform.query("SELECT doc FROM service WHERE id = 'svc-0001-2'")[0]
    before = {c["name"]: c["value"] for c in json.loads(doc)["serviceCharacteristic"]}
    wanted = not before["roamingEnabled"]
    response = post(
        "/w/sims/setting",
        sign_in("cust-0001"),
        sim="prod-0001-2",
        setting="roaming_enabled",
        value=str(wanted).lower(),
    )
    assert response.status_code == 200
    (doc,) = platform.query("SELECT doc FROM service WHERE id = 'svc-0001-2'")[0]
    after = {c["name"]: c["value"] for c in json.loads(doc)["serviceCharacteristic"]}
    assert after == {**before, "roamingEnabled": wanted}


def test_a_package_is_offered_at_its_catalog_price_and_ordered_once(platform, post, sign_in):
    token = sign_in("cust-0001")
    offering = "addon-data-1gb"
    (doc,) = platform.query("SELECT doc FROM product_offering WHERE id = ?", offering)[0]
    price = Decimal(str(json.loads(doc)["productOfferingPrice"][0]["price"]["taxIncludedAmount"]["value"]))
    listed = text(post("/w/packages", token, sim="prod-0001-2"))
    assert f"{price:.2f}".replace(".", ",") + "\xa0Kč" in listed
    assert "0,00\xa0Kč" not in listed  # never an invented price
    confirm = text(post("/w/packages/confirm", token, sim="prod-0001-2", offering=offering))
    token_field = re.search(r'name="confirmation" value="([^"]+)"', confirm).group(1)
    before = platform.query("SELECT count(*) FROM product WHERE sim_product_id = 'prod-0001-2'")[0][0]
    form = {"sim": "prod-0001-2", "offering": offering, "confirmation": token_field}
    assert post("/w/packages/order", token, **form).status_code == 200
    assert post("/w/packages/order", token, **form).status_code == 200  # double click
    assert (
        platform.query("SELECT count(*) FROM product WHERE sim_product_id = 'prod-0001-2'")[0][0]
        == before + 1
    )


def test_every_bill_is_listed_and_opens(platform, post, sign_in):
    token = sign_in("cust-0001")
    bills = platform.query(
        "SELECT cb.id FROM customer_bill cb JOIN billing_account ba ON ba.id = cb.billing_account_id "
        "WHERE ba.customer_id = 'cust-0001' ORDER BY cb.bill_date DESC"
    )
    assert len(bills) > 7  # more than one page of the strict platform
    body = text(post("/w/billing", token))
    listed = re.findall(r'name="invoice" value="([^"]+)"', body) or re.findall(r'"invoice": "([^"]+)"', body)
    assert list(dict.fromkeys(listed)) == [b for (b,) in bills]
    newest = bills[0][0]
    assert post("/w/billing/invoice", token, invoice=newest).status_code == 200
    pdf = post("/w/billing/invoice/pdf", token, invoice=newest)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_call_log_pages_and_the_export_carry_every_record_once(platform, post, sign_in):
    token = sign_in("cust-0001")
    first_day = datetime.now(ZoneInfo(TIME_ZONE)).date().replace(day=1)
    period = {"sim": "prod-0001-2", "from": first_day.isoformat()}
    since = datetime.combine(first_day, time(0, 0), ZoneInfo(TIME_ZONE)).timestamp()
    rows = platform.query(
        "SELECT count(*) FROM usage WHERE product_id = 'prod-0001-2' AND usage_date >= ?", since
    )[0][0]
    first = text(post("/w/usage/results", token, **period))
    shown = first.count("<tr") - 1  # the header row
    assert shown == min(rows, 50)
    export = post("/w/usage/export", token, **period)
    assert export.status_code == 200
    lines = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert len(lines) - 1 == rows  # the header, then every record once


def test_a_contact_change_loses_no_other_medium(platform, post, sign_in):
    (doc,) = platform.query("SELECT doc FROM customer WHERE id = 'cust-0012'")[0]
    before = {m["mediumType"]: m["characteristic"] for m in json.loads(doc)["contactMedium"]}
    form = {
        "email": f"nova-{platform.mode}@example.cz",
        "phone": before["mobile"]["phoneNumber"],
        "street": before["postalAddress"]["street1"],
        "city": before["postalAddress"]["city"],
        "postal_code": before["postalAddress"]["postCode"],
        "country": before["postalAddress"]["country"],
        "current_password": DEMO_PASSWORD,  # the e-mail is also the login
    }
    assert post("/w/contact/save", sign_in("cust-0012"), **form).status_code == 200
    (doc,) = platform.query("SELECT doc FROM customer WHERE id = 'cust-0012'")[0]
    after = {m["mediumType"]: m["characteristic"] for m in json.loads(doc)["contactMedium"]}
    assert after["email"]["emailAddress"] == form["email"]
    assert (after["mobile"], after["postalAddress"]) == (before["mobile"], before["postalAddress"])


def test_the_strict_platform_really_was_strict(platform):
    """The journeys above ran through caps, partial pages and price references."""
    if platform.strict is None:
        return
    answered = platform.strict.answered
    assert any(path.endswith("/productOfferingPrice/pop-addon-data-1gb-0") for _, path, _ in answered)
    assert any(status.startswith("206") for _, _, status in answered)  # capped, partial pages
    assert not any(
        path.endswith("/productOffering") and status.startswith("4") for _, path, status in answered
    )
