"""Standard Webhooks signatures (https://www.standardwebhooks.com/) for EDR delivery.

The signed content is ``"{webhook-id}.{webhook-timestamp}.{body}"``; the signature header is
``v1,<base64 HMAC-SHA256>`` (several may be sent, space-separated, during a secret rotation).

Secrets: a secret written as ``whsec_<base64>`` (the form the Standard Webhooks libraries
generate) is base64-decoded and the decoded bytes are the HMAC key; any other secret is used
as its raw UTF-8 bytes. Both the worker and the sandbox CRM receiver use this module, so they
always agree.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
from collections.abc import Mapping

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
DEFAULT_TOLERANCE = 5 * 60  # seconds a timestamp may be off in either direction


class WebhookVerificationError(ValueError):
    """A webhook did not pass verification; ``reason`` is a short machine-readable code."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def secret_key(secret: str) -> bytes:
    """The HMAC key for ``secret``: base64-decoded after ``whsec_``, else the raw UTF-8 bytes."""
    if secret.startswith(SECRET_PREFIX):
        try:
            return base64.b64decode(secret[len(SECRET_PREFIX) :], validate=True)
        except binascii.Error:
            raise ValueError("a whsec_ secret must be valid base64 after the prefix") from None
    return secret.encode("utf-8")


def new_secret(nbytes: int = 24) -> str:
    """A fresh random secret in the ``whsec_<base64>`` form."""
    import secrets

    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(nbytes)).decode("ascii")


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value (``v1,<base64>``) for one message."""
    content = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def webhook_headers(secret: str, msg_id: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """The three Standard Webhooks headers for one delivery attempt."""
    ts = int(time.time()) if timestamp is None else timestamp
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(ts),
        "webhook-signature": sign(secret, msg_id, ts, body),
    }


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance: int = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> str:
    """Check a received webhook; returns its ``webhook-id`` or raises WebhookVerificationError.

    The timestamp must be within ``tolerance`` seconds of ``now`` (replay protection); any one
    of the space-separated ``v1`` signatures must match (constant-time comparison).
    """
    msg_id = headers.get("webhook-id", "")
    raw_ts = headers.get("webhook-timestamp", "")
    given = headers.get("webhook-signature", "")
    if not msg_id or not raw_ts or not given:
        raise WebhookVerificationError("missing_headers")
    try:
        timestamp = int(raw_ts)
    except ValueError:
        raise WebhookVerificationError("bad_timestamp") from None
    current = time.time() if now is None else now
    if timestamp < current - tolerance:
        raise WebhookVerificationError("timestamp_too_old")
    if timestamp > current + tolerance:
        raise WebhookVerificationError("timestamp_too_new")
    expected = sign(secret, msg_id, timestamp, body).encode()
    for candidate in given.split():
        if hmac.compare_digest(candidate.encode(), expected):
            return msg_id
    raise WebhookVerificationError("bad_signature")
