"""Grouping of invoice lines and the VAT recap, shared by the detail fragment and the PDF."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import gettext as _

from ..platform.models import Invoice, InvoiceLine

#: Line kinds (TMF678 appliedCustomerBillingRate ``type``) in the order an invoice shows them.
KIND_ORDER = ("recurring", "package", "usage", "oneTime")
ZERO = Decimal("0")
CENT = Decimal("0.01")


def _cents(amount: Decimal) -> Decimal:
    """An amount rounded half-up to whole hellers (Czech invoicing rounds halves up)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class LineGroup:
    """Lines of one kind with their subtotals."""

    kind: str
    lines: tuple[InvoiceLine, ...]
    total_excl_vat: Decimal
    vat: Decimal
    total_incl_vat: Decimal


@dataclass(frozen=True)
class VatRow:
    """One row of the VAT recap: the base, the VAT and the total at one rate."""

    rate: Decimal  # 0.21
    base: Decimal
    vat: Decimal
    total: Decimal

    @property
    def percent(self) -> int:
        return int((self.rate * 100).to_integral_value())


@dataclass(frozen=True)
class MonthTotal:
    """The invoiced total of one billing month (for the 12-month chart)."""

    month: date  # first day of the month
    total: Decimal


def group_lines(lines: list[InvoiceLine]) -> list[LineGroup]:
    """Lines grouped by kind in :data:`KIND_ORDER` (unknown kinds last), each with subtotals."""
    by_kind: dict[str, list[InvoiceLine]] = defaultdict(list)
    for line in lines:
        by_kind[line.kind].append(line)
    order = [k for k in KIND_ORDER if k in by_kind] + sorted(k for k in by_kind if k not in KIND_ORDER)
    return [
        LineGroup(
            kind=kind,
            lines=tuple(by_kind[kind]),
            total_excl_vat=sum((x.amount_excl_vat for x in by_kind[kind]), ZERO),
            vat=sum((x.vat for x in by_kind[kind]), ZERO),
            total_incl_vat=sum((x.amount_incl_vat for x in by_kind[kind]), ZERO),
        )
        for kind in order
    ]


def vat_recap(lines: list[InvoiceLine]) -> list[VatRow]:
    """Base, VAT and total per VAT rate, highest rate first (normally one row: 21 %).

    The VAT of a rate is the sum of its lines' VAT as the platform billed it (each line rounded
    half-up to hellers), so the recap adds up to the bill's own totals; sums are rounded to
    whole hellers the same way, and the total of a row is always its base plus its VAT.
    """
    rows: dict[Decimal, list[InvoiceLine]] = defaultdict(list)
    for line in lines:
        rows[line.vat_rate].append(line)
    recap = []
    for rate in sorted(rows, reverse=True):
        base = _cents(sum((x.amount_excl_vat for x in rows[rate]), ZERO))
        vat = _cents(sum((x.vat for x in rows[rate]), ZERO))
        recap.append(VatRow(rate=rate, base=base, vat=vat, total=base + vat))
    return recap


@dataclass(frozen=True)
class NumberGroup:
    """The lines of one number (MSISDN, digits; "" for charges of the whole account)."""

    msisdn: str
    lines: tuple[InvoiceLine, ...]
    total_excl_vat: Decimal
    vat: Decimal
    total_incl_vat: Decimal


def _kind_rank(line: InvoiceLine) -> int:
    return KIND_ORDER.index(line.kind) if line.kind in KIND_ORDER else len(KIND_ORDER)


def group_by_number(lines: list[InvoiceLine]) -> list[NumberGroup]:
    """Lines per number as a tax document lists them: numbers in order, account charges last.

    Within a number the lines keep the kind order of :data:`KIND_ORDER` (monthly fee first).
    """
    by_number: dict[str, list[InvoiceLine]] = defaultdict(list)
    for line in lines:
        by_number[line.msisdn].append(line)
    order = sorted(n for n in by_number if n) + ([""] if "" in by_number else [])
    groups = []
    for number in order:
        mine = sorted(by_number[number], key=_kind_rank)
        groups.append(
            NumberGroup(
                msisdn=number,
                lines=tuple(mine),
                total_excl_vat=sum((x.amount_excl_vat for x in mine), ZERO),
                vat=sum((x.vat for x in mine), ZERO),
                total_incl_vat=sum((x.amount_incl_vat for x in mine), ZERO),
            )
        )
    return groups


def fill_numbers(lines: list[InvoiceLine], numbers: Mapping[str, str]) -> list[InvoiceLine]:
    """Lines with their number taken from ``numbers`` (product id -> MSISDN) where they lack one.

    For a platform whose bill lines name only the product they were charged on.
    """
    return [
        replace(line, msisdn=numbers[line.product_id])
        if not line.msisdn and line.product_id in numbers
        else line
        for line in lines
    ]


def _month_before(month: date) -> date:
    return date(month.year - 1, 12, 1) if month.month == 1 else date(month.year, month.month - 1, 1)


def monthly_totals(invoices: list[Invoice], today: date, months: int = 12) -> list[MonthTotal]:
    """Invoiced totals (with VAT) of the last ``months`` billing months, oldest first.

    The window ends with the newest billed month (bills come after their month ends), or the
    month before ``today`` when there is no bill yet; months without a bill count as zero.
    """
    sums: dict[date, Decimal] = defaultdict(lambda: ZERO)
    for invoice in invoices:
        sums[invoice.period_start.replace(day=1)] += invoice.total_incl_vat
    last = max(sums) if sums else _month_before(today.replace(day=1))
    window = [last]
    while len(window) < months:
        window.append(_month_before(window[-1]))
    return [MonthTotal(month=m, total=sums.get(m, ZERO)) for m in reversed(window)]


def kind_label(kind: str) -> str:
    """The translated heading of a line group."""
    labels = {
        "recurring": _("Monthly fees"),
        "package": _("Packages"),
        "usage": _("Usage over the tariff"),
        "oneTime": _("One-off fees"),
    }
    return labels.get(kind, _("Other items"))
