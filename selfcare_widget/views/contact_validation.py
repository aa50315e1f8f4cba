"""Validation and normalisation of contact details entered by a customer.

Pure functions (no request, no platform): each field validator takes the raw text and returns
the normalised value or an error message (a lazily translated English msgid, so it renders in
the customer's language when the form is shown). :func:`validate_contact` checks a whole form,
:func:`changed_fields` tells which fields differ from the customer's current details so that
only those are sent to the platform.

No DNS lookups: "deliverable" means a domain of a deliverable *form* (dotted, valid labels, an
alphabetic top-level domain), which is all that can be checked without the network.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field, fields

import phonenumbers
from flask_babel import lazy_gettext as _l

from ..platform.models import ContactDetails

#: Form fields in display order; the names are those of :class:`ContactDetails`.
FIELDS: tuple[str, ...] = tuple(f.name for f in fields(ContactDetails))

#: Countries a postal address may be in (ISO 3166 alpha-2), in select order.
COUNTRIES: tuple[str, ...] = ("CZ", "SK", "DE", "AT", "PL")

DEFAULT_REGION = "CZ"

EMAIL_MAX = 254  # RFC 5321 path limit minus the angle brackets
EMAIL_LOCAL_MAX = 64
PHONE_INPUT_MAX = 30
STREET_MAX = 100  # the platform accepts at most 100 characters per address line
CITY_MAX = 60
POSTAL_INPUT_MAX = 10

# RFC 5322 "atext" plus dots between atoms; quoted local parts are legal but never seen in
# practice and most mail systems refuse them, so they are not accepted.
_LOCAL_PART = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_TLD = re.compile(r"^([a-z]{2,63}|xn--[a-z0-9-]{1,59})$")

#: Postal code format per country: pattern of the input (spaces/dash optional) -> normal form.
_POSTAL_FORMATS: dict[str, tuple[re.Pattern[str], str]] = {
    "CZ": (re.compile(r"^(\d{3}) ?(\d{2})$"), r"\1 \2"),
    "SK": (re.compile(r"^(\d{3}) ?(\d{2})$"), r"\1 \2"),
    "DE": (re.compile(r"^(\d{5})$"), r"\1"),
    "AT": (re.compile(r"^(\d{4})$"), r"\1"),
    "PL": (re.compile(r"^(\d{2})-?(\d{3})$"), r"\1-\2"),
}

_POSTAL_GENERIC = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 -]{1,8}[A-Za-z0-9]$")

# Error messages (English msgids; Czech in translations/pending/contact.json).
MSG_EMAIL_REQUIRED = _l("Enter your e-mail address.")
MSG_EMAIL_INVALID = _l("Enter an e-mail address in the form name@example.cz.")
MSG_EMAIL_TOO_LONG = _l("The e-mail address is too long (at most %(max)d characters).", max=EMAIL_MAX)
MSG_PHONE_REQUIRED = _l("Enter your phone number.")
MSG_PHONE_INVALID = _l("Enter a valid phone number, e.g. 601 234 567 or +420 601 234 567.")
MSG_STREET_REQUIRED = _l("Enter the street and house number.")
MSG_STREET_TOO_LONG = _l("The street is too long (at most %(max)d characters).", max=STREET_MAX)
MSG_CITY_REQUIRED = _l("Enter the city.")
MSG_CITY_TOO_LONG = _l("The city is too long (at most %(max)d characters).", max=CITY_MAX)
MSG_POSTAL_REQUIRED = _l("Enter the postal code.")
MSG_POSTAL_CZ = _l("Enter the postal code as five digits, e.g. 110 00.")
MSG_POSTAL_OTHER = _l("Enter a valid postal code for the chosen country.")
MSG_COUNTRY_INVALID = _l("Choose a country from the list.")
MSG_CONTROL_CHARS = _l("The text contains characters that are not allowed.")


@dataclass(frozen=True)
class FieldResult:
    """The outcome of one field: the normalised value, or an error message."""

    value: str = ""
    error: object | None = None  # lazy translated message

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True)
class ContactValidation:
    """The outcome of a whole form.

    ``entered`` keeps what the customer typed (to re-render the form with nothing lost),
    ``errors`` maps field names to messages, ``contact`` is the normalised details when valid.
    """

    entered: dict[str, str]
    errors: dict[str, object] = field(default_factory=dict)
    contact: ContactDetails | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


def _has_control_chars(value: str) -> bool:
    return any(unicodedata.category(ch) in ("Cc", "Cf") for ch in value)


def validate_email(raw: str) -> FieldResult:
    """An e-mail address of a deliverable form; the domain is lower-cased (IDN kept readable)."""
    value = raw.strip()
    if not value:
        return FieldResult(error=MSG_EMAIL_REQUIRED)
    if len(value) > EMAIL_MAX:
        return FieldResult(error=MSG_EMAIL_TOO_LONG)
    if value.count("@") != 1 or any(ch.isspace() for ch in value) or _has_control_chars(value):
        return FieldResult(error=MSG_EMAIL_INVALID)
    local, domain = value.split("@")
    if len(local) > EMAIL_LOCAL_MAX or not _LOCAL_PART.match(local):
        return FieldResult(error=MSG_EMAIL_INVALID)
    domain = domain.lower()
    if not _domain_ok(domain):
        return FieldResult(error=MSG_EMAIL_INVALID)
    return FieldResult(value=f"{local}@{domain}")


def _domain_ok(domain: str) -> bool:
    """A dotted host name with valid labels and an alphabetic TLD (internationalised allowed)."""
    try:
        # IDNA turns "příklad.cz" into "xn--pklad-zsa96e.cz" so the label rules below apply.
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return False
    if len(ascii_domain) > 253 or "." not in ascii_domain:
        return False
    labels = ascii_domain.split(".")
    return all(_LABEL.match(label) for label in labels) and bool(_TLD.match(labels[-1]))


def validate_phone(raw: str, region: str = DEFAULT_REGION) -> FieldResult:
    """A phone number, national numbers read as Czech by default; normalised to E.164."""
    value = raw.strip()
    if not value:
        return FieldResult(error=MSG_PHONE_REQUIRED)
    if len(value) > PHONE_INPUT_MAX or _has_control_chars(value):
        return FieldResult(error=MSG_PHONE_INVALID)
    if value.startswith("00"):
        value = "+" + value[2:]  # the international prefix used in Czechia
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException:
        return FieldResult(error=MSG_PHONE_INVALID)
    if not phonenumbers.is_valid_number(number):
        return FieldResult(error=MSG_PHONE_INVALID)
    return FieldResult(value=phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def _validate_text(raw: str, required: object, too_long: object, max_len: int) -> FieldResult:
    # Inner runs of white space collapse to one space: pasted addresses often carry tabs/newlines.
    value = " ".join(raw.split())
    if not value:
        return FieldResult(error=required)
    if _has_control_chars(value):
        return FieldResult(error=MSG_CONTROL_CHARS)
    if len(value) > max_len:
        return FieldResult(error=too_long)
    return FieldResult(value=value)


def validate_street(raw: str) -> FieldResult:
    """Street and house number: required, at most :data:`STREET_MAX` characters."""
    return _validate_text(raw, MSG_STREET_REQUIRED, MSG_STREET_TOO_LONG, STREET_MAX)


def validate_city(raw: str) -> FieldResult:
    """City: required, at most :data:`CITY_MAX` characters."""
    return _validate_text(raw, MSG_CITY_REQUIRED, MSG_CITY_TOO_LONG, CITY_MAX)


def validate_country(raw: str) -> FieldResult:
    """One of :data:`COUNTRIES` (ISO 3166 alpha-2, case-insensitive)."""
    value = raw.strip().upper()
    if value not in COUNTRIES:
        return FieldResult(error=MSG_COUNTRY_INVALID)
    return FieldResult(value=value)


def validate_postal_code(raw: str, country: str) -> FieldResult:
    """A postal code of the country's format; Czech ``12345`` is normalised to ``123 45``.

    With an unknown country only a generic shape is checked (the country field reports the real
    problem).
    """
    value = raw.strip()
    if not value:
        return FieldResult(error=MSG_POSTAL_REQUIRED)
    message = MSG_POSTAL_CZ if country in ("CZ", "SK") else MSG_POSTAL_OTHER
    if len(value) > POSTAL_INPUT_MAX:
        return FieldResult(error=message)
    regex, normal = _POSTAL_FORMATS.get(country, (_POSTAL_GENERIC, r"\g<0>"))
    if not regex.match(value):
        return FieldResult(error=message)
    return FieldResult(value=regex.sub(normal, value))


def validate_contact(form: Mapping[str, str]) -> ContactValidation:
    """Validate a whole contact form; only the :data:`FIELDS` of ``form`` are looked at."""
    entered = {name: str(form.get(name, "") or "") for name in FIELDS}
    country = validate_country(entered["country"])
    results = {
        "email": validate_email(entered["email"]),
        "phone": validate_phone(entered["phone"]),
        "street": validate_street(entered["street"]),
        "city": validate_city(entered["city"]),
        "postal_code": validate_postal_code(entered["postal_code"], country.value),
        "country": country,
    }
    errors = {name: r.error for name, r in results.items() if not r.ok}
    if errors:
        return ContactValidation(entered=entered, errors=errors)
    contact = ContactDetails(**{name: r.value for name, r in results.items()})
    return ContactValidation(entered=entered, contact=contact)


def changed_fields(current: ContactDetails, new: ContactDetails) -> set[str]:
    """Names of the fields whose value differs between ``current`` and ``new``."""
    return {name for name in FIELDS if getattr(current, name) != getattr(new, name)}


def display_phone(e164: str) -> str:
    """``+420601234567`` -> ``+420 601 234 567``; anything unparsable is shown as stored."""
    try:
        number = phonenumbers.parse(e164, DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        return e164
    if not phonenumbers.is_valid_number(number):
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
