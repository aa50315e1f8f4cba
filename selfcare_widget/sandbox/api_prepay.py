"""TMF654 balance actions on prepaid credit: ``adjustBalance`` (a charge or a credit on a bucket).

A prepaid customer's add-on packages are paid from the SIM's credit: when an order for a SIM
on a ``prepaid`` billing account completes, :func:`charge_credit` records an AdjustBalance of
minus the price on the SIM's monetary bucket (in the order's transaction), and the bucket's
``remainingValue`` — what ``GET /bucket`` answers — goes down by that amount. An order whose
price exceeds the credit is refused with a TMF 422 before anything is created.

Amounts are whole hellers inside (``Decimal`` from the stored float), so credit never drifts by
binary rounding. The TMF654 top-up (``topupBalance``) lives in its own module.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request

from . import db
from .db import dumps, immediate, load_doc, request_conn
from .errors import ApiError, bad_request
from .resources import BASE, PRAGUE, href
from .tmf630 import Attr, list_response, one_response

adjust_bp = Blueprint("tmf654_adjust", __name__, url_prefix=BASE["654"])

SCHEMA = """
CREATE TABLE IF NOT EXISTS adjust_balance (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    product_id TEXT NOT NULL,          -- the SIM product whose bucket was adjusted
    bucket_id TEXT NOT NULL,
    requested INTEGER NOT NULL,        -- UTC epoch seconds
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS adjust_balance_product ON adjust_balance (product_id, requested);
"""

ADJUST_ATTRS = {
    "id": Attr("id"),
    "product.id": Attr("product_id"),
    "bucket.id": Attr("bucket_id"),
    "relatedParty.id": Attr("customer_id"),
}
HELLER = Decimal("0.01")


def init_prepay(app: Flask) -> None:
    """Create the balance-action table in the app's database (also in one generated earlier)."""
    conn = db.connect(app.config["SANDBOX_DB"])
    try:
        conn.executescript(SCHEMA)
    finally:
        conn.close()


def hellers(amount: Any) -> int:
    """A CZK amount of a TMF Quantity/Money (float in JSON) as whole hellers, rounded half-up."""
    return int((Decimal(str(amount)) / HELLER).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def credit_bucket(conn: sqlite3.Connection, sim_id: str) -> dict | None:
    """The SIM's prepaid credit (its monetary bucket not granted by a package), or None."""
    row = conn.execute(
        "SELECT doc FROM bucket WHERE product_id = ? AND usage_type = 'monetary' "
        "AND package_product_id IS NULL ORDER BY id LIMIT 1",
        (sim_id,),
    ).fetchone()
    return json.loads(row[0]) if row else None


def is_prepaid(conn: sqlite3.Connection, sim_product: dict) -> bool:
    """Whether the SIM is billed on a ``prepaid`` billing account (TMF666 ``accountType``)."""
    account_id = (sim_product.get("billingAccount") or {}).get("id", "")
    account = load_doc(conn, "billing_account", account_id) if account_id else None
    return account is not None and account.get("accountType") == "prepaid"


def insufficient_credit(credit: int, price: int) -> ApiError:
    """The TMF error of an order (or charge) the credit does not cover."""
    return ApiError(
        422,
        "insufficientCredit",
        "Nedostatečný kredit",
        f"the price {price / 100:.2f} CZK exceeds the credit {credit / 100:.2f} CZK",
    )


def adjust(
    conn: sqlite3.Connection,
    *,
    customer_id: str,
    sim_id: str,
    bucket: dict,
    amount: int,
    reason: str,
    description: str,
    products: list[dict] | None = None,
) -> dict:
    """Apply ``amount`` hellers (negative = a charge) to ``bucket``; store and return the action.

    Runs inside the caller's write transaction; raises 422 ``insufficientCredit`` rather than
    letting a charge take the credit below zero.
    """
    credit = hellers(bucket["remainingValue"]["amount"])
    if credit + amount < 0:
        raise insufficient_credit(credit, -amount)
    bucket["remainingValue"]["amount"] = float(Decimal(credit + amount) * HELLER)
    conn.execute("UPDATE bucket SET doc = ? WHERE id = ?", (dumps(bucket), bucket["id"]))
    now = datetime.now(timezone.utc).astimezone(PRAGUE)
    action_id = "adj-" + uuid.uuid4().hex[:16]
    doc: dict[str, Any] = {
        "id": action_id,
        "href": href("654", "adjustBalance", action_id),
        "adjustType": "oneTime",
        "amount": {"amount": float(Decimal(amount) * HELLER), "units": "CZK"},
        "bucket": {"id": bucket["id"], "href": href("654", "bucket", bucket["id"])},
        "usageType": "monetary",
        "reason": reason,
        "description": description,
        "requestedDate": now.isoformat(timespec="seconds"),
        "confirmationDate": now.isoformat(timespec="seconds"),
        "status": "completed",
        "product": [{"id": sim_id}, *(products or [])],
        "relatedParty": [{"id": customer_id, "role": "customer", "@referredType": "Customer"}],
        "@type": "AdjustBalance",
    }
    conn.execute(
        "INSERT INTO adjust_balance VALUES (?,?,?,?,?,?)",
        (action_id, customer_id, sim_id, bucket["id"], int(now.timestamp()), dumps(doc)),
    )
    return doc


def charge_credit(
    conn: sqlite3.Connection, customer_id: str, sim_product: dict, price: int, order_id: str, name: str
) -> dict | None:
    """Charge an add-on's ``price`` (hellers) to a prepaid SIM's credit; None for a postpaid SIM.

    Called by the order in its own transaction, before anything is created, so a refused charge
    (422 ``insufficientCredit``) leaves no order, product or bucket behind.
    """
    if price <= 0 or not is_prepaid(conn, sim_product):
        return None
    bucket = credit_bucket(conn, sim_product["id"])
    if bucket is None:
        raise insufficient_credit(0, price)
    return adjust(
        conn,
        customer_id=customer_id,
        sim_id=sim_product["id"],
        bucket=bucket,
        amount=-price,
        reason="productOrder",
        description=f"{name} (objednávka {order_id})",
    )


@adjust_bp.post("/adjustBalance")
def create_adjustment() -> Response:
    """TMF654 ``AdjustBalance_Create``: ``amount`` (CZK, negative = charge), ``bucket.id``."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise bad_request("body must be an AdjustBalance object")
    try:
        amount = hellers(body["amount"]["amount"])
        bucket_id = body["bucket"]["id"]
        usage_type = body["usageType"]
    except (KeyError, TypeError, ArithmeticError, ValueError):
        raise bad_request("amount.amount, bucket.id and usageType are required") from None
    if usage_type != "monetary" or (body["amount"].get("units") or "CZK") != "CZK":
        raise bad_request("only monetary adjustments in CZK are supported")
    if not isinstance(bucket_id, str) or amount == 0:
        raise bad_request("bucket.id must name a bucket and amount must not be zero")
    conn = request_conn()
    with immediate(conn):
        row = conn.execute(
            "SELECT customer_id, product_id FROM bucket WHERE id = ? AND usage_type = 'monetary'",
            (bucket_id,),
        ).fetchone()
        if row is None:
            raise ApiError(404, "notFound", "Záznam nenalezen", f"bucket {bucket_id!r} does not exist")
        bucket = load_doc(conn, "bucket", bucket_id)
        assert bucket is not None  # noqa: S101 - read in the same transaction
        doc = adjust(
            conn,
            customer_id=row["customer_id"],
            sim_id=row["product_id"],
            bucket=bucket,
            amount=amount,
            reason=str(body.get("reason") or "adjustment"),
            description=str(body.get("description") or ""),
        )
    response = jsonify(doc)
    response.status_code = 201
    response.headers["Location"] = doc["href"]
    return response


@adjust_bp.get("/adjustBalance")
def list_adjustments() -> Response:
    """Balance adjustments, newest first (filters ``product.id``, ``bucket.id``, ``relatedParty.id``)."""
    return list_response(
        request_conn(), "adjust_balance", ADJUST_ATTRS, default_order="requested DESC, id DESC"
    )


@adjust_bp.get("/adjustBalance/<id_>")
def get_adjustment(id_: str) -> Response:
    """One balance adjustment."""
    return one_response(request_conn(), "adjust_balance", "adjustBalance", id_)
