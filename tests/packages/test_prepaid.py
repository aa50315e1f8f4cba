"""Packages of a prepaid SIM are paid from its credit — over real HTTP to the sandbox.

The confirmation says the price is deducted from the credit and shows the credit after the
purchase; the platform deducts it once; a package dearer than the credit is refused before
anything is sent (and by the platform too), with a top-up link when the app has that view.
"""

from __future__ import annotations

import html
from decimal import Decimal

import pytest
import requests

from selfcare_widget.platform.models import BucketKind
from selfcare_widget.sandbox.resources import BASE
from selfcare_widget.services import services
from tests.packages.helpers import confirmation_of
from tests.support import PLATFORM_CREDENTIAL

CHEAP, CHEAP_PRICE = "addon-50sms", Decimal("75.00")
DEAR = "addon-data-1gb"  # 199,00 Kč
CREDIT = Decimal("120.00")


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True)).replace("\xa0", " ")


def platform_credit(sandbox_url: str, sim_id: str) -> tuple[str, Decimal]:
    """(bucket id, credit) of the SIM straight from the platform (no widget cache)."""
    buckets = requests.get(
        f"{sandbox_url}{BASE['654']}/bucket",
        params={"product.id": sim_id, "usageType": "monetary"},
        headers={"Authorization": f"Bearer {PLATFORM_CREDENTIAL}"},
        timeout=10,
    ).json()
    (bucket,) = [b for b in buckets if [p["id"] for p in b["product"]] == [sim_id]]
    return bucket["id"], Decimal(str(bucket["remainingValue"]["amount"]))


def set_credit(sandbox_url: str, sim_id: str, amount: Decimal) -> None:
    """Bring the SIM's credit to ``amount`` with a TMF654 adjustBalance (test set-up)."""
    bucket_id, now = platform_credit(sandbox_url, sim_id)
    if now == amount:
        return
    response = requests.post(
        f"{sandbox_url}{BASE['654']}/adjustBalance",
        json={
            "amount": {"amount": float(amount - now), "units": "CZK"},
            "usageType": "monetary",
            "bucket": {"id": bucket_id},
            "reason": "test set-up",
        },
        headers={"Authorization": f"Bearer {PLATFORM_CREDENTIAL}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text


@pytest.fixture
def prepaid(app, sandbox_url) -> tuple[str, str]:
    """(customer, SIM): a generated demo-mobil customer's active prepaid SIM with 120,00 Kč credit."""
    port = services(app).platform
    for n in range(64, 5, -1):
        customer_id = f"cust-{n:04d}"
        if port.get_customer(customer_id).partner_id != "demo-mobil":
            continue
        for sim in port.list_sims(customer_id):
            if sim.state == "active" and sim.tariff.prepaid:
                set_credit(sandbox_url, sim.product_id, CREDIT)
                return customer_id, sim.product_id
    pytest.fail("no generated demo-mobil customer with an active prepaid SIM")


def test_the_confirmation_says_the_credit_pays_and_shows_the_credit_after(post, sign_in, prepaid):
    customer_id, sim_id = prepaid
    body = text(post("/w/packages/confirm", sign_in(customer_id), sim=sim_id, offering=CHEAP))
    assert "Cena bude odečtena z kreditu." in body
    assert "bude naúčtována" not in body  # the postpaid wording
    assert "Kredit nyní" in body and "120,00 Kč" in body
    assert "Kredit po nákupu" in body and "45,00 Kč" in body
    assert 'name="confirmation"' in body


def test_a_postpaid_confirmation_keeps_the_bill_wording(post, sign_in):
    body = text(post("/w/packages/confirm", sign_in("cust-0001"), sim="prod-0001-2", offering=CHEAP))
    assert "Částka 75,00 Kč vám bude naúčtována." in body
    assert "Kredit po nákupu" not in body and "odečtena z kreditu" not in body


def test_ordering_deducts_the_price_once_and_shows_the_new_credit(
    app, post, sign_in, prepaid, sandbox_url, edrs
):
    customer_id, sim_id = prepaid
    token = sign_in(customer_id)
    confirm = text(post("/w/packages/confirm", token, sim=sim_id, offering=CHEAP))
    form = {"sim": sim_id, "offering": CHEAP, "confirmation": confirmation_of(confirm)}
    first = post("/w/packages/order", token, **form)
    assert first.status_code == 200
    assert "Váš kredit je nyní 45,00 Kč." in text(first)
    assert platform_credit(sandbox_url, sim_id)[1] == CREDIT - CHEAP_PRICE
    again = post("/w/packages/order", token, **form)  # the same confirmation again: no second charge
    assert again.status_code == 200
    assert platform_credit(sandbox_url, sim_id)[1] == CREDIT - CHEAP_PRICE
    # the overview reads the new credit too (the order invalidated the cached balances)
    credit = [
        b.remaining
        for b in services(app).platform.list_buckets([sim_id])
        if b.kind is BucketKind.MONETARY and not b.package_product_id
    ]
    assert credit == [CREDIT - CHEAP_PRICE]
    placed, repeated = edrs("package.order")[-2:]
    assert placed["outcome"] == "success" and placed["details"]["paid_from"] == "credit"
    assert placed["details"]["amount"] == "75.00" and placed["details"]["currency"] == "CZK"
    assert repeated["details"]["duplicate"] is True and repeated["details"]["amount"] == "0.00"


def test_a_package_above_the_credit_is_refused_before_submission(app, post, sign_in, prepaid, sandbox_url):
    customer_id, sim_id = prepaid
    response = post("/w/packages/confirm", sign_in(customer_id), sim=sim_id, offering=DEAR)
    assert response.status_code == 200
    body = text(response)
    assert "Nedostatečný kredit" in body
    assert "Datový balíček 1 GB stojí 199,00 Kč, ale váš kredit je 120,00 Kč." in body
    assert 'name="confirmation"' not in body and "/w/packages/order" not in body  # nothing to submit
    assert 'hx-post="/w/topup"' in body and 'hx-target="#sc-main"' in body
    assert platform_credit(sandbox_url, sim_id)[1] == CREDIT


def test_an_order_the_credit_no_longer_covers_is_refused_and_recorded(
    post, sign_in, prepaid, sandbox_url, packages_of, edrs
):
    """Confirmed while the credit sufficed, submitted after it was spent elsewhere."""
    customer_id, sim_id = prepaid
    token = sign_in(customer_id)
    confirm = text(post("/w/packages/confirm", token, sim=sim_id, offering=CHEAP))
    before = len(packages_of(customer_id, sim_id))
    set_credit(sandbox_url, sim_id, Decimal("10.00"))
    form = {"sim": sim_id, "offering": CHEAP, "confirmation": confirmation_of(confirm)}
    refused = post("/w/packages/order", token, **form)
    assert refused.status_code == 422
    assert "Nedostatečný kredit" in text(refused)
    assert len(packages_of(customer_id, sim_id)) == before
    assert platform_credit(sandbox_url, sim_id)[1] == Decimal("10.00")
    edr = edrs("package.order")[-1]
    assert edr["outcome"] == "rejected" and edr["details"]["code"] == "insufficientCredit"
    assert edr["details"]["amount"] == "75.00" and edr["details"]["paid_from"] == "credit"
