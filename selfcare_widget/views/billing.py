"""Billing: the invoice list with a 12-month chart, an invoice's detail, and its PDF."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from flask import Blueprint, Response, abort, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from .. import edr
from ..i18n import day, money
from ..invoices.spayd import Payment as SpaydPayment
from ..invoices.spayd import build as spayd_build
from ..invoices.spayd import czech_account, grouped_iban, qr_svg, variable_symbol
from ..invoices.summary import MonthTotal, fill_numbers, group_lines, kind_label, monthly_totals, vat_recap
from ..platform import NotFound
from ..platform.models import Invoice
from ..services import services
from .common import kept_fragment, partner, platform, today, trigger_action

bp = Blueprint("billing", __name__)

#: What a bill id may look like. Checked before the id goes near a platform URL: the TMF client
#: puts ids into the path, where "../x" would name a different resource.
_BILL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$")
# Chart geometry (SVG user units); the SVG scales to the width of the widget.
CHART_W, CHART_H, CHART_TOP, CHART_BOTTOM = 600, 200, 10, 30


def _own_account_ids() -> set[str]:
    return {a.id for a in platform().list_billing_accounts(current_user.customer_id)}


def own_invoice(invoice_id: str) -> Invoice:
    """The signed-in customer's invoice with this id, else 404 (the same 404 for any other id).

    The bill's billing account must be one of the customer's; a bill that does not exist and a
    bill of another customer or partner are indistinguishable to the browser.
    """
    if not _BILL_ID.match(invoice_id) or ".." in invoice_id:
        abort(404)
    try:
        invoice = platform().get_invoice(invoice_id)
    except NotFound:
        abort(404)
    if invoice.billing_account_id not in _own_account_ids():
        abort(404)
    return invoice


def invoice_state(invoice: Invoice, day: date) -> str:
    """``paid``, ``overdue`` or ``unpaid`` on ``day``."""
    if invoice.is_paid:
        return "paid"
    return "overdue" if invoice.is_overdue(day) else "unpaid"


def chart_bars(totals: list[MonthTotal]) -> list[dict]:
    """Geometry of the SVG bars: one per month, heights relative to the largest total."""
    top = max((t.total for t in totals), default=Decimal("0")) or Decimal("1")
    usable = CHART_H - CHART_TOP - CHART_BOTTOM
    slot = CHART_W / max(len(totals), 1)
    bars = []
    for i, t in enumerate(totals):
        height = round(float(t.total / top) * usable, 1)
        bars.append(
            {
                "month": t.month,
                "total": t.total,
                "x": round(i * slot + slot * 0.15, 1),
                "width": round(slot * 0.7, 1),
                "y": round(CHART_TOP + usable - height, 1),
                "height": height,
                "label_x": round(i * slot + slot / 2, 1),
            }
        )
    return bars


@bp.post("/w/billing")
@login_required
@kept_fragment()
def index():
    """The customer's invoices, newest first, with the last 12 months' totals as SVG bars."""
    port = platform()
    invoices = [
        invoice
        for account in port.list_billing_accounts(current_user.customer_id)
        for invoice in port.list_invoices(account.id)
    ]
    invoices.sort(key=lambda i: (i.issue_date, i.number), reverse=True)
    day = today()
    return render_template(
        "widget/billing/index.html",
        invoices=invoices,
        states={i.id: invoice_state(i, day) for i in invoices},
        bars=chart_bars(monthly_totals(invoices, day)),
        chart={"width": CHART_W, "height": CHART_H, "baseline": CHART_H - CHART_BOTTOM},
    )


@bp.post("/w/billing/invoice")
@login_required
def invoice():
    """One invoice: lines grouped by kind with subtotals, the VAT recap and how to pay it."""
    bill = own_invoice(request.form.get("invoice", ""))
    edr.record(edr.actions.INVOICE_VIEW, invoice=bill.id, number=bill.number)
    return render_invoice_detail(bill)


def payment_panel(bill: Invoice) -> dict | None:
    """What the payment panel of an unpaid bill shows: amount, account, symbol, QR, card payment.

    None for a paid bill or when the partner names no account (nothing to pay to).
    """
    who = partner()
    if bill.is_paid or not who.payee_iban or bill.remaining <= 0:
        return None
    vs = variable_symbol(bill.number)
    account = czech_account(who.payee_iban)
    title = _(
        "QR payment: %(amount)s to account %(account)s, variable symbol %(vs)s, due %(due)s",
        amount=money(bill.remaining),
        account=account or grouped_iban(who.payee_iban),
        vs=vs,
        due=day(bill.due_date),
    )
    code = spayd_build(
        SpaydPayment(
            iban=who.payee_iban,
            amount=bill.remaining,
            variable_symbol=vs,
            due_date=bill.due_date,
            message=f"{who.name} {bill.number}",
        )
    )
    return {
        "amount": bill.remaining,
        "iban": grouped_iban(who.payee_iban),
        "account": account,
        "variable_symbol": vs,
        "due_date": bill.due_date,
        # segno's own SVG: numbers and paths only, the title escaped by segno
        "qr_svg": Markup(qr_svg(code, title)),  # noqa: S704
        "qr_title": title,
        "card": who.payment_gateway is not None,
    }


def render_invoice_detail(bill: Invoice, status: str = "", error: str = "") -> str:
    """The invoice detail fragment (also shown after a card payment returns, with ``status``)."""
    lines = platform().list_invoice_lines(bill.id)
    return render_template(
        "widget/billing/_invoice.html",
        invoice=bill,
        state=invoice_state(bill, today()),
        variable_symbol=variable_symbol(bill.number),
        groups=group_lines(lines),
        recap=vat_recap(lines),
        kind_label=kind_label,
        payment=payment_panel(bill),
        status=status,
        error=error,
    )


def line_numbers(customer_id: str) -> dict[str, str]:
    """Product id -> MSISDN of the customer's SIMs and their packages (for lines naming a product)."""
    port = platform()
    numbers = {sim.product_id: sim.msisdn for sim in port.list_sims(customer_id)}
    for package in port.list_packages(customer_id):
        if package.sim_product_id in numbers:
            numbers[package.product_id] = numbers[package.sim_product_id]
    return numbers


@bp.post("/w/billing/invoice/pdf")
@login_required
def invoice_pdf():
    """The invoice as a PDF download (authenticated POST only; no token ever in a URL)."""
    # fpdf2, fontTools and Pillow (~20 MB per worker) only once somebody downloads a PDF
    from ..invoices.pdf import find_logo, render_invoice_pdf

    port = platform()
    bill = own_invoice(request.form.get("invoice", ""))
    lines = port.list_invoice_lines(bill.id)
    if any(not line.msisdn and line.product_id for line in lines):
        lines = fill_numbers(lines, line_numbers(current_user.customer_id))
    customer = port.get_customer(current_user.customer_id)
    who = partner()
    themes_dir = services().settings.themes_dir
    rendered = render_invoice_pdf(
        bill,
        lines,
        customer,
        partner_name=who.name,
        payee_iban=who.payee_iban,
        supplier=who.supplier,
        logo=find_logo(themes_dir, who.theme),
        locale=str(get_locale() or "cs"),
    )
    edr.record(edr.actions.INVOICE_DOWNLOAD, invoice=bill.id, number=bill.number, bytes=len(rendered.data))
    response = Response(rendered.data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{rendered.filename}"'
    response.headers["Cache-Control"] = "no-store"
    return trigger_action(response, edr.actions.INVOICE_DOWNLOAD)
