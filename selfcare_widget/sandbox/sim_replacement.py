"""TMF622 order of a replacement SIM card for a blocked line (docs/platform-contract.md).

The order has one ``add`` item of product spec ``spec-sim-replacement`` related to the line by
``replacementFor``, ``simType`` ``physical`` or ``esim`` and, for a plastic card, a ``place`` with
role ``deliveryAddress``. Only a blocked line gets one, so the lost card and the new one never
work at the same time. Fulfilment, in the order's transaction: a new TMF639 SIM card (an eSIM
with its LPA activation code), the line's product and service moved to it and back in service;
the lost card stays suspended. A repeated ``externalId`` returns the first order with 200.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import datetime, timezone
from typing import Any, TypeGuard

from flask import Response, jsonify

from .db import dumps, immediate, load_doc
from .errors import ApiError, bad_request
from .orders import order_envelope
from .resources import PRAGUE, href, sim_card_doc

SPEC = "spec-sim-replacement"
RELATION = "replacementFor"
KINDS = ("physical", "esim")
#: The SM-DP+ address in the sandbox's eSIM activation codes (GSMA SGP.22 LPA string).
SMDP_ADDRESS = "smdp.example"


def is_replacement(body: object) -> TypeGuard[dict]:
    """Whether a ProductOrder create body orders a replacement SIM card."""
    if not isinstance(body, dict) or not isinstance(body.get("productOrderItem"), list):
        return False
    for item in body["productOrderItem"]:
        product = item.get("product") if isinstance(item, dict) else None
        spec = product.get("productSpecification") if isinstance(product, dict) else None
        if isinstance(spec, dict) and spec.get("id") == SPEC:
            return True
    return False


def _reject(code: str, reason: str, message: str) -> ApiError:
    return ApiError(422, code, reason, message)


def _parse(body: dict) -> tuple[str | None, str, str, str, dict | None]:
    """(externalId, customer, line product id, simType, delivery place) of the body; 400 if malformed."""
    external_id, customer = order_envelope(body)
    items = body["productOrderItem"]
    if len(items) != 1:
        raise bad_request("a replacement SIM order has exactly one productOrderItem")
    try:
        item = items[0]
        if item.get("action") != "add":
            raise bad_request("a replacement SIM is ordered with action 'add'")
        product = item["product"]
        line_id = next(
            r["product"]["id"]
            for r in product["productRelationship"]
            if r.get("relationshipType") == RELATION
        )
        kinds = [
            c.get("value") for c in product.get("productCharacteristic") or [] if c.get("name") == "simType"
        ]
        places = [p for p in product.get("place") or [] if p.get("role") == "deliveryAddress"]
    except (AttributeError, KeyError, TypeError, StopIteration):
        raise bad_request(
            "the item needs product.productRelationship[replacementFor].product.id and "
            "productCharacteristic simType"
        ) from None
    if not isinstance(line_id, str) or len(kinds) != 1 or kinds[0] not in KINDS:
        raise bad_request("simType must be 'physical' or 'esim' and the line id a string")
    place = places[0] if places else None
    if kinds[0] == "physical":
        fields = ("street", "city", "postcode")
        if place is None or not all(isinstance(place.get(f), str) and place[f].strip() for f in fields):
            raise _reject(
                "deliveryAddressMissing",
                "Chybí doručovací adresa",
                "a physical SIM needs place[deliveryAddress] with street, city and postcode",
            )
    return external_id, customer, line_id, kinds[0], place


def _existing(conn: sqlite3.Connection, external_id: str | None) -> dict | None:
    if external_id is None:
        return None
    row = conn.execute("SELECT doc FROM product_order WHERE external_id = ?", (external_id,)).fetchone()
    return json.loads(row[0]) if row else None


def create(conn: sqlite3.Connection, body: dict) -> Response:
    """Create (or, for a known ``externalId``, return) the replacement order."""
    external_id, customer, line_id, kind, place = _parse(body)
    try:
        with immediate(conn):
            existing = _existing(conn, external_id)
            if existing is not None:
                return jsonify(existing)
            order = _fulfil(conn, external_id, customer, line_id, kind, place)
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
    conn: sqlite3.Connection,
    external_id: str | None,
    customer: str,
    line_id: str,
    kind: str,
    place: dict | None,
) -> dict:
    line = load_doc(conn, "product", line_id)
    if (
        line is None
        or line.get("productSpecification", {}).get("id") != "spec-mobile-line"
        or customer not in {p.get("id") for p in line.get("relatedParty", [])}
    ):
        raise _reject("productNotFound", "SIM nenalezena", f"line {line_id!r} is not the customer's")
    row = conn.execute("SELECT id, doc FROM service WHERE product_id = ?", (line_id,)).fetchone()
    service = json.loads(row["doc"]) if row else None
    blocked = service is not None and any(
        c.get("name") == "simBlocked" and c.get("value") is True for c in service["serviceCharacteristic"]
    )
    if service is None or not blocked:
        raise _reject(
            "simNotBlocked",
            "SIM není zablokovaná",
            "a replacement SIM is issued for a blocked line only (block the lost card first)",
        )
    party = next(p for p in line["relatedParty"] if p.get("id") == customer)
    msisdn = next(c["value"] for c in line["productCharacteristic"] if c.get("name") == "msisdn")
    serial = uuid.uuid4()
    resource_id = f"sim-r{serial.hex[:12]}"
    iccid = "894202" + f"{serial.int % 10**13:013d}"
    matching = serial.hex[12:32].upper()
    card = sim_card_doc(
        resource_id,
        customer_id=customer,
        customer_name=party.get("name", ""),
        msisdn=msisdn,
        iccid=iccid,
        blocked=False,
        esim=kind == "esim",
        activation_code=f"LPA:1${SMDP_ADDRESS}${'-'.join(matching[i : i + 5] for i in range(0, 20, 5))}",
    )
    conn.execute("INSERT INTO resource VALUES (?,?,?,?)", (resource_id, customer, line_id, dumps(card)))
    ref = {"id": resource_id, "href": href("639", "resource", resource_id)}
    # the line: its SIM card is the new one, and it is in service again
    line["realizingResource"] = [ref]
    line["productCharacteristic"] = [
        {**c, "value": iccid} if c.get("name") == "iccid" else c for c in line["productCharacteristic"]
    ]
    line["status"] = "active"
    conn.execute("UPDATE product SET doc = ?, status = 'active' WHERE id = ?", (dumps(line), line_id))
    service["supportingResource"] = [ref]
    service["serviceCharacteristic"] = [
        {**c, "value": False} if c.get("name") == "simBlocked" else c
        for c in service["serviceCharacteristic"]
    ]
    service.update(state="active", isServiceEnabled=True)
    conn.execute("UPDATE service SET doc = ?, state = 'active' WHERE id = ?", (dumps(service), service["id"]))
    now = datetime.now(timezone.utc).astimezone(PRAGUE).isoformat(timespec="seconds")
    order_id = "ord-" + uuid.uuid4().hex[:16]
    product: dict[str, Any] = {
        "productSpecification": {"id": SPEC, "name": "Náhradní SIM karta"},
        "productCharacteristic": [{"name": "simType", "valueType": "string", "value": kind}],
        "productRelationship": [{"relationshipType": RELATION, "product": {"id": line_id}}],
        "realizingResource": [ref],
    }
    if place is not None:
        product["place"] = [place]
    order = {
        "id": order_id,
        "href": href("622", "productOrder", order_id),
        "orderDate": now,
        "completionDate": now,
        "state": "completed",
        "relatedParty": [{"id": customer, "role": "customer", "@referredType": "Customer"}],
        "productOrderItem": [
            {"id": "1", "action": "add", "quantity": 1, "state": "completed", "product": product}
        ],
        "@type": "ProductOrder",
    }
    if external_id is not None:
        order["externalId"] = external_id
    conn.execute(
        "INSERT INTO product_order VALUES (?,?,?,?)", (order_id, external_id, customer, dumps(order))
    )
    return order
