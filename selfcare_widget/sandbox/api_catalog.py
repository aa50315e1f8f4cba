"""TMF620 ProductOffering and TMF622 ProductOrder (idempotent on ``externalId``)."""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import datetime, timezone

from flask import Blueprint, Response, jsonify, request

from . import sim_replacement, tariff_change
from .api_prepay import charge_credit
from .db import dumps, immediate, load_doc, request_conn
from .errors import ApiError, bad_request
from .orders import order_envelope
from .resources import (
    BASE,
    OFFERINGS,
    PRAGUE,
    addon_product_doc,
    bucket_doc,
    href,
    month_end,
    net_for_gross,
    sim_msisdn,
    unbilled_rate_doc,
)
from .tmf630 import Attr, list_response, one_response

catalog_bp = Blueprint("tmf620", __name__, url_prefix=BASE["620"])
order_bp = Blueprint("tmf622", __name__, url_prefix=BASE["622"])

OFFERING_ATTRS = {
    "id": Attr("id"),
    "name": Attr("json_extract(doc, '$.name')"),
    # the catalogue is a dozen rows: these two read the stored body instead of an indexed column
    "lastUpdate": Attr("CAST(strftime('%s', json_extract(doc, '$.lastUpdate')) AS INTEGER)", kind="date"),
    "lifecycleStatus": Attr("lifecycle_status"),
    "category.id": Attr("category_id"),
    "productOfferingRelationship.id": Attr(
        "id IN (SELECT offering_id FROM offering_relationship WHERE related_id IN ({marks}))", kind="in"
    ),
}
ORDER_ATTRS = {"id": Attr("id"), "externalId": Attr("external_id"), "relatedParty.id": Attr("customer_id")}


@catalog_bp.get("/productOffering")
def list_offerings() -> Response:
    """Tariffs and add-on packages."""
    return list_response(request_conn(), "product_offering", OFFERING_ATTRS)


@catalog_bp.get("/productOffering/<id_>")
def get_offering(id_: str) -> Response:
    """One offering."""
    return one_response(request_conn(), "product_offering", "productOffering", id_)


@order_bp.get("/productOrder")
def list_orders() -> Response:
    """Orders (filters ``relatedParty.id``, ``externalId``)."""
    return list_response(request_conn(), "product_order", ORDER_ATTRS)


@order_bp.get("/productOrder/<id_>")
def get_order(id_: str) -> Response:
    """One order."""
    return one_response(request_conn(), "product_order", "productOrder", id_)


def _reject(code: str, reason: str, message: str) -> ApiError:
    return ApiError(422, code, reason, message)


def _parse_order(body: object) -> tuple[str | None, str, list[tuple[str, str]]]:
    """(externalId, customer id, [(offering id, SIM product id)]) of a create body; 400 when malformed."""
    if not isinstance(body, dict):
        raise bad_request("body must be a ProductOrder object")
    external_id, customer = order_envelope(body)
    items = body.get("productOrderItem")
    if not isinstance(items, list) or not items:
        raise bad_request("productOrderItem is required")
    wanted = []
    for item in items:
        try:
            if item.get("action", "add") != "add":
                raise bad_request("only action 'add' is supported")
            offering_id = item["productOffering"]["id"]
            rel = next(
                r for r in item["product"]["productRelationship"] if r.get("relationshipType") == "addOnTo"
            )
            sim_id = rel["product"]["id"]
        except (AttributeError, KeyError, TypeError, StopIteration):
            raise bad_request(
                "each productOrderItem needs productOffering.id and "
                "product.productRelationship[addOnTo].product.id"
            ) from None
        if not isinstance(offering_id, str) or not isinstance(sim_id, str):
            raise bad_request("ids must be strings")
        wanted.append((offering_id, sim_id))
    return external_id, customer, wanted


def _check(conn: sqlite3.Connection, customer: str, offering_id: str, sim_id: str) -> dict:
    """Business rules of an add-on order; returns the SIM product body."""
    row = conn.execute(
        "SELECT customer_id, status, offering_id FROM product WHERE id = ? AND spec_id = 'spec-mobile-line'",
        (sim_id,),
    ).fetchone()
    if row is None or row["customer_id"] != customer:
        raise _reject("productNotFound", "SIM nenalezena", f"SIM product {sim_id!r} is not the customer's")
    blocked = conn.execute(
        "SELECT 1 FROM service WHERE product_id = ? AND state = 'inactive'", (sim_id,)
    ).fetchone()
    if row["status"] == "suspended" or blocked:
        raise _reject("simBlocked", "SIM je zablokovaná", "packages cannot be ordered for a blocked SIM")
    allowed = conn.execute(
        "SELECT 1 FROM product_offering o JOIN offering_relationship r ON r.offering_id = o.id "
        "WHERE o.id = ? AND o.category_id = 'addon' AND o.lifecycle_status = 'Launched' AND r.related_id = ?",
        (offering_id, row["offering_id"]),
    ).fetchone()
    if not allowed:
        raise _reject(
            "offeringNotAllowed",
            "Balíček nelze k tomuto tarifu objednat",
            f"offering {offering_id!r} is not orderable for tariff {row['offering_id']!r}",
        )
    product = load_doc(conn, "product", sim_id)
    if product is None:  # the row was read above in the same transaction
        raise _reject("productNotFound", "SIM nebyla nalezena", f"no product {sim_id!r}")
    return product


def _existing(conn: sqlite3.Connection, external_id: str | None) -> dict | None:
    """The order already created for this idempotency key, if any."""
    if external_id is None:
        return None
    row = conn.execute("SELECT doc FROM product_order WHERE external_id = ?", (external_id,)).fetchone()
    return json.loads(row[0]) if row else None


@order_bp.before_app_request
def _apply_due_tariff_changes() -> None:
    # A change "from the next billing period" takes effect before the first answer after its date.
    tariff_change.apply_due_tariff_changes(request_conn())


@order_bp.post("/productOrder")
def create_order() -> Response:
    """Order add-on packages, or change a tariff (``modify``, ``sandbox/tariff_change.py``);
    a repeated ``externalId`` returns the first order with 200."""
    body = request.get_json(silent=True)
    if tariff_change.is_tariff_change(body):
        return tariff_change.create(request_conn(), body)
    if sim_replacement.is_replacement(body):
        return sim_replacement.create(request_conn(), body)
    external_id, customer, wanted = _parse_order(body)
    conn = request_conn()
    try:
        with immediate(conn):
            # BEGIN IMMEDIATE serialises concurrent POSTs; the unique index is the last line of defence
            existing = _existing(conn, external_id)
            if existing is not None:
                return jsonify(existing)
            order = _fulfil(conn, external_id, customer, wanted)
    except sqlite3.IntegrityError:
        existing = _existing(conn, external_id)
        if existing is None:
            raise
        return jsonify(existing)
    response = jsonify(order)
    response.status_code = 201
    response.headers["Location"] = order["href"]
    return response


def _fulfil(
    conn: sqlite3.Connection, external_id: str | None, customer: str, wanted: list[tuple[str, str]]
) -> dict:
    """Create the add-on products and their buckets, then the completed order (one transaction)."""
    now = datetime.now(timezone.utc).astimezone(PRAGUE)
    today = now.date()
    order_id = "ord-" + uuid.uuid4().hex[:16]
    items = []
    for n, (offering_id, sim_id) in enumerate(wanted, start=1):
        sim = _check(conn, customer, offering_id, sim_id)
        offering = OFFERINGS[offering_id]
        # TMF654 adjustBalance: a prepaid SIM pays from its credit (422 when it does not cover it)
        charge_credit(conn, customer, sim, offering.price, order_id, offering.name)
        product_id = "prod-" + uuid.uuid4().hex[:16]
        product = addon_product_doc(product_id, customer, sim, offering, today)
        product["productOrderItem"] = [
            {"orderItemId": str(n), "productOrderId": order_id, "orderItemAction": "add"}
        ]
        conn.execute(
            "INSERT INTO product VALUES (?,?,?,?,?,?,?,?)",
            (
                product_id,
                customer,
                "spec-addon",
                offering_id,
                "active",
                sim_msisdn(sim),
                sim_id,
                dumps(product),
            ),
        )
        for k, (kind, amount) in enumerate(offering.grants):
            bucket_id = f"bkt-{product_id[5:]}-{k}"
            bucket = bucket_doc(
                bucket_id,
                kind,
                [sim_id, product_id],
                amount,
                amount,
                today,
                month_end(today),
                offering.name,
                kind in offering.unlimited,
            )
            conn.execute(
                "INSERT INTO bucket VALUES (?,?,?,?,?,?)",
                (bucket_id, customer, sim_id, product_id, kind, dumps(bucket)),
            )
        if OFFERINGS[sim["productOffering"]["id"]].price:  # postpaid: the package is on the next bill
            rate_id = f"acbr-u-{product_id[5:]}"
            rate = unbilled_rate_doc(
                rate_id,
                billing_account_id=sim["billingAccount"]["id"],
                product_id=sim_id,
                name=offering.name,
                kind="package",
                net=net_for_gross(offering.price),
                day=today,
                period_start=today.replace(day=1),
                period_end=month_end(today),
            )
            conn.execute("INSERT INTO applied_rate VALUES (?,?,?,?)", (rate_id, "", 0, dumps(rate)))
        items.append(
            {
                "id": str(n),
                "action": "add",
                "quantity": 1,
                "state": "completed",
                "productOffering": {"id": offering.id, "name": offering.name},
                "product": {
                    "id": product_id,
                    "href": href("637", "product", product_id),
                    "productRelationship": [{"relationshipType": "addOnTo", "product": {"id": sim_id}}],
                },
            }
        )
    order = {
        "id": order_id,
        "href": href("622", "productOrder", order_id),
        "orderDate": now.isoformat(timespec="seconds"),
        "completionDate": now.isoformat(timespec="seconds"),
        "state": "completed",
        "relatedParty": [{"id": customer, "role": "customer", "@referredType": "Customer"}],
        "productOrderItem": items,
        "@type": "ProductOrder",
    }
    if external_id is not None:
        order["externalId"] = external_id
    conn.execute(
        "INSERT INTO product_order VALUES (?,?,?,?)", (order_id, external_id, customer, dumps(order))
    )
    return order
