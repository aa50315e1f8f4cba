"""The invoice PDF as a Czech tax document, checked on the rendered pages.

A 1-page and a 3-page bill are printed to PNG with ``pdftoppm``; the QR code is located from the
PDF's own drawing commands, cut out of page 1 and decoded with ``zbarimg``; word positions come
from ``pdftotext -bbox``. So the tests see what a customer prints: the supplier's IČO and DIČ,
the DUZP, the payment box with its QR code on page 1 (nothing printed over the code), lines per
number, the VAT recap, and "Uhrazeno" instead of payment details on a paid bill.
"""

from __future__ import annotations

import html
import io
import re
import shutil
import subprocess
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from flask_babel import force_locale
from PIL import Image
from pypdf import PdfReader
from pypdf.generic import ContentStream

from selfcare_widget.invoices import spayd
from selfcare_widget.invoices.pdf import pdf_filename, render_invoice_pdf
from selfcare_widget.invoices.summary import fill_numbers, group_by_number, vat_recap
from selfcare_widget.partners import Supplier
from selfcare_widget.platform.models import ContactDetails, Customer, Invoice, InvoiceLine
from tests.support import ARTIFACTS, require

IBAN = "CZ6508000000192000145399"
DPI = 150
SUPPLIER = Supplier("Demo Mobil s.r.o.", ("Vinohradská 2828/151", "130 00 Praha 3"), "12345679", "CZ12345679")
CUSTOMER = Customer(
    id="cust-0001",
    partner_id="demo-mobil",
    name="Jan Šťastný",
    status="approved",
    contact=ContactDetails(street="Dlouhá 12", city="Praha", postal_code="110 00"),
)
NUMBERS = ("420601234567", "420602345678")
KINDS = ("recurring", "package", "usage", "oneTime")


@pytest.fixture(autouse=True)
def _tools():
    require(shutil.which("pdftoppm") is not None, "pdftoppm (poppler-utils)")
    require(shutil.which("pdftotext") is not None, "pdftotext (poppler-utils)")
    require(shutil.which("zbarimg") is not None, "zbarimg (zbar-tools)")


def make_lines(n: int) -> list[InvoiceLine]:
    """``n`` lines over two numbers and the account, each 10,00 Kč + 21 % VAT."""
    return [
        InvoiceLine(
            id=f"acbr-{i}",
            name=f"Položka č. {i:03d}",
            kind=KINDS[i % 4],
            date=date(2025, 11, 1),
            amount_excl_vat=Decimal("10.00"),
            vat_rate=Decimal("0.21"),
            vat=Decimal("2.10"),
            amount_incl_vat=Decimal("12.10"),
            product_id=f"prod-{i % 3}",
            msisdn=(*NUMBERS, "")[i % 3],
        )
        for i in range(n)
    ]


def bill_of(lines: list[InvoiceLine], paid: bool = False) -> Invoice:
    """A period bill (October, issued 1 November) whose totals are the sums of ``lines``."""
    excl = sum((x.amount_excl_vat for x in lines), Decimal(0))
    vat = sum((x.vat for x in lines), Decimal(0))
    return Invoice(
        id="bill-0001-202510",
        number="2025100001",
        billing_account_id="ba-0001",
        period_start=date(2025, 10, 1),
        period_end=date(2025, 10, 31),
        issue_date=date(2025, 11, 1),
        due_date=date(2025, 11, 15),
        total_excl_vat=excl,
        vat=vat,
        total_incl_vat=excl + vat,
        remaining=Decimal(0) if paid else excl + vat,
        state="settled" if paid else "sent",
    )


@dataclass
class Printed:
    """A rendered bill: its PDF, page images, words with positions (points) and QR placements."""

    pdf: Path
    spayd: str
    pages: list[Path]
    size: list[tuple[float, float]]  # page width, height in points
    words: list[list[tuple[str, float, float, float, float]]]  # per page: text, x0, y0, x1, y1 (top origin)
    images: list[list[tuple[float, float, float, float]]]  # per page: x0, y0, x1, y1 of each image

    def text(self, page: int) -> str:
        return " ".join(w[0] for w in self.words[page])

    def find(self, word: str, page: int) -> tuple[str, float, float, float, float]:
        hits = [w for w in self.words[page] if w[0] == word]
        assert hits, f"{word!r} not on page {page + 1}"
        return hits[0]


def _words(pdf: Path) -> list[list[tuple[str, float, float, float, float]]]:
    out = subprocess.run(
        ["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True, timeout=60
    ).stdout
    pages = []
    for page in re.findall(r"<page [^>]*>(.*?)</page>", out, re.S):
        pages.append(
            [
                (html.unescape(t), float(a), float(b), float(c), float(d))
                for a, b, c, d, t in re.findall(
                    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>',
                    page,
                )
            ]
        )
    return pages


def _image_boxes(reader: PdfReader) -> list[list[tuple[float, float, float, float]]]:
    """Where each page draws its images: the ``cm`` matrix before each ``Do`` (top-origin points)."""
    boxes = []
    for page in reader.pages:
        height = float(page.mediabox.height)
        xobjects = page["/Resources"].get("/XObject", {})
        found, matrix = [], None
        for operands, operator in ContentStream(page.get_contents(), reader).operations:
            if operator == b"cm":
                matrix = [float(v) for v in operands]
            elif operator == b"Do" and matrix and xobjects.get(operands[0], {}).get("/Subtype") == "/Image":
                w, _, _, h, x, y = matrix
                found.append((x, height - (y + h), x + w, height - y))
        boxes.append(found)
    return boxes


def print_bill(
    tmp_path: Path, app, lines: list[InvoiceLine], paid: bool = False, name: str = "bill"
) -> Printed:
    with app.test_request_context("/"), force_locale("cs"):
        rendered = render_invoice_pdf(
            bill_of(lines, paid),
            lines,
            CUSTOMER,
            partner_name="Demo Mobil",
            payee_iban=IBAN,
            supplier=SUPPLIER,
        )
    pdf = tmp_path / f"{name}.pdf"
    pdf.write_bytes(rendered.data)
    subprocess.run(
        ["pdftoppm", "-png", "-r", str(DPI), str(pdf), str(tmp_path / name)], check=True, timeout=60
    )
    pages = sorted(tmp_path.glob(f"{name}-*.png"))
    reader = PdfReader(io.BytesIO(rendered.data))
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(pages[0], ARTIFACTS / f"tax-document-{name}-page1.png")
    return Printed(
        pdf=pdf,
        spayd=rendered.spayd,
        pages=pages,
        size=[(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages],
        words=_words(pdf),
        images=_image_boxes(reader),
    )


def decode(image: Path) -> str:
    return subprocess.run(
        ["zbarimg", "-q", "--raw", "-Sdisable", "-Sqrcode.enable", str(image)],
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()


def qr_box(printed: Printed) -> tuple[float, float, float, float]:
    """The one image of page 1 (the QR code; no logo configured here)."""
    (box,) = printed.images[0]
    return box


def lines_for_pages(app, tmp_path: Path, pages: int) -> list[InvoiceLine]:
    """The smallest bill (in steps of 3 lines) that prints on ``pages`` pages."""
    n = 3
    while True:
        with app.test_request_context("/"), force_locale("cs"):
            lines = make_lines(n)
            data = render_invoice_pdf(
                bill_of(lines), lines, CUSTOMER, partner_name="Demo Mobil", payee_iban=IBAN, supplier=SUPPLIER
            ).data
        count = len(PdfReader(io.BytesIO(data)).pages)
        if count == pages:
            return lines
        assert count < pages, f"{n} lines jump past {pages} pages"
        n += 3


@pytest.fixture
def one_page(app, tmp_path) -> Printed:
    printed = print_bill(tmp_path, app, make_lines(4), name="one-page")
    assert len(printed.pages) == 1
    return printed


@pytest.fixture
def three_pages(app, tmp_path) -> Printed:
    return print_bill(tmp_path, app, lines_for_pages(app, tmp_path, 3), name="three-pages")


def _overlaps(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.parametrize("bill", ["one_page", "three_pages"])
def test_the_qr_code_is_on_page_one_in_the_payment_box_and_decodes(bill, request):
    printed: Printed = request.getfixturevalue(bill)
    width, height = printed.size[0]
    x0, y0, x1, y1 = qr_box(printed)
    # in the upper half of page 1, at the right (beside the payment details)
    assert x0 > width / 2 and y1 < height * 0.55, (x0, y1)
    # the printed code, cut out of page 1 alone, reads as the bill's payment
    scale = DPI / 72
    page = Image.open(printed.pages[0])
    pad = 6 * scale
    crop = page.crop(
        (int(x0 * scale - pad), int(y0 * scale - pad), int(x1 * scale + pad), int(y1 * scale + pad))
    )
    cut = printed.pdf.with_name(f"{printed.pdf.stem}-qr.png")
    crop.save(cut)
    decoded = decode(cut)
    assert decoded == printed.spayd
    payment = spayd.parse(decoded)
    assert (payment.iban, payment.variable_symbol, payment.due_date) == (
        IBAN,
        "2025100001",
        date(2025, 11, 15),
    )
    # nothing is printed over the code; its caption sits right under it
    assert not [w for w in printed.words[0] if _overlaps((w[1], w[2], w[3], w[4]), (x0, y0, x1, y1))]
    caption = printed.find("Platba", 0)
    assert caption[2] >= y1 - 1 and caption[2] - y1 < 12 and x0 - 1 <= caption[1] <= x1
    # the payment details are on the same band of page 1, left of the code
    band = [w for w in printed.words[0] if y0 - 12 <= w[2] and w[4] <= y1 + 12]
    for word in ("Platební", "19-2000145399/0800", "2025100001", "15.11.2025"):
        hits = [w for w in band if w[0] == word]
        assert hits and hits[0][3] < x0, word
    amount = [w for w in printed.words[0] if w[0] == "Kč" and y0 - 5 <= w[2] <= y1 + 5 and w[3] < x0]
    assert amount, "the amount due is in the payment box"
    # no other page has a code
    assert all(not boxes for boxes in printed.images[1:])
    for other in printed.pages[1:]:
        assert decode(other) == ""


@pytest.mark.parametrize("bill", ["one_page", "three_pages"])
def test_page_one_names_supplier_customer_and_the_dates_of_a_period_bill(bill, request):
    printed: Printed = request.getfixturevalue(bill)
    first = printed.text(0)
    width = printed.size[0][0]
    # two columns: the supplier at the left, the customer at the right
    for word in ("Dodavatel", "s.r.o.", "Vinohradská", "IČO:", "DIČ:", "Bankovní"):
        assert printed.find(word, 0)[3] < width / 2, word
    for word in ("Odběratel", "Šťastný", "Dlouhá"):
        assert printed.find(word, 0)[1] > width / 2, word
    for text in (
        "Faktura – daňový doklad",
        "Demo Mobil s.r.o.",
        "Vinohradská 2828/151",
        "130 00 Praha 3",
        "IČO: 12345679",
        "DIČ: CZ12345679",
        "Bankovní účet: 19-2000145399/0800",
        "Jan Šťastný",
        "Datum vystavení 1.11.2025",
        "Datum zdanitelného plnění 31.10.2025",  # DUZP: the period's end, not the issue date
        "Datum splatnosti 15.11.2025",
        "Zúčtovací období 1.10.2025 – 31.10.2025",
    ):
        assert text in first, text
    # the supplier block is above the payment box
    y_top = qr_box(printed)[1]
    assert printed.find("IČO:", 0)[4] < y_top
    assert printed.find("zdanitelného", 0)[4] < y_top


@pytest.mark.parametrize("bill", ["one_page", "three_pages"])
def test_no_text_runs_into_other_text(bill, request):
    printed: Printed = request.getfixturevalue(bill)
    for page, words in enumerate(printed.words):
        boxes = [(w[0], (w[1] + 0.3, w[2] + 0.3, w[3] - 0.3, w[4] - 0.3)) for w in words]
        for i, (text, box) in enumerate(boxes):
            clash = [other for other, b in boxes[i + 1 :] if _overlaps(box, b)]
            assert not clash, f"page {page + 1}: {text!r} overlaps {clash}"


def test_a_three_page_bill_repeats_the_table_heading_and_ends_with_the_vat_recap(three_pages):
    printed = three_pages
    assert len(printed.pages) == 3
    texts = [printed.text(i) for i in range(3)]
    for i, text in enumerate(texts, start=1):
        assert f"Strana {i} z 3" in text
    height = printed.size[1][1]
    for page in (1, 2):  # the lines run over: heading again near the top of the page
        heading = [w for w in printed.words[page] if w[0] == "Položka"]
        if "Číslo" in texts[page] or "Položka" in texts[page]:
            assert heading and heading[0][2] < height * 0.15, page
    assert "Rekapitulace DPH" in texts[-1]
    assert "Rekapitulace DPH" not in texts[0]
    # lines grouped per number, account charges last
    whole = " ".join(texts)
    first, second, account = (
        whole.index("Číslo +420 601 234 567"),
        whole.index("Číslo +420 602 345 678"),
        whole.index("Položky celého účtu"),
    )
    assert first < second < account


def test_lines_are_listed_under_their_number(one_page):
    text = one_page.text(0)
    part = text[text.index("Číslo +420 601 234 567") : text.index("Číslo +420 602 345 678")]
    assert all(f"Položka č. {i:03d}" in part for i in (0, 3))
    assert "Položka č. 001" not in part


def test_a_paid_bill_says_uhrazeno_and_has_no_payment_box_or_code(app, tmp_path):
    printed = print_bill(tmp_path, app, make_lines(6), paid=True, name="paid")
    first = printed.text(0)
    assert "Uhrazeno" in first
    assert "Platební údaje" not in first and "QR Platba" not in first
    assert printed.spayd == ""
    assert all(not boxes for boxes in printed.images)
    assert all(decode(page) == "" for page in printed.pages)
    # the stamp is on page 1 above the lines
    lines_heading = [w for w in printed.words[0] if w[0] == "Položky"][0]
    assert printed.find("Uhrazeno", 0)[4] < lines_heading[2]


def test_vat_recap_per_rate_rounds_half_up_and_adds_up():
    def line(net: str, rate: str, vat: str) -> InvoiceLine:
        return InvoiceLine(
            id=net,
            name="x",
            kind="usage",
            date=None,
            amount_excl_vat=Decimal(net),
            vat_rate=Decimal(rate),
            vat=Decimal(vat),
            amount_incl_vat=Decimal(net) + Decimal(vat),
        )

    lines = [
        line("100.00", "0.21", "21.00"),
        line("0.125", "0.21", "0.026"),  # a platform sending sub-heller amounts
        line("50.00", "0.12", "6.00"),
        line("10.00", "0", "0"),
    ]
    recap = vat_recap(lines)
    assert [(r.rate, r.base, r.vat, r.total) for r in recap] == [
        (Decimal("0.21"), Decimal("100.13"), Decimal("21.03"), Decimal("121.16")),
        (Decimal("0.12"), Decimal("50.00"), Decimal("6.00"), Decimal("56.00")),
        (Decimal("0"), Decimal("10.00"), Decimal("0.00"), Decimal("10.00")),
    ]
    assert all(isinstance(v, Decimal) for r in recap for v in (r.base, r.vat, r.total))


def test_group_by_number_keeps_kind_order_and_puts_account_charges_last():
    lines = make_lines(8)
    groups = group_by_number(lines)
    assert [g.msisdn for g in groups] == [*NUMBERS, ""]
    for group in groups:
        kinds = [KINDS.index(x.kind) for x in group.lines]
        assert kinds == sorted(kinds)
        assert group.total_incl_vat == sum(x.amount_incl_vat for x in group.lines)


def test_english_file_names_are_english_and_czech_ones_czech():
    bill = bill_of(make_lines(1))
    assert pdf_filename(bill, "cs") == "faktura-2025100001.pdf"
    assert pdf_filename(bill, "en") == "invoice-2025100001.pdf"
    assert pdf_filename(replace(bill, number="2025/10 01"), "en") == "invoice-20251001.pdf"


def test_the_downloaded_period_bill_is_a_tax_document(post, sign_in, bills):
    """Over HTTP from the sandbox: supplier from the partners file, DUZP, lines per number."""
    bill = bills("cust-0001")[0]
    response = post("/w/billing/invoice/pdf", sign_in("cust-0001"), invoice=bill.id)
    assert response.status_code == 200
    assert f'filename="faktura-{bill.number}.pdf"' in response.headers["Content-Disposition"]
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.data)).pages).replace(
        "\xa0", " "
    )
    assert "IČO: 12345679" in text and "DIČ: CZ12345679" in text
    duzp = f"{bill.period_end.day}.{bill.period_end.month}.{bill.period_end.year}"
    assert bill.period_end != bill.issue_date
    assert f"Datum zdanitelného plnění {duzp}" in text or (
        "Datum zdanitelného plnění" in text and duzp in text
    )
    assert "Číslo +420 601 234 567" in text and "Číslo +420 602 345 678" in text
    english = post("/w/billing/invoice/pdf", sign_in("cust-0001", locale="en"), invoice=bill.id)
    assert f'filename="invoice-{bill.number}.pdf"' in english.headers["Content-Disposition"]
    assert "Date of taxable supply" in PdfReader(io.BytesIO(english.data)).pages[0].extract_text()


def test_lines_naming_only_their_product_get_the_number_from_the_inventory():
    lines = [replace(x, msisdn="") for x in make_lines(3)]
    lines[2] = replace(lines[2], msisdn="420777000111")  # a number the platform sent stays
    filled = fill_numbers(lines, {"prod-0": "420601234567", "prod-2": "420999999999"})
    assert [x.msisdn for x in filled] == ["420601234567", "", "420777000111"]
