"""Prepaid credit in the sandbox: packages charged from the credit (TMF654 adjustBalance), orders
above the credit refused, prepaid customers without bills, bill lines naming their number."""

from __future__ import annotations

from decimal import Decimal

import pytest
from jsonschema import Draft4Validator, FormatChecker

from tests.sandbox.helpers import order_addon


def credit(client, sim: str) -> Decimal:
    """The SIM's prepaid credit as ``GET /bucket`` reports it."""
    buckets = client.get("654", "/bucket", params={"product.id": sim, "usageType": "monetary"}).json()
    own = [b for b in buckets if [p["id"] for p in b["product"]] == [sim]]
    assert len(own) == 1, buckets
    return Decimal(str(own[0]["remainingValue"]["amount"]))


def products_of(client, customer: str) -> int:
    return int(client.get("637", "/product", params={"relatedParty.id": customer}).headers["X-Total-Count"])


@pytest.fixture(scope="module")
def valid(tmf_specs):
    def _valid(api: str, name: str, body: dict) -> None:
        schema = {"$ref": f"#/definitions/{name}", "definitions": tmf_specs[api]["definitions"]}
        errors = list(Draft4Validator(schema, format_checker=FormatChecker()).iter_errors(body))
        assert not errors, errors[0].message

    return _valid


def test_a_prepaid_order_is_charged_from_the_credit_once(private_client, valid):
    c = private_client
    before = credit(c, "prod-0005-1")
    assert before == Decimal("201.26")  # as docs/demo-data.md and the issue describe cust-0005
    first = order_addon(c, "prepaid-once", offering="addon-50sms", sim="prod-0005-1", customer="cust-0005")
    assert first.status_code == 201, first.text
    assert credit(c, "prod-0005-1") == before - Decimal("75.00")
    again = order_addon(c, "prepaid-once", offering="addon-50sms", sim="prod-0005-1", customer="cust-0005")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert credit(c, "prod-0005-1") == before - Decimal("75.00")  # a replayed key charges nothing
    actions = c.get("654", "/adjustBalance", params={"product.id": "prod-0005-1"})
    assert actions.status_code == 200 and actions.headers["X-Total-Count"] == "1"
    action = actions.json()[0]
    valid("654", "AdjustBalance", action)
    assert action["status"] == "completed" and action["usageType"] == "monetary"
    assert action["amount"] == {"amount": -75.0, "units": "CZK"}
    assert action["bucket"]["id"] == "bkt-0005-1-credit"
    assert first.json()["id"] in action["description"]
    one = c.get("654", f"/adjustBalance/{action['id']}")
    assert one.status_code == 200 and one.json() == action


def test_an_order_above_the_credit_is_refused_and_changes_nothing(private_client, valid):
    c = private_client
    before, products = credit(c, "prod-0005-2"), products_of(c, "cust-0005")
    assert before < Decimal("349.00")
    refused = order_addon(
        c, "prepaid-too-dear", offering="addon-200min", sim="prod-0005-2", customer="cust-0005"
    )
    assert refused.status_code == 422
    valid("622", "Error", refused.json())
    assert refused.json()["code"] == "insufficientCredit"
    assert credit(c, "prod-0005-2") == before
    assert products_of(c, "cust-0005") == products
    assert c.get("622", "/productOrder", params={"externalId": "prepaid-too-dear"}).json() == []


def test_a_postpaid_order_leaves_the_credit_alone(private_client):
    c = private_client
    before = credit(c, "prod-0001-2")
    assert order_addon(c, "postpaid-1", offering="addon-50sms", sim="prod-0001-2").status_code == 201
    assert credit(c, "prod-0001-2") == before
    assert c.get("654", "/adjustBalance", params={"product.id": "prod-0001-2"}).json() == []


def test_adjust_balance_credits_and_refuses_to_go_below_zero(private_client, valid):
    c = private_client
    before = credit(c, "prod-0005-3")
    body = {
        "amount": {"amount": 10.5, "units": "CZK"},
        "usageType": "monetary",
        "bucket": {"id": "bkt-0005-3-credit"},
    }
    created = c.post("654", "/adjustBalance", json=body)
    assert created.status_code == 201, created.text
    valid("654", "AdjustBalance", created.json())
    assert created.headers["Location"].endswith(f"/adjustBalance/{created.json()['id']}")
    assert credit(c, "prod-0005-3") == before + Decimal("10.50")
    too_much = {**body, "amount": {"amount": -10_000, "units": "CZK"}}
    refused = c.post("654", "/adjustBalance", json=too_much)
    assert refused.status_code == 422 and refused.json()["code"] == "insufficientCredit"
    assert credit(c, "prod-0005-3") == before + Decimal("10.50")
    assert c.post("654", "/adjustBalance", json={"amount": {"amount": 1}}).status_code == 400
    missing = {**body, "bucket": {"id": "bkt-nope"}}
    assert c.post("654", "/adjustBalance", json=missing).status_code == 404


def test_prepaid_customers_have_no_bills_and_postpaid_ones_do(sandbox_client):
    c = sandbox_client
    assert c.get("666", "/billingAccount/ba-0005").json()["accountType"] == "prepaid"
    assert c.get("666", "/billingAccount/ba-0001").json()["accountType"] == "postpaid"
    assert c.get("678", "/customerBill", params={"billingAccount.id": "ba-0005"}).json() == []
    assert len(c.get("678", "/customerBill", params={"billingAccount.id": "ba-0001"}).json()) == 12


def test_bill_lines_name_their_sim_product_and_number(sandbox_client):
    c = sandbox_client
    bill = c.get("678", "/customerBill", params={"billingAccount.id": "ba-0001"}).json()[0]
    lines = c.get("678", "/appliedCustomerBillingRate", params={"bill.id": bill["id"]}).json()
    numbers = {"prod-0001-1": "420601234567", "prod-0001-2": "420602345678"}
    assert lines
    for line in lines:
        chars = {ch["name"]: ch["value"] for ch in line["characteristic"]}
        assert chars["msisdn"] == numbers[line["product"]["id"]]
