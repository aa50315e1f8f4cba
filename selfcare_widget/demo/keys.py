"""The demo partner's signing key and SSO token minting (what a partner backend does)."""

from __future__ import annotations

import base64
import hashlib
import time
import uuid
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwt


def load_or_create_rsa_key(path: Path) -> str:
    """PEM of the RSA private key at ``path``, generated (2048 bit) on first use."""
    if path.is_file():
        return path.read_text()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(pem)
    path.chmod(0o600)
    return pem


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def public_jwk(private_pem: str) -> dict:
    """The public half as a JWK with a ``kid`` derived from the key (RFC 7638 thumbprint)."""
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey):  # a JWK with "e" and "n" exists for RSA keys only
        raise ValueError("the key is not an RSA private key")
    numbers = key.public_key().public_numbers()
    jwk = {"e": _b64(numbers.e), "kty": "RSA", "n": _b64(numbers.n)}
    thumbprint = hashlib.sha256(
        ('{"e":"%s","kty":"RSA","n":"%s"}' % (jwk["e"], jwk["n"])).encode()  # noqa: UP031 - RFC 7638 form
    ).digest()
    return {
        **jwk,
        "kid": base64.urlsafe_b64encode(thumbprint).rstrip(b"=").decode(),
        "alg": "RS256",
        "use": "sig",
    }


def public_pem(private_pem: str) -> str:
    """PEM of the public key (for partners configured with a static key)."""
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def mint_sso_token(
    *,
    partner_id: str,
    customer_id: str,
    key: str,
    algorithm: str = "RS256",
    kid: str | None = None,
    audience: str = "selfcare-widget",
    ttl: int = 120,
    locale: str | None = None,
) -> str:
    """A short-lived SSO token as the partner's backend signs it (see docs/sso.md)."""
    now = int(time.time())
    claims = {
        "iss": partner_id,
        "aud": audience,
        "sub": customer_id,
        "iat": now,
        "exp": now + ttl,
        "jti": uuid.uuid4().hex,
    }
    if locale:
        claims["locale"] = locale
    headers = {"kid": kid} if kid else None
    return jwt.encode(claims, key, algorithm=algorithm, headers=headers)
