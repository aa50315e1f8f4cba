"""Behaviour of the sandbox: auth, errors, paging, fields, orders, PATCH rules, sign-in."""

from __future__ import annotations

import threading
from datetime import datetime

import pytest
import requests

from selfcare_widget.sandbox.resources import BASE
from selfcare_widget.sandbox.seed import DEMO_CUSTOMERS, DEMO_PASSWORD, HEAVY_USAGE_RECORDS
from tests.sandbox.helpers import order_addon


def test_credential_required(sandbox_url):
    url = sandbox_url + BASE["629"] + "/customer/cust-0001"
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "test-platform-credential"}):
        response = requests.get(url, headers=headers, timeout=5)
        assert response.status_code == 401
        assert response.json()["code"] == "unauthorized"
        assert response.json()["status"] == "401"


def test_request_id_echoed(sandbox_client):
    response = sandbox_client.get("629", "/customer/cust-0001", headers={"X-Request-ID": "req-123"})
    assert response.headers["X-Request-ID"] == "req-123"


def test_not_found_is_tmf_error(sandbox_client):
    response = sandbox_client.get("637", "/product/nothing-here")
    assert response.status_code == 404
    assert set(response.json()) == {"code", "reason", "message", "status"}


def test_paging_and_counts(sandbox_client):
    params = {"relatedParty.id": "cust-0002"}
    first = sandbox_client.get("635", "/usage", params={**params, "limit": 50})
    assert first.headers["X-Total-Count"] == str(HEAVY_USAGE_RECORDS)
    assert first.headers["X-Result-Count"] == "50"
    second = sandbox_client.get("635", "/usage", params={**params, "limit": 50, "offset": 50})
    ids1, ids2 = [u["id"] for u in first.json()], [u["id"] for u in second.json()]
    assert not set(ids1) & set(ids2)
    both = sandbox_client.get("635", "/usage", params={**params, "limit": 100}).json()
    assert [u["id"] for u in both] == ids1 + ids2
    stamps = [datetime.fromisoformat(u["usageDate"]) for u in both]
    assert stamps == sorted(stamps, reverse=True)  # newest first
    # default limit
    assert sandbox_client.get("635", "/usage", params=params).headers["X-Result-Count"] == "100"
    last = sandbox_client.get(
        "635", "/usage", params={**params, "offset": HEAVY_USAGE_RECORDS - 3, "limit": 1000}
    )
    assert last.headers["X-Result-Count"] == "3"
    for bad in (
        {"limit": 0},
        {"limit": 1001},
        {"limit": "x"},
        {"offset": -1},
        {"usageDate.gt": "yesterday"},
        {"sort": "price"},
        {"nope": "1"},
        {"destinationNumber.contains": "abc"},
    ):
        response = sandbox_client.get("635", "/usage", params={**params, **bad})
        assert response.status_code == 400, bad
        assert response.json()["code"] == "badRequest"
    assert sandbox_client.get("635", "/usage").status_code == 400  # relatedParty.id is required


def test_sort_ascending(sandbox_client):
    body = sandbox_client.get(
        "635", "/usage", params={"relatedParty.id": "cust-0003", "sort": "usageDate", "limit": 1000}
    ).json()
    stamps = [datetime.fromisoformat(u["usageDate"]) for u in body]
    assert stamps == sorted(stamps)


def test_fields_selection(sandbox_client):
    body = sandbox_client.get(
        "635", "/usage", params={"relatedParty.id": "cust-0002", "fields": "usageDate,usageType", "limit": 5}
    ).json()
    assert all(set(u) == {"id", "href", "usageDate", "usageType"} for u in body)  # TMF630: id, href always
    single = sandbox_client.get("629", "/customer/cust-0001", params={"fields": "name"}).json()
    assert single == {
        "id": "cust-0001",
        "href": sandbox_client.url + BASE["629"] + "/customer/cust-0001",
        "name": "Jan Šťastný",
    }


def test_bucket_filter_matches_sim_and_package(sandbox_client):
    sim = sandbox_client.get("654", "/bucket", params={"product.id": "prod-0001-1"}).json()
    package = sandbox_client.get("654", "/bucket", params={"product.id": "prod-0001-1-a2"}).json()
    assert package and {b["id"] for b in package} <= {b["id"] for b in sim}
    assert all(b["product"][0]["id"] == "prod-0001-1" for b in sim)
    assert any(b["usageType"] == "monetary" for b in sim)
    both = sandbox_client.get("654", "/bucket", params={"product.id": "prod-0001-1,prod-0001-2"})
    assert int(both.headers["X-Total-Count"]) > len(sim)


def test_available_packages_depend_on_tariff(sandbox_client):
    def names(tariff):
        return {
            o["name"]
            for o in sandbox_client.get(
                "620",
                "/productOffering",
                params={
                    "lifecycleStatus": "Launched",
                    "category.id": "addon",
                    "productOfferingRelationship.id": tariff,
                },
            ).json()
        }

    assert "50 min do všech sítí" not in names("tariff-pohoda")
    assert "50 min do všech sítí" in names("tariff-start")
    assert {
        "50 SMS do všech sítí",
        "200 minut volání",
        "200 minut off-peak volání",
        "neomezené volání on-net na jeden víkend",
        "balíček 100 minut + 100 SMS do všech sítí",
    } <= names("tariff-pohoda")
    retired = sandbox_client.get("620", "/productOffering", params={"lifecycleStatus": "Retired"}).json()
    assert retired


def test_order_is_idempotent_and_creates_product_and_buckets(private_client):
    c = private_client
    before = int(c.get("637", "/product", params={"relatedParty.id": "cust-0001"}).headers["X-Total-Count"])
    first = order_addon(c, "dedup-seq-1", offering="addon-200min")
    assert first.status_code == 201, first.text
    order = first.json()
    assert order["state"] == "completed" and order["externalId"] == "dedup-seq-1"
    again = order_addon(c, "dedup-seq-1", offering="addon-200min")
    assert again.status_code == 200 and again.json() == order
    after = int(c.get("637", "/product", params={"relatedParty.id": "cust-0001"}).headers["X-Total-Count"])
    assert after == before + 1
    product_id = order["productOrderItem"][0]["product"]["id"]
    product = c.get("637", f"/product/{product_id}").json()
    assert product["productRelationship"][0]["product"]["id"] == "prod-0001-1"
    assert product["productPrice"][0]["price"]["taxIncludedAmount"] == {"unit": "CZK", "value": 349.0}
    buckets = c.get("654", "/bucket", params={"product.id": product_id}).json()
    assert [(b["usageType"], b["remainingValue"]) for b in buckets] == [
        ("voice", {"amount": 200, "units": "min"})
    ]


def test_concurrent_duplicate_orders_create_one(private_client):
    c = private_client
    results: list[int] = []
    barrier = threading.Barrier(4)

    def post():
        barrier.wait()
        results.append(
            order_addon(c, "dedup-concurrent", offering="addon-50sms", sim="prod-0001-2").status_code
        )

    threads = [threading.Thread(target=post) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert sorted(results) == [200, 200, 200, 201]
    orders = c.get("622", "/productOrder", params={"externalId": "dedup-concurrent"})
    assert orders.headers["X-Total-Count"] == "1"


def test_order_rules(private_client):
    c = private_client
    assert order_addon(c, "r1", offering="addon-50min").json()["code"] == "offeringNotAllowed"
    assert order_addon(c, "r2", offering="addon-100sms-retired").json()["code"] == "offeringNotAllowed"
    assert order_addon(c, "r3", offering="tariff-datovy").json()["code"] == "offeringNotAllowed"
    assert order_addon(c, "r4", sim="prod-0002-1").json()["code"] == "productNotFound"
    blocked = order_addon(c, "r5", sim="prod-0004-1", customer="cust-0004")
    assert blocked.status_code == 422 and blocked.json()["code"] == "simBlocked"
    ok = order_addon(c, "r6", offering="addon-50min", sim="prod-0005-1", customer="cust-0005")
    assert ok.status_code == 201
    assert c.post("622", "/productOrder", json={"externalId": "x"}).status_code == 400


def _patch(c, service, **values):
    """A conformant merge-patch: the service's whole characteristic array, ``values`` applied."""
    stored = c.get("638", f"/service/{service}")
    current = stored.json()["serviceCharacteristic"] if stored.status_code == 200 else []
    array = [{**ch, "value": values.pop(ch["name"], ch["value"])} for ch in current]
    array += [{"name": k, "value": v} for k, v in values.items()]
    return c.patch("638", f"/service/{service}", json={"serviceCharacteristic": array})


def test_a_partial_characteristic_array_is_refused_not_applied(private_client):
    """Merge-patch replaces arrays: one setting alone would wipe the others, so it is a 400."""
    c = private_client
    before = c.get("638", "/service/svc-0003-2").json()
    partial = {"serviceCharacteristic": [{"name": "roamingEnabled", "value": True}]}
    response = c.patch("638", "/service/svc-0003-2", json=partial)
    assert response.status_code == 400
    assert "dataEnabled" in response.json()["message"]  # names what is missing
    assert c.get("638", "/service/svc-0003-2").json() == before


def test_service_patch_rules(private_client):
    c = private_client
    changed = _patch(c, "svc-0003-1", roamingEnabled=True, voicemailEnabled=False)
    assert changed.status_code == 200
    values = {ch["name"]: ch["value"] for ch in changed.json()["serviceCharacteristic"]}
    assert values["roamingEnabled"] is True and values["voicemailEnabled"] is False
    assert c.get("638", "/service/svc-0003-1").json() == changed.json()
    assert _patch(c, "svc-0003-1", teleport=True).status_code == 400
    assert _patch(c, "svc-0003-1", roamingEnabled="yes").status_code == 400
    blocked = {
        ch["name"]: ch["value"] for ch in c.get("638", "/service/svc-0004-1").json()["serviceCharacteristic"]
    }
    flipped = not blocked["roamingEnabled"]
    assert _patch(c, "svc-0004-1", roamingEnabled=flipped).json()["code"] == "simBlocked"
    assert _patch(c, "svc-0004-1").status_code == 200  # the array as stored changes nothing: allowed
    assert _patch(c, "svc-0004-1", simBlocked=False).json()["code"] == "unblockNotAllowed"
    blocked = _patch(c, "svc-0003-1", simBlocked=True)
    assert blocked.status_code == 200 and blocked.json()["state"] == "inactive"
    assert c.get("637", "/product/prod-0003-1").json()["status"] == "suspended"
    assert c.get("639", "/resource/sim-0003-1").json()["resourceStatus"] == "suspended"
    assert _patch(c, "svc-0003-1", dataEnabled=False).status_code == 422
    whole = c.get("638", "/service/svc-0003-1").json()["serviceCharacteristic"]
    assert c.patch("638", "/service/nothing", json={"serviceCharacteristic": whole}).status_code == 404


def test_contact_patch(private_client):
    c = private_client
    response = c.patch(
        "629",
        "/customer/cust-0011",
        json={
            "contactMedium": [
                {"mediumType": "mobile", "characteristic": {"phoneNumber": "+420 777 123 456"}},
                {
                    "mediumType": "postalAddress",
                    "characteristic": {
                        "street1": "Křižíkova 5",
                        "city": "Plzeň",
                        "postCode": "30100",
                        "country": "CZ",
                    },
                },
            ]
        },
    )
    assert response.status_code == 200, response.text
    media = {m["mediumType"]: m["characteristic"] for m in response.json()["contactMedium"]}
    assert media["mobile"]["phoneNumber"] == "+420777123456"
    assert media["postalAddress"]["postCode"] == "301 00"
    assert "email" not in media  # merge-patch: the array in the body replaced the stored one
    for bad in (
        {"mediumType": "email", "characteristic": {"emailAddress": "no-at-sign"}},
        {"mediumType": "mobile", "characteristic": {"phoneNumber": "12"}},
        {
            "mediumType": "postalAddress",
            "characteristic": {"street1": "A 1", "city": "B", "postCode": "1", "country": "CZ"},
        },
        {"mediumType": "fax", "characteristic": {}},
    ):
        response = c.patch("629", "/customer/cust-0011", json={"contactMedium": [bad]})
        assert response.status_code == 422 and response.json()["code"] == "invalidContact", bad
    assert c.patch("629", "/customer/cust-0011", json={"name": "X"}).status_code == 400


def test_authenticate(sandbox_client):
    def auth(login, password=DEMO_PASSWORD, partner="demo-mobil"):
        return sandbox_client.post(
            "selfcare", "/authenticate", json={"partnerId": partner, "login": login, "password": password}
        )

    for login in (
        "420601234567",
        "+420 601 234 567",
        "601234567",
        "jan.stastny@example.cz",
        "Jan.Stastny@Example.cz",
    ):
        response = auth(login)
        assert response.status_code == 200 and response.json() == {"customerId": "cust-0001"}, login
    assert auth("420731222333", partner="zelena-mobil").json() == {"customerId": "cust-0003"}
    failures = [
        auth("420601234567", "wrong"),
        auth("420600000000"),
        auth("nobody@example.cz"),
        auth("420731222333"),
    ]  # right customer, wrong partner
    assert {r.status_code for r in failures} == {401}
    assert len({r.text for r in failures}) == 1  # unknown login and wrong password look the same
    assert sandbox_client.post("selfcare", "/authenticate", json={"login": "x"}).status_code == 400


def test_demo_customers_as_documented(sandbox_client):
    for customer in DEMO_CUSTOMERS.values():
        body = sandbox_client.get("629", f"/customer/{customer.id}").json()
        assert body["name"] == customer.name
        assert body["relatedParty"][0]["id"] == customer.partner_id
        sims = sandbox_client.get(
            "637",
            "/product",
            params={"relatedParty.id": customer.id, "productSpecification.id": "spec-mobile-line"},
        ).json()
        msisdns = [
            next(ch["value"] for ch in p["productCharacteristic"] if ch["name"] == "msisdn") for p in sims
        ]
        assert msisdns == [s.msisdn for s in customer.sims]
    heavy = sandbox_client.get("635", "/usage", params={"relatedParty.id": "cust-0002", "limit": 1})
    assert int(heavy.headers["X-Total-Count"]) >= 20_000


def test_outbox_lookup(private_client):
    c = private_client
    created = c.post(
        "681",
        "/communicationMessage",
        json={
            "messageType": "SMS",
            "content": "Kód 654321",
            "receiver": [{"phoneNumber": "+420605777888"}],
            "sender": {"name": "Demo Mobil"},
        },
    )
    assert created.status_code == 201
    assert created.headers["Location"] == created.json()["href"]  # TMF630: 201 names the new resource
    for number in ("+420605777888", "420605777888"):
        listed = c.get("681", "/communicationMessage", params={"receiver.phoneNumber": number}).json()
        assert listed[0]["content"] == "Kód 654321"
        assert listed[0]["messageType"] == "SMS"


@pytest.mark.parametrize(
    "missing", ["messageType", "content", "receiver", "sender"], ids=lambda m: f"without-{m}"
)
def test_a_message_without_a_field_tmf681_v4_requires_is_refused(private_client, missing):
    body = {
        "messageType": "SMS",
        "content": "Kód 654321",
        "receiver": [{"phoneNumber": "+420605777888"}],
        "sender": {"name": "Demo Mobil"},
    }
    del body[missing]
    assert private_client.post("681", "/communicationMessage", json=body).status_code == 400
    legacy = {**body, "messageType": None, "type": "SMS"}  # the pre-v4 field name is not enough
    assert private_client.post("681", "/communicationMessage", json=legacy).status_code == 400
