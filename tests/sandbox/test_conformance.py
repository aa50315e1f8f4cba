"""TMF conformance of the sandbox (issue 10): absolute hrefs, TMF630 operator forms, TMF622 roles,
add-on characteristics, TMF620 lastUpdate and its filters. Real HTTP throughout."""

from __future__ import annotations

import http.client
import json
from datetime import date, datetime, timedelta, timezone
from urllib.parse import urlsplit

import pytest

from selfcare_widget.sandbox.resources import BASE, OFFERINGS
from tests.sandbox.helpers import Client, order_addon

SIM = "prod-0001-1"  # cust-0001's first SIM: the product sheet's add-ons hang on it
SIM_MSISDN = "420601234567"

# (api, collection, filter): every kind of resource the sandbox lists
COLLECTIONS = [
    ("629", "/customer", {"relatedParty.id": "demo-mobil"}),
    ("666", "/billingAccount", {"relatedParty.id": "cust-0001"}),
    ("637", "/product", {"relatedParty.id": "cust-0001"}),
    ("638", "/service", {"relatedParty.id": "cust-0001"}),
    ("639", "/resource", {"relatedParty.id": "cust-0001"}),
    ("620", "/productOffering", {}),
    ("678", "/customerBill", {"billingAccount.id": "ba-0001"}),
    ("678", "/appliedCustomerBillingRate", {"bill.id": "bill-0001-"}),  # completed from the bill list
    ("635", "/usage", {"relatedParty.id": "cust-0001"}),
    ("654", "/bucket", {"product.id": SIM}),
]


def _hrefs(body) -> list[str]:
    """Every ``href`` value anywhere in a body."""
    if isinstance(body, list):
        return [h for item in body for h in _hrefs(item)]
    if isinstance(body, dict):
        own = [body["href"]] if "href" in body else []
        return own + [h for key, value in body.items() if key != "href" for h in _hrefs(value)]
    return []


def _ok(response):
    assert response.status_code == 200, response.text
    return response.json()


def _ids(client: Client, api: str, path: str, params) -> list[str]:
    return [item["id"] for item in _ok(client.get(api, path, params={**params, "limit": 1000}))]


def _raw_get(client: Client, api: str, path_and_query: str):
    """GET with the query string exactly as written (requests would percent-encode ``<`` and ``>``)."""
    url = urlsplit(client.url)
    conn = http.client.HTTPConnection(url.hostname or "127.0.0.1", url.port, timeout=10)
    try:
        conn.request(
            "GET",
            BASE[api] + path_and_query,
            headers={"Authorization": client.session.headers["Authorization"]},
        )
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


# --- 1. hrefs are absolute URLs of the sandbox answering; fields= keeps them -------------------


@pytest.mark.parametrize(("api", "path", "params"), COLLECTIONS, ids=[f"{c[0]}{c[1]}" for c in COLLECTIONS])
def test_every_href_is_an_absolute_url_of_the_answering_sandbox(sandbox_client, api, path, params):
    if path == "/appliedCustomerBillingRate":
        params = {
            "bill.id": _ok(
                sandbox_client.get("678", "/customerBill", params={"billingAccount.id": "ba-0001"})
            )[0]["id"]
        }
    body = _ok(sandbox_client.get(api, path, params=params))
    assert body
    for item in body:  # the resource's own href: this API's base path, the collection, its id
        assert item["href"] == f"{sandbox_client.url}{BASE[api]}{path}/{item['id']}"
    for item in body[:3]:  # GET /{id} answers the same href
        assert _ok(sandbox_client.get(api, f"{path}/{item['id']}"))["href"] == item["href"]
    for href in _hrefs(body):  # and every reference inside it
        assert href.startswith(sandbox_client.url + "/tmf-api/"), href


def test_a_supporting_resource_href_leads_to_the_sim_card(sandbox_client):
    service = _ok(sandbox_client.get("638", "/service/svc-0001-1"))
    ref = service["supportingResource"][0]
    card = _ok(sandbox_client.session.get(ref["href"], timeout=10))
    assert card["id"] == ref["id"] and card["@type"] == "SimCard"


def test_hrefs_name_the_host_the_request_was_sent_to(sandbox_client):
    """Behind another name (a proxy, a port mapping) the hrefs follow the request's Host."""
    headers = {"Host": "platform.example:8443"}
    usage = _ok(
        sandbox_client.get(
            "635", "/usage", params={"relatedParty.id": "cust-0001", "limit": 5}, headers=headers
        )
    )
    assert usage[0]["href"] == f"http://platform.example:8443{BASE['635']}/usage/{usage[0]['id']}"
    service = _ok(sandbox_client.get("638", "/service/svc-0001-1", headers=headers))
    assert service["supportingResource"][0]["href"] == (
        f"http://platform.example:8443{BASE['639']}/resource/{service['supportingResource'][0]['id']}"
    )


def test_fields_never_drops_id_and_href(sandbox_client):
    listed = _ok(
        sandbox_client.get(
            "635", "/usage", params={"relatedParty.id": "cust-0001", "fields": "usageDate", "limit": 3}
        )
    )
    assert [set(u) for u in listed] == [{"id", "href", "usageDate"}] * 3
    single = _ok(sandbox_client.get("638", "/service/svc-0001-1", params={"fields": "id"}))
    assert single == {"id": "svc-0001-1", "href": f"{sandbox_client.url}{BASE['638']}/service/svc-0001-1"}


def test_the_location_of_a_created_resource_is_absolute(private_client):
    created = private_client.post(
        "681",
        "/communicationMessage",
        json={
            "messageType": "SMS",
            "content": "Kód 111222",
            "receiver": [{"phoneNumber": "+420605777888"}],
            "sender": {"name": "Demo Mobil"},
        },
    )
    assert created.status_code == 201
    location = created.headers["Location"]
    assert location == created.json()["href"]
    assert location == f"{private_client.url}{BASE['681']}/communicationMessage/{created.json()['id']}"
    assert _ok(private_client.session.get(location, timeout=10))["content"] == "Kód 111222"
    order = order_addon(
        private_client, "location-1", offering="addon-50sms", sim="prod-0001-2", customer="cust-0001"
    )
    assert order.status_code == 201
    assert order.headers["Location"] == f"{private_client.url}{BASE['622']}/productOrder/{order.json()['id']}"


# --- 2. TMF630 operator forms ------------------------------------------------------------------


def test_eq_suffix_is_plain_equality(sandbox_client):
    plain = _ids(sandbox_client, "635", "/usage", {"relatedParty.id": "cust-0001", "usageType": "sms,fee"})
    assert plain
    assert (
        _ids(sandbox_client, "635", "/usage", {"relatedParty.id": "cust-0001", "usageType.eq": "sms,fee"})
        == plain
    )
    # a required filter may be written with .eq too
    assert (
        _ids(sandbox_client, "635", "/usage", {"relatedParty.id.eq": "cust-0001", "usageType": "sms,fee"})
        == plain
    )
    addons = _ids(sandbox_client, "620", "/productOffering", {"category.id": "addon"})
    assert _ids(sandbox_client, "620", "/productOffering", {"category.id.eq": "addon"}) == addons


def test_symbol_operators_as_written_in_a_query_string(sandbox_client):
    """``usageDate>=X`` reaches the server as key ``usageDate>`` and value ``X``; ``usageDate<X`` as
    key ``usageDate<X`` and no value. Both mean what the client wrote."""
    start, end = (
        (date.today() - timedelta(days=40)).isoformat(),
        (date.today() - timedelta(days=10)).isoformat(),
    )
    base = {"relatedParty.id": "cust-0001"}
    cases = [
        (f"usageDate>={start}&usageDate<{end}", {"usageDate.gte": start, "usageDate.lt": end}),
        (f"usageDate>{start}&usageDate<={end}", {"usageDate.gt": start, "usageDate.lte": end}),
        # an unencoded "+" of the offset arrives as a space, and is read as "+"
        (f"usageDate>={start}T12:00:00+01:00", {"usageDate.gte": f"{start}T12:00:00+01:00"}),
    ]
    for raw, suffixed in cases:
        expected = _ids(sandbox_client, "635", "/usage", {**base, **suffixed})
        assert expected, raw
        status, body = _raw_get(sandbox_client, "635", f"/usage?relatedParty.id=cust-0001&limit=1000&{raw}")
        assert status == 200, body
        assert [u["id"] for u in body] == expected, raw


def test_symbol_operators_percent_encoded(sandbox_client):
    """What a client library sends for the same filters (``<`` and ``>`` percent-encoded)."""
    start, end = (
        (date.today() - timedelta(days=40)).isoformat(),
        (date.today() - timedelta(days=10)).isoformat(),
    )
    base = {"relatedParty.id": "cust-0001"}
    expected = _ids(sandbox_client, "635", "/usage", {**base, "usageDate.gte": start, "usageDate.lt": end})
    assert (
        _ids(sandbox_client, "635", "/usage", {**base, "usageDate>": start, f"usageDate<{end}": ""})
        == expected
    )
    bills = {"billingAccount.id": "ba-0001"}
    half_a_year = (date.today() - timedelta(days=180)).isoformat()
    expected = _ids(sandbox_client, "678", "/customerBill", {**bills, "billDate.lte": half_a_year})
    assert expected
    assert _ids(sandbox_client, "678", "/customerBill", {**bills, "billDate<": half_a_year}) == expected


def test_an_exact_usage_date_matches_that_instant(sandbox_client):
    record = _ok(sandbox_client.get("635", "/usage", params={"relatedParty.id": "cust-0001", "limit": 1}))[0]
    instant = datetime.fromisoformat(record["usageDate"])
    as_utc = instant.astimezone(timezone.utc).isoformat()
    for params in ({"usageDate": record["usageDate"]}, {"usageDate.eq": as_utc}):
        body = _ok(sandbox_client.get("635", "/usage", params={"relatedParty.id": "cust-0001", **params}))
        assert record["id"] in {u["id"] for u in body}
        assert {datetime.fromisoformat(u["usageDate"]) for u in body} == {instant}
    summary = _ok(
        sandbox_client.get(
            "selfcare", "/usageSummary", params={"relatedParty.id": "cust-0001", "usageDate": as_utc}
        )
    )
    assert summary["count"] >= 1


@pytest.mark.parametrize(
    "query",
    [
        "usageType>voice",  # only dates compare
        "relatedParty.id.gt=cust",
        "nope>=1",  # unknown, in any form
        "nope.eq=1",
        "usageDate>=yesterday",
        "usageDate<",  # no value
        "usageDate>=",
    ],
)
def test_comparisons_outside_dates_and_unknown_filters_are_400(sandbox_client, query):
    status, body = _raw_get(sandbox_client, "635", f"/usage?relatedParty.id=cust-0001&{query}")
    assert status == 400 and body["code"] == "badRequest", query


# --- 3. TMF622: the customer role in any capitalisation -----------------------------------------


def test_an_order_naming_the_customer_role_capitalised_is_accepted(private_client):
    for n, role in enumerate(("Customer", "CUSTOMER")):
        response = order_addon(
            private_client,
            f"role-case-{n}",
            offering="addon-50sms",
            sim="prod-0001-2",
            customer="cust-0001",
            role=role,
        )
        assert response.status_code == 201, response.text
        assert response.json()["relatedParty"][0]["id"] == "cust-0001"
    assert (
        order_addon(
            private_client,
            "role-case-mvno",
            offering="addon-50sms",
            sim="prod-0001-2",
            customer="cust-0001",
            role="mvno",
        ).status_code
        == 400
    )  # still needs a customer


# --- 4. TMF637 add-on characteristics; TMF620 lastUpdate and its filters -------------------------


def _characteristics(product: dict) -> dict:
    return {ch["name"]: ch["value"] for ch in product["productCharacteristic"]}


def test_every_addon_product_names_its_sim_and_allowance(sandbox_client):
    sims = _ok(
        sandbox_client.get(
            "637", "/product", params={"productSpecification.id": "spec-mobile-line", "limit": 1000}
        )
    )
    msisdn = {p["id"]: _characteristics(p)["msisdn"] for p in sims}
    addons = _ok(
        sandbox_client.get("637", "/product", params={"productSpecification.id": "spec-addon", "limit": 1000})
    )
    assert addons
    for product in addons:
        values = _characteristics(product)
        sim_id = product["productRelationship"][0]["product"]["id"]
        assert values["msisdn"] == msisdn[sim_id], product["id"]
        grants = OFFERINGS[product["productOffering"]["id"]].grants
        allowances = {k: v for k, v in values.items() if k != "msisdn"}
        assert sorted(allowances.values()) == sorted(amount for _, amount in grants), product["id"]


def test_an_ordered_addon_carries_the_same_characteristics(private_client):
    order = order_addon(
        private_client,
        "characteristics-1",
        offering="addon-100min-100sms",
        sim="prod-0001-2",
        customer="cust-0001",
    )
    assert order.status_code == 201, order.text
    product = _ok(
        private_client.get("637", f"/product/{order.json()['productOrderItem'][0]['product']['id']}")
    )
    sim = _ok(private_client.get("637", "/product/prod-0001-2"))
    assert _characteristics(product) == {
        "msisdn": _characteristics(sim)["msisdn"],
        "voiceMinutes": 100,
        "smsCount": 100,
    }


def test_the_msisdn_filter_agrees_with_the_characteristics(sandbox_client):
    """An add-on carries its SIM's msisdn, so the filter finds the SIM and its add-ons;
    with productSpecification.id it finds the line alone (the SMS sign-in lookup)."""
    found = _ids(sandbox_client, "637", "/product", {"productCharacteristic.msisdn": SIM_MSISDN})
    addons = _ids(sandbox_client, "637", "/product", {"productRelationship.product.id": SIM})
    assert addons and set(found) == {SIM, *addons}
    line = {"productCharacteristic.msisdn": SIM_MSISDN, "productSpecification.id": "spec-mobile-line"}
    assert _ids(sandbox_client, "637", "/product", line) == [SIM]


def test_product_offerings_carry_last_update(sandbox_client):
    offerings = _ok(sandbox_client.get("620", "/productOffering"))
    assert len(offerings) == len(OFFERINGS)
    for offering in offerings:
        assert datetime.fromisoformat(offering["lastUpdate"]).tzinfo is not None, offering["id"]


def test_product_offerings_filter_by_name(sandbox_client):
    assert _ids(sandbox_client, "620", "/productOffering", {"name": "Pohoda"}) == ["tariff-pohoda"]
    assert _ids(sandbox_client, "620", "/productOffering", {"name": "Datový balíček 1 GB"}) == [
        "addon-data-1gb"
    ]
    assert set(_ids(sandbox_client, "620", "/productOffering", {"name.eq": "Pohoda,Start"})) == {
        "tariff-pohoda",
        "tariff-start",
    }
    assert _ids(sandbox_client, "620", "/productOffering", {"name": "pohoda"}) == []  # exact


def test_product_offerings_filter_by_last_update(sandbox_client):
    offerings = _ok(sandbox_client.get("620", "/productOffering"))
    updated = {o["id"]: datetime.fromisoformat(o["lastUpdate"]) for o in offerings}
    assert len(set(updated.values())) > 1  # the filters below can tell offerings apart
    pivot = sorted(set(updated.values()))[1]
    pivot_text = pivot.isoformat()

    def expect(test) -> set[str]:
        return {i for i, at in updated.items() if test(at)}

    def found(params) -> set[str]:
        return set(_ids(sandbox_client, "620", "/productOffering", params))

    assert found({"lastUpdate": pivot_text}) == expect(lambda at: at == pivot)
    assert found({"lastUpdate.gt": pivot_text}) == expect(lambda at: at > pivot)
    assert found({"lastUpdate.lt": pivot_text}) == expect(lambda at: at < pivot)
    assert found({"lastUpdate.gte": pivot_text}) == expect(lambda at: at >= pivot)
    assert found({"lastUpdate>": pivot_text}) == expect(lambda at: at >= pivot)  # lastUpdate>=…
    assert found({"lastUpdate.lt": pivot_text, "category.id": "addon"}) == expect(
        lambda at: at < pivot
    ) & set(_ids(sandbox_client, "620", "/productOffering", {"category.id": "addon"}))
    assert sandbox_client.get("620", "/productOffering", params={"lastUpdate.gt": "soon"}).status_code == 400
