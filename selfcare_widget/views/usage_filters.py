"""Parsing and validation of the call-log filter form (pure: no Flask, no platform).

Rules (documented here because they are product decisions, not accidents):

- ``from`` / ``to`` are typed text: Czech ``d.m.yyyy`` (``1.4.2026``, ``01.04.2026``,
  ``1. 4. 2026``; ``1,4,2026`` from a Czech phone's decimal keypad) whatever the browser's language, the English UI's own ``1 Apr 2026`` (what it
  shows in the field), and ISO ``yyyy-mm-dd`` (paging and export values, robustness). A text that
  looks like none of them is ``date_invalid``; one that looks right but names no day (31.2.) is
  ``date_nonexistent``. Empty ``to`` means today; empty ``from`` means the 1st of ``to``'s month —
  so an empty form is the current billing month.
- ``preset`` (``this_month | last_month | 7_days``) replaces both dates with that period, cut to
  :data:`EARLIEST`; an unknown preset is ignored (the buttons are ours).
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
  is not worth an error message). ``size`` is one of :data:`PAGE_SIZES`; anything else means
  :data:`PAGE_SIZE`, silently, for the same reason.
- ``jump`` is what the customer typed in "go to page": digits (spaces ignored) of a page from 1;
  anything else is ``page_invalid`` in :attr:`ParseResult.page_error` — the filters stay valid and
  the page shown is ``page``. Whether the page exists is known only with the record count, so the
  view checks the upper bound.

:func:`parse` never raises; it returns the query or field errors as message *keys*
(:data:`MESSAGES` maps them to translated text).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l

from ..platform.models import UsageFilter, UsageKind

PAGE_SIZE = 50
PAGE_SIZES = (50, 100, 200)
PRESETS = ("this_month", "last_month", "7_days")
MAX_PAGE = 10_000  # 500 000 records: past any real period, a bound for a crafted page number
MAX_MONTHS = 12
MAX_B_DIGITS = 20
EARLIEST = date(2000, 1, 1)
TYPES = ("all", "voice", "sms", "data", "fee")

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
# A comma too: a Czech phone's decimal keypad (inputmode=decimal) has "," where "." would be.
_CZECH = re.compile(r"^(\d{1,2})[.,]\s*(\d{1,2})[.,]\s*(\d{4})$")
_ENGLISH = re.compile(r"^(\d{1,2})\s+([a-z]{3,9})\.?,?\s+(\d{4})$", re.IGNORECASE)
_B_ALLOWED = re.compile(r"^[\d\s+\-/().]*$")

# English month names spelled out here, not from ``calendar`` (that follows the process locale).
_MONTH_NAMES = "january february march april may june july august september october november december".split()  # noqa: SIM905
_MONTHS = (
    {name: n for n, name in enumerate(_MONTH_NAMES, 1)}
    | {name[:3]: n for n, name in enumerate(_MONTH_NAMES, 1)}
    | {"sept": 9}
)

#: Error keys -> translated messages (lazy: resolved in the customer's locale when rendered).
MESSAGES = {
    "date_invalid": _l("Enter a date like 1.4.2026 or 1 Apr 2026."),
    "date_nonexistent": _l("There is no such day in the calendar."),
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
    """A valid call-log query: the period (inclusive days), type, B-number digits, page and size."""

    date_from: date
    date_to: date
    type: str = "all"
    b_number: str = ""  # digits only
    page: int = 1
    size: int = PAGE_SIZE

    @property
    def offset(self) -> int:
        """Offset of the page's first record."""
        return (self.page - 1) * self.size

    def pages(self, total: int) -> int:
        """How many pages ``total`` records make at this page size (at least one)."""
        return max(1, (total + self.size - 1) // self.size)

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
            "size": str(self.size),
        }

    def preset(self, today: date) -> str | None:
        """The preset whose period this query shows, if any (to mark its button pressed)."""
        return next((p for p in PRESETS if preset_period(p, today) == (self.date_from, self.date_to)), None)

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
    """Outcome of :func:`parse`: a query, or errors (field -> key), plus the raw inputs.

    ``jump`` is the page the customer asked for in "go to page" (``query.page`` is the page they
    were on: the view moves to ``jump`` once it knows the page exists); ``page_error`` says that
    what they typed there is not a page number. Neither makes the filters invalid."""

    query: CallLogQuery | None
    errors: dict[str, str] = field(default_factory=dict)
    raw: dict[str, str] = field(default_factory=dict)
    jump: int | None = None
    page_error: str | None = None

    @property
    def ok(self) -> bool:
        return self.query is not None


def parse_day(text: str) -> date:
    """``1.4.2026``, ``01. 04. 2026``, ``1 Apr 2026`` or ``2026-04-01`` -> date.

    ``ValueError`` for anything else; :class:`NonexistentDay` (a ``ValueError`` too) when the text
    has a date's shape but names no day (``31.2.2026``)."""
    text = text.strip()
    if match := _ISO.match(text):
        year, month, day_ = (int(g) for g in match.groups())
    elif match := _CZECH.match(text):
        day_, month, year = (int(g) for g in match.groups())
    elif (match := _ENGLISH.match(text)) and match.group(2).lower() in _MONTHS:
        day_, month, year = int(match.group(1)), _MONTHS[match.group(2).lower()], int(match.group(3))
    else:
        raise ValueError(f"not a date: {text!r}")
    try:
        return date(year, month, day_)
    except ValueError as exc:
        raise NonexistentDay(text) from exc


class NonexistentDay(ValueError):
    """A text shaped like a date that names no day of the calendar (``31.2.2026``, ``1.13.2026``)."""


def months_back(day_: date, months: int) -> date:
    """The same day ``months`` earlier, clipped to the month's length (31.3. - 1 = 28./29.2.)."""
    total = day_.year * 12 + (day_.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    return date(year, month, min(day_.day, calendar.monthrange(year, month)[1]))


def default_period(today: date) -> tuple[date, date]:
    """The current billing month so far: the 1st of this month .. today."""
    return today.replace(day=1), today


def preset_period(name: str, today: date) -> tuple[date, date]:
    """The period of a preset button, never before :data:`EARLIEST` (``KeyError`` if unknown).

    *This month* is the current billing month so far, *last month* the whole previous calendar
    month, *7 days* today and the six days before it."""
    last_month_end = today.replace(day=1) - timedelta(days=1)
    periods = {
        "this_month": default_period(today),
        "last_month": (last_month_end.replace(day=1), last_month_end),
        "7_days": (today - timedelta(days=6), today),
    }
    date_from, date_to = periods[name]
    return max(date_from, EARLIEST), max(date_to, EARLIEST)


def _parse_date_field(text: str, errors: dict[str, str], name: str) -> date | None:
    if not text.strip():
        return None
    try:
        value = parse_day(text)
    except NonexistentDay:
        errors[name] = "date_nonexistent"
        return None
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


def _parse_size(text: str) -> int:
    return int(text) if text in {str(size) for size in PAGE_SIZES} else PAGE_SIZE


def _parse_jump(text: str) -> int | None:
    """The page typed in "go to page" (``None`` if it is not a page number at all)."""
    digits = "".join(text.split())
    if not digits.isdigit() or len(digits) > len(str(MAX_PAGE)) or int(digits) < 1:
        return None
    return int(digits)


def parse(form: Mapping[str, str], today: date) -> ParseResult:
    """Validate the call-log form against ``today`` (the platform's local date)."""
    names = ("from", "to", "type", "b", "page", "size", "preset", "jump")
    raw = {name: str(form.get(name, "") or "") for name in names}
    errors: dict[str, str] = {}
    preset = raw["preset"].strip()
    date_from: date | None
    date_to: date | None
    if preset in PRESETS:
        date_from, date_to = preset_period(preset, today)
    else:
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
    page = _parse_page(raw["page"].strip())
    jump = page_error = None
    if "jump" in form:
        jump = _parse_jump(raw["jump"])
        page_error = "page_invalid" if jump is None else None
    query = CallLogQuery(date_from, date_to, kind, b_number, page, _parse_size(raw["size"].strip()))
    return ParseResult(query, {}, raw, jump, page_error)
