"""Invariants of the generated demo data: money, bills, demo customers, determinism, speed."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from selfcare_widget.sandbox.seed import DEMO_CUSTOMERS, demo_data_markdown, generate

REPO = Path(__file__).resolve().parents[2]


def _cents(money: dict) -> int:
    return int(Decimal(str(money["value"])) * 100)


def test_bill_lines_have_rounded_vat_and_bills_sum_them(sandbox_db):
    conn = sqlite3.connect(f"file:{sandbox_db}?mode=ro", uri=True)
    lines: dict[str, list[dict]] = {}
    for (doc,) in conn.execute("SELECT doc FROM applied_rate"):
        line = json.loads(doc)
        net, vat, gross = (
            _cents(line["taxExcludedAmount"]),
            _cents(line["appliedTax"][0]["taxAmount"]),
            _cents(line["taxIncludedAmount"]),
        )
        expected_vat = int((Decimal(net) * Decimal("0.21")).quantize(Decimal(1), rounding=ROUND_HALF_UP))
        assert vat == expected_vat and gross == net + vat, line["id"]
        if line["isBilled"]:  # the running month's charges are on no bill yet (current spend)
            lines.setdefault(line["bill"]["id"], []).append(line)
    bills = [json.loads(d) for (d,) in conn.execute("SELECT doc FROM customer_bill")]
    postpaid = conn.execute(
        "SELECT count(*) FROM billing_account WHERE json_extract(doc, '$.accountType') = 'postpaid'"
    ).fetchone()[0]
    conn.close()
    assert 0 < postpaid < 64  # prepaid customers (every SIM on Start) have no bills
    assert len(bills) == 12 * postpaid
    for bill in bills:
        mine = lines[bill["id"]]
        assert _cents(bill["taxExcludedAmount"]) == sum(_cents(x["taxExcludedAmount"]) for x in mine)
        assert _cents(bill["taxIncludedAmount"]) == sum(_cents(x["taxIncludedAmount"]) for x in mine)
        assert _cents(bill["taxItem"][0]["taxAmount"]) == sum(
            _cents(x["appliedTax"][0]["taxAmount"]) for x in mine
        )
    states = [b["state"] for b in bills if b["billingAccount"]["id"] == "ba-0001"]
    assert states.count("sent") == 2 and states.count("settled") == 10


def test_sheet_packages_on_first_demo_sim(sandbox_db):
    conn = sqlite3.connect(f"file:{sandbox_db}?mode=ro", uri=True)
    rows = conn.execute("SELECT doc FROM product WHERE id LIKE 'prod-0001-1-a%' ORDER BY id").fetchall()
    conn.close()
    packages = [
        (p["name"], p["productPrice"][0]["price"]["taxIncludedAmount"]["value"])
        for p in (json.loads(r[0]) for r in rows)
    ]
    assert ("50 SMS do všech sítí", 75.0) in packages
    assert ("200 minut volání", 349.0) in packages
    assert ("50 min do všech sítí", 65.0) in packages
    assert len(packages) == 7


def test_docs_match_seed():
    assert (REPO / "docs" / "demo-data.md").read_text() == demo_data_markdown() + "\n"
    assert all(
        s.msisdn.startswith("420") and len(s.msisdn) == 12 for c in DEMO_CUSTOMERS.values() for s in c.sims
    )


def test_generation_is_deterministic(tmp_path):
    # two fresh databases: the shared session database is changed by other tests (orders, PATCH)
    first = generate(tmp_path / "first.sqlite3", today=date.today())
    path = generate(tmp_path / "again.sqlite3", today=date.today())
    queries = (
        "SELECT id, doc FROM usage ORDER BY id",
        "SELECT id, doc FROM customer_bill ORDER BY id",
        "SELECT id, doc FROM applied_rate ORDER BY id",
        "SELECT id, email, doc FROM customer ORDER BY id",
        "SELECT id, doc FROM product ORDER BY id",
    )
    a, b = sqlite3.connect(first), sqlite3.connect(path)
    for sql in queries:
        assert a.execute(sql).fetchall() == b.execute(sql).fetchall(), sql
    a.close()
    b.close()
