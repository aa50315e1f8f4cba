"""TMF678 CustomerBill and AppliedCustomerBillingRate (invoice lines)."""

from __future__ import annotations

from flask import Blueprint, Response

from .db import request_conn
from .resources import BASE
from .tmf630 import Attr, list_response, one_response

billing_bp = Blueprint("tmf678", __name__, url_prefix=BASE["678"])

BILL_ATTRS = {
    "id": Attr("id"),
    "billingAccount.id": Attr("billing_account_id"),
    "state": Attr("state"),
    "billDate": Attr("bill_date", kind="date"),
}
RATE_ATTRS = {
    "id": Attr("id"),
    "bill.id": Attr("bill_id"),
    # Charges not yet on a bill (the current spend) are stored with an empty bill_id.
    "billingAccount.id": Attr("json_extract(doc, '$.billingAccount.id')"),
    "isBilled": Attr("CASE WHEN bill_id = '' THEN 'false' ELSE 'true' END", normalize=str.lower),
}


@billing_bp.get("/customerBill")
def list_bills() -> Response:
    """Bills, newest first unless ``sort=billDate``."""
    return list_response(
        request_conn(),
        "customer_bill",
        BILL_ATTRS,
        sorts={"billDate": "bill_date"},
        default_order="bill_date DESC, id DESC",
    )


@billing_bp.get("/customerBill/<id_>")
def get_bill(id_: str) -> Response:
    """One bill."""
    return one_response(request_conn(), "customer_bill", "customerBill", id_)


@billing_bp.get("/appliedCustomerBillingRate")
def list_rates() -> Response:
    """Bill lines in bill order (filter ``bill.id``)."""
    return list_response(request_conn(), "applied_rate", RATE_ATTRS, default_order="bill_id, seq")


@billing_bp.get("/appliedCustomerBillingRate/<id_>")
def get_rate(id_: str) -> Response:
    """One bill line."""
    return one_response(request_conn(), "applied_rate", "appliedCustomerBillingRate", id_)
