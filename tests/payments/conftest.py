"""Fixtures of the payment tests: a widget on a private sandbox (payments change bills and credit)."""

from __future__ import annotations

import sqlite3
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from tests.support import PLATFORM_CREDENTIAL, make_widget_app, serve_wsgi


@pytest.fixture(scope="module")
def pay_sandbox_url(sandbox_db, tmp_path_factory):
    """A sandbox of this module's own on a copy of the demo data."""
    from selfcare_widget.sandbox import create_sandbox_app

    path = tmp_path_factory.mktemp("pay-sandbox") / "platform.sqlite3"
    src, dst = sqlite3.connect(sandbox_db), sqlite3.connect(path)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    with serve_wsgi(create_sandbox_app(db_path=path, credential=PLATFORM_CREDENTIAL)) as url:
        yield url


@pytest.fixture
def app(pay_sandbox_url, test_partners):
    """The widget app of these tests, on the private sandbox (overrides the shared one)."""
    return make_widget_app(pay_sandbox_url, test_partners)


@pytest.fixture
def gateway_secret(test_partners) -> str:
    return test_partners["demo-mobil"].payment_gateway.secret


def return_values(gateway_link: str) -> dict[str, str]:
    """The fields of the signed return URL inside a filled-in gateway URL."""
    gateway_query = dict(parse_qsl(urlsplit(gateway_link).query))
    return dict(parse_qsl(urlsplit(gateway_query["return"]).query, keep_blank_values=True))


def gateway_result(
    values: dict[str, str], secret: str, status: str = "paid", paid: str | None = None
) -> dict[str, str]:
    """``values`` with what a gateway appends: status, transaction, paid amount, its signature."""
    from selfcare_widget.views.payments import gateway_signature

    paid_amount = values["amount"] if paid is None else paid
    result = {**values, "status": status, "transaction": "gw-123", "paid_amount": paid_amount}
    result["gateway_signature"] = gateway_signature(
        secret, values["ref"], status, "gw-123", paid_amount, values["currency"]
    )
    return result


def as_returned(values: dict[str, str]) -> str:
    """The form field the loader sends to /w/payments/return."""
    return urlencode(values)
