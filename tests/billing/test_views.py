"""Billing fragments and the PDF download over real HTTP to the sandbox."""

from __future__ import annotations

import html
import re
from datetime import date

import pytest
from babel.numbers import format_currency

from selfcare_widget.services import services

ROUTES = ("/w/billing/invoice", "/w/billing/invoice/pdf")


def czk(amount) -> str:
    """Money as the widget shows it in Czech (``1 290,59 Kč``)."""
    return format_currency(amount, "CZK", locale="cs")


def text_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def test_list_shows_every_bill_newest_first_with_chart(post, sign_in, bills):
    expected = bills("cust-0001")
    response = post("/w/billing", sign_in("cust-0001"))
    assert response.status_code == 200
    body = text_of(response)
    numbers = re.findall(r'<th scope="row">(\d{10})</th>', body)
    assert numbers == [b.number for b in sorted(expected, key=lambda b: b.issue_date, reverse=True)]
    assert len(numbers) == 12
    assert 'data-sc-section="billing"' in body
    # One SVG bar per month, each with its own <title>; no inline style anywhere.
    svg = body[body.index("<svg") : body.index("</svg>")]
    assert svg.count("<rect") == 12 and svg.count("<title>") == 12
    assert "style=" not in body and "<script" not in body
    newest = expected[0]
    assert czk(newest.total_incl_vat) in body  # Czech money format


def test_list_states_paid_unpaid_overdue(post, sign_in, bills):
    """cust-0001 has an unpaid newest bill and an overdue one before it; the rest are paid."""
    today = date.today()
    expected = bills("cust-0001")
    body = text_of(post("/w/billing", sign_in("cust-0001")))
    for bill in expected:
        row = body[body.index(f'data-sc-invoice="{bill.id}"') :].split("</tr>", 1)[0]
        state = "paid" if bill.is_paid else "overdue" if bill.is_overdue(today) else "unpaid"
        assert f"sc-badge--{state}" in row, (bill.id, state)
    assert any(not b.is_paid for b in expected) and any(b.is_paid for b in expected)


def test_list_rows_carry_detail_and_download_actions(post, sign_in, bills):
    body = text_of(post("/w/billing", sign_in("cust-0001")))
    bill = bills("cust-0001")[0]
    assert f'hx-vals=\'{{"invoice": "{bill.id}"}}\'' in body
    assert 'data-sc-download="/w/billing/invoice/pdf"' in body
    assert f'data-sc-values=\'{{"invoice": "{bill.id}"}}\'' in body


def test_detail_groups_lines_with_subtotals_and_vat_recap(app, post, sign_in, bills, edrs):
    bill = bills("cust-0001")[0]
    lines = services(app).platform.list_invoice_lines(bill.id)
    response = post("/w/billing/invoice", sign_in("cust-0001"), invoice=bill.id)
    assert response.status_code == 200
    body = text_of(response)
    assert bill.number in body
    for line in lines:
        assert line.name in body
    kinds = re.findall(r'data-sc-kind="(\w+)"', body)
    order = ["recurring", "package", "usage", "oneTime"]
    assert kinds == [k for k in order if k in {line.kind for line in lines}]
    for amount in (bill.total_excl_vat, bill.vat, bill.total_incl_vat):
        assert czk(amount) in body
    assert "21 %" in body
    last = edrs()[-1]
    assert last["action"] == "invoice.view" and last["details"]["invoice"] == bill.id


def test_pdf_download_is_an_attachment_with_the_bill_number(post, sign_in, bills, edrs):
    bill = bills("cust-0001")[0]
    response = post("/w/billing/invoice/pdf", sign_in("cust-0001"), invoice=bill.id)
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="faktura-{bill.number}.pdf"'
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Selfcare-Action"] == "invoice.download"
    assert response.data.startswith(b"%PDF")
    last = edrs()[-1]
    assert last["action"] == "invoice.download" and last["details"]["invoice"] == bill.id


@pytest.mark.parametrize("route", ("/w/billing", *ROUTES))
def test_every_route_needs_a_session(post, bills, route):
    response = post(route, invoice=bills("cust-0001")[0].id)
    assert response.status_code == 401
    assert b"%PDF" not in response.data


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("owner", ["cust-0002", "cust-0003"])  # same partner; the other partner
def test_another_customers_bill_is_404_with_nothing_leaked(post, sign_in, bills, edrs, route, owner):
    foreign = bills(owner)[0]
    before = len(edrs())
    response = post(route, sign_in("cust-0001"), invoice=foreign.id)
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert foreign.number not in body and foreign.id not in body
    assert not response.data.startswith(b"%PDF")
    assert czk(foreign.total_incl_vat) not in body
    assert len(edrs()) == before  # no view/download recorded


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("invoice", ["", "bill-9999-209901", "x" * 500, "../customerBill"])
def test_unknown_or_malformed_ids_are_the_same_404(post, sign_in, route, invoice):
    foreign = post(route, sign_in("cust-0001"), invoice="bill-0003-000000")
    response = post(route, sign_in("cust-0001"), invoice=invoice)
    assert response.status_code == 404
    assert response.get_data() == foreign.get_data()  # indistinguishable from a foreign id


@pytest.mark.parametrize("invoice", ["..", "a/../b", "bill-0001-202510/../bill-0003-202510", "bill?x=1"])
def test_path_like_ids_never_reach_the_platform(app, post, sign_in, invoice):
    calls = []
    session = services(app).platform._session
    original = session.request

    def counting(method, url, *args, **kwargs):
        calls.append(url)
        return original(method, url, *args, **kwargs)

    session.request = counting
    try:
        response = post("/w/billing/invoice", sign_in("cust-0001"), invoice=invoice)
    finally:
        session.request = original
    assert response.status_code == 404
    assert not [url for url in calls if "customerBill" in url]
