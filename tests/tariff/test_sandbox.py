"""The sandbox's tariff change: TMF620 tariff offerings and TMF622 modify orders validated against
the official v4 schemas (format checking on), its rules, and a change from the next billing
period applied when its date comes (with the clock passed in, not waited for)."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timedelta, timezone

import pytest
from jsonschema import Draft4Validator, FormatChecker

from selfcare_widget.sandbox import create_sandbox_app
from selfcare_widget.sandbox.db import connect
from selfcare_widget.sandbox.tariff_change import apply_due_tariff_changes
from tests.sandbox.helpers import TMF_DIR, Client
from tests.support import PLATFORM_CREDENTIAL, require, serve_wsgi


@pytest.fixture(scope="module")
def specs() -> dict[str, dict]:
    require(TMF_DIR.is_dir(), f"TMF specs in {TMF_DIR}")
    return {p.name[3:6]: json.loads(p.read_text()) for p in TMF_DIR.glob("TMF*.swagger.json")}


@pytest.fixture(scope="module")
def check(specs):
    def _check(api: str, name: str, body) -> None:
        schema = {"$ref": f"#/definitions/{name}", "definitions": specs[api]["definitions"]}
        validator = Draft4Validator(schema, format_checker=FormatChecker())
        items = body if isinstance(body, list) else [body]
        assert items
        for item in items:
            errors = sorted(validator.iter_errors(item), key=str)
            assert not errors, f"{api} {name} {item.get('id')}: {errors[0].message} at {list(errors[0].path)}"

    return _check


@pytest.fixture(scope="module")
def db_path(sandbox_db, tmp_path_factory):
    """A copy of the session database: these tests change tariffs freely."""
    path = tmp_path_factory.mktemp("tariff-sandbox") / "platform.sqlite3"
    src, dst = sqlite3.connect(sandbox_db), sqlite3.connect(path)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    return path


@pytest.fixture(scope="module")
def client(db_path):
    app = create_sandbox_app(db_path=db_path, credential=PLATFORM_CREDENTIAL)
    with serve_wsgi(app) as url:
        yield Client(url)


def change(client: Client, key: str, sim: str, offering: str, customer: str):
    return client.post(
        "622",
        "/productOrder",
        json={
            "externalId": key,
            "relatedParty": [{"id": customer, "role": "Customer"}],
            "productOrderItem": [
                {"id": "1", "action": "modify", "productOffering": {"id": offering}, "product": {"id": sim}}
            ],
        },
    )


def test_tariff_offerings_match_the_schema_and_say_what_a_change_needs(client, check):
    response = client.get(
        "620",
        "/productOffering",
        params={
            "category.id": "tariff",
            "lifecycleStatus": "Launched",
            "productOfferingRelationship.id": "tariff-pohoda",
        },
    )
    assert response.status_code == 200
    body = response.json()
    check("620", "ProductOffering", body)
    assert [o["id"] for o in body] == ["tariff-datovy", "tariff-neomezeny"]
    datovy = body[0]
    assert {"id": "tariff-pohoda", "name": "Pohoda", "relationshipType": "changeFrom"} in datovy[
        "productOfferingRelationship"
    ]
    uses = {
        u["name"]: [v["value"] for v in u["productSpecCharacteristicValue"]]
        for u in datovy["prodSpecCharValueUse"]
    }
    assert uses == {
        "voiceMinutes": [5000],
        "smsCount": [500],
        "dataMegabytes": [10240],
        "unlimitedUsage": ["voice"],
        "tariffChangeEffective": ["immediate"],
    }
    for tariff in ("tariff-start", "tariff-neomezeny", "tariff-start-plus"):
        check("620", "ProductOffering", client.get("620", f"/productOffering/{tariff}").json())


def test_an_immediate_change_completes_and_matches_the_schemas(client, check):
    response = change(client, "t-now", "prod-0007-1", "tariff-datovy", "cust-0007")
    assert response.status_code == 201, response.text
    order = response.json()
    check("622", "ProductOrder", order)
    assert order["state"] == "completed" and order["productOrderItem"][0]["action"] == "modify"
    assert response.headers["Location"].endswith(f"/productOrder/{order['id']}")
    product = client.get("637", "/product/prod-0007-1").json()
    check("637", "Product", product)
    assert product["productOffering"] == {"id": "tariff-datovy", "name": "Datový"}
    assert product["productPrice"][0]["price"]["taxIncludedAmount"]["value"] == 499.0
    buckets = client.get("654", "/bucket", params={"product.id": "prod-0007-1"}).json()
    check("654", "Bucket", buckets)
    tariff = {b["name"]: b for b in buckets if b["usageType"] != "monetary" and len(b["product"]) == 1}
    assert set(tariff) == {"Datový – volání", "Datový – SMS", "Datový – data"}
    assert tariff["Datový – volání"]["isUnlimited"] is True
    # the same externalId returns the same order and changes nothing more
    again = change(client, "t-now", "prod-0007-1", "tariff-datovy", "cust-0007")
    assert again.status_code == 200 and again.json() == order
    check("622", "ProductOrder", client.get("622", f"/productOrder/{order['id']}").json())


def test_a_change_from_the_next_period_waits_and_then_applies(client, check, db_path):
    response = change(client, "t-later", "prod-0012-1", "tariff-neomezeny", "cust-0012")
    assert response.status_code == 201, response.text
    order = response.json()
    check("622", "ProductOrder", order)
    assert order["state"] == "inProgress"
    effective = datetime.fromisoformat(order["expectedCompletionDate"])
    assert effective > datetime.now(timezone.utc) and effective.day == 1
    product = client.get("637", "/product/prod-0012-1").json()
    check("637", "Product", product)
    assert product["productOffering"]["id"] == "tariff-pohoda"
    chars = {c["name"]: c["value"] for c in product["productCharacteristic"]}
    assert chars["pendingTariffId"] == "tariff-neomezeny" and chars["pendingTariffName"] == "Neomezený"
    assert datetime.fromisoformat(chars["pendingTariffDate"]) == effective
    refused = change(client, "t-second", "prod-0012-1", "tariff-datovy", "cust-0012")
    assert refused.status_code == 422 and refused.json()["code"] == "tariffChangePending"

    conn = connect(db_path)
    try:
        assert apply_due_tariff_changes(conn, effective - timedelta(seconds=1)) == 0
        assert apply_due_tariff_changes(conn, effective) == 1
        assert apply_due_tariff_changes(conn, effective + timedelta(days=1)) == 0  # once only
    finally:
        conn.close()
    product = client.get("637", "/product/prod-0012-1").json()
    check("637", "Product", product)
    assert product["productOffering"]["id"] == "tariff-neomezeny"
    assert not any(c["name"].startswith("pending") for c in product["productCharacteristic"])
    done = client.get("622", f"/productOrder/{order['id']}").json()
    check("622", "ProductOrder", done)
    assert done["state"] == "completed" and done["completionDate"] == order["expectedCompletionDate"]


@pytest.mark.parametrize(
    ("sim", "offering", "customer", "code"),
    [
        ("prod-0004-1", "tariff-datovy", "cust-0004", "simBlocked"),
        ("prod-0011-1", "tariff-pohoda", "cust-0011", "offeringNotAllowed"),  # prepaid -> postpaid
        ("prod-0009-1", "tariff-pohoda", "cust-0009", "offeringNotAllowed"),  # its own tariff
        ("prod-0009-1", "addon-data-1gb", "cust-0009", "offeringNotAllowed"),
        ("prod-0009-1", "tariff-datovy", "cust-0007", "productNotFound"),  # another customer's SIM
    ],
)
def test_the_rules_of_a_change(client, sim, offering, customer, code):
    response = change(client, f"t-{sim}-{offering}-{customer}", sim, offering, customer)
    assert response.status_code == 422 and response.json()["code"] == code


def test_a_prepaid_line_changes_between_prepaid_tariffs(client):
    response = change(client, "t-prepaid", "prod-0011-1", "tariff-start-plus", "cust-0011")
    assert response.status_code == 201 and response.json()["state"] == "completed"
    account = client.get("666", "/billingAccount", params={"relatedParty.id": "cust-0011"}).json()[0]
    assert account["accountType"] == "prepaid"
