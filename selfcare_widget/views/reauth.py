"""Proving it is still the customer, inside a session: the current password or a code by SMS.

A hijacked session must not be enough to take the account, so changing the sign-in e-mail or the
password asks again. Customers who sign in by SSO or SMS may have no password at hand: they get
a one-time code on their line instead (bound to this session, 5 tries, single use).
"""

from __future__ import annotations

import hmac
import logging
import secrets
from typing import cast

from flask import Flask, current_app
from flask_login import current_user

from ..auth.identifiers import digest
from ..platform import Rejected
from ..platform.models import Customer
from ..services import services
from .common import platform

log = logging.getLogger(__name__)

CODE_TTL_SECONDS = 300
CODE_MAX_ATTEMPTS = 5


def _code_key() -> str:
    return f"sc:reauth:{digest('session', current_user.token)}"


def new_code() -> str:
    """A fresh code for this session (any earlier one is void); the caller sends it."""
    code = f"{secrets.randbelow(10**6):06d}"
    store = services().store
    key = _code_key()
    store.delete(key)
    store.hset(key, mapping={"digest": digest("reauth", f"{current_user.customer_id}:{code}")})
    store.expire(key, CODE_TTL_SECONDS)
    return code


def code_confirmed(typed: str) -> bool:
    """The code from :func:`new_code`, typed in this session; using it up when right."""
    code = "".join(ch for ch in typed if ch.isdigit())
    store = services().store
    key = _code_key()
    entry = cast("dict[str, str]", store.hgetall(key))  # decode_responses=True (store.connect)
    if not entry or len(code) != 6:
        return False
    if int(store.hincrby(key, "attempts", 1)) > CODE_MAX_ATTEMPTS:
        store.delete(key)
        return False
    if hmac.compare_digest(entry["digest"], digest("reauth", f"{current_user.customer_id}:{code}")):
        store.delete(key)
        return True
    return False


def password_confirmed(customer: Customer, password: str) -> bool:
    """The customer's current password, checked by the platform as at sign-in."""
    if not password or len(password) > 200 or not customer.contact.email:
        return False
    try:
        who = platform().authenticate(current_user.partner_id, customer.contact.email.lower(), password)
    except Rejected:
        return False
    return who == customer.id


def send_sms_later(msisdn: str, text: str) -> None:
    """Send an SMS (a code or a notice) off the request path, through the platform (TMF681)."""
    app = current_app._get_current_object()
    services().background.submit(_send, app, msisdn, text)


def _send(app: Flask, msisdn: str, text: str) -> None:
    with app.app_context():
        try:
            services().platform.send_sms(msisdn, text)
        except Exception:  # noqa: BLE001 - a background task logs, it has nobody to answer
            log.exception("SMS not sent")
