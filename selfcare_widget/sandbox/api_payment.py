"""TMF676 Payment (bill payments) and TMF654 TopupBalance (prepaid credit), idempotent on ``correlatorId``.

A payment names the bill it pays in ``paymentItem``; the sandbox lowers the bill's
``remainingAmount`` and marks it ``settled`` (or ``partiallyPaid``) in the same transaction. A
top-up adds its amount to the monetary bucket it names. Both deduplicate on ``correlatorId``
(TMF676 has the field; for TMF654 it is this platform's documented extension): a second POST with
the same value returns the first resource with 200 and changes nothing.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask import Blueprint, Flask, Response, jsonify, request

from . import db
from .db import dumps, immediate, load_doc, request_conn
from .errors import ApiError, bad_request
from .resources import BASE, PRAGUE, href
from .tmf630 import Attr, list_response, one_response

payment_bp = Blueprint("tmf676", __name__, url_prefix=BASE["676"])
topup_bp = Blueprint("tmf654_topup", __name__, url_prefix=BASE["654"])

PAYMENT_ATTRS = {
    "id": Attr("id"),
    "account.id": Attr("account_id"),
    "correlatorId": Attr("correlator_id"),
    "paymentItem.item.id": Attr("bill_id"),
}
TOPUP_ATTRS = {
    "id": Attr("id"),
    "correlatorId": Attr("correlator_id"),
    "product.id": Attr("product_id"),
    "bucket.id": Attr("bucket_id"),
    "relatedParty.id": Attr("customer_id"),
}
MAX_AMOUNT = Decimal("1000000")

SCHEMA = """
-- TMF676 payments of bills; correlatorId is the client's idempotency key
CREATE TABLE IF NOT EXISTS payment (
    id TEXT PRIMARY KEY,
    correlator_id TEXT,
    account_id TEXT NOT NULL,
    bill_id TEXT NOT NULL,
    created INTEGER NOT NULL,          -- UTC epoch nanoseconds (newest first)
    doc TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS payment_correlator ON payment (correlator_id);
CREATE INDEX IF NOT EXISTS payment_account ON payment (account_id, created);

-- TMF654 top-ups of credit buckets; correlatorId (extension) is the idempotency key
CREATE TABLE IF NOT EXISTS topup_balance (
    id TEXT PRIMARY KEY,
    correlator_id TEXT,
    customer_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    bucket_id TEXT NOT NULL,
    created INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS topup_balance_correlator ON topup_balance (correlator_id);
CREATE INDEX IF NOT EXISTS topup_balance_product ON topup_balance (product_id, created);
"""


def init_payment(app: Flask) -> None:
    """Create the payment and top-up tables in the app's database (also in one generated earlier)."""
    conn = db.connect(app.config["SANDBOX_DB"])
    try:
        conn.executescript(SCHEMA)
    finally:
        conn.close()


def _now() -> str:
    return datetime.now(timezone.utc).astimezone(PRAGUE).isoformat(timespec="seconds")


def _reject(code: str, reason: str, message: str) -> ApiError:
    return ApiError(422, code, reason, message)


def _obj(value: object, what: str) -> dict:
    if not isinstance(value, dict):
        raise bad_request(f"{what} must be an object")
    return value


def _id_of(value: object, what: str) -> str:
    ident = _obj(value, what).get("id")
    if not isinstance(ident, str) or not ident:
        raise bad_request(f"{what}.id must be a non-empty string")
    return ident


def _amount(value: object, what: str) -> Decimal:
    """A positive CZK amount with at most two decimals."""
    try:
        amount = (
            Decimal(str(value))
            if isinstance(value, (int, float, str)) and not isinstance(value, bool)
            else None
        )
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount <= 0 or amount > MAX_AMOUNT:
        raise bad_request(f"{what} must be a positive amount")
    if amount != amount.quantize(Decimal("0.01")):
        raise bad_request(f"{what} has more than two decimals")
    return amount.quantize(Decimal("0.01"))


def _correlator(body: dict) -> str | None:
    value = body.get("correlatorId")
    if value is None:
        return None
    if not isinstance(value, str) or not value or len(value) > 100:
        raise bad_request("correlatorId must be a non-empty string of at most 100 characters")
    return value


def _money_value(amount: Decimal) -> dict:
    return {"unit": "CZK", "value": float(amount)}


def _existing(conn: sqlite3.Connection, table: str, correlator: str | None) -> dict | None:
    if correlator is None:
        return None
    row = conn.execute(f"SELECT doc FROM {table} WHERE correlator_id = ?", (correlator,)).fetchone()  # noqa: S608
    return json.loads(row[0]) if row else None


def _idempotent_create(
    table: str, correlator: str | None, create: Callable[[sqlite3.Connection], dict]
) -> Response:
    """201 with the new resource, or 200 with the one already created for ``correlator``."""
    conn = request_conn()
    try:
        with immediate(conn):
            existing = _existing(conn, table, correlator)
            if existing is not None:
                return jsonify(existing)
            doc = create(conn)
    except sqlite3.IntegrityError:  # the unique index: a concurrent POST with the same key won
        existing = _existing(conn, table, correlator)
        if existing is None:
            raise
        return jsonify(existing)
    response = jsonify(doc)
    response.status_code = 201
    response.headers["Location"] = doc["href"]
    return response


# --- TMF676 Payment --------------------------------------------------------------------------


@payment_bp.get("/payment")
def list_payments() -> Response:
    """Payments, newest first (filters ``account.id``, ``correlatorId``, ``paymentItem.item.id``)."""
    return list_response(request_conn(), "payment", PAYMENT_ATTRS, default_order="created DESC, id DESC")


@payment_bp.get("/payment/<id_>")
def get_payment(id_: str) -> Response:
    """One payment."""
    return one_response(request_conn(), "payment", "payment", id_)


@payment_bp.post("/payment")
def create_payment() -> Response:
    """Record a payment of one bill of ``account``; settles the bill when nothing remains."""
    body = _obj(request.get_json(silent=True), "body")
    account_id = _id_of(body.get("account"), "account")
    method = _obj(body.get("paymentMethod"), "paymentMethod")
    total = _obj(body.get("totalAmount"), "totalAmount")
    if total.get("unit", "CZK") != "CZK":
        raise bad_request("totalAmount.unit must be CZK")
    amount = _amount(total.get("value"), "totalAmount.value")
    items = body.get("paymentItem")
    if not isinstance(items, list) or len(items) != 1:
        raise bad_request("paymentItem must name exactly one bill")
    item = _obj(items[0], "paymentItem[0]")
    bill_id = _id_of(item.get("item"), "paymentItem[0].item")
    correlator = _correlator(body)

    def create(conn: sqlite3.Connection) -> dict:
        bill = load_doc(conn, "customer_bill", bill_id)
        if bill is None or bill["billingAccount"]["id"] != account_id:
            raise _reject(
                "billNotFound", "Faktura nenalezena", f"no bill {bill_id!r} of account {account_id!r}"
            )
        now = _now()
        remaining = Decimal(str(bill["remainingAmount"]["value"])).quantize(Decimal("0.01"))
        left = max(Decimal("0"), remaining - amount)
        bill["remainingAmount"] = _money_value(left)
        bill["state"] = "settled" if left == 0 else "partiallyPaid"
        bill["lastUpdate"] = now
        conn.execute(
            "UPDATE customer_bill SET state = ?, doc = ? WHERE id = ?", (bill["state"], dumps(bill), bill_id)
        )
        payment_id = "pay-" + uuid.uuid4().hex[:16]
        payer = body.get("payer")
        doc: dict = {
            "id": payment_id,
            "href": href("676", "payment", payment_id),
            "paymentDate": now,
            "status": "done",
            "statusDate": now,
            "account": {"id": account_id, "href": href("666", "billingAccount", account_id)},
            "paymentMethod": {k: method[k] for k in ("id", "name") if isinstance(method.get(k), str)},
            "totalAmount": _money_value(amount),
            "amount": _money_value(amount),
            "paymentItem": [
                {
                    "item": {
                        "id": bill_id,
                        "href": href("678", "customerBill", bill_id),
                        "@referredType": "CustomerBill",
                    },
                    "totalAmount": _money_value(amount),
                }
            ],
            "@type": "Payment",
        }
        if correlator is not None:
            doc["correlatorId"] = correlator
        for key in ("authorizationCode", "description"):
            if isinstance(body.get(key), str):
                doc[key] = body[key]
        if isinstance(payer, dict) and isinstance(payer.get("id"), str):
            doc["payer"] = {"id": payer["id"], "role": "customer", "@referredType": "Customer"}
        if isinstance(body.get("channel"), dict) and isinstance(body["channel"].get("id"), str):
            doc["channel"] = {
                k: body["channel"][k] for k in ("id", "name") if isinstance(body["channel"].get(k), str)
            }
        conn.execute(
            "INSERT INTO payment VALUES (?,?,?,?,?,?)",
            (payment_id, correlator, account_id, bill_id, time.time_ns(), dumps(doc)),
        )
        return doc

    return _idempotent_create("payment", correlator, create)


# --- TMF654 TopupBalance ---------------------------------------------------------------------


@topup_bp.get("/topupBalance")
def list_topups() -> Response:
    """Top-ups, newest first (filters ``product.id``, ``bucket.id``, ``relatedParty.id``)."""
    return list_response(request_conn(), "topup_balance", TOPUP_ATTRS, default_order="created DESC, id DESC")


@topup_bp.get("/topupBalance/<id_>")
def get_topup(id_: str) -> Response:
    """One top-up."""
    return one_response(request_conn(), "topup_balance", "topupBalance", id_)


@topup_bp.post("/topupBalance")
def create_topup() -> Response:
    """Add ``amount`` CZK to the monetary ``bucket`` (completed at once)."""
    body = _obj(request.get_json(silent=True), "body")
    quantity = _obj(body.get("amount"), "amount")
    if quantity.get("units", "CZK") != "CZK":
        raise bad_request("amount.units must be CZK")
    amount = _amount(quantity.get("amount"), "amount.amount")
    if body.get("usageType") != "monetary":
        raise bad_request("usageType must be monetary (credit top-up)")
    bucket_id = _id_of(body.get("bucket"), "bucket")
    account_id = _id_of(body.get("partyAccount"), "partyAccount")
    correlator = _correlator(body)

    def create(conn: sqlite3.Connection) -> dict:
        row = conn.execute(
            "SELECT customer_id, product_id, usage_type, doc FROM bucket WHERE id = ?", (bucket_id,)
        ).fetchone()
        if row is None or row["usage_type"] != "monetary":
            raise _reject("bucketNotFound", "Kredit nenalezen", f"no credit bucket {bucket_id!r}")
        owns = conn.execute(
            "SELECT 1 FROM billing_account WHERE id = ? AND customer_id = ?", (account_id, row["customer_id"])
        ).fetchone()
        if owns is None:
            raise _reject(
                "accountMismatch",
                "Účet nepatří zákazníkovi",
                f"account {account_id!r} is not the bucket owner's",
            )
        bucket = json.loads(row["doc"])
        old = Decimal(str(bucket["remainingValue"]["amount"]))
        new = (old + amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        bucket["remainingValue"]["amount"] = float(new)
        conn.execute("UPDATE bucket SET doc = ? WHERE id = ?", (dumps(bucket), bucket_id))
        now = _now()
        topup_id = "top-" + uuid.uuid4().hex[:16]
        doc: dict = {
            "id": topup_id,
            "href": href("654", "topupBalance", topup_id),
            "status": "completed",
            "requestedDate": now,
            "confirmationDate": now,
            "amount": {"amount": float(amount), "units": "CZK"},
            "usageType": "monetary",
            "bucket": {"id": bucket_id, "href": href("654", "bucket", bucket_id)},
            "partyAccount": {"id": account_id, "href": href("666", "billingAccount", account_id)},
            "product": [{"id": row["product_id"], "href": href("637", "product", row["product_id"])}],
            "relatedParty": [{"id": row["customer_id"], "role": "customer", "@referredType": "Customer"}],
            "@type": "TopupBalance",
        }
        if correlator is not None:
            doc["correlatorId"] = correlator
        for key in ("paymentMethod", "channel"):
            ref = body.get(key)
            if isinstance(ref, dict) and isinstance(ref.get("id"), str):
                doc[key] = {k: ref[k] for k in ("id", "name") if isinstance(ref.get(k), str)}
        conn.execute(
            "INSERT INTO topup_balance VALUES (?,?,?,?,?,?,?)",
            (
                topup_id,
                correlator,
                row["customer_id"],
                row["product_id"],
                bucket_id,
                time.time_ns(),
                dumps(doc),
            ),
        )
        return doc

    return _idempotent_create("topup_balance", correlator, create)
