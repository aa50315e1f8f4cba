"""Sign-in identifiers in one spelling, and their keyed digests for counters and store keys.

A customer may type ``601 234 567``, ``601-234-567`` or ``+420601234567``: every limit and
every store key must see one account, or a limit is bypassed by spelling the number differently.
Keys carry an HMAC of the identifier under the app's secret, never the number or e-mail itself.
"""

from __future__ import annotations

import hashlib
import hmac

import redis
from flask import current_app

#: How long the widget remembers which account a login belongs to (for per-account limits).
ACCOUNT_OF_LOGIN_SECONDS = 30 * 86400


def normalise_msisdn(raw: str) -> str:
    """E.164 digits without ``+`` (Czech numbers without a prefix get ``420``); "" if not a number."""
    digits = "".join(ch for ch in raw if ch.isdigit())
    if digits.startswith("00"):
        digits = digits[2:]
    if len(digits) == 9:
        digits = "420" + digits
    return digits if 11 <= len(digits) <= 15 else ""


def normalise_login(raw: str) -> str:
    """An e-mail lower-cased, else the MSISDN in E.164 digits; "" when it is neither."""
    raw = raw.strip()
    if "@" in raw:
        return raw.lower()
    return normalise_msisdn(raw)


def masked_msisdn(msisdn: str) -> str:
    """A number shown to say where a code went, not to whom: ``+420 605 ••• 888``."""
    digits = normalise_msisdn(msisdn)
    if not digits:
        return ""
    return f"+{digits[:-9]} {digits[-9:-6]} ••• {digits[-3:]}"


def digest(kind: str, value: str) -> str:
    """A keyed digest of an identifier (HMAC-SHA256 under the app's secret key), for store keys."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def _account_of_login_key(partner_id: str, login: str) -> str:
    return f"sc:account-of:{partner_id}:" + digest("login", login)


def remember_account(store: redis.Redis, partner_id: str, login: str, customer_id: str) -> None:
    """Note that ``login`` (normalised) belongs to ``customer_id``, so its limits count per account.

    An account has an e-mail and a number per line: without this, each of them would allow its
    own 20 failed passwords an hour.
    """
    store.set(
        _account_of_login_key(partner_id, login), digest("customer", customer_id), ex=ACCOUNT_OF_LOGIN_SECONDS
    )


def known_account(store: redis.Redis, partner_id: str, login: str) -> str | None:
    """The account (a digest of its customer id) ``login`` is known to belong to, if it is."""
    value = store.get(_account_of_login_key(partner_id, login))
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)
