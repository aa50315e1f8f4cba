"""Fixtures of the performance tests: an SSO token as the partner's backend mints it."""

from __future__ import annotations

import pytest

from selfcare_widget.demo.keys import mint_sso_token


@pytest.fixture
def sso_token(partner_rsa_key):
    def _token(customer: str = "cust-0001", locale: str | None = None) -> str:
        return mint_sso_token(
            partner_id="demo-mobil", customer_id=customer, key=partner_rsa_key, locale=locale
        )

    return _token
