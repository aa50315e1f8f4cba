"""The invoice PDF, a Czech tax document (daňový doklad), rendered with fpdf2.

One A4 document. Page 1: partner name and logo; the supplier (name, address, IČO, DIČ, bank
account, from the partners file) and the customer; the invoice facts (number, variable symbol,
issue date, DUZP — the date of taxable supply, the last day of the billing period —, due date,
period); then either the payment box (account, variable symbol, amount, due date and the "QR
Platba" code) or, for a paid bill, the "Paid" stamp. Then the lines grouped per number (MSISDN)
with subtotals (the table continues over as many pages as needed, headings repeated), the VAT
recap per rate and the totals. Czech diacritics come from the DejaVu Sans TTF shipped in
``fonts/`` (license in ``fonts/LICENSE``), embedded as a subset.

Labels go through Flask-Babel, so inside a request they are in the customer's language;
amounts and dates are formatted for the ``locale`` passed in (no request needed).
"""

from __future__ import annotations

import copy
import io
import logging
import threading
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import segno
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from flask_babel import gettext as _
from fontTools import subset as ftsubset
from fontTools import ttLib
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont

from ..partners import Supplier
from ..platform.models import Customer, Invoice, InvoiceLine
from . import spayd
from .summary import NumberGroup, group_by_number, vat_recap

log = logging.getLogger(__name__)

FONT_DIR = Path(__file__).with_name("fonts")
FONT = "DejaVu"
_DATE_PATTERNS = {"cs": "d.M.yyyy", "en": "d MMM yyyy"}
LOGO_NAMES = ("logo.png", "logo.svg")

# Page geometry in mm (A4 portrait).
MARGIN = 15.0
BOTTOM = 18.0
ROW_H = 6.0
#: Lines table columns: (width mm, alignment).
COLUMNS = ((76.0, "L"), (28.0, "R"), (22.0, "R"), (24.0, "R"), (30.0, "R"))
QR_SIZE = 36.0
#: The payment box on page 1: padding inside it and its height (with the QR code and caption).
BOX_PAD = 4.0
BOX_H = QR_SIZE + 2 * BOX_PAD + 4.0
#: Document file names per language (a Czech customer gets "faktura-…", an English one "invoice-…").
FILE_STEMS = {"cs": "faktura", "en": "invoice"}


@dataclass(frozen=True)
class RenderedInvoice:
    """The PDF bytes, its download file name and the SPAYD string its QR code encodes."""

    data: bytes
    filename: str
    spayd: str  # "" when the invoice carries no QR code (paid, or no payee account)


def pdf_filename(invoice: Invoice, locale: str = "cs") -> str:
    """``faktura-<number>.pdf`` (``invoice-<number>.pdf`` in English; safe characters only)."""
    safe = "".join(ch for ch in invoice.number if ch.isalnum() or ch in "-_") or invoice.id
    return f"{FILE_STEMS.get(locale, FILE_STEMS['cs'])}-{safe}.pdf"


def find_logo(themes_dir: Path, theme: str) -> Path | None:
    """The theme's logo (PNG preferred, else SVG), or None when the theme has none."""
    for name in LOGO_NAMES:
        path = themes_dir / theme / name
        if path.is_file():
            return path
    return None


def payment_string(invoice: Invoice, payee_iban: str, partner_name: str) -> str:
    """The QR Platba string for what is left to pay; "" when nothing is due or no account is set."""
    if invoice.is_paid or not payee_iban:
        return ""
    try:
        return spayd.build(
            spayd.Payment(
                iban=payee_iban,
                amount=invoice.remaining,
                variable_symbol=spayd.variable_symbol(invoice.number),
                due_date=invoice.due_date,
                message=f"{partner_name} {invoice.number}",
            )
        )
    except ValueError:
        # A misconfigured IBAN must not cost the customer their invoice; the text still says how to pay.
        log.warning("no QR Platba for invoice %s: invalid payee account or amount", invoice.id)
        return ""


FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
_font_templates: dict[str, tuple[TTFFont, bytes]] = {}
_font_lock = threading.Lock()


#: Characters the invoice font keeps: Latin (incl. Czech, Slovak, Vietnamese), Greek, Cyrillic,
#: punctuation, currency and common symbols. A per-process subset of DejaVu Sans this size makes
#: every document's own subsetting several times cheaper; names in other scripts would show
#: fpdf2's missing-glyph box, as they would with most invoice fonts.
KEPT_UNICODE_RANGES = (
    (0x0020, 0x007E),
    (0x00A0, 0x024F),
    (0x0370, 0x03FF),
    (0x0400, 0x04FF),
    (0x1E00, 0x1EFF),
    (0x2000, 0x206F),
    (0x20A0, 0x20CF),
    (0x2100, 0x218F),
    (0x2190, 0x21FF),
    (0x2200, 0x22FF),
    (0x25A0, 0x25FF),
)


def _font_template(style: str, path: Path) -> tuple[TTFFont, bytes]:
    """The font reduced to :data:`KEPT_UNICODE_RANGES` (bytes) and parsed once per process."""
    with _font_lock:
        if style not in _font_templates:
            font = ttLib.TTFont(str(path), recalcTimestamp=False)
            # The same options fpdf2 uses when it embeds a subset (no text shaping tables).
            options = ftsubset.Options(notdef_outline=True, recommended_glyphs=True, layout_features=[])
            options.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "hdmx", "FFTM", "MATH", "meta"]
            subsetter = ftsubset.Subsetter(options)
            subsetter.populate(unicodes=[u for lo, hi in KEPT_UNICODE_RANGES for u in range(lo, hi + 1)])
            subsetter.subset(font)
            buffer = io.BytesIO()
            font.save(buffer)
            data = buffer.getvalue()
            scratch = FPDF()
            template = TTFFont(scratch, io.BytesIO(data), f"{FONT.lower()}{style}", style)  # type: ignore[arg-type]
            _font_templates[style] = (template, data)
        return _font_templates[style]


def _add_cached_font(pdf: FPDF, style: str, path: Path) -> None:
    """Register the font with ``pdf`` without re-parsing it for every document.

    ``FPDF.add_font`` reads the whole TTF (metrics of ~6000 glyphs) each time, and writing the
    PDF decodes the layout tables before subsetting: together most of the render time of a
    3-page invoice. We parse once and give each document a shallow copy that shares the
    read-only metrics and cmap (as fpdf2's own ``TTFFont.__deepcopy__`` does) but has its own
    glyph subset and its own fontTools object, because fpdf2 subsets that object in place when
    it writes the PDF. Any surprise from a future fpdf2 falls back to the plain ``add_font``.
    """
    try:
        template, data = _font_template(style, path)
        font = copy.copy(template)
        font.i = len(pdf.fonts) + 1
        font.ttfont = ttLib.TTFont(io.BytesIO(data), recalcTimestamp=False, lazy=True)
        font.subset = SubsetMap(font)
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        font._hbfont = None
        pdf.fonts[font.fontkey] = font
    except Exception:  # noqa: BLE001 - correctness first, speed second
        log.warning("font cache unavailable; loading %s the slow way", path.name, exc_info=True)
        pdf.fonts.pop(f"{FONT.lower()}{style}", None)
        pdf.add_font(FONT, style, str(path))


class _Formats:
    """Money and date formatting for one locale (no request context needed)."""

    def __init__(self, locale: str) -> None:
        self.locale = locale if locale in _DATE_PATTERNS else "cs"

    def money(self, amount: Decimal) -> str:
        return format_currency(amount, "CZK", locale=self.locale)

    def day(self, value: date | None) -> str:
        return format_date(value, _DATE_PATTERNS[self.locale], locale=self.locale) if value else ""

    def percent(self, rate: Decimal) -> str:
        return format_decimal(rate * 100, "0.##", locale=self.locale) + " %"


class _InvoicePdf(FPDF):
    """FPDF with the invoice's footer (number and page x / y on every page)."""

    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT, size=8)
        self.set_text_color(90, 98, 115)
        page = _("Page %(page)s of %(pages)s", page=self.page_no(), pages="{nb}")
        self.cell(0, 5, f"{self.footer_text}    {page}", align="C")


class _Renderer:
    """Draws one invoice; one instance per document."""

    def __init__(
        self,
        invoice: Invoice,
        lines: list[InvoiceLine],
        customer: Customer,
        partner_name: str,
        payee_iban: str,
        supplier: Supplier | None,
        logo: Path | None,
        locale: str,
    ) -> None:
        self.invoice = invoice
        self.lines = lines
        self.customer = customer
        self.partner_name = partner_name
        self.payee_iban = payee_iban
        self.supplier = supplier
        self.logo = logo
        self.fmt = _Formats(locale)
        self.spayd = payment_string(invoice, payee_iban, partner_name)
        self.pdf = self._new_document()

    def _new_document(self) -> _InvoicePdf:
        pdf = _InvoicePdf(orientation="P", unit="mm", format="A4")
        pdf.set_margins(MARGIN, MARGIN, MARGIN)
        pdf.set_auto_page_break(True, margin=BOTTOM)
        for style, filename in FONT_FILES.items():
            _add_cached_font(pdf, style, FONT_DIR / filename)
        title = _("Invoice %(number)s", number=self.invoice.number)
        pdf.set_title(title)
        pdf.set_author(self.supplier.name if self.supplier else self.partner_name)
        pdf.set_creator("selfcare-widget")
        pdf.footer_text = title
        return pdf

    # ---------------------------------------------------------------- document
    def render(self) -> RenderedInvoice:
        self.pdf.add_page()
        self.header()
        self.parties()
        self.facts()
        if self.invoice.is_paid:
            self.paid_stamp()
        else:
            self.payment_box()
        self.lines_table()
        self.vat_and_totals()
        return RenderedInvoice(
            bytes(self.pdf.output()), pdf_filename(self.invoice, self.fmt.locale), self.spayd
        )

    def header(self) -> None:
        pdf = self.pdf
        top = pdf.get_y()
        name_x = MARGIN
        if self.logo is not None:
            try:
                pdf.image(str(self.logo), x=MARGIN, y=top, h=14)
                name_x = MARGIN + 18
            except Exception:  # noqa: BLE001 - a broken theme logo must not cost the invoice
                log.warning("theme logo %s could not be placed", self.logo)
        pdf.set_xy(name_x, top + 2)
        pdf.set_font(FONT, "B", 16)
        pdf.cell(90, 9, self.partner_name)
        pdf.set_xy(MARGIN + 90, top)
        pdf.set_font(FONT, "B", 13)
        pdf.cell(90, 7, _("Invoice – tax document"), align="R")
        pdf.set_xy(MARGIN + 90, top + 7)
        pdf.set_font(FONT, "", 11)
        pdf.cell(90, 6, _("No. %(number)s", number=self.invoice.number), align="R")
        pdf.set_y(top + 20)
        pdf.set_draw_color(200, 205, 214)
        pdf.line(MARGIN, pdf.get_y(), pdf.w - MARGIN, pdf.get_y())
        pdf.ln(4)

    def _supplier_rows(self) -> list[str]:
        """Who issues the document: name, address, IČO, DIČ and bank account (Czech VAT Act § 29)."""
        supplier = self.supplier
        rows = [supplier.name, *supplier.address] if supplier else [self.partner_name]
        if supplier:
            rows.append(_("Company ID (IČO): %(ico)s", ico=supplier.ico))
            if supplier.dic:
                rows.append(_("VAT ID (DIČ): %(dic)s", dic=supplier.dic))
            else:
                rows.append(_("Not registered for VAT"))
        account = _account(self.payee_iban)
        if account:
            rows.append(_("Bank account: %(account)s", account=account))
        return rows

    def parties(self) -> None:
        pdf = self.pdf
        top = pdf.get_y()
        contact = self.customer.contact
        address = [
            contact.street,
            " ".join(p for p in (contact.postal_code, contact.city) if p),
            contact.country if contact.country and contact.country != "CZ" else "",
        ]
        supplier_rows = self._supplier_rows()
        customer_rows = [
            self.customer.name,
            *[a for a in address if a],
            _("Customer number: %(id)s", id=self.customer.id),
        ]
        self._block(MARGIN, top, _("Supplier"), supplier_rows)
        self._block(MARGIN + 95, top, _("Customer"), customer_rows)
        pdf.set_y(top + 7 + 5 * max(len(supplier_rows), len(customer_rows)))

    def _block(self, x: float, y: float, title: str, rows: list[str]) -> None:
        pdf = self.pdf
        pdf.set_xy(x, y)
        pdf.set_font(FONT, "B", 9)
        pdf.set_text_color(90, 98, 115)
        pdf.cell(85, 5, title)
        pdf.set_text_color(0, 0, 0)
        for i, row in enumerate(rows):
            pdf.set_xy(x, y + 5.5 + i * 5)
            pdf.set_font(FONT, "B" if i == 0 else "", 10.5 if i == 0 else 9)
            pdf.cell(85, 5, self._fit(row, 85))

    def facts(self) -> None:
        """Two columns: what identifies the bill at the left, its dates (DUZP among them) at the right."""
        invoice, fmt, pdf = self.invoice, self.fmt, self.pdf
        left = [
            (_("Invoice number"), invoice.number),
            (_("Variable symbol"), spayd.variable_symbol(invoice.number)),
            (_("Billing period"), f"{fmt.day(invoice.period_start)} – {fmt.day(invoice.period_end)}"),
        ]
        right = [
            (_("Issue date"), fmt.day(invoice.issue_date)),
            (_("Date of taxable supply"), fmt.day(invoice.taxable_supply_date)),
            (_("Due date"), fmt.day(invoice.due_date)),
        ]
        top = pdf.get_y() + 2
        for x, label_w, rows in ((MARGIN, 36.0, left), (MARGIN + 95, 62.0, right)):
            for i, (label, value) in enumerate(rows):
                pdf.set_xy(x, top + i * 5.2)
                pdf.set_font(FONT, "", 9)
                pdf.set_text_color(90, 98, 115)
                pdf.cell(label_w, 5.2, self._fit(label, label_w - 1))
                pdf.set_text_color(0, 0, 0)
                pdf.set_font(FONT, "B", 9.5)
                pdf.cell(85 - label_w, 5.2, value)
        pdf.set_y(top + 3 * 5.2 + 5)

    # ---------------------------------------------------------------- payment (page 1)
    def payment_box(self) -> None:
        """Account, variable symbol, amount and due date, with the QR Platba code at the right."""
        pdf, fmt, invoice = self.pdf, self.fmt, self.invoice
        top = pdf.get_y()
        height = BOX_H if self.spayd else 2 * BOX_PAD + 7 + 5 * 6.2
        pdf.set_draw_color(11, 92, 173)
        pdf.set_line_width(0.4)
        pdf.rect(MARGIN, top, pdf.w - 2 * MARGIN, height)
        pdf.set_line_width(0.2)
        pdf.set_xy(MARGIN + BOX_PAD, top + BOX_PAD)
        pdf.set_font(FONT, "B", 11)
        pdf.cell(100, 7, _("Payment details"), new_x="LMARGIN", new_y="NEXT")
        account = _account(self.payee_iban)
        rows = [
            (_("Account"), account or _("see your contract")),
            (_("IBAN"), _grouped_iban(self.payee_iban)),
            (_("Variable symbol"), spayd.variable_symbol(invoice.number)),
            (_("Due date"), fmt.day(invoice.due_date)),
            (_("Amount due"), fmt.money(invoice.remaining)),
        ]
        for i, (label, value) in enumerate(rows):
            if not value:
                continue
            big = i == len(rows) - 1
            pdf.set_x(MARGIN + BOX_PAD)
            pdf.set_font(FONT, "", 10)
            pdf.cell(40, 6.2, label)
            pdf.set_font(FONT, "B", 12 if big else 10)
            pdf.cell(90, 6.2, value, new_x="LMARGIN", new_y="NEXT")
        if self.spayd:
            self._qr(pdf.w - MARGIN - BOX_PAD - QR_SIZE, top + BOX_PAD)
        pdf.set_y(top + height + 6)

    def paid_stamp(self) -> None:
        """The "Paid" state of a settled bill (no payment details, no QR code)."""
        pdf, fmt, invoice = self.pdf, self.fmt, self.invoice
        top = pdf.get_y()
        height = 20.0
        pdf.set_draw_color(22, 120, 60)
        pdf.set_line_width(0.6)
        pdf.rect(MARGIN, top, pdf.w - 2 * MARGIN, height)
        pdf.set_line_width(0.2)
        pdf.set_xy(MARGIN + BOX_PAD, top + 3)
        pdf.set_text_color(22, 120, 60)
        pdf.set_font(FONT, "B", 18)
        pdf.cell(60, 9, _("Paid"))
        pdf.set_text_color(0, 0, 0)
        pdf.set_font(FONT, "", 10)
        pdf.set_xy(MARGIN + BOX_PAD, top + 12)
        pdf.cell(120, 5, _("This invoice has been paid. Thank you."))
        pdf.set_xy(pdf.w - MARGIN - BOX_PAD - 60, top + 5)
        pdf.set_font(FONT, "B", 11)
        pdf.cell(60, 7, fmt.money(invoice.total_incl_vat - invoice.remaining), align="R")
        pdf.set_y(top + height + 6)

    def _qr(self, x: float, y: float) -> None:
        """The QR Platba code as a PNG made in memory, with its caption underneath."""
        buffer = io.BytesIO()
        # Error level M is what the QR Platba standard recommends.
        segno.make(self.spayd, error="m", boost_error=False).save(buffer, kind="png", scale=4, border=2)
        buffer.seek(0)
        self.pdf.image(buffer, x=x, y=y, w=QR_SIZE, h=QR_SIZE)
        self.pdf.set_xy(x, y + QR_SIZE)
        self.pdf.set_font(FONT, "B", 8)
        self.pdf.cell(QR_SIZE, 4, "QR Platba", align="C")

    # ---------------------------------------------------------------- lines
    def _row(self, cells: list[str], bold: bool = False, fill: bool = False) -> None:
        pdf = self.pdf
        pdf.set_font(FONT, "B" if bold else "", 9)
        for i, ((width, align), text) in enumerate(zip(COLUMNS, cells, strict=True)):
            # Only the item name can be long; amounts always fit their column.
            pdf.cell(width, ROW_H, self._fit(text, width - 2) if i == 0 else text, align=align, fill=fill)
        pdf.ln(ROW_H)

    def _fit(self, text: str, width: float) -> str:
        # Cells do not wrap; an over-long text is shortened rather than run into the next column.
        if self.pdf.get_string_width(text) <= width:
            return text
        while text and self.pdf.get_string_width(text + "…") > width:
            text = text[:-1]
        return text + "…"

    def _table_heading(self) -> None:
        self.pdf.set_fill_color(232, 236, 242)
        self._row([_("Item"), _("Excl. VAT"), _("VAT rate"), _("VAT"), _("Incl. VAT")], bold=True, fill=True)

    def _ensure_room(self, height: float) -> None:
        """Start a new page (with the table heading again) when ``height`` does not fit."""
        if self.pdf.will_page_break(height):
            self.pdf.add_page()
            self._table_heading()

    def _number_label(self, group: NumberGroup) -> str:
        if not group.msisdn:
            return _("Account charges")
        return _("Number %(msisdn)s", msisdn=format_msisdn(group.msisdn))

    def lines_table(self) -> None:
        pdf, fmt = self.pdf, self.fmt
        if pdf.will_page_break(7 + ROW_H * 4):
            pdf.add_page()
        pdf.set_font(FONT, "B", 11)
        pdf.cell(0, 7, _("Invoice lines"), new_x="LMARGIN", new_y="NEXT")
        self._table_heading()
        for group in group_by_number(self.lines):
            self._ensure_room(ROW_H * 3)  # never leave a group heading alone at a page end
            self._row([self._number_label(group), "", "", "", ""], bold=True)
            for line in group.lines:
                self._ensure_room(ROW_H)
                self._row(
                    [
                        "  " + line.name,
                        fmt.money(line.amount_excl_vat),
                        fmt.percent(line.vat_rate),
                        fmt.money(line.vat),
                        fmt.money(line.amount_incl_vat),
                    ]
                )
            self._ensure_room(ROW_H)
            self._subtotal(group)
        pdf.ln(3)

    def _subtotal(self, group: NumberGroup) -> None:
        fmt = self.fmt
        self._row(
            [
                _("Subtotal"),
                fmt.money(group.total_excl_vat),
                "",
                fmt.money(group.vat),
                fmt.money(group.total_incl_vat),
            ],
            bold=True,
        )

    # ---------------------------------------------------------------- totals
    def vat_and_totals(self) -> None:
        pdf, fmt, invoice = self.pdf, self.fmt, self.invoice
        recap = vat_recap(self.lines)
        if pdf.will_page_break(7 + ROW_H * (len(recap) + 1) + 2 + 6.5 * 4):
            pdf.add_page()
        pdf.set_font(FONT, "B", 11)
        pdf.cell(0, 7, _("VAT recap"), new_x="LMARGIN", new_y="NEXT")
        pdf.set_fill_color(232, 236, 242)
        self._row([_("VAT rate"), _("Tax base"), "", _("VAT"), _("Total")], bold=True, fill=True)
        for row in recap:
            self._row(
                [fmt.percent(row.rate), fmt.money(row.base), "", fmt.money(row.vat), fmt.money(row.total)]
            )
        pdf.ln(2)
        self._total_line(_("Total excl. VAT"), fmt.money(invoice.total_excl_vat))
        self._total_line(_("VAT"), fmt.money(invoice.vat))
        self._total_line(_("Total incl. VAT"), fmt.money(invoice.total_incl_vat), big=True)
        if invoice.is_paid:
            self._total_line(_("Paid"), fmt.money(invoice.total_incl_vat - invoice.remaining))
        else:
            self._total_line(_("Amount due"), fmt.money(invoice.remaining), big=True)

    def _total_line(self, label: str, value: str, big: bool = False) -> None:
        pdf = self.pdf
        pdf.set_font(FONT, "B" if big else "", 11 if big else 10)
        pdf.cell(130, 6.5, label, align="R")
        pdf.cell(50, 6.5, value, align="R", new_x="LMARGIN", new_y="NEXT")


def _account(iban: str) -> str:
    """The payee account in its domestic Czech form (else the IBAN); "" when none is set."""
    if not iban:
        return ""
    try:
        return spayd.czech_account(iban) or spayd.grouped_iban(iban)
    except ValueError:
        return iban


def format_msisdn(value: str) -> str:
    """``420601234567`` -> ``+420 601 234 567`` (other numbers: ``+`` and the digits)."""
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) == 12 and digits.startswith("420"):
        return f"+420 {digits[3:6]} {digits[6:9]} {digits[9:]}"
    return "+" + digits if digits else ""


def _grouped_iban(iban: str) -> str:
    try:
        return spayd.grouped_iban(iban) if iban else ""
    except ValueError:
        return iban


def render_invoice_pdf(
    invoice: Invoice,
    lines: list[InvoiceLine],
    customer: Customer,
    *,
    partner_name: str,
    payee_iban: str = "",
    supplier: Supplier | None = None,
    logo: Path | None = None,
    locale: str = "cs",
) -> RenderedInvoice:
    """Render ``invoice`` with its ``lines`` for ``customer`` as a PDF (bytes + QR string).

    ``supplier`` is the partner as named on tax documents; without it only ``partner_name``
    stands in the supplier block.
    """
    return _Renderer(invoice, lines, customer, partner_name, payee_iban, supplier, logo, locale).render()
