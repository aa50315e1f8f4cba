"""Lists against servers that page the way TMF630 allows, or ignore what it only asks for (#10).

A small list server over real HTTP holds the items of each path and can cap its page size,
leave out or misstate ``X-Total-Count``, ignore ``offset``, ignore filters, and answer ``206``.
Whatever it does, the client must return every item once, and never another customer's.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

import pytest
from flask import Flask, Response, jsonify, request

from selfcare_widget.platform import tmf_mapping
from selfcare_widget.platform.models import UsageFilter
from selfcare_widget.platform.tmf import (
    ACCOUNT,
    CUSTOMER_BILL,
    PREPAY_BALANCE,
    SERVICE_INVENTORY,
    USAGE,
    TmfPlatform,
    TmfSettings,
)
from tests.support import serve_wsgi


@dataclass
class ListServer:
    """Items per path and the liberties the server takes."""

    items: dict[str, list[dict] | dict] = field(default_factory=dict)
    page_cap: int = 1000
    total: str = "true"  # "true" | "absent" | a fixed (wrong) number
    ignore_offset: bool = False
    ignore_filters: bool = False
    status: int = 200
    requests: list[tuple[str, dict]] = field(default_factory=list)

    def app(self) -> Flask:
        app = Flask("list-server")

        @app.get("/<path:path>")
        def listing(path: str) -> Response:
            args = dict(request.args)
            self.requests.append(("/" + path, args))
            items = self.items.get("/" + path, [])
            if isinstance(items, dict):  # a single resource, GET by id
                return jsonify(items)
            if "/" + path not in self.items and path.rsplit("/", 1)[-1].startswith("pop-"):
                return Response('{"code": "notFound", "status": "404"}', 404, mimetype="application/json")
            if not self.ignore_filters:
                items = [i for i in items if _matches(i, args)]
            offset = 0 if self.ignore_offset else int(args.get("offset", 0))
            limit = min(int(args.get("limit", 1000)), self.page_cap)
            page = items[offset : offset + limit]
            response = jsonify(page)
            response.status_code = self.status
            if self.total == "true":
                response.headers["X-Total-Count"] = str(len(items))
            elif self.total != "absent":
                response.headers["X-Total-Count"] = self.total
            return response

        return app


def _matches(item: dict, args: dict) -> bool:
    """The few filters these tests use, as a conformant server applies them."""
    for key, value in args.items():
        if key == "relatedParty.id" and value not in {p["id"] for p in item.get("relatedParty", [])}:
            return False
        if key == "billingAccount.id" and item.get("billingAccount", {}).get("id") != value:
            return False
        if key == "product.id" and item["product"][0]["id"] not in value.split(","):
            return False
    return True


@pytest.fixture
def server() -> Iterator[tuple[ListServer, TmfPlatform]]:
    lists = ListServer()
    with serve_wsgi(lists.app()) as url:
        settings = TmfSettings(base_url=url, credential="x", retry_backoff=0.0)
        with TmfPlatform(settings) as platform:
            yield lists, platform


def bill(n: int, account: str = "ba-1") -> dict:
    return {
        "id": f"bill-{n:02d}",
        "billNo": f"2026{n:04d}",
        "billingAccount": {"id": account},
        "billDate": f"2026-{n:02d}-05",
        "paymentDueDate": f"2026-{n:02d}-19",
        "billingPeriod": {"startDateTime": f"2026-{n:02d}-01", "endDateTime": f"2026-{n:02d}-28"},
        "amountDue": {"unit": "CZK", "value": 100 + n},
        "taxExcludedAmount": {"unit": "CZK", "value": 80},
        "taxIncludedAmount": {"unit": "CZK", "value": 100 + n},
        "remainingAmount": {"unit": "CZK", "value": 0 if n < 12 else 100 + n},
        "state": "settled" if n < 12 else "sent",
    }


BILLS = f"{CUSTOMER_BILL}/customerBill"


@pytest.mark.parametrize("total", ["true", "absent", "5"], ids=["with-total", "no-total", "wrong-total"])
def test_a_page_size_cap_never_hides_the_newest_bill(server, total):
    """12 bills in pages of 5: all 12 arrive, the unpaid newest one included."""
    lists, platform = server
    lists.items[BILLS] = [bill(n) for n in range(1, 13)]
    lists.page_cap, lists.total = 5, total
    invoices = platform.list_invoices("ba-1")
    assert [i.id for i in invoices] == [f"bill-{n:02d}" for n in range(12, 0, -1)]
    assert invoices[0].remaining > 0
    assert [int(args["offset"]) for _, args in lists.requests] == [0, 5, 10, 12]


def test_a_server_ignoring_offset_gives_no_duplicates(server):
    lists, platform = server
    lists.items[BILLS] = [bill(n) for n in range(1, 4)]
    lists.ignore_offset = True
    assert [i.id for i in platform.list_invoices("ba-1")] == ["bill-03", "bill-02", "bill-01"]
    assert len(lists.requests) == 2  # the repeated page ends the list


def test_206_partial_content_is_a_page_like_any_other(server):
    lists, platform = server
    lists.items[BILLS] = [bill(n) for n in range(1, 8)]
    lists.page_cap, lists.status = 3, 206
    assert len(platform.list_invoices("ba-1")) == 7


def test_a_server_ignoring_filters_shows_nobody_elses_data(server):
    lists, platform = server
    lists.ignore_filters = True
    lists.items[BILLS] = [bill(1), bill(2, account="ba-someone-else")]
    lists.items[f"{CUSTOMER_BILL}/appliedCustomerBillingRate"] = [
        {
            "id": "r1",
            "name": "Paušál",
            "type": "recurring",
            "bill": {"id": "bill-01"},
            "taxExcludedAmount": {"unit": "CZK", "value": 100},
            "taxIncludedAmount": {"unit": "CZK", "value": 121},
            "appliedTax": [{"taxRate": 0.21, "taxAmount": {"unit": "CZK", "value": 21}}],
        },
        {
            "id": "r2",
            "name": "Cizí",
            "type": "recurring",
            "bill": {"id": "bill-99"},
            "taxExcludedAmount": {"unit": "CZK", "value": 1},
            "taxIncludedAmount": {"unit": "CZK", "value": 1},
            "appliedTax": [{"taxRate": 0.21, "taxAmount": {"unit": "CZK", "value": 0}}],
        },
    ]
    party = [{"id": "c1", "role": "customer"}]
    foreign = [{"id": "c2", "role": "customer"}]
    lists.items[f"{ACCOUNT}/billingAccount"] = [
        {"id": "ba-1", "name": "Jan", "relatedParty": party},
        {"id": "ba-2", "name": "Eva", "relatedParty": foreign},
    ]
    characteristic = [{"name": name, "value": False} for name in tmf_mapping.SETTING_TO_TMF.values()]
    lists.items[f"{SERVICE_INVENTORY}/service"] = [
        {"id": "svc-1", "state": "active", "relatedParty": party, "serviceCharacteristic": characteristic},
        {"id": "svc-2", "state": "active", "relatedParty": foreign, "serviceCharacteristic": characteristic},
    ]
    bucket = {"usageType": "data", "remainingValue": {"amount": 1, "units": "MB"}, "status": "active"}
    lists.items[f"{PREPAY_BALANCE}/bucket"] = [
        {**bucket, "id": "b1", "product": [{"id": "sim-1"}]},
        {**bucket, "id": "b2", "product": [{"id": "sim-of-eva"}]},
    ]
    record = {
        "usageDate": "2026-03-02T10:00:00Z",
        "usageType": "sms",
        "description": "SMS",
        "usageCharacteristic": [{"name": "count", "value": 1}],
    }
    lists.items[f"{USAGE}/usage"] = [
        {**record, "id": "u1", "relatedParty": party, "ratedProductUsage": [{"productRef": {"id": "sim-1"}}]},
        {
            **record,
            "id": "u2",
            "relatedParty": foreign,
            "ratedProductUsage": [{"productRef": {"id": "sim-1"}}],
        },
        {**record, "id": "u3", "relatedParty": party, "ratedProductUsage": [{"productRef": {"id": "sim-2"}}]},
    ]
    assert [i.id for i in platform.list_invoices("ba-1")] == ["bill-01"]
    assert [line.id for line in platform.list_invoice_lines("bill-01")] == ["r1"]
    assert [a.id for a in platform.list_billing_accounts("c1")] == ["ba-1"]
    assert [s.service_id for s in platform.list_sim_settings("c1")] == ["svc-1"]
    assert [b.id for b in platform.list_buckets(["sim-1"])] == ["b1"]
    page = platform.list_usage("c1", UsageFilter("sim-1", date(2026, 3, 1), date(2026, 3, 31)), 0, 50)
    assert [r.id for r in page.records] == ["u1"]


@pytest.mark.parametrize(("total", "status"), [("true", 200), ("absent", 206)], ids=["total", "206"])
def test_a_call_log_page_is_filled_whatever_the_servers_cap(server, total, status):
    """The server signals there is more by a total beyond the page or by 206 Partial Content."""
    lists, platform = server
    party = [{"id": "c1", "role": "customer"}]
    lists.items[f"{USAGE}/usage"] = [
        {
            "id": f"u{n:03d}",
            "usageDate": "2026-03-02T10:00:00Z",
            "usageType": "sms",
            "description": "SMS",
            "usageCharacteristic": [{"name": "count", "value": 1}],
            "relatedParty": party,
            "ratedProductUsage": [{"productRef": {"id": "sim-1"}}],
        }
        for n in range(120)
    ]
    lists.page_cap, lists.total, lists.status = 20, total, status
    flt = UsageFilter("sim-1", date(2026, 3, 1), date(2026, 3, 31))
    second = platform.list_usage("c1", flt, 50, 50)
    assert [r.id for r in second.records] == [f"u{n:03d}" for n in range(50, 100)]
    assert second.total == (120 if total == "true" else None)
    last = platform.list_usage("c1", flt, 100, 50)
    assert [r.id for r in last.records] == [f"u{n:03d}" for n in range(100, 120)]


def addon(offering_id: str, prices: list[dict]) -> dict:
    return {
        "id": offering_id,
        "name": f"Balíček {offering_id}",
        "lifecycleStatus": "Launched",
        "category": [{"id": "addon"}],
        "productOfferingRelationship": [{"id": "tariff-x", "relationshipType": "addOnTo"}],
        "productOfferingPrice": prices,
    }


def test_prices_given_by_reference_are_resolved_and_unknown_prices_never_shown(server):
    """TMF620 v4.1 may give a price as {id, href}; no price at all must not become 0 Kč."""
    from decimal import Decimal

    from selfcare_widget.platform.tmf import CATALOG

    lists, platform = server
    lists.items[f"{CATALOG}/productOffering"] = [
        addon(
            "inline", [{"priceType": "oneTime", "price": {"taxIncludedAmount": {"unit": "CZK", "value": 99}}}]
        ),
        addon("by-ref", [{"id": "pop-149", "href": "https://catalog.example/pop/pop-149"}]),
        addon("no-price", []),
        addon("dangling-ref", [{"id": "pop-missing"}]),
    ]
    lists.items[f"{CATALOG}/productOfferingPrice/pop-149"] = {  # served as one resource below
        "id": "pop-149",
        "priceType": "oneTime",
        "price": {"unit": "CZK", "value": 149},
    }
    offers = platform.list_package_offers("tariff-x")
    assert {o.offering_id: o.price for o in offers} == {"inline": Decimal("99"), "by-ref": Decimal("149")}
