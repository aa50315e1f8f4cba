"""TMF body builders and the product catalogue, shared by the seed and the write routes.

Keeping the builders in one place means an add-on ordered through ``POST /productOrder``
looks exactly like one created by the seed.
"""

from __future__ import annotations

import calendar
import hashlib
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

PRAGUE = ZoneInfo("Europe/Prague")

#: Official base path of each API (the spec's ``basePath``), keyed by TMF number.
BASE = {
    "620": "/tmf-api/productCatalogManagement/v4",
    "622": "/tmf-api/productOrderingManagement/v4",
    "629": "/tmf-api/customerManagement/v4",
    "635": "/tmf-api/usageManagement/v4",
    "637": "/tmf-api/productInventory/v4",
    "638": "/tmf-api/serviceInventory/v4",
    "639": "/tmf-api/resourceInventoryManagement/v4",
    "654": "/tmf-api/prepayBalanceManagement/v4",
    "666": "/tmf-api/accountManagement/v4",
    "676": "/tmf-api/paymentManagement/v4",  # the spec says /payment/v4/ (DESIGN §4)
    "678": "/tmf-api/customerBillManagement/v4",
    "681": "/tmf-api/communicationManagement/v4",
    "selfcare": "/selfcare/v1",
}

VAT_RATE = Decimal("0.21")


def href(api: str, kind: str, id_: str) -> str:
    """Path of a resource, as stored: the database does not know where it is served.

    Responses carry it as an absolute URL of the sandbox answering (``tmf630.absolute_hrefs``).
    """
    return f"{BASE[api]}/{kind}/{id_}"


def money(hellers: int) -> dict:
    """TMF Money in CZK from an integer amount of hellers (0.01 CZK)."""
    return {"unit": "CZK", "value": float(Decimal(hellers) / 100)}


def vat_of(net_hellers: int) -> int:
    """21 % VAT of a net amount, rounded half-up to whole hellers (Czech invoicing rule)."""
    return int((Decimal(net_hellers) * VAT_RATE).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def net_for_gross(gross_hellers: int) -> int:
    """Net amount whose net + rounded VAT gives exactly ``gross_hellers`` (catalogue prices are gross)."""
    guess = int((Decimal(gross_hellers) / (1 + VAT_RATE)).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    for net in (guess, guess - 1, guess + 1, guess - 2, guess + 2):
        if net + vat_of(net) == gross_hellers:
            return net
    return guess  # unreachable for CZK amounts: some neighbour always fits


def local_iso(day: date, at: time = time(0)) -> str:
    """ISO 8601 date-time with the Europe/Prague offset valid on that day."""
    return datetime.combine(day, at, tzinfo=PRAGUE).isoformat()


def epoch_to_iso(ts: int) -> str:
    """Epoch seconds as ISO 8601 in Europe/Prague (what usageDate shows)."""
    return datetime.fromtimestamp(ts, tz=timezone.utc).astimezone(PRAGUE).isoformat()


def month_end(day: date) -> date:
    """Last day of the month of ``day``."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


@dataclass(frozen=True)
class Offering:
    """A catalogue entry: a tariff (recurring price) or an add-on package (one-time price)."""

    id: str
    name: str
    category: str  # tariff | addon
    price: int  # gross hellers
    description: str
    grants: tuple[tuple[str, int], ...] = ()  # (usageType, amount in min / SMS / MB)
    allowed_for: tuple[str, ...] = ()  # add-ons: tariff offering ids
    lifecycle: str = "Launched"
    updated: date = date(2024, 1, 1)  # TMF620 lastUpdate (midnight Europe/Prague); fixed, not seeded
    unlimited: tuple[str, ...] = ()  # usage types sold as unlimited (the grant is a fair-use cap)
    # tariffs: the tariffs a line may change from to this one (TMF620 ``changeFrom`` relationships)
    change_from: tuple[str, ...] = ()
    change_effective: str = "immediate"  # tariffs: when a change to it applies (TARIFF_CHANGE_EFFECTIVE)


#: ``prodSpecCharValueUse`` of a tariff offering saying when a change to it applies: ``immediate``
#: or ``nextBillingPeriod`` (the 1st of the next calendar month, 00:00 Europe/Prague).
TARIFF_CHANGE_EFFECTIVE = "tariffChangeEffective"
#: ``prodSpecCharValueUse`` of a tariff offering listing the usage types it sells as unlimited.
UNLIMITED_USAGE = "unlimitedUsage"

ALL_TARIFFS = ("tariff-pohoda", "tariff-start", "tariff-datovy", "tariff-neomezeny", "tariff-start-plus")

CATALOG: tuple[Offering, ...] = (
    Offering(
        "tariff-pohoda",
        "Pohoda",
        "tariff",
        34900,
        "100 minut, 100 SMS a 3 GB dat měsíčně.",
        (("voice", 100), ("sms", 100), ("data", 3072)),
        change_from=("tariff-datovy", "tariff-neomezeny"),
    ),
    Offering(
        "tariff-start",
        "Start",
        "tariff",
        0,
        "Předplacená karta: platíte jen z kreditu.",
        change_from=("tariff-start-plus",),
        change_effective="nextBillingPeriod",
    ),
    Offering(
        "tariff-datovy",
        "Datový",
        "tariff",
        49900,
        "Neomezené volání (5 000 minut) a 10 GB dat.",
        (("voice", 5000), ("sms", 500), ("data", 10240)),
        unlimited=("voice",),
        change_from=("tariff-pohoda", "tariff-neomezeny"),
    ),
    # added for tariff changes (issue 14): no seeded SIM uses them, so the generated data is unchanged
    Offering(
        "tariff-neomezeny",
        "Neomezený",
        "tariff",
        69900,
        "Neomezené volání a SMS, 30 GB dat.",
        (("voice", 5000), ("sms", 5000), ("data", 30720)),
        unlimited=("voice", "sms"),
        change_from=("tariff-pohoda", "tariff-datovy"),
        change_effective="nextBillingPeriod",
    ),
    Offering(
        "tariff-start-plus",
        "Start Plus",
        "tariff",
        0,
        "Předplacená karta s 500 MB dat každý měsíc, platíte jen z kreditu.",
        (("data", 500),),
        change_from=("tariff-start",),
    ),
    Offering(
        "addon-50sms",
        "50 SMS do všech sítí",
        "addon",
        7500,
        "50 SMS do všech sítí v ČR.",
        (("sms", 50),),
        ALL_TARIFFS,
    ),
    Offering(
        "addon-200min",
        "200 minut volání",
        "addon",
        34900,
        "200 minut volání do všech sítí v ČR.",
        (("voice", 200),),
        ("tariff-pohoda", "tariff-start"),
    ),
    Offering(
        "addon-200min-offpeak",
        "200 minut off-peak volání",
        "addon",
        29900,
        "200 minut volání ve všední dny 19–7 h a o víkendech.",
        (("voice", 200),),
        ("tariff-pohoda", "tariff-start"),
        updated=date(2025, 3, 1),
    ),
    Offering(
        "addon-vikend-onnet",
        "neomezené volání on-net na jeden víkend",
        "addon",
        9900,
        "Neomezené volání v síti od pátku 18 h do neděle 24 h.",
        (("voice", 3000),),
        ALL_TARIFFS,
        updated=date(2025, 6, 1),
        unlimited=("voice",),
    ),
    Offering(
        "addon-100min-100sms",
        "balíček 100 minut + 100 SMS do všech sítí",
        "addon",
        14900,
        "100 minut a 100 SMS do všech sítí v ČR.",
        (("voice", 100), ("sms", 100)),
        ("tariff-pohoda", "tariff-start"),
    ),
    # deliberately not orderable for Pohoda: the product sheet lists it as ordered but not available
    Offering(
        "addon-50min",
        "50 min do všech sítí",
        "addon",
        6500,
        "50 minut volání do všech sítí v ČR.",
        (("voice", 50),),
        ("tariff-start",),
    ),
    Offering(
        "addon-data-1gb",
        "Datový balíček 1 GB",
        "addon",
        19900,
        "1 GB dat navíc do konce měsíce.",
        (("data", 1024),),
        ALL_TARIFFS,
        updated=date(2025, 11, 1),
    ),
    Offering(
        "addon-100sms-retired",
        "100 SMS do všech sítí",
        "addon",
        12900,
        "Již se neprodává.",
        (("sms", 100),),
        ALL_TARIFFS,
        lifecycle="Retired",
        updated=date(2025, 6, 30),
    ),
)

OFFERINGS = {o.id: o for o in CATALOG}

UNITS = {"monetary": "CZK", "voice": "min", "sms": "SMS", "data": "MB"}
BUCKET_NAMES = {"monetary": "Kredit", "voice": "Volání", "sms": "SMS", "data": "Data"}
#: productCharacteristic of an add-on package naming each allowance it grants (in UNITS).
ALLOWANCE_NAMES = {"voice": "voiceMinutes", "sms": "smsCount", "data": "dataMegabytes"}


def offering_doc(o: Offering) -> dict:
    """TMF620 ProductOffering body."""
    if o.category == "tariff":
        price: dict[str, Any] = {
            "priceType": "recurring",
            "recurringChargePeriod": "month",
            "name": "Měsíční paušál",
        }
    else:
        price = {"priceType": "oneTime", "name": "Cena balíčku"}
    price["price"] = {"taxIncludedAmount": money(o.price)}
    doc = {
        "id": o.id,
        "href": href("620", "productOffering", o.id),
        "name": o.name,
        "description": o.description,
        "isBundle": False,
        "isSellable": o.lifecycle == "Launched",
        "lifecycleStatus": o.lifecycle,
        "lastUpdate": local_iso(o.updated),
        "category": [{"id": o.category, "name": "Tarify" if o.category == "tariff" else "Balíčky"}],
        "productSpecification": {"id": "spec-mobile-line" if o.category == "tariff" else "spec-addon"},
        "productOfferingPrice": [price],
        "@type": "ProductOffering",
    }
    if o.allowed_for:
        doc["productOfferingRelationship"] = [
            {"id": t, "name": OFFERINGS[t].name, "relationshipType": "addOnTo"} for t in o.allowed_for
        ]
    if o.category == "tariff":
        doc.update(tariff_offering_fields(o))
    return doc


def tariff_offering_fields(o: Offering) -> dict[str, Any]:
    """What a tariff offering says for a tariff change (docs/platform-contract.md, TMF620).

    ``productOfferingRelationship`` ``changeFrom``: the tariffs a line may change from to this
    one; ``prodSpecCharValueUse``: its monthly allowances (:data:`ALLOWANCE_NAMES`), the usage
    types sold as unlimited and when a change to it applies.
    """

    def use(name: str, value_type: str, values: list[Any], unit: str = "") -> dict[str, Any]:
        spec_values: list[dict[str, Any]] = []
        for value in values:
            entry: dict[str, Any] = {"isDefault": True, "valueType": value_type, "value": value}
            if unit:
                entry["unitOfMeasure"] = unit
            spec_values.append(entry)
        return {"name": name, "valueType": value_type, "productSpecCharacteristicValue": spec_values}

    uses = [use(ALLOWANCE_NAMES[kind], "integer", [amount], UNITS[kind]) for kind, amount in o.grants]
    if o.unlimited:
        uses.append(use(UNLIMITED_USAGE, "string", list(o.unlimited)))
    uses.append(use(TARIFF_CHANGE_EFFECTIVE, "string", [o.change_effective]))
    fields: dict[str, Any] = {"prodSpecCharValueUse": uses}
    if o.change_from:
        fields["productOfferingRelationship"] = [
            {"id": t, "name": OFFERINGS[t].name, "relationshipType": "changeFrom"} for t in o.change_from
        ]
    return fields


def sim_msisdn(sim_product: dict) -> str:
    """The ``msisdn`` productCharacteristic of a SIM product body."""
    return next(ch["value"] for ch in sim_product["productCharacteristic"] if ch["name"] == "msisdn")


def addon_product_doc(
    product_id: str, customer_id: str, sim_product: dict, offering: Offering, start: date
) -> dict:
    """TMF637 Product body of an ordered add-on package.

    Its productCharacteristic name the SIM's ``msisdn`` (the line the package belongs to) and
    each allowance it grants (:data:`ALLOWANCE_NAMES`, in the units of :data:`UNITS`).
    """
    characteristics: list[dict[str, Any]] = [
        {"name": "msisdn", "valueType": "string", "value": sim_msisdn(sim_product)}
    ]
    characteristics += [
        {"name": ALLOWANCE_NAMES[kind], "valueType": "integer", "value": amount}
        for kind, amount in offering.grants
    ]
    return {
        "id": product_id,
        "href": href("637", "product", product_id),
        "name": offering.name,
        "isBundle": False,
        "isCustomerVisible": True,
        "startDate": local_iso(start),
        "status": "active",
        "productSpecification": {"id": "spec-addon", "name": "Balíček"},
        "productOffering": {"id": offering.id, "name": offering.name},
        "productCharacteristic": characteristics,
        "productPrice": [
            {
                "priceType": "oneTime",
                "name": "Cena balíčku",
                "price": {"taxIncludedAmount": money(offering.price)},
            }
        ],
        "productRelationship": [
            {"relationshipType": "addOnTo", "product": {"id": sim_product["id"], "name": sim_product["name"]}}
        ],
        "billingAccount": sim_product["billingAccount"],
        "relatedParty": [{"id": customer_id, "role": "customer", "@referredType": "Customer"}],
        "@type": "Product",
    }


def bucket_doc(
    bucket_id: str,
    usage_type: str,
    product_ids: list[str],
    initial: int,
    remaining: int | float,
    start: date,
    end: date,
    name: str | None = None,
    unlimited: bool = False,
) -> dict:
    """TMF654 Bucket body; amounts are in the bucket's units (CZK for monetary).

    ``isUnlimited`` (our extension, like ``initialValue``) marks an allowance sold as unlimited.
    """
    units = UNITS[usage_type]
    doc: dict[str, Any] = {
        "id": bucket_id,
        "href": href("654", "bucket", bucket_id),
        "name": name or BUCKET_NAMES[usage_type],
        "usageType": usage_type,
        "remainingValue": {"amount": remaining, "units": units},
        "validFor": {"startDateTime": local_iso(start), "endDateTime": local_iso(end, time(23, 59, 59))},
        "product": [{"id": p} for p in product_ids],
        "status": "active",
        "@type": "Bucket",
    }
    if usage_type != "monetary":
        doc["initialValue"] = {"amount": initial, "units": units}
    if unlimited:
        doc["isUnlimited"] = True
    return doc


#: TMF638 serviceCharacteristic names of a SIM's mobile service (all boolean), in document order.
SIM_SETTINGS = (
    "dataEnabled",
    "roamingEnabled",
    "premiumSmsBarred",
    "internationalCallsBarred",
    "voicemailEnabled",
    "simBlocked",
    "roamingEuEnabled",  # roaming zones; ``roamingEnabled`` stays the master switch
    "roamingWorldEnabled",
)
#: TMF638 integer characteristic: CZK (incl. VAT) of data roaming outside the EU per billing
#: month, then data abroad stops; 0 = no data outside the EU. The allowed values; 1 500 Kč
#: stands for the EU regulation's default cut-off of 50 € excl. VAT.
ROAMING_DATA_LIMIT = "roamingDataLimit"
ROAMING_DATA_LIMITS = (0, 500, 1500, 5000)
ROAMING_DATA_LIMIT_DEFAULT = 1500


def customer_party(customer_id: str, name: str) -> dict:
    """RelatedParty entry naming the customer a resource belongs to."""
    return {"id": customer_id, "name": name, "role": "customer", "@referredType": "Customer"}


def _period(start: date, end: date) -> dict:
    """TMF TimePeriod from the start of ``start`` to the last second of ``end`` (Europe/Prague)."""
    return {"startDateTime": local_iso(start), "endDateTime": local_iso(end, time(23, 59, 59))}


def sim_product_doc(
    product_id: str,
    *,
    customer_id: str,
    customer_name: str,
    tariff: Offering,
    msisdn: str,
    iccid: str,
    start: date,
    blocked: bool,
    service_id: str,
    resource_id: str,
    billing_account_id: str,
) -> dict:
    """TMF637 Product body of a SIM subscription: the mobile line on its tariff.

    MSISDN and ICCID are productCharacteristic; the line is realised by its TMF638 service and
    TMF639 SIM card, and is ``suspended`` while the SIM is blocked.
    """
    national = msisdn[3:]
    return {
        "id": product_id,
        "href": href("637", "product", product_id),
        "name": f"Mobilní linka {national[:3]} {national[3:6]} {national[6:]}",
        "isBundle": False,
        "isCustomerVisible": True,
        "startDate": local_iso(start),
        "status": "suspended" if blocked else "active",
        "productSpecification": {"id": "spec-mobile-line", "name": "Mobilní linka"},
        "productOffering": {"id": tariff.id, "name": tariff.name},
        "productCharacteristic": [
            {"name": "msisdn", "valueType": "string", "value": msisdn},
            {"name": "iccid", "valueType": "string", "value": iccid},
        ],
        "productPrice": [
            {
                "priceType": "recurring",
                "recurringChargePeriod": "month",
                "name": "Měsíční paušál",
                "price": {"taxIncludedAmount": money(tariff.price)},
            }
        ],
        "realizingService": [{"id": service_id, "href": href("638", "service", service_id)}],
        "realizingResource": [{"id": resource_id, "href": href("639", "resource", resource_id)}],
        "billingAccount": {
            "id": billing_account_id,
            "href": href("666", "billingAccount", billing_account_id),
        },
        "relatedParty": [customer_party(customer_id, customer_name)],
        "@type": "Product",
    }


def sim_service_doc(
    service_id: str,
    *,
    customer_id: str,
    customer_name: str,
    msisdn: str,
    start: date,
    blocked: bool,
    settings: dict[str, bool],
    product_id: str,
    resource_id: str,
    roaming_data_limit: int = ROAMING_DATA_LIMIT_DEFAULT,
) -> dict:
    """TMF638 Service body of a SIM's mobile service.

    ``settings`` gives a value for each of :data:`SIM_SETTINGS` (the serviceCharacteristic, in
    that order, then :data:`ROAMING_DATA_LIMIT`); a blocked SIM's service is ``inactive`` and
    disabled.
    """
    return {
        "id": service_id,
        "href": href("638", "service", service_id),
        "name": f"Mobilní služba {msisdn}",
        "serviceType": "mobile",
        "state": "inactive" if blocked else "active",
        "isServiceEnabled": not blocked,
        "hasStarted": True,
        "startDate": local_iso(start),
        "serviceSpecification": {"id": "spec-mobile-service", "name": "Mobilní služba"},
        "supportingResource": [{"id": resource_id, "href": href("639", "resource", resource_id)}],
        "relatedEntity": [{"id": product_id, "role": "realizedProduct", "@referredType": "Product"}],
        "relatedParty": [customer_party(customer_id, customer_name)],
        "serviceCharacteristic": service_characteristics(settings, roaming_data_limit),
        "@type": "Service",
    }


def service_characteristics(settings: dict[str, bool], roaming_data_limit: int) -> list[dict]:
    """A SIM service's ``serviceCharacteristic`` array: the switches, then the roaming data limit."""
    return [{"name": k, "valueType": "boolean", "value": settings[k]} for k in SIM_SETTINGS] + [
        {"name": ROAMING_DATA_LIMIT, "valueType": "integer", "value": roaming_data_limit}
    ]


def sim_codes(iccid: str) -> tuple[str, str]:
    """PIN1 and PUK1 of a sandbox SIM card, derived from its ICCID (no draw from the seed's
    random sequence, so the rest of the demo data stays as it was). Sandbox data only."""
    digest = hashlib.sha256(f"sandbox-sim-codes:{iccid}".encode()).hexdigest()
    number = int(digest, 16)
    return f"{number % 10**4:04d}", f"{(number // 10**4) % 10**8:08d}"


def sim_card_doc(
    resource_id: str,
    *,
    customer_id: str,
    customer_name: str,
    msisdn: str,
    iccid: str,
    blocked: bool,
    esim: bool = False,
    activation_code: str = "",
) -> dict:
    """TMF639 SimCard body: ICCID, IMSI, MSISDN, kind, PIN1/PUK1 (and an eSIM's LPA activation
    code); locked and suspended while blocked."""
    pin, puk = sim_codes(iccid)
    extra = [{"name": "activationCode", "valueType": "string", "value": activation_code}] if esim else []
    return {
        "id": resource_id,
        "href": href("639", "resource", resource_id),
        "name": "SIM karta",
        "category": "SIM",
        "resourceStatus": "suspended" if blocked else "available",
        "administrativeState": "locked" if blocked else "unlocked",
        "operationalState": "disable" if blocked else "enable",
        "usageState": "active",
        "resourceSpecification": {"id": "spec-sim-card", "name": "SIM karta"},
        "resourceCharacteristic": [
            {"name": "iccid", "valueType": "string", "value": iccid},
            {"name": "imsi", "valueType": "string", "value": "23099" + msisdn[-10:]},
            {"name": "msisdn", "valueType": "string", "value": msisdn},
            {"name": "simType", "valueType": "string", "value": "esim" if esim else "physical"},
            {"name": "pin1", "valueType": "string", "value": pin},
            {"name": "puk1", "valueType": "string", "value": puk},
            *extra,
        ],
        "relatedParty": [customer_party(customer_id, customer_name)],
        "@type": "SimCard",
    }


def applied_rate_doc(
    rate_id: str,
    *,
    bill_id: str,
    billing_account_id: str,
    product_id: str,
    name: str,
    kind: str,
    net: int,
    bill_date: date,
    period_start: date,
    period_end: date,
    msisdn: str = "",
) -> dict:
    """TMF678 AppliedCustomerBillingRate body: one billed line of ``net`` hellers.

    VAT is 21 % of this line, rounded half-up to whole hellers (:func:`vat_of`), so a bill's
    totals are exactly the sums of its lines. ``product`` names the SIM product the line was
    charged on and the ``msisdn`` characteristic its number (a tax document lists lines per
    number, and a terminated SIM may no longer be in the inventory to look it up).
    """
    vat = vat_of(net)
    doc: dict[str, Any] = {
        "id": rate_id,
        "href": href("678", "appliedCustomerBillingRate", rate_id),
        "name": name,
        "type": kind,
        "date": local_iso(bill_date),
        "isBilled": True,
        "taxExcludedAmount": money(net),
        "taxIncludedAmount": money(net + vat),
        "appliedTax": [{"taxCategory": "VAT", "taxRate": 0.21, "taxAmount": money(vat)}],
        "bill": {"id": bill_id, "href": href("678", "customerBill", bill_id)},
        "billingAccount": {"id": billing_account_id},
        "product": {"id": product_id},
        "periodCoverage": _period(period_start, period_end),
        "@type": "AppliedCustomerBillingRate",
    }
    if msisdn:
        doc["characteristic"] = [{"name": "msisdn", "valueType": "string", "value": msisdn}]
    return doc


def unbilled_rate_doc(
    rate_id: str,
    *,
    billing_account_id: str,
    product_id: str,
    name: str,
    kind: str,
    net: int,
    day: date,
    period_start: date,
    period_end: date,
) -> dict:
    """TMF678 AppliedCustomerBillingRate not yet on a bill (``isBilled: false``, no ``bill``):
    a charge of the running period, part of the customer's current spend."""
    vat = vat_of(net)
    return {
        "id": rate_id,
        "href": href("678", "appliedCustomerBillingRate", rate_id),
        "name": name,
        "type": kind,
        "date": local_iso(day),
        "isBilled": False,
        "taxExcludedAmount": money(net),
        "taxIncludedAmount": money(net + vat),
        "appliedTax": [{"taxCategory": "VAT", "taxRate": 0.21, "taxAmount": money(vat)}],
        "billingAccount": {"id": billing_account_id},
        "product": {"id": product_id},
        "periodCoverage": _period(period_start, period_end),
        "@type": "AppliedCustomerBillingRate",
    }


def customer_bill_doc(
    bill_id: str,
    *,
    bill_no: str,
    billing_account_id: str,
    customer_id: str,
    customer_name: str,
    period_start: date,
    period_end: date,
    bill_date: date,
    due_date: date,
    net: int,
    vat: int,
    unpaid: bool,
) -> dict:
    """TMF678 CustomerBill body from its totals (net and VAT hellers, the sums of its lines).

    An unpaid bill is ``sent`` with the whole amount remaining; a paid one is ``settled``.
    """
    gross = net + vat
    return {
        "id": bill_id,
        "href": href("678", "customerBill", bill_id),
        "billNo": bill_no,
        "billDate": local_iso(bill_date),
        "lastUpdate": local_iso(bill_date),
        "category": "normal",
        "runType": "onCycle",
        "billingPeriod": _period(period_start, period_end),
        "paymentDueDate": local_iso(due_date),
        "taxExcludedAmount": money(net),
        "taxIncludedAmount": money(gross),
        "amountDue": money(gross),
        "remainingAmount": money(gross if unpaid else 0),
        "taxItem": [{"taxCategory": "VAT", "taxRate": 0.21, "taxAmount": money(vat)}],
        "state": "sent" if unpaid else "settled",
        "billingAccount": {
            "id": billing_account_id,
            "href": href("666", "billingAccount", billing_account_id),
        },
        "relatedParty": [{"id": customer_id, "name": customer_name, "role": "customer"}],
        "@type": "CustomerBill",
    }
