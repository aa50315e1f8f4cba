"""Server-side widget sessions in the store.

The browser holds only a random opaque token; the store keeps, under the token's SHA-256,
who the session belongs to. Sessions end on idle timeout (key TTL, renewed on use), on the
absolute timeout (checked against the creation time), on sign-out (key deleted) and when the
customer's password changes (every session of the customer, listed in a per-customer set).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import cast

import redis

from ..store import Durability, tag

PREFIX = "sc:session:"
CUSTOMER_PREFIX = "sc:sessions-of:"


@dataclass(frozen=True)
class WidgetSession:
    """Who a session token belongs to."""

    token_hash: str
    partner_id: str
    customer_id: str
    locale: str
    method: str  # sso | password | sms
    created_at: float


def _key(token: str) -> str:
    return PREFIX + hashlib.sha256(token.encode()).hexdigest()


def _customer_key(partner_id: str, customer_id: str) -> str:
    # the customer's hash tag: the set lives in the slot of the customer's cache (store.tag)
    return f"{CUSTOMER_PREFIX}{partner_id}:{tag(customer_id)}"


class SessionStore:
    """Creates, loads (renewing the idle timeout) and revokes sessions."""

    def __init__(
        self,
        store: redis.Redis,
        idle_seconds: int,
        absolute_seconds: int,
        durability: Durability | None = None,
    ) -> None:
        self.store = store
        self.idle_seconds = idle_seconds
        self.absolute_seconds = absolute_seconds
        self.durability = durability or Durability()

    def create(self, partner_id: str, customer_id: str, locale: str, method: str) -> str:
        """Start a session and return its token (shown to the browser once, never stored)."""
        token = secrets.token_urlsafe(32)
        key = _key(token)
        sessions_of_customer = _customer_key(partner_id, customer_id)
        with self.store.pipeline(transaction=False) as pipe:  # one round trip
            pipe.hset(
                key,
                mapping={
                    "partner": partner_id,
                    "customer": customer_id,
                    "locale": locale,
                    "method": method,
                    "created": f"{time.time():.3f}",
                },
            )
            pipe.expire(key, self.idle_seconds)
            pipe.sadd(sessions_of_customer, key[len(PREFIX) :])
            pipe.expire(sessions_of_customer, self.absolute_seconds)
            # a session lost in a failover would sign the customer out: replicate it first
            waited = self.durability.add_wait(pipe)
            replies = pipe.execute()
        if waited:
            self.durability.kept(self.store, replies, "a new session", "session")  # logged; nothing to retry
        return token

    def load(self, token: str) -> WidgetSession | None:
        """The live session for ``token``, renewing its idle timeout; None if unknown or expired."""
        if not token or len(token) > 128:
            return None
        key = _key(token)
        # Read and renew in one round trip: EXPIRE of a missing key does nothing, and a session
        # past its absolute timeout is deleted right after, so renewing it first is harmless.
        with self.store.pipeline(transaction=False) as pipe:
            pipe.hgetall(key)
            pipe.expire(key, self.idle_seconds)
            found, _renewed = pipe.execute()
        # The store is built with decode_responses=True (store.connect): fields and values are str.
        data = cast("dict[str, str]", found)
        if not data:
            return None
        created = float(data.get("created", 0))
        if time.time() - created > self.absolute_seconds:
            self.store.delete(key)
            return None
        return WidgetSession(
            token_hash=key[len(PREFIX) :],
            partner_id=data["partner"],
            customer_id=data["customer"],
            locale=data.get("locale", "cs"),
            method=data.get("method", ""),
            created_at=created,
        )

    def revoke(self, token: str) -> None:
        """End the session at once (sign-out)."""
        self.store.delete(_key(token))

    def revoke_customer(self, partner_id: str, customer_id: str, keep_token: str | None = None) -> int:
        """End every session of the customer but ``keep_token``'s; return how many were ended.

        Used when the password changes: whoever else signed in with the old one is signed out.
        """
        sessions_of_customer = _customer_key(partner_id, customer_id)
        kept = _key(keep_token)[len(PREFIX) :] if keep_token else None
        hashes = [h for h in cast("set[str]", self.store.smembers(sessions_of_customer)) if h != kept]
        ended = int(self.store.delete(*(PREFIX + h for h in hashes))) if hashes else 0
        self.store.delete(sessions_of_customer)
        if kept:
            self.store.sadd(sessions_of_customer, kept)
            self.store.expire(sessions_of_customer, self.absolute_seconds)
        return ended
