"""Fixtures of the performance tests: an SSO token as the partner's backend mints it."""

from __future__ import annotations

import time
import uuid

import pytest
from jose import jwt


@pytest.fixture
def sso_token(partner_rsa_key):
    def _token(customer: str = "cust-0001", **extra) -> str:
        now = int(time.time())
        claims = {
            "iss": "demo-mobil",
            "aud": "selfcare-widget",
            "sub": customer,
            "iat": now,
            "exp": now + 120,
        }
        return jwt.encode({**claims, "jti": uuid.uuid4().hex, **extra}, partner_rsa_key, algorithm="RS256")

    return _token
