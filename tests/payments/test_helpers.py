"""The small pure pieces of payments: Czech account numbers, typed amounts, the URL template."""

from __future__ import annotations

from decimal import Decimal

import pytest

from selfcare_widget.invoices.spayd import czech_account, grouped_iban
from selfcare_widget.partners import PaymentGateway
from selfcare_widget.views.payments import PaymentIntent, gateway_url, parse_amount


@pytest.mark.parametrize(
    ("iban", "domestic"),
    [
        ("CZ6508000000192000145399", "19-2000145399/0800"),
        ("CZ65 0800 0000 1920 0014 5399", "19-2000145399/0800"),
        ("CZ6907101781240000004159", "178124-4159/0710"),
        ("CZ5508000000001234567899", "1234567899/0800"),  # no prefix
        ("SK3112000000198742637541", ""),  # not Czech: the IBAN only
    ],
)
def test_czech_account_form_of_an_iban(iban, domestic):
    assert czech_account(iban) == domestic


def test_iban_in_groups_of_four():
    assert grouped_iban("cz6508000000192000145399") == "CZ65 0800 0000 1920 0014 5399"


@pytest.mark.parametrize(
    ("typed", "amount"),
    [
        ("250", Decimal("250.00")),
        ("250,50", Decimal("250.50")),
        ("250.5", Decimal("250.50")),
        ("1 000 Kč", Decimal("1000.00")),
        ("1\u00a0000", Decimal("1000.00")),
        ("12,345", None),
        ("1.000,00", None),
        ("abc", None),
        ("NaN", None),
        ("", None),
    ],
)
def test_typed_amounts(typed, amount):
    assert parse_amount(typed) == amount


def _intent() -> PaymentIntent:
    return PaymentIntent(
        "bill", "demo-mobil", "c", "bill-1", "", Decimal("10"), "CZK", 0, "r" * 32, "https://p/"
    )


def test_a_template_with_an_unknown_placeholder_is_not_filled(app):
    gateway = PaymentGateway(
        mode="url", url_template="https://gw.example/pay?a={amount}&x={customer_name}", secret="s" * 32
    )
    with app.test_request_context(), pytest.raises(ValueError, match="customer_name"):
        gateway_url(gateway, _intent(), "123")


def test_template_values_are_percent_encoded(app):
    gateway = PaymentGateway(
        mode="url", url_template="https://gw.example/pay?a={amount}&r={return_url}", secret="s" * 32
    )
    with app.test_request_context():
        url = gateway_url(gateway, _intent(), "123")
    assert url.startswith(
        "https://gw.example/pay?a=10.00&r=http%3A%2F%2Flocalhost%2Fpay%2Freturn%3Fkind%3Dbill%26"
    )
    assert url.count("?") == 1 and url.count("&") == 1
