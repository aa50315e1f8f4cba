"""Languages and formats: Czech first, English second, via Flask-Babel.

The locale comes from the signed-in session (SSO ``locale`` claim or the partner default),
else from the partner of an anonymous request, else Czech.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache

from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.numbers import format_currency, format_decimal
from flask import Flask, g
from flask_babel import Babel, get_locale

SUPPORTED = ("cs", "en")
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
    return _money(amount, currency, str(get_locale()))


def day(value: date | datetime | None) -> str:
    """``1.4.2013`` in Czech, ``1 Apr 2013`` in English."""
    if value is None:
        return ""
    return _day(value.date() if isinstance(value, datetime) else value, str(get_locale()))


def clock(value: datetime) -> str:
    """``01:13:00``."""
    return value.strftime("%H:%M:%S")


def day_time(value: datetime | None) -> str:
    """``1.4.2013 01:13`` in the platform's time zone."""
    if value is None:
        return ""
    locale = str(get_locale())
    pattern = _DATE_PATTERNS.get(locale, "d.M.yyyy") + " HH:mm"
    return babel_format_datetime(value, pattern, tzinfo=TIME_ZONE, locale=locale)


def number(value: Decimal | float | int, digits: int = 0) -> str:
    """A number with the locale's separators and ``digits`` decimals."""
    fmt = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, fmt, locale=str(get_locale()))


def msisdn(value: str) -> str:
    """``420601234567`` -> ``+420 601 234 567``."""
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) == 12 and digits.startswith("420"):
        return f"+420 {digits[3:6]} {digits[6:9]} {digits[9:]}"
    return "+" + digits if digits else ""


def init_app(app: Flask) -> None:
    """Install Flask-Babel and the template filters."""
    Babel(app, locale_selector=select_locale, default_timezone=TIME_ZONE)
    app.jinja_env.filters.update(
        money=money, day=day, clock=clock, day_time=day_time, number=number, msisdn=msisdn
    )
