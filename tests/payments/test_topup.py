"""Prepaid top-up: amounts within the partner's bounds, the hand-off, the booked TMF654 top-up."""

from __future__ import annotations

import re
from decimal import Decimal
from html import unescape

from selfcare_widget.platform.models import BucketKind
from selfcare_widget.services import services
from tests.payments.conftest import as_returned, gateway_result, return_values

LINK = re.compile(r'href="([^"]+)"[^>]*data-sc-gateway-link')
PREPAID = "cust-0005"


def credit(app, customer: str = PREPAID) -> Decimal:
    platform = services(app).platform.inner  # the platform's word, past the cache
    sims = platform.list_sims(customer)
    buckets = platform.list_buckets([s.product_id for s in sims])
    return next(b.remaining for b in buckets if b.kind == BucketKind.MONETARY and not b.package_product_id)


def test_the_top_up_section_shows_credit_presets_and_bounds(sign_in, post, app):
    html = post("/w/topup", sign_in(PREPAID)).text
    assert "Dobít kredit" in html and "data-sc-credit" in html
    for preset in ("200,00", "300,00", "500,00"):
        assert preset in html
    assert "Od 100,00" in html and "5\u00a0000,00" in html.replace("&nbsp;", "\u00a0")
    assert "Zatím žádné dobití." in html


def test_amounts_out_of_bounds_or_garbled_are_refused_and_what_was_typed_is_kept(sign_in, post, app, edrs):
    token = sign_in(PREPAID)
    for typed, message in (
        ("50", "Částka musí být od 100,00"),
        ("6000", "Částka musí být od 100,00"),
        ("dvě stě", "Zadejte částku v korunách"),
        ("12,345", "Zadejte částku v korunách"),
        ("", "Zadejte částku, kterou chcete dobít."),
    ):
        response = post("/w/topup/start", token, amount="other", other_amount=typed)
        assert response.status_code == 422, typed
        assert message in response.text, typed
        assert f'value="{typed}"' in response.text and 'aria-invalid="true"' in response.text
        assert "data-sc-gateway-link" not in response.text
    assert {e["details"]["code"] for e in edrs("payment.start")} == {"invalidAmount"}


def test_a_top_up_is_booked_once_and_the_new_credit_shown(sign_in, post, app, edrs, gateway_secret):
    token = sign_in(PREPAID)
    before = credit(app)
    response = post("/w/topup/start", token, amount="other", other_amount="250,50")
    assert response.status_code == 200, response.text
    values = return_values(unescape(LINK.search(response.text).group(1)))
    assert values["kind"] == "topup" and values["amount"] == "250.50" and values["invoice"] == ""
    returned = as_returned(gateway_result(values, gateway_secret))
    done = post("/w/payments/return", token, returned=returned)
    assert done.status_code == 200, done.text
    after = credit(app)
    assert after == before + Decimal("250.50")
    shown = f"{after:.2f}".replace(".", ",")
    assert "Kredit byl dobit o 250,50" in done.text and shown in done.text
    assert "data-sc-topup-history" in done.text
    # replayed: no second top-up
    again = post("/w/payments/return", token, returned=returned)
    assert again.status_code == 200 and "nic nebylo zaplaceno dvakrát" in again.text
    assert credit(app) == after
    [sim] = [s for s in services(app).platform.list_sims(PREPAID) if s.product_id == values["sim"]]
    history = services(app).platform.list_top_ups(sim.product_id)
    assert [t.amount for t in history].count(Decimal("250.5")) == 1
    booked = edrs("topup")
    assert [e["outcome"] for e in booked] == ["success", "success"]
    assert booked[0]["details"]["amount"] == "250.50" and booked[0]["details"]["credit"] == f"{after:.2f}"
    assert [e["details"]["duplicate"] for e in booked] == [False, True]


def test_a_top_up_for_another_customers_sim_is_refused(sign_in, post, app, gateway_secret):
    token = sign_in(PREPAID)
    response = post("/w/topup/start", token, amount="200")
    values = gateway_result(return_values(unescape(LINK.search(response.text).group(1))), gateway_secret)
    before = credit(app)
    intruder = sign_in("cust-0001")
    refused = post("/w/payments/return", intruder, returned=as_returned(values))
    assert refused.status_code == 422 and credit(app) == before
