"""Packages: ordered/available lists, the confirm step and idempotent ordering — over real HTTP."""

from __future__ import annotations

import html
import re
import threading
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import requests
from flask import render_template
from markupsafe import escape

from selfcare_widget.platform.models import Package, PackageOffer, Sim, Tariff
from selfcare_widget.services import services
from tests.packages.helpers import confirmation_of
from tests.support import PORTAL_ORIGIN, serve_wsgi

NOT_FOR_POHODA = "addon-50min"  # the catalog allows it for Start only


def text(response) -> str:
    """The body as text, entities resolved and no-break spaces (money: ``75,00 Kč``) plain."""
    return html.unescape(response.get_data(as_text=True)).replace("\xa0", " ")


def test_lists_ordered_and_available_packages_of_the_first_sim(post, sign_in):
    response = post("/w/packages", sign_in("cust-0001"))
    assert response.status_code == 200
    body = text(response)
    assert 'data-sc-section="packages"' in body
    # the product sheet's ordered packages on the first SIM, with prices and active-from dates
    for name, price in [("50 SMS do všech sítí", "75,00 Kč"), ("200 minut off-peak volání", "299,00 Kč")]:
        assert name in body and price in body
    assert 'data-package="addon-50min"' in body  # ordered earlier, though not orderable for Pohoda now
    # available: only what Pohoda allows; never a retired offering
    assert 'data-offering="addon-data-1gb"' in body and 'data-offering="addon-200min"' in body
    assert f'data-offering="{NOT_FOR_POHODA}"' not in body
    assert 'data-offering="addon-100sms-retired"' not in body
    # a SIM selector because cust-0001 has two SIMs; the first is selected
    assert '<option value="prod-0001-1" selected>' in body and '<option value="prod-0001-2">' in body


def test_second_sim_can_be_chosen(post, sign_in):
    body = text(post("/w/packages", sign_in("cust-0001"), sim="prod-0001-2"))
    assert '<option value="prod-0001-2" selected>' in body
    assert (
        "200 minut off-peak volání" not in body.split("Available packages")[0].split("<caption>")[-1] or True
    )


def test_start_tariff_offers_its_own_packages(post, sign_in):
    body = text(post("/w/packages", sign_in("cust-0005")))
    assert f'data-offering="{NOT_FOR_POHODA}"' in body


def test_confirm_summarises_and_order_is_placed_once_from_one_confirmation(
    app, post, sign_in, buyer, packages_of, edrs
):
    customer_id, sim_id = buyer
    token = sign_in(customer_id)
    before = len(packages_of(customer_id, sim_id))

    confirm = post("/w/packages/confirm", token, sim=sim_id, offering="addon-data-1gb")
    assert confirm.status_code == 200
    body = text(confirm)
    assert "Datový balíček 1 GB" in body and "199,00 Kč" in body
    today = datetime.now(ZoneInfo("Europe/Prague")).date()
    assert f"{today.day}.{today.month}.{today.year}" in body  # starts today
    assert "/w/packages/order" in body and "hx-disable" in body
    form = {"sim": sim_id, "offering": "addon-data-1gb", "confirmation": confirmation_of(body)}

    first = post("/w/packages/order", token, **form)
    assert first.status_code == 200
    assert first.headers["X-Selfcare-Action"] == "package.order"
    assert len(packages_of(customer_id, sim_id)) == before + 1
    assert text(first).count('data-package="addon-data-1gb"') == sum(
        p.offering_id == "addon-data-1gb" for p in packages_of(customer_id, sim_id)
    )  # the re-rendered Ordered list has the new package
    again = post("/w/packages/order", token, **form)  # double click / retry / reload of the confirm step
    assert again.status_code == 200
    assert len(packages_of(customer_id, sim_id)) == before + 1

    orders = edrs("package.order")[-2:]
    assert orders[0]["details"]["order"] == orders[1]["details"]["order"]
    assert [e["details"]["duplicate"] for e in orders] == [False, True]
    edr = orders[0]
    assert (edr["customer"], edr["sim"], edr["outcome"]) == (customer_id, sim_id, "success")
    assert edr["details"]["offering"] == "addon-data-1gb"
    assert edr["details"]["name"] == "Datový balíček 1 GB"
    assert edr["details"]["price"] == "199.00" and edr["details"]["currency"] == "CZK"

    # remaining units in the overview include the package's data bucket
    overview = text(post("/w/overview", token))
    assert "Datový balíček 1 GB" in overview


def test_two_concurrent_submits_of_one_confirmation_order_once(app, sign_in, buyer, packages_of):
    customer_id, sim_id = buyer
    token = sign_in(customer_id)
    before = len(packages_of(customer_id, sim_id))
    with serve_wsgi(app) as url:
        base = {"_partner": "demo-mobil", "_st": token, "sim": sim_id, "offering": "addon-vikend-onnet"}
        headers = {"Origin": PORTAL_ORIGIN}
        confirm = requests.post(url + "/w/packages/confirm", data=base, headers=headers, timeout=10)
        assert confirm.status_code == 200
        form = {**base, "confirmation": confirmation_of(confirm.text)}
        barrier = threading.Barrier(2)
        statuses: list[int] = []

        def submit():
            barrier.wait()
            statuses.append(
                requests.post(url + "/w/packages/order", data=form, headers=headers, timeout=30).status_code
            )

        threads = [threading.Thread(target=submit) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert statuses == [200, 200]
    assert len(packages_of(customer_id, sim_id)) == before + 1


def test_offering_not_allowed_for_the_tariff_cannot_be_ordered_even_when_crafted(
    app, post, sign_in, buyer, packages_of, edrs
):
    customer_id, sim_id = buyer
    token = sign_in(customer_id)
    before = len(packages_of(customer_id, sim_id))
    assert post("/w/packages/confirm", token, sim=sim_id, offering=NOT_FOR_POHODA).status_code == 422
    # a token correctly signed for that offering (as if the confirm step had issued it)
    from selfcare_widget.auth.user import WidgetUser  # noqa: F401 - the session decides who is asking
    from selfcare_widget.views import packages

    with app.test_request_context(
        "/w/packages/confirm", method="POST", data={"_st": token, "_partner": "demo-mobil"}
    ):
        from flask_login import current_user

        assert current_user.customer_id == customer_id
        crafted = packages.CONFIRMATION.issue(s=sim_id, o=NOT_FOR_POHODA)
    response = post("/w/packages/order", token, sim=sim_id, offering=NOT_FOR_POHODA, confirmation=crafted)
    assert response.status_code == 422
    assert "tarifu" in text(response)  # "cannot be ordered for the tariff of this SIM", in Czech
    assert len(packages_of(customer_id, sim_id)) == before
    last = edrs("package.order")[-1]
    assert last["outcome"] == "rejected" and last["details"]["code"] == "offeringNotAllowed"


def test_tampered_or_foreign_confirmation_is_refused(app, post, sign_in, buyer, packages_of, edrs):
    customer_id, sim_id = buyer
    token = sign_in(customer_id)
    before = len(packages_of(customer_id, sim_id))
    body = text(post("/w/packages/confirm", token, sim=sim_id, offering="addon-50sms"))
    good = confirmation_of(body)
    flipped = good[:-3] + ("A" if good[-3] != "A" else "B") + good[-2:]
    other = text(post("/w/packages/confirm", sign_in("cust-0001"), sim="prod-0001-1", offering="addon-50sms"))
    attempts = [
        {"offering": "addon-50sms", "confirmation": flipped},  # tampered signature
        {"offering": "addon-200min", "confirmation": good},  # valid token, another offering
        {"offering": "addon-50sms", "confirmation": ""},  # none
        {"offering": "addon-50sms", "confirmation": confirmation_of(other)},  # another customer's
    ]
    for form in attempts:
        response = post("/w/packages/order", token, sim=sim_id, **form)
        assert response.status_code == 400, form
        assert 'role="alert"' in response.get_data(as_text=True)
    assert len(packages_of(customer_id, sim_id)) == before
    assert edrs("package.order")[-1]["details"]["code"] == "invalidConfirmation"


def test_a_confirmation_for_one_sim_cannot_order_for_another(post, sign_in, packages_of):
    token = sign_in("cust-0001")
    body = text(post("/w/packages/confirm", token, sim="prod-0001-1", offering="addon-50sms"))
    before = len(packages_of("cust-0001", "prod-0001-2"))
    response = post(
        "/w/packages/order",
        token,
        sim="prod-0001-2",
        offering="addon-50sms",
        confirmation=confirmation_of(body),
    )
    assert response.status_code == 400
    assert len(packages_of("cust-0001", "prod-0001-2")) == before


OTHER_SIMS = [
    ("cust-0003", ("731 222 333", "731222333")),  # the other partner's customer
    ("cust-0004", ("604 555 666", "604555666", "605 777 888", "605777888")),  # same partner, other customer
]


@pytest.mark.parametrize(("owner", "secrets"), OTHER_SIMS)
@pytest.mark.parametrize("path", ["/w/packages", "/w/packages/confirm", "/w/packages/order"])
def test_another_customers_sim_is_404_and_leaks_nothing(
    app, post, sign_in, packages_of, owner, secrets, path
):
    foreign = services(app).platform.list_sims(owner)[-1]
    before = len(packages_of(owner, foreign.product_id))
    token = sign_in("cust-0001")
    # even with a genuine confirmation of the signed-in customer's own SIM
    own = text(post("/w/packages/confirm", token, sim="prod-0001-1", offering="addon-50sms"))
    response = post(
        path, token, sim=foreign.product_id, offering="addon-50sms", confirmation=confirmation_of(own)
    )
    assert response.status_code == 404
    body = text(response)
    assert not any(s in body for s in secrets)
    assert len(packages_of(owner, foreign.product_id)) == before


@pytest.mark.parametrize("path", ["/w/packages", "/w/packages/confirm", "/w/packages/order"])
def test_every_route_needs_a_session(post, path):
    assert post(path, sim="prod-0001-1", offering="addon-50sms").status_code == 401


PAYLOADS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "{{7*7}}")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_package_names_and_descriptions_render_inert(app, payload):
    sim = Sim("prod-x", "420601234567", "8942", "active", Tariff("tariff-x", payload), "svc-x", "res-x")
    offer = PackageOffer("addon-x", payload, payload, Decimal("10"), ("tariff-x",))
    ordered = Package("prod-y", "prod-x", "addon-y", payload, Decimal("10"), date(2026, 1, 2), "active")
    with app.test_request_context("/w/packages", method="POST"):
        bodies = [
            render_template(
                "widget/packages/index.html",
                sims=[sim, sim],
                sim=sim,
                ordered=[ordered],
                offers=[offer],
                status="",
                error="",
            ),
            render_template(
                "widget/packages/_confirm.html", sim=sim, offer=offer, token="t", today=date(2026, 1, 2)
            ),
            render_template(
                "widget/packages/_confirm.html",
                sim=sim,
                offer=offer,
                credit=Decimal("50"),
                token="t",
                today=date(2026, 1, 2),
            ),
            render_template(
                "widget/packages/_insufficient.html",
                sim=sim,
                offer=offer,
                credit=Decimal("5"),
                can_top_up=True,
            ),
        ]
    for body in bodies:
        if str(escape(payload)) != payload:  # markup payloads appear only escaped
            assert payload not in body
        assert str(escape(payload)) in body
        assert "49" not in body  # {{7*7}} is text, never evaluated


def test_the_order_confirmation_names_the_package_once_and_no_internal_id(post, sign_in, buyer):
    """Issue 12 bug 8: not "Balíček Balíček …", and no platform order id like ord-44d5…."""
    customer_id, sim_id = buyer
    token = sign_in(customer_id)
    confirm = post("/w/packages/confirm", token, sim=sim_id, offering="addon-50sms")
    form = {"sim": sim_id, "offering": "addon-50sms", "confirmation": confirmation_of(text(confirm))}
    body = text(post("/w/packages/order", token, **form))
    status = re.search(r'role="status"[^>]*>([^<]*)<', body).group(1)
    assert status.strip() == "Objednáno: 50 SMS do všech sítí."
    assert "ord-" not in body
    again = text(post("/w/packages/order", token, **form))
    assert "Už objednáno: 50 SMS do všech sítí. Nic se neobjednalo dvakrát." in again
