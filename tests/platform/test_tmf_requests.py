"""What TmfPlatform sends and how it maps answers, checked on a scripted server over real HTTP."""

from __future__ import annotations

import logging
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from selfcare_widget.platform.models import BucketKind, ContactDetails, UsageFilter, UsageKind
from selfcare_widget.platform.tmf import (
    CATALOG,
    CUSTOMER,
    ORDERING,
    PREPAY_BALANCE,
    PRODUCT_INVENTORY,
    SERVICE_INVENTORY,
    USAGE,
)
from tests.platform.faulty import FAULTY_CREDENTIAL, Answer

PRAGUE = ZoneInfo("Europe/Prague")
USAGE_PATH = f"{USAGE}/usage"

SERVICE = {
    "id": "svc1",
    "state": "active",
    "serviceCharacteristic": [
        {"name": "dataEnabled", "value": True},
        {"name": "roamingEnabled", "value": False},
        {"name": "premiumSmsBarred", "value": True},
        {"name": "internationalCallsBarred", "value": False},
        {"name": "voicemailEnabled", "value": True},
        {"name": "simBlocked", "value": False},
    ],
}

USAGE_RECORD = {
    "id": "u1",
    "usageDate": "2026-03-29T00:30:00Z",
    "usageType": "voice",
    "relatedParty": [{"id": "c1", "role": "customer"}],
    "description": "Volání do mobilní sítě v ČR",
    "status": "rated",
    "ratedProductUsage": [
        {"productRef": {"id": "sim1"}, "taxIncludedRatingAmount": {"unit": "CZK", "value": 0.1}}
    ],
    "usageCharacteristic": [
        {"name": "destinationNumber", "value": "420777123456"},
        {"name": "destinationNetwork", "value": "mobile_cz"},
        {"name": "duration", "value": 61},
    ],
}


def test_every_call_carries_credential_accept_and_request_id(tmf, faulty):
    faulty.script(f"{SERVICE_INVENTORY}/service", Answer(200, [SERVICE], {"X-Total-Count": "1"}))
    tmf.list_sim_settings("c1")
    seen = faulty.requests_to(f"{SERVICE_INVENTORY}/service")[0]
    assert seen.headers["Authorization"] == f"Bearer {FAULTY_CREDENTIAL}"
    assert seen.headers["Accept"] == "application/json"
    assert seen.headers["X-Request-Id"] == "req-test-1"
    assert seen.args["relatedParty.id"] == "c1"


def test_usage_filter_becomes_tmf630_params_with_prague_day_bounds(tmf, faulty):
    faulty.script(USAGE_PATH, Answer(200, [USAGE_RECORD], {"X-Total-Count": "321"}))
    # 2026-03-29 is the spring DST change: the month starts at +01:00 and ends at +02:00.
    flt = UsageFilter(
        "sim1", date(2026, 3, 1), date(2026, 3, 31), (UsageKind.VOICE, UsageKind.SMS), "+420 777"
    )
    page = tmf.list_usage("c1", flt, 100, 50)
    seen, fill = faulty.requests_to(USAGE_PATH)  # the short page is topped up once: nothing more came
    assert seen.args["relatedParty.id"] == "c1"
    assert seen.args["ratedProductUsage.productRef.id"] == "sim1"
    assert seen.args["usageDate.gte"] == "2026-03-01T00:00:00+01:00"
    assert seen.args["usageDate.lt"] == "2026-04-01T00:00:00+02:00"
    assert seen.args["usageType"] == "voice,sms"
    assert seen.args["destinationNumber.contains"] == "420777"
    assert (seen.args["offset"], seen.args["limit"]) == ("100", "50")
    assert (fill.args["offset"], fill.args["limit"]) == ("101", "49")
    assert (page.total, page.offset, page.limit) == (321, 100, 50)
    (record,) = page.records
    assert record.time == datetime(2026, 3, 29, 1, 30, tzinfo=PRAGUE)
    assert record.time.tzinfo == PRAGUE
    assert record.kind is UsageKind.VOICE
    assert record.charge == Decimal("0.1")
    assert (record.b_number, record.network, record.duration_seconds) == ("420777123456", "mobile_cz", 61)


def test_usage_filter_without_kinds_or_number_sends_no_such_params(tmf, faulty):
    faulty.script(USAGE_PATH, Answer(200, [], {"X-Total-Count": "0"}))
    tmf.list_usage("c1", UsageFilter("sim1", date(2026, 1, 1), date(2026, 1, 1)), 0, 50)
    (seen,) = faulty.requests_to(USAGE_PATH)  # an empty page ends the period at once
    assert "usageType" not in seen.args
    assert "destinationNumber.contains" not in seen.args
    assert seen.args["usageDate.lt"] == "2026-01-02T00:00:00+01:00"


def test_buckets_of_several_products_are_one_call(tmf, faulty):
    path = f"{PREPAY_BALANCE}/bucket"
    faulty.script(
        path,
        Answer(
            200,
            [
                {
                    "id": "b1",
                    "name": "Kredit",
                    "usageType": "monetary",
                    "remainingValue": {"amount": 123.45, "units": "CZK"},
                    "validFor": {"startDateTime": "2026-01-01T00:00:00+01:00"},
                    "product": [{"id": "sim1"}],
                    "status": "active",
                },
                {
                    "id": "b2",
                    "name": "SMS",
                    "usageType": "sms",
                    "remainingValue": {"amount": 20, "units": "SMS"},
                    "initialValue": {"amount": 50, "units": "SMS"},
                    "validFor": {"endDateTime": "2026-01-31T23:59:59+01:00"},
                    "product": [{"id": "sim2"}, {"id": "pkg1"}],
                    "status": "active",
                },
            ],
            {"X-Total-Count": "2"},
        ),
    )
    credit, sms = tmf.list_buckets(["sim1", "sim2"])
    # one request for every product, and the end-of-list check (the server repeats the page here)
    assert [s.args["product.id"] for s in faulty.requests_to(path)] == ["sim1,sim2", "sim1,sim2"]
    assert (credit.kind, credit.remaining, credit.initial) == (BucketKind.MONETARY, Decimal("123.45"), None)
    assert (sms.sim_product_id, sms.package_product_id, sms.remaining_ratio) == ("sim2", "pkg1", 0.4)
    assert sms.valid_until == datetime(2026, 1, 31, 23, 59, 59, tzinfo=PRAGUE)


def test_no_products_no_bucket_call(tmf, faulty):
    assert tmf.list_buckets([]) == []
    assert not faulty.seen


STORED_MEDIA = [
    {"mediumType": "email", "preferred": True, "characteristic": {"emailAddress": "old@example.cz"}},
    {"mediumType": "mobile", "characteristic": {"phoneNumber": "+420601999999"}},
    {
        "mediumType": "fax",
        "validFor": {"startDateTime": "2020-01-01T00:00:00Z"},
        "characteristic": {"faxNumber": "+420222"},
    },
    {
        "mediumType": "postalAddress",
        "characteristic": {"street1": "Stará 2", "city": "Brno", "postCode": "602 00", "country": "CZ"},
    },
]


def test_update_contact_sends_the_whole_media_array_with_only_the_touched_media_replaced(tmf, faulty):
    """Merge-patch replaces the array: what the widget does not change goes back as it was read."""
    path = f"{CUSTOMER}/customer/c1"
    stored = {"id": "c1", "name": "Jan", "status": "approved", "contactMedium": STORED_MEDIA}
    faulty.script(path, Answer(200, stored, headers={"ETag": 'W/"7"'}))
    contact = ContactDetails(
        email="new@example.cz",
        phone="+420601000000",
        street="Dlouhá 1",
        city="Praha",
        postal_code="110 00",
        country="CZ",
    )
    tmf.update_contact("c1", contact, {"email", "city"})
    read, seen = faulty.requests_to(path)
    assert (read.method, seen.method) == ("GET", "PATCH")
    assert seen.headers["Content-Type"] == "application/merge-patch+json"
    assert seen.headers["If-Match"] == 'W/"7"'  # a change made meanwhile is not overwritten
    assert seen.json == {
        "contactMedium": [
            STORED_MEDIA[1],  # phone untouched
            STORED_MEDIA[2],  # a medium type the widget does not know, with all it carries
            {"mediumType": "email", "characteristic": {"emailAddress": "new@example.cz"}},
            {
                "mediumType": "postalAddress",
                "characteristic": {
                    "street1": "Dlouhá 1",
                    "city": "Praha",
                    "postCode": "110 00",
                    "country": "CZ",
                },
            },
        ]
    }


def test_update_settings_sends_the_whole_characteristic_array(tmf, faulty):
    """Merge-patch replaces the array: every setting goes back, only the changed values differ."""
    path = f"{SERVICE_INVENTORY}/service/svc1"
    stored = {
        **SERVICE,
        "serviceCharacteristic": [
            *SERVICE["serviceCharacteristic"],
            {"name": "volteEnabled", "valueType": "boolean", "value": True},  # not ours: kept
        ],
    }
    faulty.script(path, Answer(200, stored))
    settings = tmf.update_sim_settings("svc1", {"roaming_enabled": True, "international_calls_barred": True})
    read, seen = faulty.requests_to(path)
    assert (read.method, seen.method) == ("GET", "PATCH")
    assert "If-Match" not in seen.headers  # no ETag offered, no precondition
    assert seen.json == {
        "serviceCharacteristic": [
            {"name": "dataEnabled", "value": True},
            {"name": "roamingEnabled", "value": True},
            {"name": "premiumSmsBarred", "value": True},
            {"name": "internationalCallsBarred", "value": True},
            {"name": "voicemailEnabled", "value": True},
            {"name": "simBlocked", "value": False},
            {"name": "volteEnabled", "valueType": "boolean", "value": True},
        ]
    }
    assert settings.data_enabled and settings.premium_sms_barred and not settings.sim_blocked


def test_a_setting_the_service_lacks_is_added_not_lost(tmf, faulty):
    path = f"{SERVICE_INVENTORY}/service/svc1"
    partial = {**SERVICE, "serviceCharacteristic": SERVICE["serviceCharacteristic"][:1]}
    faulty.script(path, Answer(200, partial), Answer(200, SERVICE))
    tmf.update_sim_settings("svc1", {"voicemail_enabled": False})
    _, seen = faulty.requests_to(path)
    assert seen.json["serviceCharacteristic"] == [
        {"name": "dataEnabled", "value": True},
        {"name": "voicemailEnabled", "valueType": "boolean", "value": False},
    ]


ORDER = {
    "id": "ord1",
    "externalId": "key-1",
    "state": "completed",
    "productOrderItem": [
        {
            "id": "1",
            "action": "add",
            "productOffering": {"id": "addon-50sms"},
            "product": {"productRelationship": [{"relationshipType": "addOnTo", "product": {"id": "sim1"}}]},
        }
    ],
}


@pytest.mark.parametrize(("status", "created"), [(201, True), (200, False)])
def test_order_created_flag_follows_status(tmf, faulty, status, created):
    path = f"{ORDERING}/productOrder"
    faulty.script(path, Answer(status, ORDER))
    order = tmf.order_package("c1", "sim1", "addon-50sms", "key-1")
    assert (order.id, order.created, order.offering_id, order.sim_product_id) == (
        "ord1",
        created,
        "addon-50sms",
        "sim1",
    )
    (seen,) = faulty.requests_to(path)
    assert seen.json["externalId"] == "key-1"
    assert seen.json["relatedParty"] == [{"id": "c1", "role": "customer"}]
    item = seen.json["productOrderItem"][0]
    assert item["productOffering"] == {"id": "addon-50sms"}
    assert item["product"]["productRelationship"][0]["product"] == {"id": "sim1"}


def test_lists_follow_total_count_over_pages(tmf, faulty):
    """A server paging smaller than asked still yields every item once; retired ones are dropped."""
    path = f"{CATALOG}/productOffering"

    def offer(i: int, lifecycle: str = "Launched") -> dict:
        return {
            "id": f"o{i}",
            "name": f"Offer {i}",
            "lifecycleStatus": lifecycle,
            "category": [{"id": "addon"}],
            "productOfferingRelationship": [{"id": "tariff-x", "relationshipType": "addOnTo"}],
            "productOfferingPrice": [{"price": {"taxIncludedAmount": {"unit": "CZK", "value": 75}}}],
        }

    faulty.script(
        path,
        Answer(200, [offer(0), offer(1)], {"X-Total-Count": "4"}),
        Answer(200, [offer(2), offer(3, "Retired")], {"X-Total-Count": "4"}),
    )
    offers = tmf.list_package_offers("tariff-x")
    assert [o.offering_id for o in offers] == ["o0", "o1", "o2"]
    assert [s.args["offset"] for s in faulty.requests_to(path)] == ["0", "2", "4"]
    assert offers[0].price == Decimal("75")
    assert faulty.requests_to(path)[0].args["productOfferingRelationship.id"] == "tariff-x"


def test_personal_data_never_logged(tmf, faulty, caplog):
    """MSISDNs, e-mails and passwords stay out of the logs, even on failures at DEBUG level."""
    faulty.script(f"{PRODUCT_INVENTORY}/product", Answer(500, "oops"))
    faulty.script(f"{CUSTOMER}/customer/c1", Answer(200, {"id": "c1", "contactMedium": "broken"}))
    faulty.script("/selfcare/v1/authenticate", Answer(401, {"code": "unauthorized"}))
    with caplog.at_level(logging.DEBUG, logger="selfcare_widget.platform"):
        with pytest.raises(Exception):  # noqa: B017 - only the logs matter here
            tmf.find_customer_by_msisdn("420601234567")
        with pytest.raises(Exception):  # noqa: B017
            tmf.update_contact("c1", ContactDetails(email="secret@example.cz"), {"email"})
        with pytest.raises(Exception):  # noqa: B017
            tmf.authenticate("partner-a", "secret@example.cz", "hunter2")
    # Only our logger: the test server's own access log naturally shows the query string.
    ours = [r for r in caplog.records if r.name.startswith("selfcare_widget.platform")]
    assert ours
    logged = "\n".join(r.getMessage() for r in ours)
    for secret in ("420601234567", "secret@example.cz", "hunter2"):
        assert secret not in logged
