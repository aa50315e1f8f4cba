"""A fake card gateway for the demo portal, clearly labelled: no card, no money, just the loop.

It stands in for the partner's real payment gateway (``docs/payments.md``): Demo Mobil's
``payment_gateway.url_template`` points here. The customer sees the amount and chooses *pay* or
*cancel*; the page then sends the browser back to the widget's signed return URL with the result
signed with the gateway secret, exactly as a real gateway would.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlencode

from flask import Blueprint, abort, redirect, render_template, request

from ..views.payments import gateway_signature

#: The demo gateway's pages, under the portal's origin.
PREFIX = "/demo-gateway"
#: The payment URL template of the demo partner (placeholders: docs/payments.md).
URL_TEMPLATE = (
    "{portal}" + PREFIX + "/pay?amount={{amount}}&currency={{currency}}&vs={{variable_symbol}}"
    "&invoice={{invoice_id}}&ref={{reference}}&return={{return_url}}"
)


def demo_url_template(portal_origin: str) -> str:
    """Demo Mobil's ``url_template``: this gateway on the demo portal."""
    return URL_TEMPLATE.format(portal=portal_origin)


def create_demo_gateway(secret: str, widget_url: str) -> Blueprint:
    """The demo gateway; it returns customers only to ``widget_url``'s ``/pay/return``."""
    bp = Blueprint("demo_gateway", __name__, url_prefix=PREFIX)
    return_prefix = widget_url.rstrip("/") + "/pay/return?"
    fields = ("amount", "currency", "vs", "invoice", "ref", "return")

    def payment() -> dict[str, str]:
        values = {name: (request.values.get(name) or "")[:2000] for name in fields}
        if not values["return"].startswith(return_prefix) or not values["ref"]:
            abort(400)  # a demo is no open redirect either
        return values

    @bp.get("/pay")
    def pay():
        return render_template("portal/demo_gateway.html", payment=payment())

    @bp.post("/complete")
    def complete():
        values = payment()
        status = "paid" if request.form.get("action") == "pay" else "cancelled"
        transaction = "demo-" + secrets.token_hex(6)
        result = {
            "status": status,
            "transaction": transaction,
            "paid_amount": values["amount"] if status == "paid" else "0.00",
        }
        result["gateway_signature"] = gateway_signature(
            secret, values["ref"], status, transaction, result["paid_amount"], values["currency"]
        )
        return redirect(values["return"] + "&" + urlencode(result), code=303)

    return bp
