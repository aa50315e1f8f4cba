"""Sandbox: roaming zones and data limit (TMF638), PIN/PUK and eSIM codes (TMF639), and the
TMF622 replacement SIM order — over real HTTP, every body checked against the official schemas."""

from __future__ import annotations

import re

import pytest

from selfcare_widget.sandbox.resources import ROAMING_DATA_LIMITS, sim_codes


@pytest.fixture(scope="module")
def check(tmf_specs):
    """``check(api, definition, body)``: validate against the official TMF spec, formats on."""
    from jsonschema import Draft4Validator, FormatChecker

    def _check(api: str, name: str, body) -> None:
        schema = {"$ref": f"#/definitions/{name}", "definitions": tmf_specs[api]["definitions"]}
        validator = Draft4Validator(schema, format_checker=FormatChecker())
        for item in body if isinstance(body, list) else [body]:
            errors = sorted(validator.iter_errors(item), key=str)
            assert not errors, f"{api} {name}: {errors[0].message} at {list(errors[0].path)}"

    return _check


LINE, SERVICE, CARD = "prod-0012-1", "svc-0012-1", "sim-0012-1"


def _values(service: dict) -> dict:
    return {c["name"]: c["value"] for c in service["serviceCharacteristic"]}


def _patch(c, service: str, **values):
    stored = c.get("638", f"/service/{service}").json()["serviceCharacteristic"]
    array = [{**ch, "value": values.pop(ch["name"], ch["value"])} for ch in stored]
    return c.patch("638", f"/service/{service}", json={"serviceCharacteristic": array})


def _order(c, customer: str, line: str, kind: str, key: str, place: dict | None = None):
    product: dict = {
        "productSpecification": {"id": "spec-sim-replacement"},
        "productCharacteristic": [{"name": "simType", "valueType": "string", "value": kind}],
        "productRelationship": [{"relationshipType": "replacementFor", "product": {"id": line}}],
    }
    if place is not None:
        product["place"] = [place]
    body = {
        "externalId": key,
        "relatedParty": [{"id": customer, "role": "customer"}],
        "productOrderItem": [{"id": "1", "action": "add", "product": product}],
    }
    return c.post("622", "/productOrder", json=body)


ADDRESS = {
    "role": "deliveryAddress",
    "@type": "GeographicAddress",
    "street": "Dlouhá 1",
    "city": "Praha",
    "postcode": "110 00",
    "country": "CZ",
}


def test_services_carry_roaming_zones_and_a_data_limit(sandbox_client, check):
    services = sandbox_client.get("638", "/service", params={"relatedParty.id": "cust-0001"}).json()
    check("638", "Service", services)
    for service in services:
        values = _values(service)
        assert isinstance(values["roamingEuEnabled"], bool) and isinstance(
            values["roamingWorldEnabled"], bool
        )
        assert values["roamingDataLimit"] in ROAMING_DATA_LIMITS
        limit = next(c for c in service["serviceCharacteristic"] if c["name"] == "roamingDataLimit")
        assert limit["valueType"] == "integer"


def test_the_data_limit_takes_only_allowed_values_and_a_whole_array(private_client, check):
    c = private_client
    changed = _patch(c, "svc-0013-1", roamingDataLimit=500, roamingWorldEnabled=True)
    assert changed.status_code == 200, changed.text
    check("638", "Service", changed.json())
    assert _values(changed.json())["roamingDataLimit"] == 500
    assert _values(changed.json())["roamingWorldEnabled"] is True
    assert _patch(c, "svc-0013-1", roamingDataLimit=42).status_code == 400
    assert _patch(c, "svc-0013-1", roamingDataLimit=True).status_code == 400
    stored = c.get("638", "/service/svc-0013-1").json()["serviceCharacteristic"]
    without = [ch for ch in stored if ch["name"] != "roamingDataLimit"]
    refused = c.patch("638", "/service/svc-0013-1", json={"serviceCharacteristic": without})
    assert refused.status_code == 400 and "roamingDataLimit" in refused.text


def test_a_sim_card_carries_its_pin_and_puk(sandbox_client, check):
    card = sandbox_client.get("639", f"/resource/{CARD}").json()
    check("639", "Resource", card)
    values = {c["name"]: c["value"] for c in card["resourceCharacteristic"]}
    assert values["simType"] == "physical" and "activationCode" not in values
    assert re.fullmatch(r"\d{4}", values["pin1"]) and re.fullmatch(r"\d{8}", values["puk1"])
    assert (values["pin1"], values["puk1"]) == sim_codes(values["iccid"])  # deterministic per card


def test_a_line_in_service_gets_no_replacement(private_client):
    refused = _order(private_client, "cust-0014", "prod-0014-1", "esim", "repl-active")
    assert refused.status_code == 422 and refused.json()["code"] == "simNotBlocked"


def test_another_customers_line_gets_no_replacement(private_client):
    refused = _order(private_client, "cust-0001", "prod-0004-1", "esim", "repl-foreign")
    assert refused.status_code == 422 and refused.json()["code"] == "productNotFound"


def test_a_plastic_card_needs_a_delivery_address(private_client):
    refused = _order(private_client, "cust-0004", "prod-0004-1", "physical", "repl-no-address")
    assert refused.status_code == 422 and refused.json()["code"] == "deliveryAddressMissing"
    malformed = private_client.post("622", "/productOrder", json={"productOrderItem": []})
    assert malformed.status_code == 400


@pytest.mark.parametrize("kind", ["esim", "physical"])
def test_a_blocked_line_gets_a_new_card_once_per_key(private_client, check, kind):
    c = private_client
    customer = "cust-0012"
    assert _patch(c, SERVICE, simBlocked=True).status_code == 200
    old_card = c.get("637", f"/product/{LINE}").json()["realizingResource"][0]["id"]
    created = _order(c, customer, LINE, kind, f"repl-{kind}", ADDRESS if kind == "physical" else None)
    assert created.status_code == 201, created.text
    order = created.json()
    check("622", "ProductOrder", order)
    assert created.headers["Location"].endswith(order["id"])
    again = _order(c, customer, LINE, kind, f"repl-{kind}", ADDRESS if kind == "physical" else None)
    assert again.status_code == 200 and again.json()["id"] == order["id"]  # nothing ordered twice

    line = c.get("637", f"/product/{LINE}").json()
    check("637", "Product", line)
    new_card = line["realizingResource"][0]["id"]
    assert new_card != old_card and line["status"] == "active"
    assert order["productOrderItem"][0]["product"]["realizingResource"][0]["id"] == new_card
    card = c.get("639", f"/resource/{new_card}").json()
    check("639", "Resource", card)
    values = {ch["name"]: ch["value"] for ch in card["resourceCharacteristic"]}
    assert values["simType"] == kind
    assert {ch["name"]: ch["value"] for ch in line["productCharacteristic"]}["iccid"] == values["iccid"]
    if kind == "esim":
        assert re.fullmatch(r"LPA:1\$smdp\.example\$[0-9A-F]{5}(-[0-9A-F]{5}){3}", values["activationCode"])
    else:
        assert "activationCode" not in values
    service = c.get("638", f"/service/{SERVICE}").json()
    check("638", "Service", service)
    assert service["state"] == "active" and _values(service)["simBlocked"] is False
    assert service["supportingResource"][0]["id"] == new_card
    lost = c.get("639", f"/resource/{old_card}").json()
    assert lost["resourceStatus"] == "suspended"  # the lost card stays blocked
