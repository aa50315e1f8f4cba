"""Domain types of the self-care widget.

These are what views, templates and the PDF renderer work with. They never carry TMF JSON:
adapters (``tmf.py``) translate the platform's resources into these types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum


class UsageKind(str, Enum):
    """Type of a call-log record; values are the TMF635 ``usageType`` values."""

    VOICE = "voice"
    SMS = "sms"
    DATA = "data"
    FEE = "fee"


class BucketKind(str, Enum):
    """What a prepaid bucket counts; values are the TMF654 ``usageType`` values."""

    MONETARY = "monetary"
    VOICE = "voice"
    SMS = "sms"
    DATA = "data"


@dataclass(frozen=True)
class ContactDetails:
    """A customer's contact details (TMF629 contactMedium)."""

    email: str = ""
    phone: str = ""
    street: str = ""
    city: str = ""
    postal_code: str = ""
    country: str = "CZ"


@dataclass(frozen=True)
class Customer:
    """A platform customer as the widget sees it."""

    id: str
    partner_id: str
    name: str
    status: str
    contact: ContactDetails
    billing_account_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Tariff:
    """The tariff (a TMF620 offering of category ``tariff``) a SIM subscription uses."""

    offering_id: str
    name: str
    prepaid: bool = False  # paid from credit (no monthly fee): top-ups, no spend since the last bill


@dataclass(frozen=True)
class Sim:
    """A SIM subscription (TMF637 product of spec ``spec-mobile-line``)."""

    product_id: str
    msisdn: str
    iccid: str
    state: str  # active | suspended | terminated
    tariff: Tariff
    service_id: str
    resource_id: str
    billing_account_id: str = ""
    start_date: date | None = None


@dataclass(frozen=True)
class SimCard:
    """The physical SIM card (TMF639 resource)."""

    resource_id: str
    iccid: str
    state: str


@dataclass(frozen=True)
class SimSettings:
    """The switchable settings of a SIM's mobile service (TMF638 serviceCharacteristic)."""

    service_id: str
    state: str
    data_enabled: bool
    roaming_enabled: bool
    premium_sms_barred: bool
    international_calls_barred: bool
    voicemail_enabled: bool
    sim_blocked: bool

    #: Setting names as used in the domain, in display order.
    NAMES = (
        "data_enabled",
        "roaming_enabled",
        "premium_sms_barred",
        "international_calls_barred",
        "voicemail_enabled",
        "sim_blocked",
    )


@dataclass(frozen=True)
class Package:
    """An ordered add-on package (TMF637 product of spec ``spec-addon``)."""

    product_id: str
    sim_product_id: str
    offering_id: str
    name: str
    price: Decimal
    active_from: date | None
    state: str


@dataclass(frozen=True)
class PackageOffer:
    """An add-on package that can be ordered (TMF620 offering of category ``addon``)."""

    offering_id: str
    name: str
    description: str
    price: Decimal
    tariff_offering_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class Order:
    """A product order (TMF622)."""

    id: str
    external_id: str
    state: str
    offering_id: str
    sim_product_id: str
    created: bool = True  # False when the platform returned an existing order for the key


@dataclass(frozen=True)
class BillingAccount:
    """A billing account (TMF666)."""

    id: str
    name: str


@dataclass(frozen=True)
class Invoice:
    """A customer bill (TMF678)."""

    id: str
    number: str
    billing_account_id: str
    period_start: date
    period_end: date
    issue_date: date
    due_date: date
    total_excl_vat: Decimal
    vat: Decimal
    total_incl_vat: Decimal
    remaining: Decimal
    state: str  # TMF678 state: settled | sent | partiallyPaid | ...

    @property
    def is_paid(self) -> bool:
        return self.state == "settled" or self.remaining <= 0

    def is_overdue(self, today: date) -> bool:
        return not self.is_paid and today > self.due_date

    @property
    def taxable_supply_date(self) -> date:
        """DUZP, the date of taxable supply: for a bill of a period, the period's last day.

        Czech VAT Act § 21 (8): a supply charged per period is made on the last day of that
        period, which differs from the issue date (the day after it, or later).
        """
        return self.period_end


@dataclass(frozen=True)
class InvoiceLine:
    """One applied billing rate of a bill (TMF678 appliedCustomerBillingRate)."""

    id: str
    name: str
    kind: str  # recurring | package | usage | oneTime
    date: date | None
    amount_excl_vat: Decimal
    vat_rate: Decimal  # 0.21
    vat: Decimal
    amount_incl_vat: Decimal
    product_id: str = ""  # the SIM product (or package) the line was charged on
    msisdn: str = ""  # the number it belongs to (digits); "" for account-level charges


@dataclass(frozen=True)
class UsageFilter:
    """Filter of a call-log query. Dates are inclusive days in the platform's time zone."""

    sim_product_id: str
    date_from: date
    date_to: date
    kinds: tuple[UsageKind, ...] = ()  # empty = all
    b_number: str = ""  # digits, matched anywhere in the B number


@dataclass(frozen=True)
class UsageRecord:
    """One call-log record (TMF635 usage)."""

    id: str
    time: datetime
    kind: UsageKind
    description: str
    network: str
    b_number: str
    duration_seconds: int = 0
    count: int = 0
    volume_bytes: int = 0
    charge: Decimal = Decimal("0")


@dataclass(frozen=True)
class UsagePage:
    """One page of call-log records and, when the platform says, the count of the whole period."""

    records: list[UsageRecord]
    total: int | None  # X-Total-Count is a SHOULD in TMF630: a platform may not send it
    offset: int
    limit: int


@dataclass(frozen=True)
class UsageSummary:
    """Totals of a filtered call-log period (platform extension ``usageSummary``)."""

    count: int = 0
    voice_seconds: int = 0
    sms_count: int = 0
    data_bytes: int = 0
    fee_count: int = 0
    charged: Decimal = Decimal("0")


@dataclass(frozen=True)
class UnitBucket:
    """A prepaid balance or remaining units of a tariff/package (TMF654 bucket)."""

    id: str
    sim_product_id: str
    kind: BucketKind
    name: str
    remaining: Decimal
    units: str  # CZK | min | SMS | MB
    initial: Decimal | None = None
    valid_until: datetime | None = None
    package_product_id: str = ""  # set when an add-on package granted the bucket
    unlimited: bool = False  # the allowance is sold as unlimited (``initial`` is a fair-use cap)

    @property
    def used_up(self) -> bool:
        return self.remaining <= 0

    @property
    def remaining_ratio(self) -> float | None:
        """Share of the allowance left, 0..1, or None when the allowance is unknown."""
        if not self.initial:
            return None
        return max(0.0, min(1.0, float(self.remaining / self.initial)))


@dataclass(frozen=True)
class SimSpend:
    """The part of the current spend charged to one SIM."""

    sim_product_id: str
    amount: Decimal


@dataclass(frozen=True)
class CurrentSpend:
    """What a billing account has spent since its last bill (TMF678 rates not yet billed), incl. VAT."""

    billing_account_id: str
    amount: Decimal
    since: date | None = None  # start of the earliest period the unbilled charges cover
    by_sim: tuple[SimSpend, ...] = ()

    def for_sim(self, sim_product_id: str) -> Decimal | None:
        """The SIM's share, or None when no charge names it."""
        return next((s.amount for s in self.by_sim if s.sim_product_id == sim_product_id), None)


@dataclass(frozen=True)
class SmsMessage:
    """A text message sent through the platform (TMF681)."""

    id: str
    to: str
    content: str
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Payment:
    """A payment the platform recorded against a bill (TMF676 Payment)."""

    id: str
    correlator_id: str  # the widget's idempotency key
    invoice_id: str
    amount: Decimal
    status: str
    created: bool = True  # False when the platform returned an existing payment for the key


@dataclass(frozen=True)
class TopUp:
    """A prepaid credit top-up (TMF654 TopupBalance)."""

    id: str
    sim_product_id: str
    amount: Decimal
    status: str  # TMF654 ActionStatusType: created | completed | failed | cancelled
    requested: datetime | None = None
    correlator_id: str = ""
    created: bool = True  # False when the platform returned an existing top-up for the key
