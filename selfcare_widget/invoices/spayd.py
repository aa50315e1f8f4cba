"""Czech "QR Platba" payment strings (SPAYD 1.0, Short Payment Descriptor).

Format (ČBA standard): ``SPD*1.0*KEY:value*KEY:value...``. We emit ACC (IBAN), AM (amount with
a dot and two decimals), CC (currency), DT (due date ``YYYYMMDD``), X-VS (variable symbol, up to
10 digits) and MSG (message for the payee, up to 60 characters). A ``*`` inside a value would
end the field, so it is percent-encoded; the message is reduced to plain ASCII because several
banking apps still mangle UTF-8 in QR payments.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

HEADER = "SPD*1.0"
MAX_VS_DIGITS = 10
MAX_MSG_CHARS = 60
MAX_AMOUNT = Decimal("9999999.99")  # AM is at most 10 characters
_IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{1,30}$")


@dataclass(frozen=True)
class Payment:
    """The fields of a QR Platba code that the widget uses (decoded form)."""

    iban: str
    amount: Decimal
    currency: str = "CZK"
    variable_symbol: str = ""
    due_date: date | None = None
    message: str = ""


def variable_symbol(bill_number: str) -> str:
    """The variable symbol of a bill: the digits of its number (the last 10, as banks allow)."""
    digits = "".join(ch for ch in bill_number if ch.isdigit())
    return digits[-MAX_VS_DIGITS:]


def normalize_iban(iban: str) -> str:
    """``CZ65 0800 ...`` -> ``CZ650800...``; raises ValueError for something that is no IBAN."""
    compact = re.sub(r"\s+", "", iban).upper()
    if not _IBAN.match(compact):
        raise ValueError(f"not an IBAN: {iban!r}")
    return compact


def _ascii(text: str) -> str:
    """Plain ASCII (diacritics dropped), no field separator, collapsed spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if ord(ch) < 128 and not unicodedata.combining(ch))
    return " ".join(plain.replace("*", " ").split())


def build(payment: Payment) -> str:
    """The SPAYD string of ``payment`` (what the QR code encodes)."""
    amount = payment.amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    if amount <= 0 or amount > MAX_AMOUNT:
        raise ValueError(f"amount out of range for QR Platba: {amount}")
    fields = [HEADER, f"ACC:{normalize_iban(payment.iban)}", f"AM:{amount}", f"CC:{payment.currency.upper()}"]
    if payment.due_date:
        fields.append(f"DT:{payment.due_date:%Y%m%d}")
    vs = "".join(ch for ch in payment.variable_symbol if ch.isdigit())[:MAX_VS_DIGITS]
    if vs:
        fields.append(f"X-VS:{vs}")
    message = _ascii(payment.message)[:MAX_MSG_CHARS].strip()
    if message:
        fields.append(f"MSG:{message}")
    return "*".join(fields)


def parse(text: str) -> Payment:
    """Decode a SPAYD string (the inverse of :func:`build`; also accepts other valid codes)."""
    if not text.startswith(HEADER + "*"):
        raise ValueError("not a SPAYD 1.0 string")
    values: dict[str, str] = {}
    for field in text[len(HEADER) + 1 :].split("*"):
        key, sep, value = field.partition(":")
        if not sep:
            raise ValueError(f"malformed SPAYD field {field!r}")
        values[key] = value.replace("%2A", "*")
    due = values.get("DT")
    return Payment(
        iban=values["ACC"].split("+", 1)[0],  # ACC may carry "+BIC"
        amount=Decimal(values.get("AM", "0")),
        currency=values.get("CC", "CZK"),
        variable_symbol=values.get("X-VS", ""),
        due_date=date(int(due[:4]), int(due[4:6]), int(due[6:8])) if due else None,
        message=values.get("MSG", ""),
    )


def czech_account(iban: str) -> str:
    """The Czech domestic form of a CZ IBAN: ``CZ65 0800 0000 1920 0014 5399`` -> ``19-2000145399/0800``.

    A CZ IBAN is ``CZkk`` + bank code (4) + account prefix (6) + account number (10); the
    domestic form drops leading zeros and the prefix when it is zero. "" for a non-CZ IBAN.
    """
    compact = normalize_iban(iban)
    if not compact.startswith("CZ") or len(compact) != 24 or not compact[2:].isdigit():
        return ""
    bank, prefix, number = compact[4:8], compact[8:14].lstrip("0"), compact[14:].lstrip("0") or "0"
    return f"{prefix}-{number}/{bank}" if prefix else f"{number}/{bank}"


def grouped_iban(iban: str) -> str:
    """An IBAN in groups of four for reading aloud or typing: ``CZ65 0800 0000 ...``."""
    compact = normalize_iban(iban)
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def qr_svg(spayd: str, title: str) -> str:
    """The QR Platba code of ``spayd`` as inline SVG (no XML prolog, no style attributes).

    ``title`` becomes the SVG's ``<title>``: the text alternative screen readers announce.
    """
    import segno

    code = segno.make(spayd, error="m", boost_error=False)
    # A light background of its own: banking apps need the quiet zone light on any theme.
    svg = code.svg_inline(
        scale=4, border=4, dark="#000", light="#fff", title=title, svgclass="sc-qr__code", lineclass=None
    )
    return svg.replace("<svg ", '<svg role="img" ', 1)
