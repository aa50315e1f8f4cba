"""Invoice PDF generation time: a 3-page invoice rendered in memory (no platform, no HTTP).

Measures :func:`selfcare_widget.invoices.pdf.render_invoice_pdf` end to end — layout, the QR
Platba code, the embedded font subset and writing the bytes — the work the download route
adds on top of its three platform calls.
"""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

from flask import Flask
from flask_babel import Babel

from bench import Result, summarize, time_calls
from selfcare_widget.invoices.pdf import render_invoice_pdf
from selfcare_widget.partners import Supplier
from selfcare_widget.platform.models import ContactDetails, Customer, Invoice, InvoiceLine

RUNS = 100
WARMUP = 5
TARGET_MS = 150.0
PAGES = 3
KINDS = ("recurring", "package", "usage", "oneTime")
NUMBERS = ("420601234567", "420602345678")
SUPPLIER = Supplier("Demo Mobil s.r.o.", ("Vinohradská 2828/151", "130 00 Praha 3"), "12345679", "CZ12345679")
NAMES = (
    "Měsíční paušál Pohoda",
    "Balíček 1,5 GB dat",
    "Volání a SMS nad rámec tarifu",
    "Poplatek za změnu SIM",
)


def invoice_of(lines: list[InvoiceLine]) -> Invoice:
    """An unpaid bill whose totals are the sums of ``lines``."""
    excl = sum((x.amount_excl_vat for x in lines), Decimal("0"))
    vat = sum((x.vat for x in lines), Decimal("0"))
    return Invoice(
        id="bill-bench-202510",
        number="2025109999",
        billing_account_id="ba-bench",
        period_start=date(2025, 10, 1),
        period_end=date(2025, 10, 31),
        issue_date=date(2025, 11, 1),
        due_date=date(2025, 11, 15),
        total_excl_vat=excl,
        vat=vat,
        total_incl_vat=excl + vat,
        remaining=excl + vat,
        state="sent",
    )


def make_lines(n: int) -> list[InvoiceLine]:
    """``n`` lines of every kind with Czech names (diacritics exercise the font subset)."""
    lines = []
    for i in range(n):
        net = Decimal(100 + i * 7) / 100
        vat = (net * Decimal("0.21")).quantize(Decimal("0.01"))
        lines.append(
            InvoiceLine(
                id=f"acbr-bench-{i}",
                name=f"{NAMES[i % 4]} ({i + 1})",
                kind=KINDS[i % 4],
                date=date(2025, 11, 1),
                amount_excl_vat=net,
                vat_rate=Decimal("0.21"),
                vat=vat,
                amount_incl_vat=net + vat,
                msisdn=NUMBERS[i % 2],  # grouped per number, as a two-SIM bill is
            )
        )
    return lines


CUSTOMER = Customer(
    id="cust-bench",
    partner_id="demo-mobil",
    name="Jan Šťastný",
    status="active",
    contact=ContactDetails(street="Dlouhá 12", city="Praha", postal_code="110 00"),
)


def render(lines: list[InvoiceLine]) -> bytes:
    return render_invoice_pdf(
        invoice_of(lines),
        lines,
        CUSTOMER,
        partner_name="Demo Mobil",
        payee_iban="CZ6508000000192000145399",
        supplier=SUPPLIER,
    ).data


def page_count(data: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data)).pages)


def lines_for_pages(pages: int) -> list[InvoiceLine]:
    """The smallest invoice (in steps of 4 lines) that renders to ``pages`` pages."""
    n = 20
    while page_count(render(make_lines(n))) < pages:
        n += 4
    return make_lines(n)


def run() -> list[Result]:
    """Render the 3-page invoice RUNS times (after warm-up, inside a request for Flask-Babel)."""
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        lines = lines_for_pages(PAGES)
        for _ in range(WARMUP):
            render(lines)
        samples = time_calls([lambda: render(lines)] * RUNS)
        data = render(lines)
    note = (
        f"{len(lines)} lines, {page_count(data)} pages, {len(data) // 1024} KiB; includes the QR code "
        "and the per-document font subset (the font itself is parsed once per process)"
    )
    return [summarize("invoice PDF, 3 pages (render_invoice_pdf)", samples, TARGET_MS, note)]
