"""Signed confirmations: one confirm step bound to exactly one change, carried out at most once.

The confirm step gives the browser a token, signed with the app's secret, that names who may
submit it (customer, partner) and for what (SIM, offering, …), with a fresh nonce. The next step
accepts it only for the same binding within ``max_age``; the nonce becomes the platform order's
idempotency key (TMF622 ``externalId``), so a double click, a retry or a replayed form orders once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from flask import current_app
from flask_login import current_user
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

NONCE_HEX = 32


@dataclass(frozen=True)
class Confirmation:
    """Tokens of one kind of confirmation (``salt`` keeps kinds apart)."""

    salt: str
    max_age: int = 3600  # seconds; a submit after that has to start again

    def issue(self, **bound: str) -> str:
        """A token for the signed-in customer bound to ``bound`` (short keys), with a fresh nonce."""
        return self._serializer().dumps({**_signed_in(), **bound, "n": secrets.token_hex(NONCE_HEX // 2)})

    def verify(self, token: str, **bound: str) -> str | None:
        """The nonce of a valid, unexpired token of this customer matching every key of ``bound``.

        Keys the token has beyond ``bound`` are not compared (a caller may leave one out on
        purpose, e.g. the tariff a change was confirmed from once the change has applied).
        """
        try:
            payload = self._serializer().loads(token, max_age=self.max_age)
        except (BadSignature, SignatureExpired):
            return None
        expected = {**_signed_in(), **bound}
        if not isinstance(payload, dict) or any(payload.get(k) != v for k, v in expected.items()):
            return None
        nonce = payload.get("n")
        return nonce if isinstance(nonce, str) and len(nonce) == NONCE_HEX else None

    def _serializer(self) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(
            current_app.config["SECRET_KEY"], salt=self.salt, signer_kwargs={"digest_method": hashlib.sha256}
        )


def _signed_in() -> dict[str, str]:
    return {"c": current_user.customer_id, "p": current_user.partner_id}
