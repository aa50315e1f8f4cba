"""The overview fragment over real HTTP to the sandbox."""

from __future__ import annotations

import html
import json
import re
import sqlite3
from decimal import Decimal

import pytest

from selfcare_widget.i18n import msisdn as format_msisdn
from selfcare_widget.services import services


def _body(response) -> str:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return html.unescape(response.get_data(as_text=True)).replace("\xa0", " ")


def _card(body: str, number: str) -> str:
    """The SIM card of ``number`` (``420601234567``) in an overview body."""
    title = format_msisdn(number)
    (card,) = [
        c
        for c in re.findall(r'<article class="sc-card" aria-labelledby="sc-sim-.*?</article>', body, re.S)
        if title in c
    ]
    return card


def _rows(card: str) -> list[str]:
    """The allowance rows of a SIM card, in display order, as plain text."""
    rows = re.findall(r'<li class="sc-unit sc-unit--[a-z-]+" data-sc-unit="\w+">.*?</li>', card, re.S)
    rows = [re.sub(r"<progress.*?</progress>", "", r, flags=re.S) for r in rows]  # its name is checked apart
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", r)).strip() for r in rows]


def _row_kinds(card: str) -> list[tuple[str, str]]:
    return re.findall(r'<li class="sc-unit sc-unit--([a-z-]+)" data-sc-unit="(\w+)">', card)


def test_overview_shows_customer_sims_credit_and_units(post, sign_in):
    body = _body(post("/w/overview", sign_in("cust-0001")))
    assert "Jan Šťastný" in body
    assert "+420 601 234 567" in body and "+420 602 345 678" in body
    assert "Pohoda" in body
    assert re.search(r"Zbývající kredit</dt><dd><span class=\"sc-amount\">[\d ]+,\d\d Kč", body)
    assert "<progress" in body  # bars for remaining units


def test_overview_requires_a_session(post):
    response = post("/w/overview")
    assert response.status_code == 401


def test_overview_makes_one_platform_call_per_resource_kind(app, post, sign_in):
    """Three prepaid SIMs, still: customer, products, buckets — no N+1 (lists end on an empty
    page); a prepaid customer's overview reads neither bills nor unbilled charges."""
    calls = []
    platform = services(app).platform
    session = platform.inner._session  # the real requests.Session under the cache: count HTTP calls
    original = session.request

    def counting(method, url, *args, **kwargs):
        calls.append((method, url.split("/v4/")[-1].split("?")[0].split("/")[0]))
        return original(method, url, *args, **kwargs)

    session.request = counting
    try:
        token = sign_in("cust-0005")
        assert post("/w/overview", token).status_code == 200
    finally:
        session.request = original
    kinds = [kind for _, kind in calls]
    assert sorted(kinds) == ["bucket", "bucket", "customer", "product", "product"], calls


def test_data_first_in_gb_then_calls_then_texts_tariff_before_packages(post, sign_in):
    """Issue 12: "Zbývá 4,8 GB z 10 GB", the tariff's allowances before the packages."""
    body = _body(post("/w/overview", sign_in("cust-0001")))
    card = _card(body, "420601234567")
    rows = _rows(card)
    kinds = [kind for _, kind in _row_kinds(card)]
    assert kinds[:3] == ["data", "voice", "sms"], rows  # the tariff's: data first
    assert rows[0].startswith("Pohoda – data") and rows[1].startswith("Pohoda – volání"), rows
    assert all("Pohoda –" not in row for row in rows[3:]), rows  # then the packages
    assert re.search(r"Zbývá (\d+(,\d)? GB|\d+ MB) z 3 GB", rows[0]), rows[0]
    assert re.search(r"Zbývá [\d ]+ min z 100 min", rows[1]), rows[1]
    assert re.search(r"Zbývá [\d ]+ SMS z 100 SMS", rows[2]), rows[2]
    # every figure says what it is: left (or used, for an unlimited allowance)
    assert all(row.count("Zbývá") == 1 or "Neomezeně · využito" in row for row in rows), rows
    assert " / " not in card


def test_gigabytes_are_decimal_with_a_comma(app, post, sign_in):
    """The heavy subscriber's Datový tariff: 10 GB of data, shown in GB with a decimal comma."""
    body = _body(post("/w/overview", sign_in("cust-0002")))
    (data_row, *_) = _rows(_card(body, "420603111222"))
    bucket = next(
        b
        for b in services(app).platform.list_buckets(["prod-0002-1"])
        if b.kind.value == "data" and not b.package_product_id
    )
    gb = (bucket.remaining / 1024).quantize(Decimal("0.1"), rounding="ROUND_DOWN")
    expected = str(gb).replace(".", ",").removesuffix(",0")
    assert f"Zbývá {expected} GB z 10 GB" in data_row


def test_unlimited_allowance_says_unlimited_not_a_fraction(post, sign_in):
    """The on-net weekend package grants "unlimited" calls: no "1 788 / 3 000 min", no bar."""
    card = _card(_body(post("/w/overview", sign_in("cust-0001"))), "420601234567")
    (row,) = [r for r in _rows(card) if r.startswith("neomezené volání on-net")]
    assert re.fullmatch(r"neomezené volání on-net na jeden víkend Neomezeně · využito [\d ]+ min", row), row
    (item,) = re.findall(r'<li class="sc-unit sc-unit--unlimited".*?</li>', card, re.S)
    assert "<progress" not in item and "z 3 000" not in item


def test_one_valid_until_per_sim(post, sign_in):
    body = _body(post("/w/overview", sign_in("cust-0001")))
    for number in ("420601234567", "420602345678"):
        card = _card(body, number)
        assert len(re.findall(r'<p class="sc-units__valid">Platí do \d{1,2}\.\d{1,2}\.\d{4}</p>', card)) == 1
        assert "platí do" not in card  # no row repeats it


def test_identical_package_names_are_told_apart_by_their_start(app, post, sign_in):
    """cust-0001's first SIM has "50 SMS do všech sítí" and "200 minut volání" twice each."""
    packages = [
        p for p in services(app).platform.list_packages("cust-0001") if p.sim_product_id == "prod-0001-1"
    ]
    twice = [p for p in packages if p.name == "50 SMS do všech sítí"]
    assert len(twice) >= 2  # (sandbox tests sharing the database may have ordered more)
    rows = _rows(_card(_body(post("/w/overview", sign_in("cust-0001"))), "420601234567"))
    for package in twice:
        start = f"{package.active_from.day}.{package.active_from.month}.{package.active_from.year}"
        assert any(r.startswith(f"50 SMS do všech sítí (od {start}) Zbývá") for r in rows), rows
    assert not any(r.startswith("50 min do všech sítí (od") for r in rows)  # a unique name stays as it is


def test_used_up_data_is_a_distinct_state_in_words(post, sign_in):
    """cust-0004's second SIM: its data row says "Vyčerpáno" and carries the used-up state."""
    card = _card(_body(post("/w/overview", sign_in("cust-0004"))), "420605777888")
    assert ("used-up", "data") in _row_kinds(card)
    (row,) = [r for r in _rows(card) if r.startswith("Pohoda – data")]
    assert row == "Pohoda – data Vyčerpáno Zbývá 0 GB z 3 GB", row
    assert 'aria-label="Pohoda – data: Zbývá 0 GB z 3 GB"' in card  # the bar's text alternative


def test_used_up_data_names_the_number_and_opens_that_sims_packages(app, post, sign_in):
    """Issue 12 bug 2: cust-0004's second SIM ran out of data; the first is blocked."""
    sims = services(app).platform.list_sims("cust-0004")
    blocked = next(s for s in sims if s.state == "suspended")
    ran_out = next(s for s in sims if s.state == "active")
    body = _body(post("/w/overview", sign_in("cust-0004")))
    (hint,) = re.findall(r'<p class="sc-hint".*?</p>', body, re.S)
    national = ran_out.msisdn[3:]
    assert f"Mobilní data čísla +420 {national[:3]} {national[3:6]} {national[6:]} jsou vyčerpaná" in hint
    assert 'hx-post="/w/packages"' in hint
    values = json.loads(re.search(r"hx-vals='([^']+)'", hint).group(1))
    assert values == {"sim": ran_out.product_id} and values["sim"] != blocked.product_id


def test_packages_open_on_a_sim_in_service_not_a_blocked_one(app, post, sign_in):
    sims = services(app).platform.list_sims("cust-0004")
    assert sims[0].state == "suspended"  # the first SIM is the blocked one
    body = post("/w/packages", sign_in("cust-0004")).get_data(as_text=True)
    active = next(s for s in sims if s.state == "active")
    assert f'<option value="{active.product_id}" selected' in body


def test_no_hint_while_data_is_left(post, sign_in):
    assert 'class="sc-hint"' not in post("/w/overview", sign_in("cust-0002")).get_data(as_text=True)


# --- unpaid bills ------------------------------------------------------------------------------


def test_overdue_bills_are_announced_with_amount_due_date_and_a_link_to_the_bill(app, post, sign_in):
    """cust-0001 has two unpaid bills, both past their due date: each is named, overdue first."""
    from selfcare_widget.views.common import today

    with app.test_request_context():
        day = today()
    unpaid = [i for i in services(app).platform.list_invoices("ba-0001") if not i.is_paid]
    assert len(unpaid) == 2 and all(i.is_overdue(day) for i in unpaid)
    token = sign_in("cust-0001")
    body = _body(post("/w/overview", token))
    (notice,) = re.findall(r"<section class=\"sc-notice sc-bills\".*?</section>", body, re.S)
    items = re.findall(r"<li class=\"sc-bill[^\"]*\" data-sc-bill=\"([^\"]+)\">(.*?)</li>", notice, re.S)
    assert [bill_id for bill_id, _ in items] == [i.id for i in sorted(unpaid, key=lambda i: i.due_date)]
    for invoice, (_, item) in zip(sorted(unpaid, key=lambda i: i.due_date), items, strict=True):
        amount = f"{invoice.remaining:,.2f}".replace(",", " ").replace(".", ",") + " Kč"
        due = f"{invoice.due_date.day}.{invoice.due_date.month}.{invoice.due_date.year}"
        assert "Po splatnosti" in item
        assert f"Vyúčtování {invoice.number} na {amount} bylo splatné {due}." in item
        assert 'hx-post="/w/billing/invoice"' in item and 'hx-target="#sc-main"' in item
        assert json.loads(re.search(r"hx-vals='([^']+)'", item).group(1)) == {"invoice": invoice.id}
    # the link opens that bill's detail in the Billing section
    detail = _body(post("/w/billing/invoice", token, invoice=items[0][0]))
    oldest = min(unpaid, key=lambda i: i.due_date)
    assert 'data-sc-section="billing"' in detail and f">Faktura {oldest.number}</h2>" in detail


@pytest.fixture
def paid_up_customer(sandbox_db):
    """A postpaid demo-mobil customer of the generated ones whose bills are then all settled.

    The bills are settled in the sandbox's own database (as a payment would settle them); the
    customer is one no other test uses.
    """
    conn = sqlite3.connect(sandbox_db)
    try:
        (customer_id,) = conn.execute(
            "SELECT c.id FROM customer c JOIN billing_account b ON b.customer_id = c.id"
            " WHERE c.partner_id = 'demo-mobil' AND c.id > 'cust-0040'"
            " AND json_extract(b.doc, '$.accountType') = 'postpaid' ORDER BY c.id DESC LIMIT 1"
        ).fetchone()
        account = "ba-" + customer_id[5:]
        with conn:
            conn.execute(
                "UPDATE customer_bill SET state = 'settled', doc = json_set(doc, '$.state', 'settled',"
                " '$.remainingAmount.value', 0) WHERE billing_account_id = ?",
                (account,),
            )
    finally:
        conn.close()
    return customer_id


def test_no_notice_when_every_bill_is_paid(app, post, sign_in, paid_up_customer):
    invoices = services(app).platform.list_invoices("ba-" + paid_up_customer[5:])
    assert invoices and all(i.is_paid for i in invoices)
    body = _body(post("/w/overview", sign_in(paid_up_customer)))
    assert "sc-bills" not in body and "Po splatnosti" not in body and "Neuhrazená" not in body
    assert "Útrata od posledního vyúčtování" in body  # still a postpaid customer's overview


def test_prepaid_customer_has_no_bill_notice_and_no_spend(post, sign_in):
    body = _body(post("/w/overview", sign_in("cust-0005")))
    assert "sc-bills" not in body and "Útrata" not in body


# --- current spend -------------------------------------------------------------------------------


def test_postpaid_sims_show_what_they_spent_since_the_last_bill(app, post, sign_in):
    spend = services(app).platform.current_spend("ba-0001")
    assert spend is not None and spend.amount > 0
    body = _body(post("/w/overview", sign_in("cust-0001")))
    for number, product in (("420601234567", "prod-0001-1"), ("420602345678", "prod-0001-2")):
        card = _card(body, number)
        amount = f"{spend.for_sim(product):,.2f}".replace(",", " ").replace(".", ",") + " Kč"
        assert re.search(
            rf'<dt>Útrata od posledního vyúčtování</dt><dd class="sc-amount">{amount}</dd>', card
        ), card
        # beside the credit, in the same list of facts
        facts = re.search(r'<dl class="sc-facts">.*?</dl>', card, re.S).group(0)
        assert "Zbývající kredit" in facts and "Útrata od posledního vyúčtování" in facts


# --- prepaid top-up ------------------------------------------------------------------------------


def test_prepaid_credit_offers_a_top_up_that_opens_in_the_widget(app, post, sign_in):
    body = _body(post("/w/overview", sign_in("cust-0005")))
    buttons = re.findall(r'<button[^>]*class="sc-button sc-button--small sc-topup"[^>]*>', body)
    assert len(buttons) == 3  # one per prepaid SIM's credit
    for button in buttons:
        assert 'hx-post="/w/topup"' in button and 'hx-target="#sc-main"' in button
        assert json.loads(re.search(r"hx-vals='([^']+)'", button).group(1))["sim"].startswith("prod-0005-")
    # postpaid credit has no top-up
    assert "sc-topup" not in _body(post("/w/overview", sign_in("cust-0001")))


def test_overview_platform_outage_is_a_friendly_error(sandbox_url, test_partners):
    from tests.support import PORTAL_ORIGIN, free_port, make_widget_app

    app = make_widget_app(f"http://127.0.0.1:{free_port()}", test_partners)  # nothing listens there
    token = services(app).sessions.create("demo-mobil", "cust-0001", "cs", "sso")
    response = app.test_client().post(
        "/w/overview", data={"_st": token, "_partner": "demo-mobil"}, headers={"Origin": PORTAL_ORIGIN}
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 503
    assert 'role="alert"' in body and "dočasně nedostupná" in body
    assert "Traceback" not in body and "ConnectionError" not in body
