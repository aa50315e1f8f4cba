"""The invoice PDF: text, QR Platba payload, paging, and a rendered page image as an artefact."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import date
from decimal import Decimal

import pytest
import segno
from babel.numbers import format_currency
from PIL import Image, ImageChops
from pypdf import PdfReader

from selfcare_widget.invoices import spayd
from selfcare_widget.invoices.pdf import render_invoice_pdf
from selfcare_widget.platform.models import ContactDetails, Customer, Invoice, InvoiceLine
from selfcare_widget.services import services
from tests.support import ARTIFACTS, require

IBAN = "CZ6508000000192000145399"  # demo-mobil's payee account in tests/conftest.py


def czk(amount) -> str:
    return format_currency(amount, "CZK", locale="cs")


def pdf_text(data: bytes) -> str:
    # pypdf may render the no-break spaces of Czech money as plain ones; compare on plain spaces.
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages).replace("\xa0", " ")


def plain(text: str) -> str:
    return text.replace("\xa0", " ")


@pytest.fixture
def downloaded(post, sign_in, bills, app):
    """cust-0001's newest (unpaid) bill as downloaded over HTTP, with its lines and customer."""
    bill = bills("cust-0001")[0]
    port = services(app).platform
    response = post("/w/billing/invoice/pdf", sign_in("cust-0001"), invoice=bill.id)
    assert response.status_code == 200
    return bill, port.list_invoice_lines(bill.id), response.data


def test_pdf_opens_and_has_number_customer_lines_and_totals(downloaded):
    bill, lines, data = downloaded
    text = pdf_text(data)
    assert bill.number in text
    assert "Jan Šťastný" in text  # diacritics through the embedded TTF
    for line in lines:
        assert line.name in text
        assert plain(czk(line.amount_incl_vat)) in text
    for total in (bill.total_excl_vat, bill.vat, bill.total_incl_vat):
        assert plain(czk(total)) in text
    assert "21 %" in text
    assert spayd.grouped_iban(IBAN) in text and "19-2000145399/0800" in text
    assert spayd.variable_symbol(bill.number) in text


def test_pdf_embeds_the_dejavu_font(downloaded):
    _, _, data = downloaded
    reader = PdfReader(io.BytesIO(data))
    fonts = {f["/BaseFont"] for f in reader.pages[0]["/Resources"]["/Font"].values()}
    assert any("DejaVuSans" in str(name) for name in fonts), fonts


def _invoice(state: str = "sent", remaining: str = "1290.59") -> Invoice:
    return Invoice(
        id="bill-0001-202510",
        number="2025100001",
        billing_account_id="ba-0001",
        period_start=date(2025, 10, 1),
        period_end=date(2025, 10, 31),
        issue_date=date(2025, 11, 1),
        due_date=date(2025, 11, 15),
        total_excl_vat=Decimal("1066.60"),
        vat=Decimal("223.99"),
        total_incl_vat=Decimal("1290.59"),
        remaining=Decimal(remaining),
        state=state,
    )


CUSTOMER = Customer(
    id="cust-0001",
    partner_id="demo-mobil",
    name="Jan Šťastný",
    status="active",
    contact=ContactDetails(street="Dlouhá 12", city="Praha", postal_code="110 00"),
)


def _lines(n: int) -> list[InvoiceLine]:
    kinds = ("recurring", "package", "usage", "oneTime")
    return [
        InvoiceLine(
            id=f"acbr-{i}",
            name=f"Položka č. {i:03d} – příplatek",
            kind=kinds[i % 4],
            date=date(2025, 11, 1),
            amount_excl_vat=Decimal("10.00"),
            vat_rate=Decimal("0.21"),
            vat=Decimal("2.10"),
            amount_incl_vat=Decimal("12.10"),
        )
        for i in range(n)
    ]


def test_qr_code_carries_account_amount_and_variable_symbol():
    rendered = render_invoice_pdf(_invoice(), _lines(4), CUSTOMER, partner_name="Demo Mobil", payee_iban=IBAN)
    payment = spayd.parse(rendered.spayd)
    assert payment.iban == IBAN
    assert payment.amount == Decimal("1290.59")
    assert payment.variable_symbol == "2025100001"
    assert payment.due_date == date(2025, 11, 15)


def test_the_qr_image_in_the_pdf_is_that_payment_string():
    """The image embedded in the PDF is pixel for pixel the QR code of the SPAYD string the
    renderer reports (the printed code is also decoded by a real reader, below)."""
    rendered = render_invoice_pdf(_invoice(), _lines(4), CUSTOMER, partner_name="Demo Mobil", payee_iban=IBAN)
    images = [img.image for page in PdfReader(io.BytesIO(rendered.data)).pages for img in page.images]
    expected = io.BytesIO()
    segno.make(rendered.spayd, error="m", boost_error=False).save(expected, kind="png", scale=4, border=2)
    want = Image.open(expected).convert("L")
    matches = [img for img in images if img.size == want.size]
    assert matches, [img.size for img in images]
    assert ImageChops.difference(matches[0].convert("L"), want).getbbox() is None


def test_partly_paid_invoice_asks_for_the_remainder_and_paid_one_has_no_qr():
    partly = render_invoice_pdf(
        _invoice(remaining="290.59"), _lines(4), CUSTOMER, partner_name="Demo Mobil", payee_iban=IBAN
    )
    assert spayd.parse(partly.spayd).amount == Decimal("290.59")
    paid = render_invoice_pdf(
        _invoice(state="settled", remaining="0"),
        _lines(4),
        CUSTOMER,
        partner_name="Demo Mobil",
        payee_iban=IBAN,
    )
    assert paid.spayd == ""
    assert not [img for page in PdfReader(io.BytesIO(paid.data)).pages for img in page.images]


def test_no_payee_account_means_no_qr_but_a_pdf_all_the_same():
    rendered = render_invoice_pdf(_invoice(), _lines(4), CUSTOMER, partner_name="Demo Mobil", payee_iban="")
    assert rendered.spayd == "" and rendered.data.startswith(b"%PDF")


def test_long_invoice_continues_over_pages_with_every_line():
    lines = _lines(150)
    rendered = render_invoice_pdf(_invoice(), lines, CUSTOMER, partner_name="Demo Mobil", payee_iban=IBAN)
    reader = PdfReader(io.BytesIO(rendered.data))
    assert len(reader.pages) >= 4
    text = pdf_text(rendered.data)
    for line in lines:
        assert line.name in text
    # The table heading is repeated on every page the lines run over.
    assert all("Incl. VAT" in page.extract_text() for page in reader.pages[:-1])
    assert f"{len(reader.pages)}" in reader.pages[-1].extract_text()  # "Page n of n"


def test_theme_logo_is_placed_and_a_broken_one_is_skipped(tmp_path):
    logo = tmp_path / "logo.png"
    Image.new("RGB", (40, 40), (11, 92, 173)).save(logo)
    with_logo = render_invoice_pdf(_invoice(), _lines(2), CUSTOMER, partner_name="Demo Mobil", logo=logo)
    assert len(PdfReader(io.BytesIO(with_logo.data)).pages[0].images) == 1  # no IBAN, so only the logo
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"not a png")
    assert render_invoice_pdf(
        _invoice(), _lines(2), CUSTOMER, partner_name="Demo Mobil", logo=broken
    ).data.startswith(b"%PDF")


def test_first_page_rendered_as_an_image_artefact(downloaded):
    require(shutil.which("pdftoppm") is not None, "pdftoppm (poppler-utils)")
    _, _, data = downloaded
    ARTIFACTS.mkdir(exist_ok=True)
    source = ARTIFACTS / "invoice-cust-0001.pdf"
    source.write_bytes(data)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "80",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(source),
            str(ARTIFACTS / "invoice-cust-0001"),
        ],
        check=True,
        timeout=60,
    )
    page = Image.open(ARTIFACTS / "invoice-cust-0001.png")
    assert page.size[0] > 600 and page.size[1] > 900  # A4 at 80 dpi is 661 x 935
    assert page.convert("L").getextrema()[0] < 50  # there is dark ink (text) on the page


def test_a_qr_reader_decodes_the_printed_code_to_account_amount_and_symbol(tmp_path):
    """Print the PDF to images and read the QR code back with a real decoder (zbarimg)."""
    require(shutil.which("pdftoppm") is not None, "pdftoppm (poppler-utils)")
    require(shutil.which("zbarimg") is not None, "zbarimg (zbar-tools)")
    rendered = render_invoice_pdf(_invoice(), _lines(4), CUSTOMER, partner_name="Demo Mobil", payee_iban=IBAN)
    source = tmp_path / "invoice.pdf"
    source.write_bytes(rendered.data)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "200", str(source), str(tmp_path / "page")], check=True, timeout=60
    )
    pages = sorted(str(p) for p in tmp_path.glob("page*.png"))
    decoded = subprocess.run(
        ["zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", *pages],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    assert decoded.startswith("SPD*1.0*")
    payment = spayd.parse(decoded)
    assert (payment.iban, payment.amount, payment.variable_symbol) == (IBAN, Decimal("1290.59"), "2025100001")
