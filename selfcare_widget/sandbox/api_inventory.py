"""TMF637 Product, TMF638 Service (+ settings PATCH), TMF639 Resource and TMF654 Bucket."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from .db import dumps, immediate, load_doc, request_conn
from .errors import ApiError, bad_request, not_found
from .resources import BASE, ROAMING_DATA_LIMIT, ROAMING_DATA_LIMITS, service_characteristics
from .resources import SIM_SETTINGS as SETTINGS
from .tmf630 import Attr, digits_only, list_response, one_response

product_bp = Blueprint("tmf637", __name__, url_prefix=BASE["637"])
service_bp = Blueprint("tmf638", __name__, url_prefix=BASE["638"])
resource_bp = Blueprint("tmf639", __name__, url_prefix=BASE["639"])
bucket_bp = Blueprint("tmf654", __name__, url_prefix=BASE["654"])

PRODUCT_ATTRS = {
    "id": Attr("id"),
    "relatedParty.id": Attr("customer_id"),
    "productSpecification.id": Attr("spec_id"),
    "productOffering.id": Attr("offering_id"),
    "productCharacteristic.msisdn": Attr("msisdn", normalize=digits_only),
    "productRelationship.product.id": Attr("sim_product_id"),
    "status": Attr("status"),
}
SERVICE_ATTRS = {"id": Attr("id"), "relatedParty.id": Attr("customer_id"), "state": Attr("state")}
RESOURCE_ATTRS = {"id": Attr("id"), "relatedParty.id": Attr("customer_id")}
BUCKET_ATTRS = {
    "id": Attr("id"),
    # a bucket lists its SIM product and, when a package granted it, that package product
    "product.id": Attr("(product_id IN ({marks}) OR package_product_id IN ({marks}))", kind="in"),
    "relatedParty.id": Attr("customer_id"),
    "usageType": Attr("usage_type"),
}


@product_bp.get("/product")
def list_products() -> Response:
    """Products: SIM subscriptions and ordered add-ons."""
    return list_response(request_conn(), "product", PRODUCT_ATTRS)


@product_bp.get("/product/<id_>")
def get_product(id_: str) -> Response:
    """One product."""
    return one_response(request_conn(), "product", "product", id_)


@service_bp.get("/service")
def list_services() -> Response:
    """Mobile services with their settings."""
    return list_response(request_conn(), "service", SERVICE_ATTRS)


@service_bp.get("/service/<id_>")
def get_service(id_: str) -> Response:
    """One service."""
    return one_response(request_conn(), "service", "service", id_)


def _parse_characteristics(body: object) -> dict[str, bool | int]:
    """The new ``serviceCharacteristic`` array: RFC 7396 merge-patch replaces the stored one, so it
    must list every setting once (a partial array would leave the service without settings).
    The switches are booleans; ``roamingDataLimit`` one of :data:`ROAMING_DATA_LIMITS`."""
    if (
        not isinstance(body, dict)
        or not isinstance(body.get("serviceCharacteristic"), list)
        or set(body) - {"serviceCharacteristic"}
    ):
        raise bad_request('body must be {"serviceCharacteristic": [{"name": ..., "value": true|false}]}')
    values: dict[str, bool | int] = {}
    names = (*SETTINGS, ROAMING_DATA_LIMIT)
    for item in body["serviceCharacteristic"]:
        if not isinstance(item, dict) or item.get("name") not in names:
            raise bad_request(f"unknown characteristic; allowed: {', '.join(names)}")
        value = item.get("value")
        if item["name"] == ROAMING_DATA_LIMIT:
            if isinstance(value, bool) or value not in ROAMING_DATA_LIMITS:
                allowed = ", ".join(map(str, ROAMING_DATA_LIMITS))
                raise bad_request(f"value of {ROAMING_DATA_LIMIT} must be one of {allowed}")
        elif not isinstance(value, bool):
            raise bad_request(f"value of {item['name']} must be true or false")
        if item["name"] in values:
            raise bad_request(f"{item['name']} is listed twice")
        values[item["name"]] = item["value"]
    missing = [name for name in names if name not in values]
    if missing:
        raise bad_request(
            "merge-patch replaces the serviceCharacteristic array; it must list every setting, "
            f"missing: {', '.join(missing)}"
        )
    return values


@service_bp.patch("/service/<id_>")
def patch_service(id_: str) -> Response:
    """Change SIM settings under the sandbox's business rules (see docs/platform-contract.md)."""
    wanted = _parse_characteristics(request.get_json(silent=True))
    conn = request_conn()
    with immediate(conn):
        doc = load_doc(conn, "service", id_)
        if doc is None:
            raise not_found("service", id_)
        current = {c["name"]: c["value"] for c in doc["serviceCharacteristic"]}
        changes = {name: value for name, value in wanted.items() if current.get(name) != value}
        if current.get("simBlocked"):
            if changes.get("simBlocked") is False:
                raise ApiError(
                    422,
                    "unblockNotAllowed",
                    "Zablokovanou SIM nelze odblokovat online",
                    "unblocking a SIM needs the operator's customer care",
                )
            if set(changes) - {"simBlocked"}:
                raise ApiError(422, "simBlocked", "SIM je zablokovaná", "a blocked SIM cannot be changed")
        current.update(changes)
        doc["serviceCharacteristic"] = service_characteristics(
            {k: bool(current[k]) for k in SETTINGS}, int(current[ROAMING_DATA_LIMIT])
        )
        if changes.get("simBlocked") and doc["state"] != "inactive":
            _block(conn, doc)
        conn.execute("UPDATE service SET doc = ?, state = ? WHERE id = ?", (dumps(doc), doc["state"], id_))
    return jsonify(doc)


def _block(conn, service: dict) -> None:
    """Blocking a SIM deactivates its service, suspends its product and SIM card."""
    service["state"] = "inactive"
    service["isServiceEnabled"] = False
    product_id = conn.execute("SELECT product_id FROM service WHERE id = ?", (service["id"],)).fetchone()[0]
    product = load_doc(conn, "product", product_id)
    if product is not None:
        product["status"] = "suspended"
        conn.execute(
            "UPDATE product SET doc = ?, status = 'suspended' WHERE id = ?", (dumps(product), product_id)
        )
    for ref in service.get("supportingResource", []):
        card = load_doc(conn, "resource", ref["id"])
        if card is not None:
            card.update(resourceStatus="suspended", administrativeState="locked", operationalState="disable")
            conn.execute("UPDATE resource SET doc = ? WHERE id = ?", (dumps(card), ref["id"]))


@resource_bp.get("/resource")
def list_resources() -> Response:
    """SIM cards."""
    return list_response(request_conn(), "resource", RESOURCE_ATTRS)


@resource_bp.get("/resource/<id_>")
def get_resource(id_: str) -> Response:
    """One SIM card."""
    return one_response(request_conn(), "resource", "resource", id_)


@bucket_bp.get("/bucket")
def list_buckets() -> Response:
    """Credit and remaining units (filter ``product.id``, comma list = all SIMs in one call)."""
    return list_response(request_conn(), "bucket", BUCKET_ATTRS, default_order="product_id, id")


@bucket_bp.get("/bucket/<id_>")
def get_bucket(id_: str) -> Response:
    """One bucket."""
    return one_response(request_conn(), "bucket", "bucket", id_)
