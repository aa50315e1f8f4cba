"""Translation between TM Forum v4 JSON and the widget's domain types.

Pure functions, no I/O: :mod:`selfcare_widget.platform.tmf` fetches the JSON and calls these.
Every parser raises ``KeyError``/``TypeError``/``ValueError`` on a wrong-shaped body; the client
turns those into :class:`~selfcare_widget.platform.errors.Unavailable`, so a platform answering
nonsense can never produce a half-filled domain object.

Field names follow ``docs/platform-contract.md``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from .models import (
    ROAMING_DATA_LIMITS,
    AlertChannel,
    Allowance,
    BillingAccount,
    BucketKind,
    ChangeTiming,
    ContactDetails,
    CurrentSpend,
    Customer,
    Invoice,
    InvoiceLine,
    Order,
    Package,
    PackageOffer,
    Payment,
    PendingTariff,
    Sim,
    SimCard,
    SimKind,
    SimSecrets,
    SimSettings,
    SimSpend,
    Tariff,
    TariffChange,
    TariffOffer,
    TopUp,
    UnitBucket,
    UsageAlert,
    UsageFilter,
    UsageKind,
    UsageRecord,
    UsageSummary,
)

#: The platform's (and the customers') time zone: day boundaries of filters and displayed times.
PLATFORM_TZ = ZoneInfo("Europe/Prague")

SPEC_MOBILE_LINE = "spec-mobile-line"
SPEC_ADDON = "spec-addon"

Json = Mapping[str, Any]

#: Domain setting name -> TMF638 serviceCharacteristic name.
SETTING_TO_TMF: dict[str, str] = {
    "data_enabled": "dataEnabled",
    "roaming_enabled": "roamingEnabled",
    "premium_sms_barred": "premiumSmsBarred",
    "international_calls_barred": "internationalCallsBarred",
    "voicemail_enabled": "voicemailEnabled",
    "sim_blocked": "simBlocked",
    "roaming_eu_enabled": "roamingEuEnabled",
    "roaming_world_enabled": "roamingWorldEnabled",
}
#: Settings a platform may lack: one without roaming zones gives both as ``roamingEnabled``.
ZONE_SETTINGS = ("roaming_eu_enabled", "roaming_world_enabled")
#: The roaming data limit (TMF638 integer characteristic, CZK; docs/platform-contract.md).
ROAMING_DATA_LIMIT = "roamingDataLimit"
#: TMF639 resourceCharacteristic names of a SIM card's secrets and kind.
SIM_PIN, SIM_PUK, SIM_ACTIVATION_CODE, SIM_TYPE = "pin1", "puk1", "activationCode", "simType"
#: TMF622: the product specification of a replacement SIM card and its relation to the line.
SPEC_SIM_REPLACEMENT = "spec-sim-replacement"
REPLACES = "replacementFor"

#: ContactDetails field -> the TMF629 mediumType that carries it.
CONTACT_FIELD_MEDIUM: dict[str, str] = {
    "email": "email",
    "phone": "mobile",
    "street": "postalAddress",
    "city": "postalAddress",
    "postal_code": "postalAddress",
    "country": "postalAddress",
}


# --------------------------------------------------------------------------- scalar helpers


def obj(value: Any) -> Json:
    """``value`` as a JSON object; ``TypeError`` when the platform sent something else."""
    if not isinstance(value, Mapping):
        raise TypeError(f"expected a JSON object, got {type(value).__name__}")
    return value


def objects(value: Any) -> list[Json]:
    """``value`` as a list of JSON objects (a missing list is empty)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise TypeError(f"expected a JSON array, got {type(value).__name__}")
    return [obj(item) for item in value]


def text(value: Any) -> str:
    """A string field; ``None`` (absent) becomes ``""``, other types are a shape error."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    return value


def identifier_text(value: Any) -> str:
    """A number-like identifier (MSISDN, ICCID) that some platforms send as a JSON number."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return str(int(value))
    return text(value)


def same(value: Any, expected: str) -> bool:
    """A code compared as TMF servers differ in writing it (``customer``, ``Customer``)."""
    return isinstance(value, str) and value.casefold() == expected.casefold()


def decimal(value: Any) -> Decimal:
    """A number as :class:`Decimal`, parsed from its text so 0.1 stays exactly 0.1."""
    if isinstance(value, bool) or value is None:
        raise TypeError("expected a number")
    try:
        result = Decimal(str(value))
    except InvalidOperation as exc:
        raise ValueError(f"not a number: {value!r}") from exc
    if not result.is_finite():
        raise ValueError("not a finite number")
    return result


def money(value: Any) -> Decimal:
    """The amount of a TMF ``Money`` object ``{unit, value}``."""
    return decimal(obj(value)["value"])


def integer(value: Any) -> int:
    """A whole number that may arrive as a JSON number or a numeric string (characteristics)."""
    if isinstance(value, bool):
        raise TypeError("expected an integer, got a boolean")
    if isinstance(value, int):
        return value
    return int(decimal(value))


def boolean(value: Any) -> bool:
    """A boolean characteristic; accepts the strings ``true``/``false`` some servers send."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise TypeError(f"expected a boolean, got {value!r}")


_DATE_TIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}(?::\d{2})?)(?:[.,](\d+))?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))?$"
)


def aware_datetime(value: Any) -> datetime:
    """An ISO 8601 / RFC 3339 date-time as an aware datetime.

    Accepts what servers send beyond Python 3.10's ``fromisoformat``: ``z`` as well as ``Z``,
    ``+0100`` as well as ``+01:00``, any number of fraction digits. A missing offset means the
    platform's local time.
    """
    raw = text(value).strip()
    match = _DATE_TIME.match(raw)
    if not match:
        raise ValueError("not an ISO 8601 date-time")
    day, clock, fraction, zulu, sign, hours, minutes = match.groups()
    normalised = f"{day}T{clock}" + (f".{(fraction + '000000')[:6]}" if fraction else "")
    if zulu:
        normalised += "+00:00"
    elif sign:
        normalised += f"{sign}{hours}:{minutes}"
    parsed = datetime.fromisoformat(normalised)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=PLATFORM_TZ)
    return parsed


def local_datetime(value: Any) -> datetime:
    """An ISO 8601 date-time converted to the platform's time zone."""
    return aware_datetime(value).astimezone(PLATFORM_TZ)


def local_date(value: Any) -> date:
    """A TMF date or date-time as the calendar day in the platform's time zone."""
    raw = text(value)
    if len(raw) == 10:  # plain YYYY-MM-DD
        return date.fromisoformat(raw)
    return local_datetime(raw).date()


def optional_date(value: Any) -> date | None:
    """Like :func:`local_date`, but an absent value is ``None``."""
    return None if value in (None, "") else local_date(value)


def period_end_date(value: Any) -> date:
    """Last day of a billing period whose end may be given exclusively (next day 00:00)."""
    raw = text(value)
    if len(raw) == 10:
        return date.fromisoformat(raw)
    given = aware_datetime(raw)
    # An end at midnight is the exclusive bound of the period: the last day is the one before.
    # Midnight in the offset the server wrote (``2026-04-01T00:00:00Z``) counts as well as
    # midnight in Prague, so a period ending at UTC midnight is not shown ending on the 1st.
    if given.time() == time(0, 0):
        return given.date() - timedelta(days=1)
    end = given.astimezone(PLATFORM_TZ)
    if end.time() == time(0, 0):
        return end.date() - timedelta(days=1)
    return end.date()


def characteristics(items: Any) -> dict[str, Any]:
    """A TMF ``[{name, value}]`` characteristic list as a dict."""
    return {text(item["name"]): item.get("value") for item in objects(items)}


def first_id(items: Any) -> str:
    """``id`` of the first element of a reference list, ``""`` when the list is empty."""
    refs = objects(items)
    return text(refs[0]["id"]) if refs else ""


def ref_id(value: Any) -> str:
    """``id`` of an optional single reference object."""
    return "" if value is None else text(obj(value)["id"])


# --------------------------------------------------------------------------- TMF629 customer


def customer(data: Json) -> Customer:
    """TMF629 Customer -> :class:`Customer`."""
    data = obj(data)
    partner_id = next(
        (text(p["id"]) for p in objects(data.get("relatedParty")) if same(p.get("role"), "mvno")), ""
    )
    name = text(data.get("name")) or text(obj(data.get("engagedParty") or {}).get("name"))
    return Customer(
        id=text(data["id"]),
        partner_id=partner_id,
        name=name,
        status=text(data.get("status")),
        contact=contact_details(data.get("contactMedium")),
        billing_account_ids=tuple(text(a["id"]) for a in objects(data.get("account"))),
        usage_alerts=usage_alerts(data.get("characteristic")),
    )


#: TMF629 Customer ``characteristic`` holding the usage-alert preferences (docs/platform-contract.md).
USAGE_ALERTS = "usageAlerts"


def usage_alerts(characteristics: Any) -> tuple[UsageAlert, ...]:
    """The ``usageAlerts`` characteristic -> one :class:`UsageAlert` per SIM.

    Lenient on purpose: a preference another system wrote wrongly is skipped, never a reason to
    fail reading the customer (the contact details and sign-in depend on that read).
    """
    found: list[UsageAlert] = []
    for ch in objects(characteristics) if isinstance(characteristics, list) else []:
        if not same(ch.get("name"), USAGE_ALERTS) or not isinstance(ch.get("value"), list):
            continue
        for entry in ch["value"]:
            try:
                entry = obj(entry)
                limit = entry.get("creditBelow")
                found.append(
                    UsageAlert(
                        sim_product_id=text(entry["productId"]),
                        channel=AlertChannel(text(entry.get("channel") or "sms").lower()),
                        data=boolean(entry.get("data", True)),
                        credit_below=decimal(limit) if limit is not None else None,
                        language=text(entry.get("language")) or "cs",
                    )
                )
            except (KeyError, TypeError, ValueError):
                continue
    return tuple(a for a in found if a.sim_product_id)


def usage_alerts_patch(stored: Any, alerts: Iterable[UsageAlert]) -> dict[str, Any]:
    """Merge-patch body: the stored ``characteristic`` array with ``usageAlerts`` replaced.

    Characteristics of other names go back as they were read (the array replaces the stored one);
    with no alerts left the characteristic is removed, so the customer is no longer listed by
    ``characteristic.name=usageAlerts``.
    """
    kept: list[dict[str, Any]] = [
        dict(c) for c in objects(stored or []) if not same(c.get("name"), USAGE_ALERTS)
    ]
    value = []
    for alert in alerts:
        entry: dict[str, Any] = {
            "productId": alert.sim_product_id,
            "channel": alert.channel.value,
            "data": alert.data,
            "language": alert.language,
        }
        if alert.credit_below is not None:
            entry["creditBelow"] = alert.credit_below
        value.append(entry)
    if value:
        kept.append({"name": USAGE_ALERTS, "valueType": "array", "value": value})
    return {"characteristic": kept}


def _media_by_type(media: Any) -> dict[str, Json]:
    """The preferred (else first) contact medium of each type."""
    chosen: dict[str, Json] = {}
    for medium in objects(media):
        kind = text(medium.get("mediumType"))
        if kind not in chosen or medium.get("preferred") is True:
            chosen[kind] = medium
    return chosen


def contact_details(media: Any) -> ContactDetails:
    """TMF629 ``contactMedium[]`` -> :class:`ContactDetails`."""
    by_type = _media_by_type(media)

    def char(kind: str, name: str) -> str:
        medium = by_type.get(kind)
        return text(obj(medium.get("characteristic") or {}).get(name)) if medium else ""

    return ContactDetails(
        email=char("email", "emailAddress"),
        phone=char("mobile", "phoneNumber"),
        street=char("postalAddress", "street1"),
        city=char("postalAddress", "city"),
        postal_code=char("postalAddress", "postCode"),
        country=char("postalAddress", "country") or "CZ",
    )


def check_contact_fields(fields: Iterable[str]) -> None:
    """``ValueError`` for a field name :class:`ContactDetails` does not have."""
    unknown = set(fields) - CONTACT_FIELD_MEDIUM.keys()
    if unknown:
        raise ValueError(f"unknown contact fields: {sorted(unknown)}")


def contact_patch(stored: Any, contact: ContactDetails, fields: Iterable[str]) -> dict[str, Any]:
    """Merge-patch body: the stored ``contactMedium`` array, the media touched by ``fields`` replaced.

    Media of other types (and whatever else the platform keeps on them) go back as they were
    read, so replacing the array loses nothing. ``ValueError`` for an unknown field name.
    """
    check_contact_fields(fields)
    kinds = {CONTACT_FIELD_MEDIUM[f] for f in fields}
    media: list[dict[str, Any]] = [dict(m) for m in objects(stored or []) if m.get("mediumType") not in kinds]
    # Fixed order keeps the request deterministic (handy in logs and tests).
    if "email" in kinds:
        media.append({"mediumType": "email", "characteristic": {"emailAddress": contact.email}})
    if "mobile" in kinds:
        media.append({"mediumType": "mobile", "characteristic": {"phoneNumber": contact.phone}})
    if "postalAddress" in kinds:
        # The platform replaces a medium as a whole, so the full address goes even if one part changed.
        address = {
            "street1": contact.street,
            "city": contact.city,
            "postCode": contact.postal_code,
            "country": contact.country,
        }
        media.append({"mediumType": "postalAddress", "characteristic": address})
    return {"contactMedium": media}


# --------------------------------------------------------------------------- TMF637/638/639


def spec_id(product: Json) -> str:
    """``productSpecification.id`` of a TMF637 product."""
    return ref_id(obj(product).get("productSpecification"))


def sim(data: Json) -> Sim:
    """TMF637 product of spec ``spec-mobile-line`` -> :class:`Sim`."""
    data = obj(data)
    chars = characteristics(data.get("productCharacteristic"))
    offering = obj(data["productOffering"])
    return Sim(
        product_id=text(data["id"]),
        msisdn=identifier_text(chars["msisdn"]),
        iccid=identifier_text(chars.get("iccid")),
        state=text(data.get("status")),
        tariff=Tariff(
            offering_id=text(offering["id"]), name=text(offering.get("name")), prepaid=is_prepaid_line(data)
        ),
        service_id=first_id(data.get("realizingService")),
        resource_id=first_id(data.get("realizingResource")),
        billing_account_id=ref_id(data.get("billingAccount")),
        start_date=optional_date(data.get("startDate")),
        pending_tariff=pending_tariff(chars),
    )


def pending_tariff(chars: Mapping[str, Any]) -> PendingTariff | None:
    """A tariff change waiting for its date: SIM productCharacteristic ``pendingTariffId``,
    ``pendingTariffName``, ``pendingTariffDate`` (docs/platform-contract.md); None when absent."""
    offering_id = text(chars.get("pendingTariffId"))
    if not offering_id:
        return None
    return PendingTariff(
        offering_id=offering_id,
        name=text(chars.get("pendingTariffName")) or offering_id,
        effective=local_date(chars["pendingTariffDate"]),
    )


def is_prepaid_line(data: Json) -> bool:
    """A SIM line paid from credit: its ``productPrice`` names a recurring price, and it is 0.

    A line without prices is taken as postpaid (no top-up offered for it).
    """
    amounts = []
    for price in objects(obj(data).get("productPrice")):
        if not same(obj(price).get("priceType"), "recurring"):
            continue
        amount = obj(obj(price).get("price") or {}).get("taxIncludedAmount")
        if amount is None:  # a recurring price of unknown amount: not known to be free
            return False
        amounts.append(money(amount))
    return bool(amounts) and all(a == 0 for a in amounts)


def package(data: Json) -> Package:
    """TMF637 product of spec ``spec-addon`` -> :class:`Package`."""
    data = obj(data)
    offering = obj(data["productOffering"])
    sim_product_id = next(
        (
            ref_id(rel.get("product"))
            for rel in objects(data.get("productRelationship"))
            if same(rel.get("relationshipType"), "addOnTo")
        ),
        "",
    )
    prices = objects(data.get("productPrice"))
    price = money(obj(prices[0]["price"])["taxIncludedAmount"]) if prices else Decimal("0")
    return Package(
        product_id=text(data["id"]),
        sim_product_id=sim_product_id,
        offering_id=text(offering["id"]),
        name=text(offering.get("name")) or text(data.get("name")),
        price=price,
        active_from=optional_date(data.get("startDate")),
        state=text(data.get("status")),
    )


def sim_settings(data: Json) -> SimSettings:
    """TMF638 service -> :class:`SimSettings` (a missing characteristic is a shape error)."""
    data = obj(data)
    chars = characteristics(data.get("serviceCharacteristic"))
    values: dict[str, Any] = {
        name: boolean(chars[tmf])
        for name, tmf in SETTING_TO_TMF.items()
        if name not in ZONE_SETTINGS or tmf in chars
    }
    for zone in ZONE_SETTINGS:  # a platform without zones: roaming is one switch for everywhere
        values.setdefault(zone, values["roaming_enabled"])
    limit = chars.get(ROAMING_DATA_LIMIT)
    values["roaming_data_limit"] = integer(limit) if limit is not None else None
    return SimSettings(service_id=text(data["id"]), state=text(data.get("state")), **values)


def check_settings(changes: Mapping[str, bool | int]) -> None:
    """``ValueError`` for a domain setting name that has no TMF638 characteristic, or a bad value."""
    unknown = set(changes) - SETTING_TO_TMF.keys() - {"roaming_data_limit"}
    if unknown:
        raise ValueError(f"unknown settings: {sorted(unknown)}")
    limit = changes.get("roaming_data_limit")
    if "roaming_data_limit" in changes and (isinstance(limit, bool) or limit not in ROAMING_DATA_LIMITS):
        raise ValueError(f"roaming data limit must be one of {ROAMING_DATA_LIMITS}")


def settings_patch(stored: Any, changes: Mapping[str, bool | int]) -> dict[str, Any]:
    """Merge-patch body: the stored ``serviceCharacteristic`` array with ``changes`` applied.

    Every characteristic read goes back (those we do not know too, unchanged); a changed one
    keeps its other attributes and gets the new value; one the service lacked is appended.
    """
    check_settings(changes)
    wanted: dict[str, bool | int] = {
        SETTING_TO_TMF[name]: bool(value) for name, value in changes.items() if name in SETTING_TO_TMF
    }
    if "roaming_data_limit" in changes:
        wanted[ROAMING_DATA_LIMIT] = int(changes["roaming_data_limit"])
    result: list[dict[str, Any]] = []
    for item in objects(stored or []):
        name = item.get("name")
        result.append({**item, "value": wanted.pop(name)} if name in wanted else dict(item))
    result += [
        {"name": name, "valueType": "boolean" if isinstance(value, bool) else "integer", "value": value}
        for name, value in wanted.items()
    ]
    return {"serviceCharacteristic": result}


def sim_card(data: Json) -> SimCard:
    """TMF639 resource -> :class:`SimCard`."""
    data = obj(data)
    chars = characteristics(data.get("resourceCharacteristic"))
    return SimCard(
        resource_id=text(data["id"]),
        iccid=identifier_text(chars.get("iccid")),
        state=text(data.get("resourceStatus")),
        esim=same(chars.get(SIM_TYPE), "esim"),
    )


def sim_secrets(data: Json) -> SimSecrets:
    """TMF639 resource -> :class:`SimSecrets` (PIN and PUK must be there: a shape error else)."""
    data = obj(data)
    chars = characteristics(data.get("resourceCharacteristic"))
    code = chars.get(SIM_ACTIVATION_CODE)
    return SimSecrets(
        resource_id=text(data["id"]),
        pin=identifier_text(chars[SIM_PIN]),
        puk=identifier_text(chars[SIM_PUK]),
        activation_code=text(code) if code is not None else "",
    )


def replacement_order_body(
    customer_id: str, sim_product_id: str, kind: SimKind, delivery: ContactDetails | None, key: str
) -> dict[str, Any]:
    """TMF622 create body of a replacement SIM card for a line (docs/platform-contract.md).

    One ``add`` item of the product spec ``spec-sim-replacement`` related to the line by
    ``replacementFor``; ``simType`` says plastic or eSIM; a plastic card's delivery address is
    the item's ``place`` with role ``deliveryAddress``.
    """
    product: dict[str, Any] = {
        "productSpecification": {"id": SPEC_SIM_REPLACEMENT},
        "productCharacteristic": [{"name": SIM_TYPE, "valueType": "string", "value": kind.value}],
        "productRelationship": [{"relationshipType": REPLACES, "product": {"id": sim_product_id}}],
    }
    if delivery is not None:
        product["place"] = [
            {
                "role": "deliveryAddress",
                "@type": "GeographicAddress",
                "street": delivery.street,
                "city": delivery.city,
                "postcode": delivery.postal_code,
                "country": delivery.country,
            }
        ]
    return {
        "externalId": key,
        "relatedParty": [{"id": customer_id, "role": "customer"}],
        "productOrderItem": [{"id": "1", "action": "add", "product": product}],
    }


def related_party_ids(data: Json) -> set[str]:
    """Ids of every ``relatedParty`` of a resource, whatever their role."""
    return {text(party.get("id")) for party in objects(obj(data).get("relatedParty"))}


def bill_account_id(bill: Json) -> str:
    """The billing account a TMF678 bill is for."""
    return ref_id(obj(bill).get("billingAccount"))


def rate_bill_id(rate: Json) -> str:
    """The bill a TMF678 applied billing rate belongs to."""
    return ref_id(obj(rate).get("bill"))


def rate_account_id(rate: Json) -> str:
    """The billing account a TMF678 applied billing rate is charged to."""
    return ref_id(obj(rate).get("billingAccount"))


def rate_is_billed(rate: Json) -> bool:
    """Whether a TMF678 applied billing rate is already on a bill (``isBilled``, else a ``bill``)."""
    rate = obj(rate)
    if rate.get("isBilled") is not None:
        return boolean(rate["isBilled"])
    return bool(rate_bill_id(rate))


def bucket_product_id(bucket: Json) -> str:
    """The SIM product a TMF654 bucket belongs to (the first listed product)."""
    return first_id(obj(bucket).get("product"))


def usage_product_ids(usage: Json) -> set[str]:
    """The products a TMF635 usage was rated on."""
    return {ref_id(rated.get("productRef")) for rated in objects(obj(usage).get("ratedProductUsage"))}


def owner_customer_id(product: Json) -> str:
    """The customer a TMF637 product belongs to (its ``relatedParty`` with a customer role)."""
    parties = objects(obj(product).get("relatedParty"))
    for party in parties:
        if same(party.get("role"), "customer") or same(party.get("@referredType"), "Customer"):
            return text(party["id"])
    raise KeyError("product has no customer party")


# --------------------------------------------------------------------------- TMF620/622


def is_launched_addon(data: Json) -> bool:
    """Whether a TMF620 offering is a launched add-on (category ``addon``)."""
    data = obj(data)
    categories = {text(c.get("id")) for c in objects(data.get("category"))}
    return same(data.get("lifecycleStatus"), "Launched") and "addon" in categories


def _package_price(data: Json) -> Json | None:
    """The offering's one-time price entry (else its first), or None when it has none."""
    prices = objects(data.get("productOfferingPrice"))
    one_time = [p for p in prices if same(p.get("priceType"), "oneTime")]
    candidates = one_time or prices
    return candidates[0] if candidates else None


def price_reference(data: Json) -> str:
    """Id of the ``ProductOfferingPrice`` to fetch when the offering gives its price by reference."""
    entry = _package_price(obj(data))
    return text(entry.get("id")) if entry is not None and entry.get("price") is None else ""


def offering_price(data: Json) -> Decimal:
    """A TMF620 ``ProductOfferingPrice`` resource's amount, tax included (its ``price`` Money)."""
    return money(obj(data)["price"])


def package_offer(data: Json, referenced: Mapping[str, Decimal] | None = None) -> PackageOffer | None:
    """TMF620 add-on offering -> :class:`PackageOffer`; None when its price is unknown.

    The price is inline (``price.taxIncludedAmount``) or, in v4.1, a reference resolved by the
    caller into ``referenced``. An offering without a price is never offered: showing 0 Kč
    before an order would be a made-up price.
    """
    data = obj(data)
    entry = _package_price(data)
    if entry is None:
        return None
    if entry.get("price") is not None:
        price = money(obj(entry["price"])["taxIncludedAmount"])
    elif text(entry.get("id")) in (referenced or {}):
        price = (referenced or {})[text(entry.get("id"))]
    else:
        return None
    tariffs = tuple(
        text(rel["id"])
        for rel in objects(data.get("productOfferingRelationship"))
        if same(rel.get("relationshipType"), "addOnTo")
    )
    return PackageOffer(
        offering_id=text(data["id"]),
        name=text(data.get("name")),
        description=text(data.get("description")),
        price=price,
        tariff_offering_ids=tariffs,
    )


def order_body(customer_id: str, sim_product_id: str, offering_id: str, key: str) -> dict[str, Any]:
    """TMF622 create body for an add-on package, ``externalId`` = idempotency key."""
    return {
        "externalId": key,
        "relatedParty": [{"id": customer_id, "role": "customer"}],
        "productOrderItem": [
            {
                "id": "1",
                "action": "add",
                "productOffering": {"id": offering_id},
                "product": {
                    "productRelationship": [
                        {"relationshipType": "addOnTo", "product": {"id": sim_product_id}}
                    ]
                },
            }
        ],
    }


#: prodSpecCharValueUse names of a tariff offering's allowances (docs/platform-contract.md).
ALLOWANCE_CHARACTERISTICS: dict[str, BucketKind] = {
    "voiceMinutes": BucketKind.VOICE,
    "smsCount": BucketKind.SMS,
    "dataMegabytes": BucketKind.DATA,
}


def is_launched_tariff(data: Json) -> bool:
    """Whether a TMF620 offering is a launched tariff (category ``tariff``)."""
    data = obj(data)
    return same(data.get("lifecycleStatus"), "Launched") and is_tariff(data)


def is_tariff(data: Json) -> bool:
    """Whether a TMF620 offering is of category ``tariff`` (in any letter case)."""
    return any(same(c.get("id"), "tariff") for c in objects(obj(data).get("category")))


def _char_values(data: Json) -> dict[str, list[Any]]:
    """``prodSpecCharValueUse`` as name -> the values of its ``productSpecCharacteristicValue``."""
    result: dict[str, list[Any]] = {}
    for use in objects(data.get("prodSpecCharValueUse")):
        values = [v.get("value") for v in objects(use.get("productSpecCharacteristicValue"))]
        result[text(use.get("name"))] = [v for v in values if v is not None]
    return result


def tariff_offer(data: Json) -> TariffOffer | None:
    """TMF620 tariff offering -> :class:`TariffOffer`; None when its monthly price is unknown.

    The price is the ``recurring`` entry of ``productOfferingPrice`` (given inline). Allowances
    and the change timing are ``prodSpecCharValueUse``; a missing or unknown timing is taken as
    the next billing period (the later one: never a surprise change today).
    """
    data = obj(data)
    prices = [p for p in objects(data.get("productOfferingPrice")) if same(p.get("priceType"), "recurring")]
    if not prices or prices[0].get("price") is None:
        return None
    values = _char_values(data)
    unlimited = {text(v) for v in values.get("unlimitedUsage", [])}
    allowances = tuple(
        Allowance(kind=kind, amount=integer(values[name][0]), unlimited=kind.value in unlimited)
        for name, kind in ALLOWANCE_CHARACTERISTICS.items()
        if values.get(name)
    )
    timing_values = values.get("tariffChangeEffective") or ["nextBillingPeriod"]
    immediate = same(timing_values[0], ChangeTiming.IMMEDIATE.value)
    change_from = tuple(
        text(rel["id"])
        for rel in objects(data.get("productOfferingRelationship"))
        if same(rel.get("relationshipType"), "changeFrom")
    )
    return TariffOffer(
        offering_id=text(data["id"]),
        name=text(data.get("name")),
        description=text(data.get("description")),
        monthly_price=money(obj(prices[0]["price"])["taxIncludedAmount"]),
        allowances=allowances,
        timing=ChangeTiming.IMMEDIATE if immediate else ChangeTiming.NEXT_PERIOD,
        change_from=change_from,
    )


def tariff_change_body(customer_id: str, sim_product_id: str, offering_id: str, key: str) -> dict[str, Any]:
    """TMF622 create body of a tariff change: one ``modify`` item, ``externalId`` = idempotency key."""
    return {
        "externalId": key,
        "relatedParty": [{"id": customer_id, "role": "customer"}],
        "productOrderItem": [
            {
                "id": "1",
                "action": "modify",
                "productOffering": {"id": offering_id},
                "product": {"id": sim_product_id},
            }
        ],
    }


def tariff_change(data: Json, created: bool) -> TariffChange:
    """TMF622 ``modify`` order -> :class:`TariffChange` (``expectedCompletionDate``: when it applies)."""
    data = obj(data)
    item = objects(data["productOrderItem"])[0]
    state = text(data.get("state"))
    expected = data.get("expectedCompletionDate") or data.get("requestedStartDate")
    return TariffChange(
        id=text(data["id"]),
        external_id=text(data.get("externalId")),
        state=state,
        offering_id=ref_id(item.get("productOffering")),
        sim_product_id=ref_id(item.get("product")),
        effective=local_date(expected) if expected and not same(state, "completed") else None,
        created=created,
    )


def order(data: Json, created: bool) -> Order:
    """TMF622 product order -> :class:`Order`; ``created`` is False for a replayed key."""
    data = obj(data)
    item = objects(data["productOrderItem"])[0]
    relations = objects(obj(item.get("product") or {}).get("productRelationship"))
    return Order(
        id=text(data["id"]),
        external_id=text(data.get("externalId")),
        state=text(data.get("state")),
        offering_id=ref_id(item.get("productOffering")),
        sim_product_id=ref_id(relations[0].get("product")) if relations else "",
        created=created,
    )


# --------------------------------------------------------------------------- TMF666/678


def billing_account(data: Json) -> BillingAccount:
    """TMF666 billing account -> :class:`BillingAccount`."""
    data = obj(data)
    return BillingAccount(id=text(data["id"]), name=text(data.get("name")))


def invoice(data: Json) -> Invoice:
    """TMF678 customer bill -> :class:`Invoice`."""
    data = obj(data)
    period = obj(data["billingPeriod"])
    excl = money(data["taxExcludedAmount"])
    incl = money(data["taxIncludedAmount"])
    tax_items = objects(data.get("taxItem"))
    # Without tax items the VAT is still knowable as the difference of the two totals.
    vat = sum((money(t["taxAmount"]) for t in tax_items), Decimal("0")) if tax_items else incl - excl
    remaining = data.get("remainingAmount") or data.get("amountDue")
    return Invoice(
        id=text(data["id"]),
        number=text(data.get("billNo")) or text(data["id"]),
        billing_account_id=ref_id(data.get("billingAccount")),
        period_start=local_date(period["startDateTime"]),
        period_end=period_end_date(period["endDateTime"]),
        issue_date=local_date(data["billDate"]),
        due_date=local_date(data["paymentDueDate"]),
        total_excl_vat=excl,
        vat=vat,
        total_incl_vat=incl,
        remaining=money(remaining) if remaining is not None else incl,
        state=text(data.get("state")),
    )


def invoice_line(data: Json) -> InvoiceLine:
    """TMF678 applied customer billing rate -> :class:`InvoiceLine`."""
    data = obj(data)
    excl = money(data["taxExcludedAmount"])
    incl = money(data["taxIncludedAmount"])
    taxes = objects(data.get("appliedTax"))
    rate = decimal(taxes[0]["taxRate"]) if taxes else Decimal("0")
    vat = sum((money(t["taxAmount"]) for t in taxes), Decimal("0")) if taxes else incl - excl
    # The number a line belongs to: its ``msisdn`` characteristic (the view falls back to the
    # inventory through ``product`` when a platform does not send it).
    number = characteristics(data.get("characteristic")).get("msisdn")
    return InvoiceLine(
        id=text(data["id"]),
        name=text(data.get("name")),
        kind=text(data.get("type")),
        date=optional_date(data.get("date")),
        amount_excl_vat=excl,
        vat_rate=rate,
        vat=vat,
        amount_incl_vat=incl,
        product_id=ref_id(data.get("product")),
        msisdn=identifier_text(number) if number else "",
    )


def current_spend(billing_account_id: str, rates: Iterable[Json]) -> CurrentSpend:
    """Unbilled TMF678 applied billing rates of one account -> :class:`CurrentSpend` (incl. VAT)."""
    total = Decimal("0")
    by_sim: dict[str, Decimal] = {}
    since: date | None = None
    for rate in rates:
        rate = obj(rate)
        amount = money(rate["taxIncludedAmount"])
        total += amount
        product = ref_id(rate.get("product"))
        if product:
            by_sim[product] = by_sim.get(product, Decimal("0")) + amount
        start = obj(rate.get("periodCoverage") or {}).get("startDateTime")
        day = local_date(start) if start else None
        if day and (since is None or day < since):
            since = day
    return CurrentSpend(
        billing_account_id=billing_account_id,
        amount=total,
        since=since,
        by_sim=tuple(SimSpend(pid, amount) for pid, amount in sorted(by_sim.items())),
    )


# --------------------------------------------------------------------------- TMF635 usage


def day_start(day: date) -> str:
    """ISO 8601 instant of 00:00 of ``day`` in the platform's time zone (DST-correct)."""
    return datetime.combine(day, time(0, 0), tzinfo=PLATFORM_TZ).isoformat()


def usage_params(customer_id: str, flt: UsageFilter) -> dict[str, str]:
    """TMF630 query parameters for a call-log filter (shared by ``/usage`` and the summary)."""
    params = {
        "relatedParty.id": customer_id,
        "ratedProductUsage.productRef.id": flt.sim_product_id,
        "usageDate.gte": day_start(flt.date_from),
        # Inclusive last day -> exclusive bound at the next midnight, so no record is lost to
        # sub-second timestamps just before midnight.
        "usageDate.lt": day_start(flt.date_to + timedelta(days=1)),
    }
    if flt.kinds:
        params["usageType"] = ",".join(UsageKind(k).value for k in flt.kinds)
    digits = "".join(ch for ch in flt.b_number if ch.isdigit())
    if digits:
        params["destinationNumber.contains"] = digits
    return params


def usage_record(data: Json) -> UsageRecord:
    """TMF635 usage -> :class:`UsageRecord` (time converted to Europe/Prague)."""
    data = obj(data)
    chars = characteristics(data.get("usageCharacteristic"))
    rated = objects(data.get("ratedProductUsage"))
    amount = obj(rated[0]).get("taxIncludedRatingAmount") if rated else None
    return UsageRecord(
        id=text(data["id"]),
        time=local_datetime(data["usageDate"]),
        kind=UsageKind(data["usageType"]),
        description=text(data.get("description")),
        network=text(chars.get("destinationNetwork")),
        b_number=str(chars.get("destinationNumber") or ""),
        duration_seconds=integer(chars.get("duration") or 0),
        count=integer(chars.get("count") or 0),
        volume_bytes=integer(chars.get("volume") or 0),
        charge=money(amount) if amount is not None else Decimal("0"),
    )


def usage_summary(data: Json) -> UsageSummary:
    """``/selfcare/v1/usageSummary`` body -> :class:`UsageSummary`."""
    data = obj(data)
    return UsageSummary(
        count=integer(data["count"]),
        voice_seconds=integer(data.get("voiceSeconds", 0)),
        sms_count=integer(data.get("smsCount", 0)),
        data_bytes=integer(data.get("dataBytes", 0)),
        fee_count=integer(data.get("feeCount", 0)),
        charged=money(data["chargedAmount"]) if data.get("chargedAmount") is not None else Decimal(0),
    )


# --------------------------------------------------------------------------- TMF654 bucket


def bucket(data: Json) -> UnitBucket:
    """TMF654 bucket -> :class:`UnitBucket`."""
    data = obj(data)
    remaining = obj(data["remainingValue"])
    initial = data.get("initialValue")
    products = objects(data["product"])
    valid_for = obj(data.get("validFor") or {})
    end = valid_for.get("endDateTime")
    return UnitBucket(
        id=text(data["id"]),
        sim_product_id=text(products[0]["id"]),
        kind=BucketKind(data["usageType"]),
        name=text(data.get("name")),
        remaining=decimal(remaining["amount"]),
        units=text(remaining.get("units")),
        initial=decimal(obj(initial)["amount"]) if initial is not None else None,
        valid_until=local_datetime(end) if end else None,
        package_product_id=text(products[1]["id"]) if len(products) > 1 else "",
        unlimited=boolean(data["isUnlimited"]) if data.get("isUnlimited") is not None else False,
    )


# --------------------------------------------------------------------------- TMF681 + auth


def sms_body(msisdn: str, content: str, sender: str) -> dict[str, Any]:
    """TMF681 v4 ``CommunicationMessage_Create`` for an SMS to ``msisdn`` (digits, ``+`` optional).

    v4 requires ``messageType``, ``content``, ``receiver`` and ``sender``.
    """
    number = "+" + "".join(ch for ch in msisdn if ch.isdigit())
    return {
        "messageType": "SMS",
        "content": content,
        "receiver": [{"phoneNumber": number}],
        "sender": {"name": sender},
    }


def email_body(address: str, subject: str, content: str, sender: str) -> dict[str, Any]:
    """TMF681 v4 ``CommunicationMessage_Create`` for an e-mail (``messageType`` ``Email``)."""
    return {
        "messageType": "Email",
        "subject": subject,
        "content": content,
        "receiver": [{"email": address}],
        "sender": {"name": sender},
    }


# --------------------------------------------------------------------------- TMF676 payment, TMF654 top-up

#: The payment method of a card payment made in the partner's gateway (TMF676 paymentMethod id).
GATEWAY_PAYMENT_METHOD = "partnerCardGateway"


def payment_body(
    customer_id: str, billing_account_id: str, invoice_id: str, amount: Decimal, key: str, reference: str
) -> dict[str, Any]:
    """TMF676 ``Payment_Create`` for a card payment of one bill; ``correlatorId`` = idempotency key."""
    total = {"unit": "CZK", "value": amount}
    return {
        "correlatorId": key,
        "authorizationCode": reference,
        "description": "Card payment in the partner's gateway",
        "account": {"id": billing_account_id, "@referredType": "BillingAccount"},
        "payer": {"id": customer_id, "role": "customer", "@referredType": "Customer"},
        "paymentMethod": {"id": GATEWAY_PAYMENT_METHOD, "name": "Card (partner gateway)"},
        "channel": {"id": "selfcare-widget", "name": "Self-care widget"},
        "totalAmount": total,
        "amount": total,
        "paymentItem": [
            {
                "item": {"id": invoice_id, "@referredType": "CustomerBill"},
                "totalAmount": total,
                "amount": total,
            }
        ],
    }


def payment(data: Json, created: bool) -> Payment:
    """TMF676 payment -> :class:`Payment`; ``created`` is False for a replayed key."""
    data = obj(data)
    items = objects(data.get("paymentItem"))
    return Payment(
        id=text(data["id"]),
        correlator_id=text(data.get("correlatorId")),
        invoice_id=ref_id(items[0].get("item")) if items else "",
        amount=money(data["totalAmount"]),
        status=text(data.get("status")),
        created=created,
    )


def topup_body(
    customer_id: str, billing_account_id: str, sim_product_id: str, bucket_id: str, amount: Decimal, key: str
) -> dict[str, Any]:
    """TMF654 ``TopupBalance_Create`` of ``amount`` CZK to a credit bucket.

    TMF654 has no client identifier: ``correlatorId`` (as in TMF676) is the idempotency key,
    a documented extension (docs/platform-contract.md).
    """
    return {
        "correlatorId": key,
        "amount": {"amount": amount, "units": "CZK"},
        "usageType": "monetary",
        "bucket": {"id": bucket_id},
        "partyAccount": {"id": billing_account_id},
        "product": [{"id": sim_product_id}],
        "requestor": {"id": customer_id, "role": "customer", "@referredType": "Customer"},
        "paymentMethod": {"id": GATEWAY_PAYMENT_METHOD, "name": "Card (partner gateway)"},
        "channel": {"id": "selfcare-widget", "name": "Self-care widget"},
    }


def top_up(data: Json, created: bool = True) -> TopUp:
    """TMF654 topup balance -> :class:`TopUp`."""
    data = obj(data)
    products = objects(data.get("product"))
    requested = data.get("requestedDate")
    return TopUp(
        id=text(data["id"]),
        sim_product_id=text(products[0]["id"]) if products else "",
        amount=decimal(obj(data["amount"])["amount"]),
        status=text(data["status"]),
        requested=local_datetime(requested) if requested else None,
        correlator_id=text(data.get("correlatorId")),
        created=created,
    )
