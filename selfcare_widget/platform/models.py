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


class AlertChannel(str, Enum):
    """How a usage alert reaches the customer (sent through TMF681)."""

    SMS = "sms"
    EMAIL = "email"


@dataclass(frozen=True)
class UsageAlert:
    """A customer's opt-in usage alerts of one SIM (TMF629 characteristic ``usageAlerts``).

    ``data``: a notice at 80 % and at 100 % of the SIM's data allowance; ``credit_below`` (CZK,
    prepaid lines): a notice when the credit falls below it. ``language``: of the notices (the
    language the customer used when turning the alerts on).
    """

    sim_product_id: str
    channel: AlertChannel = AlertChannel.SMS
    data: bool = True
    credit_below: Decimal | None = None
    language: str = "cs"


@dataclass(frozen=True)
class Customer:
    """A platform customer as the widget sees it."""

    id: str
    partner_id: str
    name: str
    status: str
    contact: ContactDetails
    billing_account_ids: tuple[str, ...] = ()
    usage_alerts: tuple[UsageAlert, ...] = ()

    def alert_for(self, sim_product_id: str) -> UsageAlert | None:
        """The customer's usage alerts of that SIM, or None when they are off."""
        return next((a for a in self.usage_alerts if a.sim_product_id == sim_product_id), None)


@dataclass(frozen=True)
class Tariff:
    """The tariff (a TMF620 offering of category ``tariff``) a SIM subscription uses."""

    offering_id: str
    name: str
    prepaid: bool = False  # paid from credit (no monthly fee): top-ups, no spend since the last bill


@dataclass(frozen=True)
class PendingTariff:
    """A tariff change ordered to apply later (from the next billing period)."""

    offering_id: str
    name: str
    effective: date


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
    pending_tariff: PendingTariff | None = None  # a tariff change waiting for its date


@dataclass(frozen=True)
class SimCard:
    """The physical SIM card (TMF639 resource)."""

    resource_id: str
    iccid: str
    state: str
    esim: bool = False  # an eSIM profile rather than a plastic card


@dataclass(frozen=True, repr=False)
class SimSecrets:
    """What unlocks a SIM card (TMF639 resourceCharacteristic): never cached, logged or recorded.

    ``activation_code``: an eSIM's LPA string (``LPA:1$smdp…$matching-id``), "" for a plastic card.
    """

    resource_id: str
    pin: str
    puk: str
    activation_code: str = ""

    def __repr__(self) -> str:  # a stray log line or traceback must never carry the codes
        return f"SimSecrets(resource_id={self.resource_id!r}, …)"


class SimKind(str, Enum):
    """A replacement SIM: a plastic card sent by post, or an eSIM profile activated by a QR code."""

    PHYSICAL = "physical"
    ESIM = "esim"


#: Roaming data limits a platform may offer (``roamingDataLimit``): CZK incl. VAT per billing
#: month for data outside the EU; 0 = no data outside the EU.
ROAMING_DATA_LIMITS: tuple[int, ...] = (0, 500, 1500, 5000)


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
    # Roaming by zone (docs/platform-contract.md): ``roaming_enabled`` is the master switch,
    # these say where; a platform without zones gives both as ``roaming_enabled``.
    roaming_eu_enabled: bool = False
    roaming_world_enabled: bool = False
    #: CZK limit of data roaming outside the EU (one of ROAMING_DATA_LIMITS); None: not offered.
    roaming_data_limit: int | None = None

    #: Setting names as used in the domain, in display order.
    NAMES = (
        "data_enabled",
        "roaming_enabled",
        "premium_sms_barred",
        "international_calls_barred",
        "voicemail_enabled",
        "sim_blocked",
        "roaming_eu_enabled",
        "roaming_world_enabled",
    )

    @property
    def roams_in_eu(self) -> bool:
        """Roaming works in the EU (master switch and the EU zone on)."""
        return self.roaming_enabled and self.roaming_eu_enabled

    @property
    def roams_in_world(self) -> bool:
        """Roaming works outside the EU (master switch and the world zone on)."""
        return self.roaming_enabled and self.roaming_world_enabled


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
class Allowance:
    """What a tariff gives each month of one kind of usage (TMF620 ``prodSpecCharValueUse``)."""

    kind: BucketKind  # voice (min) | sms | data (MB)
    amount: int
    unlimited: bool = False  # sold as unlimited (``amount`` is a fair-use cap)


class ChangeTiming(str, Enum):
    """When a change to a tariff applies (offering characteristic ``tariffChangeEffective``)."""

    IMMEDIATE = "immediate"
    NEXT_PERIOD = "nextBillingPeriod"


@dataclass(frozen=True)
class TariffOffer:
    """A tariff (TMF620 offering of category ``tariff``): its price, allowances and change rules."""

    offering_id: str
    name: str
    description: str
    monthly_price: Decimal
    allowances: tuple[Allowance, ...] = ()
    timing: ChangeTiming = ChangeTiming.IMMEDIATE
    change_from: tuple[str, ...] = ()  # tariffs a line may change from to this one

    def allowance(self, kind: BucketKind) -> Allowance | None:
        """The allowance of ``kind``, or None when the tariff includes none."""
        return next((a for a in self.allowances if a.kind is kind), None)


@dataclass(frozen=True)
class TariffChange:
    """A tariff change order (TMF622 ``modify``)."""

    id: str
    external_id: str
    state: str  # completed (applied) | inProgress (waiting for ``effective``) | ...
    offering_id: str
    sim_product_id: str
    effective: date | None = None  # when it applies (None: at once)
    created: bool = True  # False when the platform returned an existing order for the key

    @property
    def pending(self) -> bool:
        return self.state not in ("completed", "failed", "cancelled", "rejected")


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
