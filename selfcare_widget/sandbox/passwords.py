"""PBKDF2-SHA256 password hashes with a per-customer salt (``pbkdf2_sha256$iterations$salt$hash``)."""

from __future__ import annotations

import hashlib
import hmac

ITERATIONS = 100_000


def hash_password(password: str, salt: bytes, iterations: int = ITERATIONS) -> str:
    """Encode a PBKDF2-SHA256 hash of ``password`` with its parameters."""
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iterations)
    return f"pbkdf2_sha256${iterations}${salt.hex()}${digest.hex()}"


def verify_password(password: str, encoded: str) -> bool:
    """Check ``password`` against an encoded hash in constant time."""
    try:
        scheme, iterations, salt_hex, digest_hex = encoded.split("$")
        if scheme != "pbkdf2_sha256":
            return False
        digest = hashlib.pbkdf2_hmac("sha256", password.encode(), bytes.fromhex(salt_hex), int(iterations))
    except ValueError:
        return False
    return hmac.compare_digest(digest.hex(), digest_hex)


#: A well-formed hash of nothing anyone knows: verified against for unknown logins so an
#: unknown login costs the same time as a wrong password (no user enumeration by timing).
DUMMY_HASH = hash_password("\x00unknown", b"sandbox-dummy-salt")
