"""The usage-alert preference and the e-mail message on the sandbox, over real HTTP: shapes per the
official TMF629 / TMF681 v4 schemas (format checking on), the filter, and the business rules."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from jsonschema import Draft4Validator, FormatChecker

from selfcare_widget.platform import tmf_mapping
from selfcare_widget.platform.models import AlertChannel, UsageAlert
from tests.sandbox.helpers import TMF_DIR, Client
from tests.support import require


@pytest.fixture(scope="module")
def specs() -> dict[str, dict]:
    require(TMF_DIR.is_dir(), f"TMF specs in {TMF_DIR} (set SELFCARE_TMF_DIR)")
    return {p.name[3:6]: json.loads(p.read_text()) for p in TMF_DIR.glob("TMF*.swagger.json")}


@pytest.fixture(scope="module")
def client(alerts_platform_url) -> Client:
    return Client(alerts_platform_url)


def check(specs, api: str, name: str, body) -> None:
    schema = {"$ref": f"#/definitions/{name}", "definitions": specs[api]["definitions"]}
    validator = Draft4Validator(schema, format_checker=FormatChecker())
    for item in body if isinstance(body, list) else [body]:
        errors = sorted(validator.iter_errors(item), key=str)
        assert not errors, f"{name}: {errors[0].message} at {list(errors[0].path)}"


def wire(body: dict) -> dict:
    return json.loads(json.dumps(body, default=float))  # as the client serialises Decimals


ALERT = {"productId": "prod-0010-1", "channel": "sms", "data": True, "language": "cs"}


def test_the_preference_is_a_customer_characteristic_per_the_schema(client, specs):
    body = tmf_mapping.usage_alerts_patch(
        [], [UsageAlert("prod-0010-1", AlertChannel.EMAIL, data=False, credit_below=Decimal("49.5"))]
    )
    # (Customer_Update in the v4 spec also requires engagedParty, an oversight no PATCH honours:
    # each characteristic is checked against the spec's Characteristic instead)
    check(specs, "629", "Characteristic", wire(body)["characteristic"])
    response = client.patch("629", "/customer/cust-0010", json=wire(body))
    assert response.status_code == 200, response.text
    check(specs, "629", "Customer", response.json())
    assert response.json()["characteristic"] == [
        {
            "name": "usageAlerts",
            "valueType": "array",
            "value": [
                {
                    "productId": "prod-0010-1",
                    "channel": "email",
                    "data": False,
                    "language": "cs",
                    "creditBelow": 49.5,
                }
            ],
        }
    ]
    assert [m["mediumType"] for m in response.json()["contactMedium"]] == ["email", "mobile", "postalAddress"]
    listed = client.get(
        "629", "/customer", params={"relatedParty.id": "demo-mobil", "characteristic.name": "usageAlerts"}
    )
    assert listed.status_code == 200
    check(specs, "629", "Customer", listed.json())
    assert "cust-0010" in [c["id"] for c in listed.json()]
    # removing the last alert removes the characteristic: the customer is no longer listed
    cleared = client.patch("629", "/customer/cust-0010", json=tmf_mapping.usage_alerts_patch([], []))
    assert "characteristic" not in cleared.json()
    listed = client.get(
        "629", "/customer", params={"relatedParty.id": "demo-mobil", "characteristic.name": "usageAlerts"}
    ).json()
    assert "cust-0010" not in [c["id"] for c in listed]


def test_other_characteristics_are_kept_when_the_alerts_change(client):
    other = {"name": "marketingConsent", "valueType": "boolean", "value": False}
    client.patch("629", "/customer/cust-0011", json={"characteristic": [other]})
    stored = client.get("629", "/customer/cust-0011").json()["characteristic"]
    body = tmf_mapping.usage_alerts_patch(stored, [UsageAlert("prod-0011-1")])
    after = client.patch("629", "/customer/cust-0011", json=wire(body)).json()["characteristic"]
    assert after[0] == other and after[1]["name"] == "usageAlerts"
    client.patch("629", "/customer/cust-0011", json={"characteristic": []})


@pytest.mark.parametrize(
    ("entry", "code"),
    [
        ({**ALERT, "productId": "prod-0001-1"}, "invalidCharacteristic"),  # another customer's SIM
        ({**ALERT, "channel": "pigeon"}, "invalidCharacteristic"),
        ({**ALERT, "creditBelow": -5}, "invalidCharacteristic"),
        ({**ALERT, "language": "de"}, "invalidCharacteristic"),
        ({**ALERT, "colour": "red"}, "invalidCharacteristic"),
    ],
)
def test_the_platform_refuses_preferences_that_are_not_the_customers(client, entry, code):
    response = client.patch(
        "629", "/customer/cust-0010", json={"characteristic": [{"name": "usageAlerts", "value": [entry]}]}
    )
    assert response.status_code == 422
    assert response.json()["code"] == code
    assert "characteristic" not in client.get("629", "/customer/cust-0010").json()


def test_malformed_bodies_are_400(client):
    assert client.patch("629", "/customer/cust-0010", json={"characteristic": "x"}).status_code == 400
    assert client.patch("629", "/customer/cust-0010", json={"name": "x"}).status_code == 400
    assert client.patch("629", "/customer/cust-0010", json={}).status_code == 400


def test_an_email_message_per_the_tmf681_schema(client, specs):
    body = tmf_mapping.email_body("jana@example.cz", "Demo Mobil: upozornění", "Text", "Demo Mobil")
    check(specs, "681", "CommunicationMessage_Create", body)
    response = client.post("681", "/communicationMessage", json=body)
    assert response.status_code == 201 and response.headers["Location"]
    check(specs, "681", "CommunicationMessage", response.json())
    listed = client.get("681", "/communicationMessage", params={"receiver.email": "JANA@example.cz"}).json()
    assert listed[0]["subject"] == "Demo Mobil: upozornění" and listed[0]["receiver"] == [
        {"email": "jana@example.cz"}
    ]
    check(specs, "681", "CommunicationMessage", listed)
    # an e-mail without a subject or an address is refused, as a strict platform may
    assert client.post("681", "/communicationMessage", json={**body, "subject": ""}).status_code == 400
    assert (
        client.post(
            "681", "/communicationMessage", json={**body, "receiver": [{"phoneNumber": "+420601234567"}]}
        ).status_code
        == 400
    )


def test_the_client_reads_what_it_wrote(tmf):
    alerts = (UsageAlert("prod-0012-1", AlertChannel.SMS, data=True, credit_below=None, language="en"),)
    assert tmf.update_usage_alerts("cust-0012", alerts).usage_alerts == alerts
    assert tmf.get_customer("cust-0012").usage_alerts == alerts
    partner = tmf.get_customer("cust-0012").partner_id
    other = "zelena-mobil" if partner == "demo-mobil" else "demo-mobil"
    assert "cust-0012" in [c.id for c in tmf.list_alert_customers(partner)]
    assert "cust-0012" not in [c.id for c in tmf.list_alert_customers(other)]
    tmf.update_usage_alerts("cust-0012", ())


def test_a_preference_written_wrongly_elsewhere_does_not_break_reading_the_customer():
    customer = tmf_mapping.customer(
        {
            "id": "c",
            "relatedParty": [{"id": "demo-mobil", "role": "mvno"}],
            "characteristic": [
                {
                    "name": "usageAlerts",
                    "value": [
                        {"channel": "sms"},
                        "nonsense",
                        {"productId": "p", "channel": "fax"},
                        {"productId": "q"},
                    ],
                },
                {"name": "somethingElse", "value": 1},
            ],
        }
    )
    assert customer.usage_alerts == (UsageAlert("q"),)
