"""Property tests: the usage filters agree with an independent query of the database file.

The oracle reads the stored TMF bodies (not the indexed filter columns) and filters them in
Python, so a wrong index column, an off-by-one date bound or a time-zone slip shows up.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from selfcare_widget.sandbox.seed import USAGE_DAYS

PRAGUE = ZoneInfo("Europe/Prague")
CUSTOMERS = ("cust-0001", "cust-0002", "cust-0006")
TYPES = ("voice", "sms", "data", "fee")


@pytest.fixture(scope="module")
def records(sandbox_db) -> dict[str, list[dict]]:
    """Every usage body per customer, straight from the file (read-only)."""
    conn = sqlite3.connect(f"file:{sandbox_db}?mode=ro", uri=True)
    result = {}
    for customer in CUSTOMERS:
        rows = conn.execute(
            "SELECT doc FROM usage WHERE json_extract(doc, '$.relatedParty[0].id') = ?", (customer,)
        ).fetchall()
        result[customer] = [json.loads(r[0]) for r in rows]
    conn.close()
    return result


def _number(doc: dict) -> str:
    return next(c["value"] for c in doc["usageCharacteristic"] if c["name"] == "destinationNumber")


def _expected(docs, start, end, kinds, fragment):
    picked = [
        d
        for d in docs
        if start <= datetime.fromisoformat(d["usageDate"]) < end
        and (not kinds or d["usageType"] in kinds)
        and (not fragment or fragment in _number(d))
    ]
    picked.sort(key=lambda d: (datetime.fromisoformat(d["usageDate"]), d["id"]), reverse=True)
    return picked


TODAY = date.today()
days = st.integers(min_value=-5, max_value=USAGE_DAYS + 5).map(lambda n: TODAY - timedelta(days=n))


@settings(max_examples=50, deadline=None)
@given(
    customer=st.sampled_from(CUSTOMERS),
    first=days,
    length=st.integers(min_value=0, max_value=40),
    kinds=st.lists(st.sampled_from(TYPES), unique=True, max_size=3),
    fragment=st.one_of(st.just(""), st.text("0123456789", min_size=1, max_size=4)),
    plain_dates=st.booleans(),
    symbols=st.booleans(),
)
def test_usage_filters_match_database(
    sandbox_client, records, customer, first, length, kinds, fragment, plain_dates, symbols
):
    start = datetime.combine(first, datetime.min.time(), tzinfo=PRAGUE)
    end = datetime.combine(first + timedelta(days=length), datetime.min.time(), tzinfo=PRAGUE)
    params = {"relatedParty.id": customer, "limit": 50}
    if plain_dates:  # plain dates mean midnight in Prague
        since, until = start.date().isoformat(), end.date().isoformat()
    else:  # the same instants written in UTC
        since, until = (
            start.astimezone(ZoneInfo("UTC")).isoformat(),
            end.astimezone(ZoneInfo("UTC")).isoformat(),
        )
    if symbols:  # usageDate>=since&usageDate<until, as a query string splits them
        params.update({"usageDate>": since, f"usageDate<{until}": ""})
    else:
        params.update({"usageDate.gte": since, "usageDate.lt": until})
    if kinds:
        params["usageType"] = ",".join(kinds)
    if fragment:
        params["destinationNumber.contains"] = fragment
    expected = _expected(records[customer], start, end, set(kinds), fragment)

    response = sandbox_client.get("635", "/usage", params=params)
    assert response.status_code == 200, response.text
    assert int(response.headers["X-Total-Count"]) == len(expected)
    assert [u["id"] for u in response.json()] == [d["id"] for d in expected[:50]]

    summary = sandbox_client.get("selfcare", "/usageSummary", params=params).json()
    assert summary["count"] == len(expected)

    def total(kind, name):
        return sum(
            next(c["value"] for c in d["usageCharacteristic"] if c["name"] == name)
            for d in expected
            if d["usageType"] == kind
        )

    assert summary["voiceSeconds"] == total("voice", "duration")
    assert summary["smsCount"] == total("sms", "count")
    assert summary["dataBytes"] == total("data", "volume")
    assert summary["feeCount"] == total("fee", "count")
    charged = sum(
        Decimal(str(d["ratedProductUsage"][0]["taxIncludedRatingAmount"]["value"])) for d in expected
    )
    assert Decimal(str(summary["chargedAmount"]["value"])) == charged


def _totals(docs) -> dict:
    def total(kind, name):
        return sum(
            next(c["value"] for c in d["usageCharacteristic"] if c["name"] == name)
            for d in docs
            if d["usageType"] == kind
        )

    return {
        "count": len(docs),
        "voiceSeconds": total("voice", "duration"),
        "smsCount": total("sms", "count"),
        "dataBytes": total("data", "volume"),
        "feeCount": total("fee", "count"),
        "charged": sum(
            Decimal(str(d["ratedProductUsage"][0]["taxIncludedRatingAmount"]["value"])) for d in docs
        ),
    }


BOUNDS = {
    "gt": lambda t, b: t > b,
    "gte": lambda t, b: t >= b,
    "lt": lambda t, b: t < b,
    "lte": lambda t, b: t <= b,
}
instants = st.integers(min_value=-(USAGE_DAYS + 5) * 86400, max_value=5 * 86400).map(
    lambda seconds: datetime.now(PRAGUE).replace(microsecond=0) + timedelta(seconds=seconds)
)


@settings(max_examples=60, deadline=None)
@given(
    customer=st.sampled_from(CUSTOMERS),
    since=st.one_of(st.none(), instants),
    until=st.one_of(st.none(), instants),
    lower=st.sampled_from(("gt", "gte")),
    upper=st.sampled_from(("lt", "lte")),
    kinds=st.lists(st.sampled_from(TYPES), unique=True, max_size=2),
    one_sim=st.booleans(),
    on_a_record=st.booleans(),
)
def test_totals_of_any_instant_range_match_database(
    sandbox_client, records, customer, since, until, lower, upper, kinds, one_sim, on_a_record
):
    """Count and totals for bounds at any second (partial hours at both ends, exact record times,
    open ends, one SIM) agree with the stored bodies: the hourly rollup adds up like the rows."""
    docs = records[customer]
    if on_a_record:  # a bound exactly on a record's time tells gt from gte and lt from lte
        since = datetime.fromisoformat(docs[len(docs) // 3]["usageDate"])
    product = docs[0]["ratedProductUsage"][0]["productRef"]["id"]
    picked = [
        d
        for d in docs
        if (since is None or BOUNDS[lower](datetime.fromisoformat(d["usageDate"]), since))
        and (until is None or BOUNDS[upper](datetime.fromisoformat(d["usageDate"]), until))
        and (not kinds or d["usageType"] in kinds)
        and (not one_sim or d["ratedProductUsage"][0]["productRef"]["id"] == product)
    ]
    params = {"relatedParty.id": customer, "limit": 1}
    if since is not None:
        params[f"usageDate.{lower}"] = since.isoformat()
    if until is not None:
        params[f"usageDate.{upper}"] = until.isoformat()
    if kinds:
        params["usageType"] = ",".join(kinds)
    if one_sim:
        params["ratedProductUsage.productRef.id"] = product
    expected = _totals(picked)

    page = sandbox_client.get("635", "/usage", params=params)
    assert page.status_code == 200, page.text
    assert int(page.headers["X-Total-Count"]) == expected["count"]
    summary = sandbox_client.get("selfcare", "/usageSummary", params=params).json()
    assert {k: summary[k] for k in ("count", "voiceSeconds", "smsCount", "dataBytes", "feeCount")} == {
        k: v for k, v in expected.items() if k != "charged"
    }
    assert Decimal(str(summary["chargedAmount"]["value"])) == expected["charged"]


def test_call_log_rollups_are_filled_for_a_database_written_before_them(private_db):
    """A sandbox file from before the daily and hourly rollups gets them filled when its schema
    is created, with the totals the trigger kept."""
    from selfcare_widget.sandbox import db

    conn = db.connect(private_db)
    records = conn.execute("SELECT count(*) FROM usage").fetchone()[0]
    for table in ("usage_hour", "usage_day"):
        rollup = conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3, 4").fetchall()  # noqa: S608
        assert rollup
        conn.execute(f"DELETE FROM {table}")  # noqa: S608
        db.create_schema(conn)
        assert conn.execute(f"SELECT * FROM {table} ORDER BY 1, 2, 3, 4").fetchall() == rollup  # noqa: S608
        assert conn.execute(f"SELECT sum(records) FROM {table}").fetchone()[0] == records  # noqa: S608
    conn.close()


def test_heavy_subscriber_page_is_an_index_range_scan(sandbox_client, sandbox_db):
    """A page of 50 over three months for the heavy subscriber reads the covering index.

    How fast that is, is measured by bench/ (call-log paging), never asserted here.
    """
    conn = sqlite3.connect(f"file:{sandbox_db}?mode=ro", uri=True)
    plan = " ".join(
        r[-1]
        for r in conn.execute(
            "EXPLAIN QUERY PLAN SELECT doc FROM usage WHERE customer_id = ? AND usage_date >= ? "
            "ORDER BY usage_date DESC, id DESC LIMIT 50",
            ("cust-0002", 0),
        )
    )
    conn.close()
    assert "usage_customer_date" in plan
    params = {
        "relatedParty.id": "cust-0002",
        "limit": 50,
        "usageDate.gte": (TODAY - timedelta(days=90)).isoformat(),
        "usageDate.lt": TODAY.isoformat(),
    }
    for offset in (0, 50, 4950):
        response = sandbox_client.get("635", "/usage", params={**params, "offset": offset})
        assert response.headers["X-Result-Count"] == "50"
