"""The widget's home: unpaid bills, then each SIM with its tariff, credit or spend, and its units."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import ROUND_DOWN, Decimal

from flask import Blueprint, render_template
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..i18n import day, number
from ..platform import PlatformError
from ..platform.models import BucketKind, CurrentSpend, Invoice, Package, Sim, UnitBucket
from .common import kept_fragment, platform, today

log = logging.getLogger(__name__)
bp = Blueprint("overview", __name__)

#: Units are listed data first, then calls, then texts (what customers look at most).
KIND_ORDER = {BucketKind.DATA: 0, BucketKind.VOICE: 1, BucketKind.SMS: 2}
#: Megabytes per gigabyte, as the catalogue counts them (the "1 GB" package grants 1 024 MB).
MB_PER_GB = Decimal(1024)


@dataclass(frozen=True)
class UnitRow:
    """One allowance as the overview shows it."""

    bucket: UnitBucket
    label: str  # the bucket's name, with its start date when another package has the same name
    figure: str  # "4,8 GB left of 10 GB", "Unlimited", ...
    state: str  # left | used-up | unlimited
    ratio: float | None  # share left, for the bar (None: no bar)
    valid_until: date | None  # only when it differs from the SIM's common date


@dataclass(frozen=True)
class SimOverview:
    """A SIM card of the overview: its credit or spend and its allowances, in display order."""

    sim: Sim
    credit: list[UnitBucket]
    spend: Decimal | None
    units: list[UnitRow]
    valid_until: date | None  # the one "valid until" of the SIM's allowances


@dataclass(frozen=True)
class BillNotice:
    """An unpaid bill the customer should know about."""

    invoice: Invoice
    overdue: bool


def quantity(amount: Decimal, units: str, *, remaining: bool = False) -> str:
    """An amount in its unit, data in GB (decimal, Czech formatting) from 1 GB up.

    A remaining amount is rounded down, so the widget never promises more than is left.
    """
    if units == "MB" and (amount >= MB_PER_GB or amount == 0):
        gb = (amount / MB_PER_GB).quantize(Decimal("0.1"), rounding=ROUND_DOWN if remaining else None)
        digits = 0 if gb == gb.to_integral_value() else 1
        return f"{number(gb, digits)} GB"
    return f"{number(amount.to_integral_value(rounding=ROUND_DOWN) if remaining else amount)} {units}"


def _figure(bucket: UnitBucket) -> tuple[str, str]:
    """``(figure, state)``: what is left (or used, for an unlimited allowance) in words."""
    if bucket.unlimited:
        text = _("Unlimited")
        if bucket.initial is not None:
            used = max(Decimal(0), bucket.initial - bucket.remaining)
            text += " · " + _("%(amount)s used", amount=quantity(used, bucket.units))
        return text, "unlimited"
    left = quantity(max(Decimal(0), bucket.remaining), bucket.units, remaining=True)
    if bucket.initial is not None:
        text = _("%(left)s left of %(total)s", left=left, total=quantity(bucket.initial, bucket.units))
    else:
        text = _("%(left)s left", left=left)
    return text, "used-up" if bucket.used_up else "left"


def _common_day(buckets: list[UnitBucket]) -> date | None:
    """The validity end shared by most of the SIM's allowances (shown once for the SIM)."""
    days = Counter(b.valid_until.date() for b in buckets if b.valid_until)
    return days.most_common(1)[0][0] if days else None


def _labels(units: list[UnitBucket], packages: dict[str, Package]) -> dict[str, str]:
    """Bucket id -> label; packages of the same name on one SIM are told apart by their start."""
    by_name: dict[str, set[str]] = {}
    for b in units:
        if b.package_product_id:
            by_name.setdefault(b.name, set()).add(b.package_product_id)
    labels = {}
    for b in units:
        label = b.name
        package = packages.get(b.package_product_id)
        if len(by_name.get(b.name, ())) > 1 and package and package.active_from:
            label = _("%(name)s (from %(date)s)", name=b.name, date=day(package.active_from))
        labels[b.id] = label
    return labels


def _unit_rows(units: list[UnitBucket], packages: dict[str, Package], common: date | None) -> list[UnitRow]:
    """Tariff allowances before packages, data before calls before texts, each in words."""

    def order(b: UnitBucket) -> tuple:
        package = packages.get(b.package_product_id)
        started = package.active_from if package and package.active_from else date.min
        return (bool(b.package_product_id), KIND_ORDER.get(b.kind, 9), started, b.name, b.id)

    labels = _labels(units, packages)
    rows = []
    for b in sorted(units, key=order):
        figure, state = _figure(b)
        ends = b.valid_until.date() if b.valid_until else None
        rows.append(
            UnitRow(
                bucket=b,
                label=labels[b.id],
                figure=figure,
                state=state,
                ratio=None if b.unlimited else b.remaining_ratio,
                valid_until=ends if ends != common else None,
            )
        )
    return rows


def _packages_if_needed(units: list[UnitBucket]) -> dict[str, Package]:
    """Ordered packages by product id, read only when two packages of one SIM share a name."""
    packages_per_name: Counter[tuple[str, str]] = Counter()
    for sim_product_id, name, package_product_id in {
        (b.sim_product_id, b.name, b.package_product_id) for b in units
    }:
        if package_product_id:
            packages_per_name[(sim_product_id, name)] += 1
    if not any(count > 1 for count in packages_per_name.values()):
        return {}
    try:
        return {p.product_id: p for p in platform().list_packages(current_user.customer_id)}
    except PlatformError:
        log.warning("packages unavailable; identical package names not told apart")
        return {}


def _bill_notices(account_ids: tuple[str, ...], day_: date) -> list[BillNotice] | None:
    """Unpaid bills, overdue ones first (oldest first); None when the bills could not be read."""
    port = platform()
    try:
        invoices = [i for account in account_ids for i in port.list_invoices(account)]
    except PlatformError:
        log.warning("bills unavailable; the overview shows no payment notice")
        return None
    unpaid = [BillNotice(i, i.is_overdue(day_)) for i in invoices if not i.is_paid]
    return sorted(unpaid, key=lambda n: (not n.overdue, n.invoice.due_date, n.invoice.number))


def _spend(account_ids: set[str]) -> dict[str, CurrentSpend]:
    """Current spend per billing account, where the platform provides it (else left out)."""
    spends = {}
    for account in sorted(account_ids):
        try:
            spend = platform().current_spend(account)
        except PlatformError:
            log.warning("current spend unavailable; left out of the overview")
            continue
        if spend is not None:
            spends[account] = spend
    return spends


def _sim_spend(sim: Sim, spends: dict[str, CurrentSpend]) -> Decimal | None:
    spend = spends.get(sim.billing_account_id)
    if spend is None:
        return None
    return spend.for_sim(sim.product_id) or Decimal("0")


@bp.post("/w/overview")
@login_required
@kept_fragment()
def index():
    """Unpaid bills, then each SIM: tariff, credit (prepaid: top up) or spend, allowances.

    Platform calls: customer, SIM products, all their buckets in one; for a customer with a
    postpaid SIM also the bills and the unbilled charges of each billing account; packages only
    when two of one SIM's packages share a name.
    """
    port = platform()
    customer = port.get_customer(current_user.customer_id)
    sims = port.list_sims(current_user.customer_id)
    buckets = port.list_buckets([sim.product_id for sim in sims]) if sims else []
    postpaid = [sim for sim in sims if not sim.tariff.prepaid]
    accounts = tuple(customer.billing_account_ids) or tuple(
        sorted({s.billing_account_id for s in sims} - {""})
    )
    notices = _bill_notices(accounts, today()) if postpaid else []
    spends = _spend({s.billing_account_id for s in postpaid} - {""}) if postpaid else {}
    units = [b for b in buckets if b.kind is not BucketKind.MONETARY]
    packages = _packages_if_needed(units)
    cards = []
    for sim in sims:
        own = [b for b in units if b.sim_product_id == sim.product_id]
        common = _common_day(own)
        cards.append(
            SimOverview(
                sim=sim,
                credit=[
                    b for b in buckets if b.sim_product_id == sim.product_id and b.kind is BucketKind.MONETARY
                ],
                spend=None if sim.tariff.prepaid else _sim_spend(sim, spends),
                units=_unit_rows(own, packages, common),
                valid_until=common,
            )
        )
    # The SIMs in service whose data ran out: each hint names the number and opens its packages.
    used_up = {b.sim_product_id for b in units if b.kind is BucketKind.DATA and b.used_up and not b.unlimited}
    data_used_up = [sim for sim in sims if sim.product_id in used_up and sim.state == "active"]
    return render_template(
        "widget/overview/index.html",
        customer=customer,
        cards=cards,
        notices=notices,
        data_used_up=data_used_up,
        as_of=datetime.now(timezone.utc),
    )
