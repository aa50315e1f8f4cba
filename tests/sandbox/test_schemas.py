"""Every implemented endpoint over real HTTP; every body validated against the TMF v4 schemas.

Every TMF body, TMF654 Bucket and TMF681 CommunicationMessage included, is checked against the
official specs in the shared folder, with format checking on (``uri``, ``date-time``). Only the
two platform extensions under ``/selfcare/v1`` have no spec: they are checked against small
schemas written from docs/platform-contract.md.
"""

from __future__ import annotations

import pytest
from jsonschema import Draft4Validator, FormatChecker

from selfcare_widget.sandbox.resources import BASE

MONEY = {
    "type": "object",
    "required": ["unit", "value"],
    "properties": {"unit": {"enum": ["CZK"]}, "value": {"type": "number"}},
}
#: The platform extensions (docs/platform-contract.md); everything else has an official spec.
LOCAL_SCHEMAS = {
    "UsageSummary": {
        "type": "object",
        "required": ["count", "voiceSeconds", "smsCount", "dataBytes", "feeCount", "chargedAmount"],
        "additionalProperties": False,
        "properties": {
            **{
                k: {"type": "integer", "minimum": 0}
                for k in ("count", "voiceSeconds", "smsCount", "dataBytes", "feeCount")
            },
            "chargedAmount": MONEY,
        },
    },
    "Authenticated": {
        "type": "object",
        "required": ["customerId"],
        "additionalProperties": False,
        "properties": {"customerId": {"type": "string"}},
    },
}


def test_format_checking_checks_uris_and_date_times():
    """Without its optional validators jsonschema skips ``uri`` and ``date-time``: the checks below
    would then pass relative hrefs and malformed dates (setup.cfg's dev extra installs them)."""
    checker = FormatChecker()
    assert not checker.conforms("/tmf-api/usageManagement/v4/usage/usg-0000001", "uri")
    assert checker.conforms("http://127.0.0.1:5000/tmf-api/usageManagement/v4/usage/usg-0000001", "uri")
    assert not checker.conforms("2026-01-01 10:00", "date-time")
    assert checker.conforms("2026-01-01T10:00:00+01:00", "date-time")


@pytest.fixture(scope="module")
def check(tmf_specs):
    """``check(api, name, body)``: validate one body (a list: each item, and never empty)."""

    def _check(api: str, name: str, body) -> None:
        if api == "selfcare":
            schema = LOCAL_SCHEMAS[name]
        else:  # a TMF API: always its official spec
            schema = {"$ref": f"#/definitions/{name}", "definitions": tmf_specs[api]["definitions"]}
        validator = Draft4Validator(schema, format_checker=FormatChecker())
        items = body if isinstance(body, list) else [body]
        assert items, f"{api} {name}: empty list, nothing validated"
        for item in items:
            errors = sorted(validator.iter_errors(item), key=str)
            assert not errors, f"{api} {name} {item.get('id')}: {errors[0].message} at {list(errors[0].path)}"

    return _check


def _ok(response, status: int = 200):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    return response.json()


# (api, list path, params, definition, single path or None)
READS = [
    ("629", "/customer", {"relatedParty.id": "demo-mobil"}, "Customer", "/customer/cust-0001"),
    ("666", "/billingAccount", {"relatedParty.id": "cust-0001"}, "BillingAccount", "/billingAccount/ba-0001"),
    ("637", "/product", {"relatedParty.id": "cust-0001"}, "Product", "/product/prod-0001-1"),
    (
        "637",
        "/product",
        {"productCharacteristic.msisdn": "420601234567"},
        "Product",
        "/product/prod-0001-1-a1",
    ),
    ("638", "/service", {"relatedParty.id": "cust-0004"}, "Service", "/service/svc-0004-1"),
    ("639", "/resource", {"relatedParty.id": "cust-0004"}, "Resource", "/resource/sim-0001-1"),
    (
        "620",
        "/productOffering",
        {"category.id": "tariff"},
        "ProductOffering",
        "/productOffering/tariff-pohoda",
    ),
    (
        "620",
        "/productOffering",
        {
            "lifecycleStatus": "Launched",
            "category.id": "addon",
            "productOfferingRelationship.id": "tariff-pohoda",
        },
        "ProductOffering",
        "/productOffering/addon-50sms",
    ),
    ("678", "/customerBill", {"billingAccount.id": "ba-0001"}, "CustomerBill", "/customerBill/"),
    ("678", "/appliedCustomerBillingRate", {"bill.id": "bill-0001-"}, "AppliedCustomerBillingRate", None),
    ("635", "/usage", {"relatedParty.id": "cust-0002", "limit": 200}, "Usage", "/usage/usg-0000001"),
    ("654", "/bucket", {"product.id": "prod-0001-1,prod-0001-2"}, "Bucket", "/bucket/bkt-0001-1-credit"),
]


@pytest.mark.parametrize(
    ("api", "path", "params", "name", "single"), READS, ids=[f"{r[0]}{r[1]}" for r in READS]
)
def test_read_endpoints_match_schema(sandbox_client, check, api, path, params, name, single):
    if path == "/appliedCustomerBillingRate":  # the id of a real bill, from the bill list
        params = {
            "bill.id": sandbox_client.get(
                "678", "/customerBill", params={"billingAccount.id": "ba-0001"}
            ).json()[0]["id"]
        }
    body = _ok(sandbox_client.get(api, path, params=params))
    check(api, name, body)
    assert int(sandbox_client.get(api, path, params=params).headers["X-Total-Count"]) >= len(body)
    if single:
        if single.endswith("/"):
            single += body[0]["id"]
        check(api, name, _ok(sandbox_client.get(api, single)))


def test_every_usage_type_matches_schema(sandbox_client, check):
    for kind in ("voice", "sms", "data", "fee"):
        body = _ok(
            sandbox_client.get("635", "/usage", params={"relatedParty.id": "cust-0001", "usageType": kind})
        )
        check("635", "Usage", body)


def test_usage_summary_and_authenticate_match_schema(sandbox_client, check):
    check(
        "selfcare",
        "UsageSummary",
        _ok(sandbox_client.get("selfcare", "/usageSummary", params={"relatedParty.id": "cust-0002"})),
    )
    body = _ok(
        sandbox_client.post(
            "selfcare",
            "/authenticate",
            json={"partnerId": "demo-mobil", "login": "420601234567", "password": "Heslo123!"},
        )
    )
    check("selfcare", "Authenticated", body)
    refused = sandbox_client.post(
        "selfcare", "/authenticate", json={"partnerId": "demo-mobil", "login": "x@y.cz", "password": "x"}
    ).json()
    check("629", "Error", refused)  # the extension answers errors in the TMF shape
    assert set(refused) == {"code", "reason", "message", "status"}


def test_writes_match_schema(private_client, check):
    c = private_client
    customer = _ok(
        c.patch(
            "629",
            "/customer/cust-0010",
            json={
                "contactMedium": [
                    {"mediumType": "email", "characteristic": {"emailAddress": "nova.adresa@example.cz"}}
                ]
            },
        )
    )
    check("629", "Customer", customer)
    stored = c.get("638", "/service/svc-0010-1").json()["serviceCharacteristic"]
    whole = [{**ch, "value": True} if ch["name"] == "roamingEnabled" else ch for ch in stored]
    service = _ok(c.patch("638", "/service/svc-0010-1", json={"serviceCharacteristic": whole}))
    check("638", "Service", service)
    tariff = c.get("637", "/product/prod-0010-1").json()["productOffering"]["id"]
    offering = c.get(
        "620",
        "/productOffering",
        params={"productOfferingRelationship.id": tariff, "lifecycleStatus": "Launched"},
    ).json()[0]["id"]
    order = _ok(
        c.post(
            "622",
            "/productOrder",
            json={
                "externalId": "schema-test-1",
                "relatedParty": [{"id": "cust-0010", "role": "customer"}],
                "productOrderItem": [
                    {
                        "id": "1",
                        "action": "add",
                        "productOffering": {"id": offering},
                        "product": {
                            "productRelationship": [
                                {"relationshipType": "addOnTo", "product": {"id": "prod-0010-1"}}
                            ]
                        },
                    }
                ],
            },
        ),
        201,
    )
    check("622", "ProductOrder", order)
    check("622", "ProductOrder", _ok(c.get("622", f"/productOrder/{order['id']}")))
    check("622", "ProductOrder", _ok(c.get("622", "/productOrder", params={"relatedParty.id": "cust-0010"})))
    message = _ok(
        c.post(
            "681",
            "/communicationMessage",
            json={
                "messageType": "SMS",
                "content": "Váš kód: 123456",
                "receiver": [{"phoneNumber": "+420601234567"}],
                "sender": {"name": "Demo Mobil"},
            },
        ),
        201,
    )
    check("681", "CommunicationMessage", message)
    listed = _ok(c.get("681", "/communicationMessage", params={"receiver.phoneNumber": "+420601234567"}))
    check("681", "CommunicationMessage", listed)
    check("681", "CommunicationMessage", _ok(c.get("681", f"/communicationMessage/{message['id']}")))


@pytest.mark.parametrize(
    "status_path", [("404", "/customer/nobody"), ("400", "/customer?bogus=1"), ("405", "/customer")]
)
def test_errors_are_tmf_shaped(sandbox_client, check, status_path):
    status, path = status_path
    method = "DELETE" if status == "405" else "GET"
    response = sandbox_client.request(method, "629", path)
    assert response.status_code == int(status)
    body = response.json()
    check("629", "Error", body)
    assert set(body) == {"code", "reason", "message", "status"}  # all four, as the contract says
    assert body["status"] == status


# DESIGN §4: TMF676's spec says /payment/v4/; it is mounted like the others.
MOUNTED_AS = {"676": "/tmf-api/paymentManagement/v4"}
# Specs in ../shared/tmf the widget does not use yet (TMF676 Payment is used since bill payment).
NOT_USED_YET: set[str] = set()


def test_the_sandbox_serves_each_api_under_its_official_base_path(tmf_specs):
    from selfcare_widget.platform import tmf

    assert tmf_specs, "the TMF specs are read"
    official = {api: MOUNTED_AS.get(api, spec["basePath"].rstrip("/")) for api, spec in tmf_specs.items()}
    used = {api: path for api, path in official.items() if api not in NOT_USED_YET}
    served = {api: path for api, path in BASE.items() if api in official}  # "selfcare": our extension
    assert set(served) == set(used) | (set(served) & NOT_USED_YET)
    for api, path in served.items():
        assert path == official[api], api  # the sandbox
    # the client's own constants agree with the specs too (it must not depend on the sandbox)
    client_paths = {v for k, v in vars(tmf).items() if isinstance(v, str) and v.startswith("/tmf-api/")}
    assert set(used.values()) <= client_paths


def test_the_clients_sms_is_a_valid_tmf681_v4_create_body(tmf_specs):
    """What the widget POSTs for an SMS code satisfies the official spec (format checking on)."""
    from jsonschema import FormatChecker

    from selfcare_widget.platform import tmf_mapping

    body = tmf_mapping.sms_body("420601234567", "Váš kód: 123456", "Demo Mobil")
    schema = {
        "$ref": "#/definitions/CommunicationMessage_Create",
        "definitions": tmf_specs["681"]["definitions"],
    }
    errors = list(Draft4Validator(schema, format_checker=FormatChecker()).iter_errors(body))
    assert errors == []
    assert set(schema["definitions"]["CommunicationMessage_Create"]["required"]) <= set(body)


def _unpaid_bill(client, account: str) -> dict:
    bills = client.get("678", "/customerBill", params={"billingAccount.id": account}).json()
    return next(b for b in bills if b["state"] != "settled")


def test_payment_and_topup_match_schema(private_client, check):
    """TMF676 Payment and TMF654 TopupBalance: created, listed and read, each body per the spec."""
    c = private_client
    bill = _unpaid_bill(c, "ba-0001")
    payment = _ok(
        c.post(
            "676",
            "/payment",
            json={
                "correlatorId": "schema-pay-1",
                "account": {"id": "ba-0001"},
                "paymentMethod": {"id": "partnerCardGateway"},
                "totalAmount": {"unit": "CZK", "value": bill["remainingAmount"]["value"]},
                "paymentItem": [{"item": {"id": bill["id"], "@referredType": "CustomerBill"}}],
            },
        ),
        201,
    )
    check("676", "Payment", payment)
    check("676", "Payment", _ok(c.get("676", f"/payment/{payment['id']}")))
    check("676", "Payment", _ok(c.get("676", "/payment", params={"account.id": "ba-0001"})))
    check("678", "CustomerBill", _ok(c.get("678", f"/customerBill/{bill['id']}")))
    bucket = c.get("654", "/bucket", params={"relatedParty.id": "cust-0005", "usageType": "monetary"}).json()[
        0
    ]
    topup = _ok(
        c.post(
            "654",
            "/topupBalance",
            json={
                "correlatorId": "schema-topup-1",
                "amount": {"amount": 200, "units": "CZK"},
                "usageType": "monetary",
                "bucket": {"id": bucket["id"]},
                "partyAccount": {"id": "ba-0005"},
            },
        ),
        201,
    )
    check("654", "TopupBalance", topup)
    check("654", "TopupBalance", _ok(c.get("654", f"/topupBalance/{topup['id']}")))
    check(
        "654",
        "TopupBalance",
        _ok(c.get("654", "/topupBalance", params={"product.id": bucket["product"][0]["id"]})),
    )


def test_the_clients_payment_and_topup_are_valid_tmf_v4_create_bodies(tmf_specs):
    """What the widget POSTs to TMF676 and TMF654 satisfies the official specs (format checking on)."""
    import json
    from decimal import Decimal

    from jsonschema import FormatChecker

    from selfcare_widget.platform import tmf_mapping

    bodies = {
        ("676", "Payment_Create"): tmf_mapping.payment_body(
            "cust-0001", "ba-0001", "bill-0001-202610", Decimal("1290.59"), "sc-pay-x", "gw-1"
        ),
        ("654", "TopupBalance_Create"): tmf_mapping.topup_body(
            "cust-0005", "ba-0005", "prod-0005-1", "bkt-0005-1-credit", Decimal("200.00"), "sc-topup-x"
        ),
    }
    for (api, name), body in bodies.items():
        wire = json.loads(json.dumps(body, default=float))  # as the client serialises Decimals
        schema = {"$ref": f"#/definitions/{name}", "definitions": tmf_specs[api]["definitions"]}
        errors = list(Draft4Validator(schema, format_checker=FormatChecker()).iter_errors(wire))
        assert errors == [], (name, errors[:1])
        assert set(schema["definitions"][name]["required"]) <= set(wire)
