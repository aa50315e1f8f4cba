"""Languages and formats: Czech first, English second, via Flask-Babel.

The locale comes from the signed-in session (SSO ``locale`` claim or the partner default),
else from the partner of an anonymous request, else Czech.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.core import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.dates import get_timezone
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import NumberPattern, format_currency, parse_pattern
from babel.support import NullTranslations, Translations
from flask import Flask, g, has_app_context
from flask_babel import Babel, Domain, get_domain, get_locale
from flask_babel import lazy_gettext as _l

from .platform.models import UsageKind, UsageRecord

SUPPORTED = ("cs", "en")
TRANSLATIONS_DIR = Path(__file__).resolve().parent / "translations"
DOMAIN = "messages"
TIME_ZONE = "Europe/Prague"
_DATE_PATTERNS = {"cs": "d.M.yyyy", "en": "d MMM yyyy"}


def select_locale() -> str:
    """Flask-Babel locale selector."""
    locale = getattr(g, "locale", None)
    return locale if locale in SUPPORTED else "cs"


# Babel's formatting is the largest share of rendering a long table (50 call-log rows, invoice
# lines) and a page repeats few distinct amounts and days: memoise per value and locale.
@lru_cache(maxsize=4096)
def _money(amount: Decimal | float | int, currency: str, locale: str) -> str:
    return format_currency(amount, currency, locale=locale)


@lru_cache(maxsize=1024)
def _day(value: date, locale: str) -> str:
    return babel_format_date(value, _DATE_PATTERNS.get(locale, "d.M.yyyy"), locale=locale)


def money(amount: Decimal | float | int, currency: str = "CZK") -> str:
    """``75,00 Kč`` in Czech, ``CZK 75.00`` in English."""
    return _money(amount, currency, request_locale())


def day(value: date | datetime | None) -> str:
    """``1.4.2013`` in Czech, ``1 Apr 2013`` in English."""
    if value is None:
        return ""
    return _day(value.date() if isinstance(value, datetime) else value, request_locale())


def clock(value: datetime) -> str:
    """``01:13:00``."""
    return value.strftime("%H:%M:%S")


def day_time(value: datetime | None) -> str:
    """``1.4.2013 01:13`` in the platform's time zone."""
    if value is None:
        return ""
    return _day_time(value, request_locale())


@lru_cache(maxsize=1024)
def _day_time(value: datetime, locale: str) -> str:
    pattern = _DATE_PATTERNS.get(locale, "d.M.yyyy") + " HH:mm"
    return babel_format_datetime(value, pattern, tzinfo=get_timezone(TIME_ZONE), locale=locale)


@lru_cache(maxsize=64)
def _number_format(digits: int, locale: str) -> tuple[NumberPattern, Locale]:
    """The parsed ``#,##0.00…`` pattern and the locale: ``format_decimal`` parses both on every
    call, which was most of the cost of rendering a fragment full of figures."""
    return parse_pattern("#,##0" + ("." + "0" * digits if digits else "")), Locale.parse(locale)


@lru_cache(maxsize=4096)
def _number(value: Decimal | float | int, digits: int, locale: str) -> str:
    pattern, parsed_locale = _number_format(digits, locale)
    # What babel.numbers.format_decimal does with its defaults, minus the parsing.
    return pattern.apply(value, parsed_locale)


def number(value: Decimal | float | int, digits: int = 0) -> str:
    """A number with the locale's separators and ``digits`` decimals."""
    return _number(value, digits, request_locale())


def msisdn(value: str) -> str:
    """``420601234567`` -> ``+420 601 234 567``."""
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) == 12 and digits.startswith("420"):
        return f"+420 {digits[3:6]} {digits[6:9]} {digits[9:]}"
    return "+" + digits if digits else ""


def po_path(locale: str) -> Path:
    """The shipped catalog of ``locale`` (English is the source language and has none)."""
    return TRANSLATIONS_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def compile_catalog(locale: str) -> Translations:
    """Translations of ``locale`` compiled in memory from its ``.po``.

    The ``.po`` is the only catalog file kept: no compiled ``.mo`` to keep in step with it,
    nothing written next to an installed package, nothing that depends on the Babel release.
    """
    with po_path(locale).open("rb") as fh:
        catalog = read_po(fh, locale=locale)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


class CompiledDomain(Domain):
    """Flask-Babel's domain, served from catalogs compiled once at start-up."""

    def __init__(self) -> None:
        super().__init__(translation_directories=[], domain=DOMAIN)
        for locale in SUPPORTED:
            translations = compile_catalog(locale) if po_path(locale).is_file() else Translations()
            self.cache[locale, DOMAIN] = translations

    def get_translations(self) -> NullTranslations:
        """The request's catalog (see :func:`_request_catalog`)."""
        return _request_catalog()[1]


def _request_catalog() -> tuple[str, NullTranslations]:
    """The request's locale identifier and catalog, looked up once per request and locale.

    Flask-Babel works both out afresh for every string and figure (locale selector, locale
    identifier, catalog cache key, each through several context-local lookups), and a fragment
    has a hundred of them. They are kept on the request's ``g`` next to the Flask-Babel locale
    they belong to, so when that changes (``refresh()``, a sign-in switching language) they are
    worked out again.
    """
    if not has_app_context():
        return "cs", NullTranslations()
    namespace = g._get_current_object().__dict__
    babel_ctx = namespace.get("_flask_babel")
    locale = getattr(babel_ctx, "babel_locale", None) or get_locale()
    kept = namespace.get("_selfcare_catalog")
    if kept is not None and kept[0] is locale:
        return kept[1], kept[2]
    identifier = str(locale)
    domain = get_domain()
    catalog = domain.cache.get((identifier, DOMAIN))
    if catalog is None:  # a locale without a compiled catalog: Flask-Babel's own lookup
        catalog = Domain.get_translations(domain)
    namespace["_selfcare_catalog"] = (locale, identifier, catalog)
    return identifier, catalog


def request_locale() -> str:
    """The request's locale identifier (``cs``, ``en``)."""
    return _request_catalog()[0]


# --- the call log's units -----------------------------------------------------------------------

BYTES_PER_MB = 1024 * 1024  # operators bill data in binary megabytes

NETWORK_LABELS = {
    "mobile_cz": _l("mobile network in CZ"),
    "fixed_cz": _l("fixed network in CZ"),
    "onnet": _l("own network"),
    "foreign": _l("abroad"),
    "internet": _l("internet"),
    "none": "—",  # no destination (data, fees): a dash needs no translation
}


def duration(seconds: int) -> str:
    """Call time with units, never an ambiguous ``15:13``: ``15 min 13 s``, ``1 h 2 min 5 s``,
    ``45 s``, ``2 h``. Zero parts are left out; a no-break space keeps each number with its unit
    (the symbols are the same in Czech and English)."""
    hours, rest = divmod(max(0, int(seconds)), 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(hours, "h"), (minutes, "min"), (secs, "s")]
    shown = [f"{number(value)}\u00a0{unit}" for value, unit in parts if value]
    return " ".join(shown) or "0\u00a0s"


#: ITU-T E.164 country codes of one and two digits; every other code has three. The codes are
#: prefix-free, so this is enough to split any international number into code and the rest.
_SHORT_COUNTRY_CODES = frozenset(
    "1 7 20 27 30 31 32 33 34 36 39 40 41 43 44 45 46 47 48 49 51 52 53 54 55 56 57 58 "  # noqa: SIM905
    "60 61 62 63 64 65 66 81 82 84 86 90 91 92 93 94 95 98".split()
)


def e164(value: str) -> str:
    """A called number as stored by the platform -> ``+420731458447``; ``""`` for anything that is
    not a whole international number (short service numbers, empty, non-digits).

    The platform stores Czech numbers nationally (nine digits) and foreign ones as E.164 digits
    without the ``+`` (``4930…``); ``+`` or ``00`` in front is accepted too."""
    text = value.strip()
    international = text.startswith(("+", "00"))
    digits = text.lstrip("+")
    if not digits.isdigit():
        return ""
    if digits.startswith("00"):
        digits = digits[2:]
    if len(digits) == 9 and not international:
        return "+420" + digits
    if international or len(digits) > 9:
        return "+" + digits if 7 <= len(digits) <= 15 else ""
    return ""


def _groups(digits: str) -> str:
    """``731458447`` -> ``731 458 447``; a lone last digit joins the group before it."""
    groups = [digits[i : i + 3] for i in range(0, len(digits), 3)]
    if len(groups) > 1 and len(groups[-1]) == 1:
        groups[-2:] = [groups[-2] + groups[-1]]
    return " ".join(groups)


def phone_number(value: str) -> str:
    """A called number for reading: ``731458447`` -> ``+420 731 458 447``, ``4930123456789`` ->
    ``+49 301 234 567 89``, grouped in threes after the country code; a short service number or
    anything unexpected is shown as it is."""
    full = e164(value)
    if not full:
        return value
    digits = full[1:]
    code_length = 1 if digits[:1] in _SHORT_COUNTRY_CODES else 2 if digits[:2] in _SHORT_COUNTRY_CODES else 3
    return f"+{digits[:code_length]} {_groups(digits[code_length:])}"


def megabytes(volume_bytes: int) -> Decimal:
    """Bytes -> MB rounded to one decimal."""
    return (Decimal(volume_bytes) / BYTES_PER_MB).quantize(Decimal("0.1"))


def network_label(code: str) -> str:
    """Translated label of a destination network code (unknown codes are shown as they are)."""
    label = NETWORK_LABELS.get(code)
    return str(label) if label is not None else code


def usage_amount(record: UsageRecord) -> str:
    """The 'duration or count' cell: ``15 min 13 s`` for calls, MB for data, the count otherwise."""
    if record.kind is UsageKind.VOICE:
        return duration(record.duration_seconds)
    if record.kind is UsageKind.DATA:
        return f"{number(megabytes(record.volume_bytes), 1)} MB"
    return number(record.count)


def init_app(app: Flask) -> None:
    """Install Flask-Babel (with the compiled Czech catalog) and the template filters."""
    babel = Babel(app, locale_selector=select_locale, default_timezone=TIME_ZONE)
    babel.domain_instance = CompiledDomain()  # replaces Flask-Babel's directory lookup of .mo files
    # Templates translate through the request's catalog directly (Flask-Babel's callables look
    # the domain, the locale and the catalog up again for every string).
    app.jinja_env.install_gettext_callables(  # added to the environment by jinja2.ext.i18n
        gettext=lambda s: _request_catalog()[1].ugettext(s),
        ngettext=lambda s, p, n: _request_catalog()[1].ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _request_catalog()[1].upgettext(c, s),
        npgettext=lambda c, s, p, n: _request_catalog()[1].unpgettext(c, s, p, n),
    )
    app.jinja_env.filters.update(
        money=money,
        day=day,
        clock=clock,
        day_time=day_time,
        number=number,
        msisdn=msisdn,
        duration=duration,
        phone_number=phone_number,
        megabytes=megabytes,
        network_label=network_label,
        usage_amount=usage_amount,
    )
