"""Verification of partner-signed SSO tokens (JWT) with python-jose.

The checks, in order: size, structure, the header (no ``crit``: we understand no JWS extension;
``typ``, if present, ``JWT`` or the partner's configured type — RFC 8725 §3.11), the partner's
pinned algorithm, key (PEM, JWKS by ``kid``, or HS256 secret), signature, ``iss`` = partner id,
``aud`` = the widget, ``exp`` / ``nbf`` / ``iat`` with a small leeway, lifetime at most five
minutes, ``sub`` present, and single use of ``jti`` (Redis ``SET NX`` with a TTL until the token
would expire anyway).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import redis
import requests
from jose import jwt
from jose.exceptions import ExpiredSignatureError, JWTClaimsError, JWTError

from ..partners import Partner

log = logging.getLogger(__name__)

MAX_TOKEN_BYTES = 8 * 1024
MAX_LIFETIME_SECONDS = 5 * 60
JWKS_TTL_SECONDS = 600
JWKS_MIN_REFRESH_SECONDS = 30


class SsoError(Exception):
    """The token is not acceptable; ``reason`` is a short code recorded in the EDR."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SsoClaims:
    """What a verified token says."""

    customer_id: str
    jti: str
    locale: str | None


class JwksCache:
    """Partner JWKS documents fetched over HTTPS and kept for a while, per process."""

    def __init__(self, timeout: float = 3.0) -> None:
        self._docs: dict[str, tuple[float, list[dict[str, Any]]]] = {}
        self._lock = threading.Lock()
        self.timeout = timeout

    def _fetch(self, url: str) -> list[dict[str, Any]]:
        try:
            response = requests.get(url, timeout=self.timeout)
            response.raise_for_status()
            keys = response.json()["keys"]
        except (requests.RequestException, ValueError, KeyError, TypeError) as exc:
            log.warning("JWKS %s could not be fetched: %s", url, type(exc).__name__)
            raise SsoError("jwks_unavailable") from None
        return [k for k in keys if isinstance(k, dict)]

    def key(self, url: str, kid: str | None) -> dict[str, Any]:
        """The JWK with ``kid``; refetches once (rate-limited) for an unknown kid (key rotation)."""
        now = time.monotonic()
        with self._lock:
            fetched_at, keys = self._docs.get(url, (0.0, []))
        if now - fetched_at > JWKS_TTL_SECONDS:
            keys = self._store(url, now)
            fetched_at = now
        found = self._pick(keys, kid)
        if found is None and now - fetched_at > JWKS_MIN_REFRESH_SECONDS:
            found = self._pick(self._store(url, now), kid)
        if found is None:
            raise SsoError("unknown_key")
        return found

    def _store(self, url: str, now: float) -> list[dict[str, Any]]:
        keys = self._fetch(url)
        with self._lock:
            self._docs[url] = (now, keys)
        return keys

    @staticmethod
    def _pick(keys: list[dict[str, Any]], kid: str | None) -> dict[str, Any] | None:
        if kid is None:
            return keys[0] if len(keys) == 1 else None
        return next((k for k in keys if k.get("kid") == kid), None)


class SsoVerifier:
    """Verifies SSO tokens for the configured partners."""

    def __init__(self, store: redis.Redis, audience: str, leeway: int, jwks: JwksCache | None = None) -> None:
        self.store = store
        self.audience = audience
        self.leeway = leeway
        self.jwks = jwks or JwksCache()

    def verify(self, partner: Partner, token: str) -> SsoClaims:
        """Verify ``token`` for ``partner`` and burn its ``jti``; raises SsoError."""
        if partner.sso is None:
            raise SsoError("sso_disabled")
        if not token or len(token.encode()) > MAX_TOKEN_BYTES:
            raise SsoError("too_large" if token else "malformed")
        try:
            header = jwt.get_unverified_header(token)
        except JWTError:
            raise SsoError("malformed") from None
        _check_header(header, partner.sso.typ)
        alg = partner.sso.algorithm
        if header.get("alg") != alg:
            raise SsoError("algorithm")
        key = self._key(partner, header.get("kid"))
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[alg],
                audience=self.audience,
                issuer=partner.id,
                options={
                    "leeway": self.leeway,
                    "require_exp": True,
                    "require_iat": True,
                    "require_sub": True,
                    "require_jti": True,
                    "require_aud": True,
                    "require_iss": True,
                },
            )
        except ExpiredSignatureError:
            raise SsoError("expired") from None
        except JWTClaimsError as exc:
            raise SsoError(_claims_reason(str(exc))) from None
        except JWTError as exc:
            text = str(exc).lower()
            raise SsoError("not_yet_valid" if "not yet valid" in text else "signature") from None
        self._check_times(claims)
        sub, jti = claims.get("sub"), claims.get("jti")
        if not isinstance(sub, str) or not sub or not isinstance(jti, str) or not 8 <= len(jti) <= 128:
            raise SsoError("claims")
        ttl = max(1, int(claims["exp"] - time.time()) + self.leeway)
        if not self.store.set(f"sc:jti:{partner.id}:{jti}", "1", nx=True, ex=ttl):
            raise SsoError("replayed")
        locale = claims.get("locale")
        return SsoClaims(customer_id=sub, jti=jti, locale=locale if isinstance(locale, str) else None)

    def _key(self, partner: Partner, kid: str | None) -> str | dict[str, Any]:
        sso = partner.sso
        assert sso is not None
        if sso.shared_secret:
            return sso.shared_secret
        if sso.public_key_pem:
            return sso.public_key_pem
        jwk = self.jwks.key(sso.jwks_url, kid)
        if jwk.get("alg", sso.algorithm) != sso.algorithm:
            raise SsoError("algorithm")
        return jwk

    def _check_times(self, claims: dict[str, Any]) -> None:
        now = time.time()
        iat, exp = claims.get("iat"), claims.get("exp")
        if not isinstance(iat, (int, float)) or not isinstance(exp, (int, float)):
            raise SsoError("claims")
        if iat > now + self.leeway:
            raise SsoError("issued_in_future")
        if exp - iat > MAX_LIFETIME_SECONDS:
            raise SsoError("lifetime")


def _media_type(typ: str) -> str:
    """``typ`` as a full media type, lower-case: RFC 7515 §4.1.9 lets ``application/`` be left out."""
    typ = typ.lower()
    return typ if "/" in typ else f"application/{typ}"


def _check_header(header: dict[str, Any], partner_typ: str) -> None:
    """Refuse a JOSE header we cannot honour (RFC 8725 §3.11, RFC 7515 §4.1.11)."""
    if "crit" in header:
        # Critical extensions must be understood by the recipient; we understand none.
        raise SsoError("crit")
    if "typ" in header:
        typ = header["typ"]
        accepted = {_media_type("JWT")} | ({_media_type(partner_typ)} if partner_typ else set())
        if not isinstance(typ, str) or _media_type(typ) not in accepted:
            raise SsoError("type")


def _claims_reason(message: str) -> str:
    text = message.lower()
    if "audience" in text:
        return "audience"
    if "issuer" in text:
        return "issuer"
    if "not yet valid" in text or "nbf" in text:
        return "not_yet_valid"
    return "claims"
