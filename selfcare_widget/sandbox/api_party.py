"""TMF629 Customer (+ contact PATCH), TMF666 BillingAccount and the password check extension."""

from __future__ import annotations

import re
import secrets

from flask import Blueprint, Response, jsonify, request

from .db import dumps, immediate, load_doc, request_conn
from .errors import ApiError, bad_request, not_found
from .passwords import DUMMY_HASH, hash_password, verify_password
from .resources import BASE
from .tmf630 import Attr, list_response, one_response

customer_bp = Blueprint("tmf629", __name__, url_prefix=BASE["629"])
account_bp = Blueprint("tmf666", __name__, url_prefix=BASE["666"])
auth_bp = Blueprint("selfcare_auth", __name__, url_prefix=BASE["selfcare"])

CUSTOMER_ATTRS = {
    "id": Attr("id"),
    "relatedParty.id": Attr("partner_id"),
    "status": Attr("json_extract(doc, '$.status')"),
    # customers having a characteristic of that name (the alerts process: usageAlerts)
    "characteristic.name": Attr(
        "id IN (SELECT c.id FROM customer c, json_each(c.doc, '$.characteristic') ch "
        "WHERE json_extract(ch.value, '$.name') IN ({marks}))",
        kind="in",
    ),
}
ACCOUNT_ATTRS = {"id": Attr("id"), "relatedParty.id": Attr("customer_id")}

EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
PHONE_RE = re.compile(r"^\+[1-9]\d{7,14}$")
POSTCODE_RE = re.compile(r"^(\d{3}) ?(\d{2})$")
COUNTRY_RE = re.compile(r"^[A-Z]{2}$")


@customer_bp.get("/customer")
def list_customers() -> Response:
    """List customers (filter ``relatedParty.id`` = partner)."""
    return list_response(request_conn(), "customer", CUSTOMER_ATTRS)


@customer_bp.get("/customer/<id_>")
def get_customer(id_: str) -> Response:
    """One customer."""
    return one_response(request_conn(), "customer", "customer", id_)


def _invalid(message: str) -> ApiError:
    return ApiError(422, "invalidContact", "Neplatný kontaktní údaj", message)


def _text(characteristic: dict, key: str, max_len: int = 100) -> str:
    value = characteristic.get(key)
    if not isinstance(value, str) or not value.strip() or len(value) > max_len:
        raise _invalid(f"{key} must be a non-empty text of at most {max_len} characters")
    return value.strip()


def validate_medium(medium: object) -> dict:
    """Validate and normalise one contactMedium; raises 422 invalidContact (400 when not an object)."""
    if not isinstance(medium, dict) or not isinstance(medium.get("characteristic"), dict):
        raise bad_request("each contactMedium needs mediumType and a characteristic object")
    kind, ch = medium.get("mediumType"), medium["characteristic"]
    if kind == "email":
        email = _text(ch, "emailAddress", 254)
        if not EMAIL_RE.match(email):
            raise _invalid("emailAddress is not a valid e-mail address")
        return {"mediumType": "email", "preferred": True, "characteristic": {"emailAddress": email}}
    if kind == "mobile":
        phone = re.sub(r"[\s()-]", "", _text(ch, "phoneNumber", 30))
        if not PHONE_RE.match(phone):
            raise _invalid("phoneNumber must be in E.164 format, e.g. +420601234567")
        return {"mediumType": "mobile", "characteristic": {"phoneNumber": phone}}
    if kind == "postalAddress":
        country = _text(ch, "country", 2).upper()
        if not COUNTRY_RE.match(country):
            raise _invalid("country must be an ISO 3166 alpha-2 code")
        post_code = _text(ch, "postCode", 10)
        match = POSTCODE_RE.match(post_code)
        if country == "CZ":
            if not match:
                raise _invalid("postCode must have five digits, e.g. 110 00")
            post_code = f"{match.group(1)} {match.group(2)}"
        address = {
            "street1": _text(ch, "street1"),
            "city": _text(ch, "city"),
            "postCode": post_code,
            "country": country,
        }
        return {"mediumType": "postalAddress", "characteristic": address}
    raise _invalid(f"unsupported mediumType {kind!r} (email, mobile, postalAddress)")


#: The usage-alert preferences (docs/platform-contract.md, "Usage alerts").
USAGE_ALERTS = "usageAlerts"
ALERT_CHANNELS = ("sms", "email")


def _invalid_alerts(message: str) -> ApiError:
    return ApiError(422, "invalidCharacteristic", "Neplatné nastavení upozornění", message)


def validate_characteristics(items: object, customer_id: str, conn) -> list:
    """Validate a customer ``characteristic`` array; ``usageAlerts`` must name the customer's SIMs."""
    if not isinstance(items, list) or not all(
        isinstance(c, dict) and isinstance(c.get("name"), str) and c["name"] and "value" in c for c in items
    ):
        raise bad_request("characteristic must be a list of {name, value}")
    if len({c["name"] for c in items}) != len(items):
        raise _invalid_alerts("each characteristic name may be listed once")
    for ch in items:
        if ch["name"] != USAGE_ALERTS:
            continue
        value = ch["value"]
        if not isinstance(value, list) or len(value) > 50:
            raise _invalid_alerts("usageAlerts must be a list of at most 50 SIM preferences")
        own = {
            row[0]
            for row in conn.execute(
                "SELECT id FROM product WHERE customer_id = ? AND spec_id = 'spec-mobile-line'",
                (customer_id,),
            )
        }
        seen: set[str] = set()
        for entry in value:
            if not isinstance(entry, dict) or set(entry) - {
                "productId",
                "channel",
                "data",
                "creditBelow",
                "language",
            }:
                raise _invalid_alerts(
                    "each usageAlerts entry has productId, channel, data, creditBelow, language"
                )
            if entry.get("productId") not in own or entry["productId"] in seen:
                raise _invalid_alerts("productId must be one of the customer's SIM products, each once")
            seen.add(entry["productId"])
            if entry.get("channel") not in ALERT_CHANNELS:
                raise _invalid_alerts("channel must be sms or email")
            if not isinstance(entry.get("data", True), bool):
                raise _invalid_alerts("data must be a boolean")
            limit = entry.get("creditBelow")
            if limit is not None and (
                isinstance(limit, bool) or not isinstance(limit, (int, float)) or not 0 < limit <= 10000
            ):
                raise _invalid_alerts("creditBelow must be an amount in CZK between 0 and 10000")
            if entry.get("language", "cs") not in ("cs", "en"):
                raise _invalid_alerts("language must be cs or en")
    return items


@customer_bp.patch("/customer/<id_>")
def patch_customer(id_: str) -> Response:
    """Replace the contact media and/or the characteristics with the arrays in the body
    (merge-patch: each array replaces the stored one); returns the customer."""
    body = request.get_json(silent=True)
    if (
        not isinstance(body, dict)
        or not body
        or set(body) - {"contactMedium", "characteristic"}
        or ("contactMedium" in body and not isinstance(body["contactMedium"], list))
    ):
        raise bad_request(
            'body must be {"contactMedium": [...]} and/or {"characteristic": [...]} '
            "(only contact details and characteristics can be changed)"
        )
    if "contactMedium" not in body:
        conn = request_conn()
        with immediate(conn):
            doc = load_doc(conn, "customer", id_)
            if doc is None:
                raise not_found("customer", id_)
            characteristics = validate_characteristics(body["characteristic"], id_, conn)
            if characteristics:
                doc["characteristic"] = characteristics
            else:
                doc.pop("characteristic", None)
            conn.execute("UPDATE customer SET doc = ? WHERE id = ?", (dumps(doc), id_))
        return jsonify(doc)
    media = [validate_medium(m) for m in body["contactMedium"]]
    kinds = {m["mediumType"] for m in media}
    if len(kinds) != len(media):
        raise _invalid("each mediumType may be listed once")
    conn = request_conn()
    with immediate(conn):
        doc = load_doc(conn, "customer", id_)
        if doc is None:
            raise not_found("customer", id_)
        new_email = next(
            (m["characteristic"]["emailAddress"].lower() for m in media if m["mediumType"] == "email"), None
        )
        if new_email:
            # the e-mail is a sign-in login: it must identify one customer of the partner
            partner = conn.execute("SELECT partner_id FROM customer WHERE id = ?", (id_,)).fetchone()[0]
            taken = conn.execute(
                "SELECT 1 FROM customer WHERE email = ? AND partner_id = ? AND id != ?",
                (new_email, partner, id_),
            ).fetchone()
            if taken:
                raise _invalid("this e-mail address is already used by another customer")
        # RFC 7396 merge-patch: the array in the body replaces the stored one as a whole.
        doc["contactMedium"] = media
        if "characteristic" in body:
            characteristics = validate_characteristics(body["characteristic"], id_, conn)
            if characteristics:
                doc["characteristic"] = characteristics
            else:
                doc.pop("characteristic", None)
        conn.execute("UPDATE customer SET doc = ? WHERE id = ?", (dumps(doc), id_))
        if new_email:
            conn.execute("UPDATE customer SET email = ? WHERE id = ?", (new_email, id_))
    return jsonify(doc)


@account_bp.get("/billingAccount")
def list_accounts() -> Response:
    """Billing accounts (filter ``relatedParty.id`` = customer)."""
    return list_response(request_conn(), "billing_account", ACCOUNT_ATTRS)


@account_bp.get("/billingAccount/<id_>")
def get_account(id_: str) -> Response:
    """One billing account."""
    return one_response(request_conn(), "billing_account", "billingAccount", id_)


def _find_login(partner_id: str, login: str) -> tuple[str, str] | None:
    """(customer id, password hash) for an e-mail or MSISDN login within the partner."""
    conn = request_conn()
    if "@" in login:
        row = conn.execute(
            "SELECT id, password_hash FROM customer WHERE email = ? AND partner_id = ?",
            (login.strip().lower(), partner_id),
        ).fetchone()
    else:
        digits = re.sub(r"\D", "", login)
        if len(digits) == 9:  # national format: assume the Czech country code
            digits = "420" + digits
        row = conn.execute(
            "SELECT c.id, c.password_hash FROM product p JOIN customer c ON c.id = p.customer_id "
            "WHERE p.msisdn = ? AND p.spec_id = 'spec-mobile-line' AND c.partner_id = ?",
            (digits, partner_id),
        ).fetchone()
    return (row[0], row[1]) if row else None


@auth_bp.post("/authenticate")
def authenticate() -> Response:
    """Password check: ``{partnerId, login, password}`` -> ``{customerId}`` or one uniform 401."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not all(
        isinstance(body.get(k), str) for k in ("partnerId", "login", "password")
    ):
        raise bad_request("body must be {partnerId, login, password} (strings)")
    found = _find_login(body["partnerId"], body["login"])
    # verify even for unknown logins so both failures take the same time
    ok = verify_password(body["password"], found[1] if found else DUMMY_HASH)
    if not (found and ok):
        raise ApiError(
            401, "invalidCredentials", "Nesprávné přihlašovací údaje", "unknown login or wrong password"
        )
    return jsonify({"customerId": found[0]})


#: The shortest password the platform stores: its own floor (the demo password is 9 characters);
#: the widget asks for 12 (ASVS 2.1.1) before it gets here.
MIN_PASSWORD_LENGTH = 8


@auth_bp.post("/password")
def set_password() -> Response:
    """Set a customer's password: ``{partnerId, customerId, newPassword[, currentPassword]}`` -> 204.

    With ``currentPassword`` the platform checks it (one uniform 401 when wrong): a change. Without,
    it is a reset the caller authorised itself (the widget, after a code sent to the line).
    """
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not all(
        isinstance(body.get(k), str) for k in ("partnerId", "customerId", "newPassword")
    ):
        raise bad_request("body must be {partnerId, customerId, newPassword[, currentPassword]} (strings)")
    current = body.get("currentPassword")
    if current is not None and not isinstance(current, str):
        raise bad_request("currentPassword must be a string")
    new = body["newPassword"]
    if not MIN_PASSWORD_LENGTH <= len(new) <= 1024:
        raise ApiError(
            422,
            "invalidPassword",
            "Heslo nevyhovuje",
            f"newPassword needs {MIN_PASSWORD_LENGTH}-1024 characters",
        )
    with immediate(request_conn()) as conn:
        row = conn.execute(
            "SELECT password_hash FROM customer WHERE id = ? AND partner_id = ?",
            (body["customerId"], body["partnerId"]),
        ).fetchone()
        if row is None:
            raise not_found("customer", body["customerId"])
        if current is not None and not verify_password(current, row[0]):
            raise ApiError(401, "invalidCredentials", "Nesprávné heslo", "currentPassword is wrong")
        conn.execute(
            "UPDATE customer SET password_hash = ? WHERE id = ?",
            (hash_password(new, secrets.token_bytes(16)), body["customerId"]),
        )
    return Response(status=204)
