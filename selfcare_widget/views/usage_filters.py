"""Parsing and validation of the call-log filter form (pure: no Flask, no platform).

Rules (documented here because they are product decisions, not accidents):

- ``from`` / ``to`` accept ISO ``yyyy-mm-dd`` (what ``<input type=date>`` sends) and Czech
  ``d.m.yyyy`` (with optional spaces after the dots). Empty ``to`` means today; empty ``from``
  means the 1st of ``to``'s month — so an empty form is the current billing month.
- A ``from`` later than ``to`` *as entered* is an error. A ``from`` after today is an error of
  its own (no usage can exist yet). A ``to`` later than today is then *clamped* to today (a
  customer picking "end of this month" should not get an error). A period longer than 12 months
  (inclusive, e.g. 1.1.–31.12.) is an error, as is any date before :data:`EARLIEST`.
- ``type`` is one of ``all | voice | sms | data | fee``; anything else is an error (the form only
  offers those, so another value is tampering or a stale client).
- ``b`` (B-number fragment) may contain digits and the separators people type (space, ``+``,
  ``-``, ``/``, ``(``, ``)``, ``.``); only the digits are searched. Other characters are an error
  rather than being silently dropped, so a search never matches something the customer did not ask.
  Czech numbers are stored nationally (``731458447``), so an international Czech prefix
  (``+420``, ``00420``, or ``420`` before nine digits) is dropped; for other countries the
  ``00`` exit code is dropped (``0049 30`` searches ``4930``, as ``+49 30`` does).
- ``page`` is a positive integer; anything else means page 1 (paging links are ours, a bad value
  is not worth an error message).

:func:`parse` never raises; it returns the query or field errors as message *keys*
(:data:`MESSAGES` maps them to translated text).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l

from ..platform.models import UsageFilter, UsageKind

PAGE_SIZE = 50
MAX_PAGE = 10_000  # 500 000 records: past any real period, a bound for a crafted page number
MAX_MONTHS = 12
MAX_B_DIGITS = 20
EARLIEST = date(2000, 1, 1)
TYPES = ("all", "voice", "sms", "data", "fee")

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_CZECH = re.compile(r"^(\d{1,2})\.\s*(\d{1,2})\.\s*(\d{4})$")
_B_ALLOWED = re.compile(r"^[\d\s+\-/().]*$")

#: Error keys -> translated messages (lazy: resolved in the customer's locale when rendered).
MESSAGES = {
    "date_invalid": _l("Enter a date like 1.4.2025."),
    "date_too_old": _l("The call log does not go back that far."),
    "from_after_to": _l("The start date must not be after the end date."),
    "from_in_future": _l("The call log has no records after today yet."),
    "range_too_long": _l("The period can be at most 12 months long."),
    "type_invalid": _l("Choose one of the offered record types."),
    "b_number_invalid": _l("The number may contain only digits."),
    "b_number_too_long": _l("The number can have at most 20 digits."),
}


@dataclass(frozen=True)
class CallLogQuery:
    """A valid call-log query: the period (inclusive days), type, B-number digits and page."""

    date_from: date
    date_to: date
    type: str = "all"
    b_number: str = ""  # digits only
    page: int = 1

    @property
    def offset(self) -> int:
        """Offset of the page's first record."""
        return (self.page - 1) * PAGE_SIZE

    def usage_filter(self, sim_product_id: str) -> UsageFilter:
        """The port's filter for this query on the given SIM."""
        kinds = () if self.type == "all" else (UsageKind(self.type),)
        return UsageFilter(sim_product_id, self.date_from, self.date_to, kinds, self.b_number)

    def values(self, sim_product_id: str) -> dict[str, str]:
        """The normalised form values (ISO dates) — for paging links and the CSV export button."""
        return {
            "sim": sim_product_id,
            "from": self.date_from.isoformat(),
            "to": self.date_to.isoformat(),
            "type": self.type,
            "b": self.b_number,
        }

    def edr_filters(self) -> dict[str, str | bool]:
        """The filters as recorded in an EDR: whether a number was searched, never the number
        (someone else's personal data)."""
        return {
            "from": self.date_from.isoformat(),
            "to": self.date_to.isoformat(),
            "type": self.type,
            "numberSearch": bool(self.b_number),
        }


@dataclass(frozen=True)
class ParseResult:
    """Outcome of :func:`parse`: a query, or errors (field -> key), plus the raw inputs."""

    query: CallLogQuery | None
    errors: dict[str, str] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.query is not None


def parse_day(text: str) -> date:
    """``2025-04-01`` or ``1.4.2025`` -> date; ``ValueError`` for anything else."""
    text = text.strip()
    match = _ISO.match(text)
    if match:
        year, month, day_ = (int(g) for g in match.groups())
    else:
        match = _CZECH.match(text)
        if not match:
            raise ValueError(f"not a date: {text!r}")
        day_, month, year = (int(g) for g in match.groups())
    return date(year, month, day_)  # ValueError for 31.2. etc.


def months_back(day_: date, months: int) -> date:
    """The same day ``months`` earlier, clipped to the month's length (31.3. - 1 = 28./29.2.)."""
    total = day_.year * 12 + (day_.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    return date(year, month, min(day_.day, calendar.monthrange(year, month)[1]))


def default_period(today: date) -> tuple[date, date]:
    """The current billing month so far: the 1st of this month .. today."""
    return today.replace(day=1), today


def _parse_date_field(text: str, errors: dict[str, str], name: str) -> date | None:
    if not text.strip():
        return None
    try:
        value = parse_day(text)
    except ValueError:
        errors[name] = "date_invalid"
        return None
    if value < EARLIEST:
        errors[name] = "date_too_old"
        return None
    return value


def _parse_b_number(text: str, errors: dict[str, str]) -> str:
    if not _B_ALLOWED.match(text):
        errors["b"] = "b_number_invalid"
        return ""
    digits = _national_digits(text)
    if len(digits) > MAX_B_DIGITS:
        errors["b"] = "b_number_too_long"
        return ""
    return digits


def _national_digits(text: str) -> str:
    """The digits to search: ``+420 731 45`` -> ``73145``, ``00 49 30`` -> ``4930``."""
    compact = "".join(ch for ch in text if ch.isdigit() or ch == "+")
    international = compact.startswith(("+", "00"))
    digits = compact.lstrip("+")
    if digits.startswith("00"):
        digits = digits[2:]
    if digits.startswith("420") and (international or len(digits) == 12):
        digits = digits[3:]
    return digits


def _parse_page(text: str) -> int:
    if not text.isdigit() or len(text) > len(str(MAX_PAGE)):
        return 1
    page = int(text)
    return page if 1 <= page <= MAX_PAGE else 1


def parse(form: Mapping[str, str], today: date) -> ParseResult:
    """Validate the call-log form against ``today`` (the platform's local date)."""
    raw = {name: str(form.get(name, "") or "") for name in ("from", "to", "type", "b", "page")}
    errors: dict[str, str] = {}
    date_from = _parse_date_field(raw["from"], errors, "from")
    date_to = _parse_date_field(raw["to"], errors, "to")
    kind = raw["type"].strip() or "all"
    if kind not in TYPES:
        errors["type"] = "type_invalid"
    b_number = _parse_b_number(raw["b"], errors)
    if errors:
        return ParseResult(None, errors, raw)

    if date_from is not None and date_to is not None and date_from > date_to:
        return ParseResult(None, {"from": "from_after_to"}, raw)
    if date_from is not None and date_from > today:
        return ParseResult(None, {"from": "from_in_future"}, raw)
    if date_to is None or date_to > today:
        date_to = today
    if date_from is None and not raw["from"].strip():
        date_from = date_to.replace(day=1)
    assert date_from is not None  # a non-empty invalid ``from`` returned above
    if date_from <= months_back(date_to, MAX_MONTHS):
        errors["from"] = "range_too_long"
    if errors:
        return ParseResult(None, errors, raw)
    query = CallLogQuery(date_from, date_to, kind, b_number, _parse_page(raw["page"].strip()))
    return ParseResult(query, {}, raw)
