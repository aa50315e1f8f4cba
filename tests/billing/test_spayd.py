"""The QR Platba (SPAYD 1.0) string: built, and decoded back to the same payment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from selfcare_widget.invoices import spayd


def test_build_has_the_spec_fields_in_order():
    text = spayd.build(
        spayd.Payment(
            iban="CZ65 0800 0000 1920 0014 5399",
            amount=Decimal("1234.5"),
            variable_symbol="2025100001",
            due_date=date(2025, 11, 15),
            message="Demo Mobil 2025100001",
        )
    )
    assert text == (
        "SPD*1.0*ACC:CZ6508000000192000145399*AM:1234.50*CC:CZK*DT:20251115"
        "*X-VS:2025100001*MSG:Demo Mobil 2025100001"
    )


def test_parse_inverts_build():
    payment = spayd.Payment(
        iban="CZ6508000000192000145399",
        amount=Decimal("99.90"),
        variable_symbol="123",
        due_date=date(2026, 1, 31),
        message="Faktura 123",
    )
    assert spayd.parse(spayd.build(payment)) == payment


def test_message_is_ascii_without_separators_and_at_most_60_chars():
    text = spayd.build(
        spayd.Payment(
            iban="CZ6508000000192000145399", amount=Decimal("1"), message="Zelená*mobil " + "x" * 100
        )
    )
    message = spayd.parse(text).message
    assert message.startswith("Zelena mobil") and len(message) <= 60
    assert text.count("*") == 5  # SPD*1.0 + ACC, AM, CC, MSG: no extra separator from the message


def test_variable_symbol_is_the_digits_of_the_bill_number_at_most_10():
    assert spayd.variable_symbol("FA-2025/100001") == "2025100001"
    assert spayd.variable_symbol("123456789012") == "3456789012"


@pytest.mark.parametrize("amount", [Decimal("0"), Decimal("-5"), Decimal("10000000")])
def test_amount_out_of_range_is_refused(amount):
    with pytest.raises(ValueError):
        spayd.build(spayd.Payment(iban="CZ6508000000192000145399", amount=amount))


def test_nonsense_iban_is_refused():
    with pytest.raises(ValueError):
        spayd.build(spayd.Payment(iban="not an iban", amount=Decimal("1")))
