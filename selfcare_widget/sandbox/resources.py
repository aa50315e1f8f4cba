"""TMF body builders and the product catalogue, shared by the seed and the write routes.

Keeping the builders in one place means an add-on ordered through ``POST /productOrder``
looks exactly like one created by the seed.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timezone
from decimal import ROUND_HALF_UP, Decimal
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
    "678": "/tmf-api/customerBillManagement/v4",
    "681": "/tmf-api/communicationManagement/v4",
    "selfcare": "/selfcare/v1",
}

VAT_RATE = Decimal("0.21")


def href(api: str, kind: str, id_: str) -> str:
    """Relative href of a resource (the sandbox does not know its public host)."""
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


ALL_TARIFFS = ("tariff-pohoda", "tariff-start", "tariff-datovy")

CATALOG: tuple[Offering, ...] = (
    Offering(
        "tariff-pohoda",
        "Pohoda",
        "tariff",
        34900,
        "100 minut, 100 SMS a 3 GB dat měsíčně.",
        (("voice", 100), ("sms", 100), ("data", 3072)),
    ),
    Offering("tariff-start", "Start", "tariff", 0, "Předplacená karta: platíte jen z kreditu."),
    Offering(
        "tariff-datovy",
        "Datový",
        "tariff",
        49900,
        "Neomezené volání (5 000 minut) a 10 GB dat.",
        (("voice", 5000), ("sms", 500), ("data", 10240)),
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
    ),
    Offering(
        "addon-vikend-onnet",
        "neomezené volání on-net na jeden víkend",
        "addon",
        9900,
        "Neomezené volání v síti od pátku 18 h do neděle 24 h.",
        (("voice", 3000),),
        ALL_TARIFFS,
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
    ),
)

OFFERINGS = {o.id: o for o in CATALOG}

UNITS = {"monetary": "CZK", "voice": "min", "sms": "SMS", "data": "MB"}
BUCKET_NAMES = {"monetary": "Kredit", "voice": "Volání", "sms": "SMS", "data": "Data"}


def offering_doc(o: Offering) -> dict:
    """TMF620 ProductOffering body."""
    if o.category == "tariff":
        price = {"priceType": "recurring", "recurringChargePeriod": "month", "name": "Měsíční paušál"}
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
        "category": [{"id": o.category, "name": "Tarify" if o.category == "tariff" else "Balíčky"}],
        "productSpecification": {"id": "spec-mobile-line" if o.category == "tariff" else "spec-addon"},
        "productOfferingPrice": [price],
        "@type": "ProductOffering",
    }
    if o.allowed_for:
        doc["productOfferingRelationship"] = [
            {"id": t, "name": OFFERINGS[t].name, "relationshipType": "addOnTo"} for t in o.allowed_for
        ]
    return doc


def addon_product_doc(
    product_id: str, customer_id: str, sim_product: dict, offering: Offering, start: date
) -> dict:
    """TMF637 Product body of an ordered add-on package."""
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
) -> dict:
    """TMF654 Bucket body; amounts are in the bucket's units (CZK for monetary)."""
    units = UNITS[usage_type]
    doc = {
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
    return doc
