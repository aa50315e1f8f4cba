"""Server-side widget sessions in the store.

The browser holds only a random opaque token; the store keeps, under the token's SHA-256,
who the session belongs to. Sessions end on idle timeout (key TTL, renewed on use), on the
absolute timeout (checked against the creation time), on sign-out (key deleted) and when the
customer's password changes (every session of the customer, listed in a per-customer set).
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

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


#: Reads to send with the session's own (``pipe``, the session as this process last saw it);
#: returns what to do with their replies once the session proved live and the same customer's.
CustomerReads = Callable[[Any, "WidgetSession"], Callable[[list[Any]], None]]
#: Sessions per process remembered as last seen (~300 bytes each).
KNOWN_SESSIONS = 10_000


class _KnownSessions:
    """The most recent sessions as this process last loaded them, by token hash.

    A session's customer, partner and sign-in method never change, so what to read along with
    the session can be chosen from this memory; whether the session is valid, and its language,
    are always read from the store.
    """

    def __init__(self, size: int) -> None:
        self._size = size
        self._sessions: OrderedDict[str, WidgetSession] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, token_hash: str) -> WidgetSession | None:
        with self._lock:
            session = self._sessions.get(token_hash)
            if session is not None:
                self._sessions.move_to_end(token_hash)
            return session

    def remember(self, session: WidgetSession) -> None:
        with self._lock:
            self._sessions[session.token_hash] = session
            self._sessions.move_to_end(session.token_hash)
            if len(self._sessions) > self._size:
                self._sessions.popitem(last=False)


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
        self._known = _KnownSessions(KNOWN_SESSIONS)

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

    def load(self, token: str, customer_reads: CustomerReads | None = None) -> WidgetSession | None:
        """The live session for ``token``, renewing its idle timeout; None if unknown or expired.

        ``customer_reads`` adds reads for the session's customer to the same round trip when this
        process has seen the session before (it knows the customer); their replies are handed
        over only if the session is live and that customer's.
        """
        if not token or len(token) > 128:
            return None
        key = _key(token)
        token_hash = key[len(PREFIX) :]
        known = self._known.get(token_hash) if customer_reads else None
        # Read and renew in one round trip: EXPIRE of a missing key does nothing, and a session
        # past its absolute timeout is deleted right after, so renewing it first is harmless.
        with self.store.pipeline(transaction=False) as pipe:
            pipe.hgetall(key)
            pipe.expire(key, self.idle_seconds)
            take_replies = customer_reads(pipe, known) if customer_reads and known else None
            found, _renewed, *customer_replies = pipe.execute()
        # The store is built with decode_responses=True (store.connect): fields and values are str.
        data = cast("dict[str, str]", found)
        if not data:
            return None
        created = float(data.get("created", 0))
        if time.time() - created > self.absolute_seconds:
            self.store.delete(key)
            return None
        if take_replies and known and data["customer"] == known.customer_id:
            take_replies(customer_replies)
        session = WidgetSession(
            token_hash=token_hash,
            partner_id=data["partner"],
            customer_id=data["customer"],
            locale=data.get("locale", "cs"),
            method=data.get("method", ""),
            created_at=created,
        )
        self._known.remember(session)
        return session

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
