"""Current spend since the last bill: TMF678 rates not yet billed, sandbox to widget over HTTP."""

from __future__ import annotations

import html
import sqlite3
import uuid
from decimal import Decimal

import pytest
import requests
from jsonschema import Draft4Validator, FormatChecker

from selfcare_widget.platform.tmf import CUSTOMER_BILL
from selfcare_widget.services import services
from tests.sandbox.helpers import TMF_DIR
from tests.support import PLATFORM_CREDENTIAL, PORTAL_ORIGIN, make_widget_app, require, serve_wsgi

RATES = f"{CUSTOMER_BILL}/appliedCustomerBillingRate"


def _get(url: str, path: str, **params) -> requests.Response:
    return requests.get(
        url + path, params=params, headers={"Authorization": f"Bearer {PLATFORM_CREDENTIAL}"}, timeout=10
    )


def _rates_schema() -> dict:
    import json

    require(TMF_DIR.is_dir(), f"TMF specs in {TMF_DIR}")
    spec = json.loads((TMF_DIR / "TMF678-CustomerBill-v4.0.0.swagger.json").read_text())
    return {"$ref": "#/definitions/AppliedCustomerBillingRate", "definitions": spec["definitions"]}


def test_sandbox_lists_the_unbilled_charges_of_an_account(sandbox_url):
    response = _get(sandbox_url, RATES, **{"billingAccount.id": "ba-0001", "isBilled": "false"})
    assert response.status_code == 200
    rates = response.json()
    assert rates and int(response.headers["X-Total-Count"]) == len(rates)
    validator = Draft4Validator(_rates_schema(), format_checker=FormatChecker())
    for rate in rates:
        assert not list(validator.iter_errors(rate)), rate["id"]
        assert rate["isBilled"] is False and "bill" not in rate
        assert rate["billingAccount"]["id"] == "ba-0001"
    kinds = {r["type"] for r in rates}
    assert {"recurring", "package"} <= kinds  # the month's fee and this month's packages
    # billed lines are still there for their bills, and only there
    billed = _get(sandbox_url, RATES, **{"billingAccount.id": "ba-0001", "isBilled": "true"}).json()
    assert billed and all(r["isBilled"] is True and r["bill"]["id"] for r in billed)


def test_prepaid_accounts_have_no_unbilled_charges(sandbox_url):
    response = _get(sandbox_url, RATES, **{"billingAccount.id": "ba-0005", "isBilled": "false"})
    assert response.status_code == 200 and response.json() == []


def test_port_sums_the_unbilled_charges_per_sim(app, sandbox_url):
    rates = _get(sandbox_url, RATES, **{"billingAccount.id": "ba-0001", "isBilled": "false"}).json()
    spend = services(app).platform.current_spend("ba-0001")
    assert spend is not None
    total = sum((Decimal(str(r["taxIncludedAmount"]["value"])) for r in rates), Decimal(0))
    assert spend.amount == total
    for sim in ("prod-0001-1", "prod-0001-2"):
        mine = [r for r in rates if r["product"]["id"] == sim]
        assert spend.for_sim(sim) == sum(
            (Decimal(str(r["taxIncludedAmount"]["value"])) for r in mine), Decimal(0)
        )
    assert spend.since is not None and spend.since.day == 1


def test_an_order_shows_in_the_spend_at_once(app, post, sign_in, sandbox_db):
    """A postpaid customer's package is on the next bill: the overview's spend grows by its price
    straight after the order, whatever the cache held."""
    conn = sqlite3.connect(sandbox_db)
    (customer, sim) = conn.execute(
        "SELECT customer_id, id FROM product WHERE spec_id = 'spec-mobile-line' AND offering_id = 'tariff-pohoda'"
        " AND status = 'active' AND customer_id > 'cust-0020' AND customer_id < 'cust-0040'"
        " AND customer_id IN (SELECT id FROM customer WHERE partner_id = 'demo-mobil') ORDER BY id LIMIT 1"
    ).fetchone()
    conn.close()
    port = services(app).platform
    port.list_sims(customer)  # as the overview does first: the cache learns whose account it is
    account = "ba-" + customer[5:]
    before = port.current_spend(account)
    assert before is not None
    port.order_package(customer, sim, "addon-50sms", str(uuid.uuid4()))
    after = port.current_spend(account)
    assert after is not None
    assert after.amount - before.amount == Decimal("75.00")
    assert after.for_sim(sim) - (before.for_sim(sim) or 0) == Decimal("75.00")


class _Without:
    """WSGI middleware: the sandbox, except that unbilled charges answer ``status``."""

    def __init__(self, app, status: int) -> None:
        self.app, self.status = app, status

    def __call__(self, environ, start_response):
        if environ["PATH_INFO"].endswith("/appliedCustomerBillingRate") and "isBilled" in environ.get(
            "QUERY_STRING", ""
        ):
            reason = {404: "Not Found", 501: "Not Implemented"}[self.status]
            body = b'{"code": "%d", "reason": "%s"}' % (self.status, reason.encode())
            start_response(f"{self.status} {reason}", [("Content-Type", "application/json")])
            return [body]
        return self.app(environ, start_response)


@pytest.mark.parametrize("status", [404, 501])
def test_a_platform_without_unbilled_charges_leaves_the_figure_out(sandbox_db, test_partners, status):
    from selfcare_widget.sandbox import create_sandbox_app

    sandbox = create_sandbox_app(db_path=sandbox_db, credential=PLATFORM_CREDENTIAL)
    with serve_wsgi(_Without(sandbox, status)) as url:
        app = make_widget_app(url, test_partners)
        client = app.test_client()
        for _ in range(7):  # more than the breaker's failure threshold: 501 is no outage
            token = services(app).sessions.create("demo-mobil", "cust-0001", "cs", "sso")
            response = client.post(
                "/w/overview",
                data={"_st": token, "_partner": "demo-mobil"},
                headers={"Origin": PORTAL_ORIGIN},
            )
            body = html.unescape(response.get_data(as_text=True))
            assert response.status_code == 200, body[:300]
            assert "Útrata" not in body and 'role="alert"' not in body
            assert "Zbývající kredit" in body and "Po splatnosti" in body  # the rest as always
            services(app).store.flushall()  # no cache (nor session): every view asks the platform
        assert services(app).platform.inner.breaker_states()[CUSTOMER_BILL] == "closed"
