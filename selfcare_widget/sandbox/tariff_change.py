"""TMF622 tariff change: a ``modify`` order item moving a SIM line to another tariff offering.

Body (docs/platform-contract.md): ``productOrderItem[0]`` with ``action: "modify"``,
``productOffering.id`` = the new tariff and ``product.id`` = the SIM product. The offering says
when the change applies (``prodSpecCharValueUse`` ``tariffChangeEffective``):

- ``immediate``: the SIM product gets the new tariff, price and allowances in the same
  transaction; the order is ``completed``.
- ``nextBillingPeriod``: the order is ``inProgress`` with ``expectedCompletionDate`` = the 1st of
  the next month, and the SIM product carries the pending change as productCharacteristic
  (``pendingTariffId``, ``pendingTariffName``, ``pendingTariffDate``). The sandbox applies due
  changes before answering any request (:func:`apply_due_tariff_changes`).

Like add-on orders, a repeated ``externalId`` returns the first order with 200.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import date, datetime, timedelta, timezone
from typing import Any, TypeGuard

from flask import Response, jsonify

from .db import dumps, immediate, load_doc
from .errors import ApiError, bad_request
from .orders import order_envelope
from .resources import OFFERINGS, PRAGUE, Offering, bucket_doc, href, local_iso, money, month_end

#: productCharacteristic of a SIM product with a tariff change waiting for its date.
PENDING_ID, PENDING_NAME, PENDING_DATE = "pendingTariffId", "pendingTariffName", "pendingTariffDate"
_PENDING = (PENDING_ID, PENDING_NAME, PENDING_DATE)
_ALLOWANCE_TEXT = {"voice": "volání", "sms": "SMS", "data": "data"}


def is_tariff_change(body: object) -> TypeGuard[dict]:
    """Whether a ProductOrder create body asks for a ``modify`` (a tariff change)."""
    if not isinstance(body, dict) or not isinstance(body.get("productOrderItem"), list):
        return False
    return any(isinstance(i, dict) and i.get("action") == "modify" for i in body["productOrderItem"])


def _parse(body: dict) -> tuple[str | None, str, str, str]:
    """(externalId, customer id, SIM product id, new offering id); 400 when malformed."""
    external_id, customer = order_envelope(body)
    items = body["productOrderItem"]
    if len(items) != 1:
        raise bad_request("a tariff change is one productOrderItem with action 'modify'")
    try:
        offering_id = items[0]["productOffering"]["id"]
        sim_id = items[0]["product"]["id"]
    except (KeyError, TypeError):
        raise bad_request("a modify item needs productOffering.id and product.id") from None
    if not isinstance(offering_id, str) or not isinstance(sim_id, str):
        raise bad_request("ids must be strings")
    return external_id, customer, sim_id, offering_id


def _reject(code: str, reason: str, message: str) -> ApiError:
    return ApiError(422, code, reason, message)


def _pending(sim: dict) -> dict[str, Any]:
    """The pending-change characteristics of a SIM product body (empty when none)."""
    return {c["name"]: c.get("value") for c in sim.get("productCharacteristic", []) if c["name"] in _PENDING}


def _check(conn: sqlite3.Connection, customer: str, sim_id: str, offering_id: str) -> dict:
    """Business rules of a tariff change; returns the SIM product body."""
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
        raise _reject("simBlocked", "SIM je zablokovaná", "the tariff of a blocked SIM cannot change")
    sim = load_doc(conn, "product", sim_id)
    if sim is None:  # the row was read above in the same transaction
        raise _reject("productNotFound", "SIM nenalezena", f"no product {sim_id!r}")
    if _pending(sim):
        raise _reject(
            "tariffChangePending",
            "Změna tarifu už je naplánovaná",
            "the SIM already has a tariff change waiting for the next billing period",
        )
    # The new tariff must name the current one in a changeFrom relationship (prepaid tariffs
    # name only prepaid ones, so a prepaid line stays prepaid).
    allowed = conn.execute(
        "SELECT 1 FROM product_offering o JOIN offering_relationship r ON r.offering_id = o.id "
        "WHERE o.id = ? AND o.category_id = 'tariff' AND o.lifecycle_status = 'Launched' AND r.related_id = ?",
        (offering_id, row["offering_id"]),
    ).fetchone()
    if not allowed or offering_id not in OFFERINGS:
        raise _reject(
            "offeringNotAllowed",
            "Na tento tarif nelze přejít",
            f"tariff {offering_id!r} is not offered for a line on {row['offering_id']!r}",
        )
    return sim


def _existing(conn: sqlite3.Connection, external_id: str | None) -> dict | None:
    if external_id is None:
        return None
    row = conn.execute("SELECT doc FROM product_order WHERE external_id = ?", (external_id,)).fetchone()
    return json.loads(row[0]) if row else None


def next_period_start(day: date) -> date:
    """The first day of the billing period after the one of ``day`` (calendar months)."""
    return month_end(day) + timedelta(days=1)


def create(conn: sqlite3.Connection, body: dict) -> Response:
    """``POST /productOrder`` of a tariff change; a repeated ``externalId`` returns the first order."""
    external_id, customer, sim_id, offering_id = _parse(body)
    try:
        with immediate(conn):
            existing = _existing(conn, external_id)
            if existing is not None:
                return jsonify(existing)
            order = _fulfil(conn, external_id, customer, sim_id, offering_id)
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
    conn: sqlite3.Connection, external_id: str | None, customer: str, sim_id: str, offering_id: str
) -> dict:
    sim = _check(conn, customer, sim_id, offering_id)
    offering = OFFERINGS[offering_id]
    old = sim["productOffering"]
    now = datetime.now(timezone.utc).astimezone(PRAGUE)
    stamp = now.isoformat(timespec="seconds")
    order_id = "ord-" + uuid.uuid4().hex[:16]
    item: dict[str, Any] = {
        "id": "1",
        "action": "modify",
        "quantity": 1,
        "productOffering": {"id": offering.id, "name": offering.name},
        "product": {"id": sim_id, "href": href("637", "product", sim_id), "name": sim["name"]},
    }
    order: dict[str, Any] = {
        "id": order_id,
        "href": href("622", "productOrder", order_id),
        "description": f"Změna tarifu {old.get('name', old['id'])} → {offering.name}",
        "orderDate": stamp,
        "relatedParty": [{"id": customer, "role": "customer", "@referredType": "Customer"}],
        "productOrderItem": [item],
        "@type": "ProductOrder",
    }
    if external_id is not None:
        order["externalId"] = external_id
    if offering.change_effective == "immediate":
        apply_tariff(conn, sim, offering, now.date())
        order.update(state="completed", completionDate=stamp)
        item["state"] = "completed"
    else:
        effective = local_iso(next_period_start(now.date()))
        sim["productCharacteristic"] = [
            *(c for c in sim["productCharacteristic"] if c["name"] not in _PENDING),
            {"name": PENDING_ID, "valueType": "string", "value": offering.id},
            {"name": PENDING_NAME, "valueType": "string", "value": offering.name},
            {"name": PENDING_DATE, "valueType": "dateTime", "value": effective},
        ]
        conn.execute("UPDATE product SET doc = ? WHERE id = ?", (dumps(sim), sim_id))
        order.update(state="inProgress", requestedStartDate=effective, expectedCompletionDate=effective)
        item["state"] = "inProgress"
    conn.execute(
        "INSERT INTO product_order VALUES (?,?,?,?)", (order_id, external_id, customer, dumps(order))
    )
    return order


def apply_tariff(conn: sqlite3.Connection, sim: dict, offering: Offering, day: date) -> None:
    """Put the SIM line on ``offering`` from ``day``: tariff, monthly price and fresh allowances.

    The tariff's unit buckets are replaced by the new tariff's full allowances up to the end of
    the month (credit and packages stay); a pending change is cleared.
    """
    sim_id = sim["id"]
    sim["productOffering"] = {"id": offering.id, "name": offering.name}
    sim["productPrice"] = [
        {
            "priceType": "recurring",
            "recurringChargePeriod": "month",
            "name": "Měsíční paušál",
            "price": {"taxIncludedAmount": money(offering.price)},
        }
    ]
    sim["productCharacteristic"] = [c for c in sim["productCharacteristic"] if c["name"] not in _PENDING]
    conn.execute(
        "UPDATE product SET offering_id = ?, doc = ? WHERE id = ?", (offering.id, dumps(sim), sim_id)
    )
    conn.execute(
        "DELETE FROM bucket WHERE product_id = ? AND package_product_id IS NULL AND usage_type != 'monetary'",
        (sim_id,),
    )
    for k, (kind, amount) in enumerate(offering.grants):
        bucket_id = f"bkt-{sim_id[5:]}-t{k}"
        bucket = bucket_doc(
            bucket_id,
            kind,
            [sim_id],
            amount,
            amount,
            day,
            month_end(day),
            f"{offering.name} – {_ALLOWANCE_TEXT[kind]}",
            kind in offering.unlimited,
        )
        conn.execute(
            "INSERT INTO bucket VALUES (?,?,?,?,?,?)",
            (bucket_id, sim["relatedParty"][0]["id"], sim_id, None, kind, dumps(bucket)),
        )


def apply_due_tariff_changes(conn: sqlite3.Connection, now: datetime | None = None) -> int:
    """Apply every waiting tariff change whose date has come; returns how many were applied.

    Cheap when nothing is due: one read of the (small) order table, no write lock.
    """
    now = now or datetime.now(timezone.utc)
    waiting = conn.execute(
        "SELECT id FROM product_order WHERE json_extract(doc, '$.state') = 'inProgress' "
        "AND json_extract(doc, '$.productOrderItem[0].action') = 'modify'"
    ).fetchall()
    due = [
        row["id"]
        for row in waiting
        if (order := load_doc(conn, "product_order", row["id"])) is not None
        and datetime.fromisoformat(order["expectedCompletionDate"]) <= now
    ]
    applied = 0
    for order_id in due:
        with immediate(conn):
            order = load_doc(conn, "product_order", order_id)
            if order is None or order.get("state") != "inProgress":
                continue  # applied by a concurrent request
            item = order["productOrderItem"][0]
            effective = datetime.fromisoformat(order["expectedCompletionDate"])
            sim = load_doc(conn, "product", item["product"]["id"])
            offering = OFFERINGS.get(item["productOffering"]["id"])
            if sim is not None and offering is not None:
                apply_tariff(conn, sim, offering, effective.astimezone(PRAGUE).date())
                order.update(state="completed", completionDate=order["expectedCompletionDate"])
                item["state"] = "completed"
            else:  # the line or the offering went away meanwhile
                order["state"] = item["state"] = "failed"
            conn.execute("UPDATE product_order SET doc = ? WHERE id = ?", (dumps(order), order_id))
            applied += 1
    return applied
