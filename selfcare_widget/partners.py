"""MVNO partners: who may embed the widget, how their SSO tokens are verified, their look.

Partners are configured in one TOML file (``SELFCARE_PARTNERS_FILE``); see
``docs/operations.md``. Secrets are never in the file: it names environment variables.
"""

from __future__ import annotations

import ipaddress
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from urllib.parse import urlsplit

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

from .config import ConfigError

LOGIN_METHODS = ("sso", "password", "sms")
ASYMMETRIC_ALGS = ("RS256", "RS384", "RS512", "ES256", "ES384", "PS256")
LOCALES = ("cs", "en")
_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,40}$")
# A media type (RFC 6838 names) with or without its "application/" prefix, e.g. "selfcare+jwt"
_TYP = re.compile(r"^(?:[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,62}/)?[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,62}$")


@dataclass(frozen=True)
class SsoVerification:
    """How a partner's SSO tokens are verified: one pinned algorithm and its key source."""

    algorithm: str
    public_key_pem: str = field(default="", repr=False)
    jwks_url: str = ""
    shared_secret: str = field(default="", repr=False)
    typ: str = ""  # a token type accepted in the JOSE header besides "JWT" (RFC 8725 §3.11)


@dataclass(frozen=True)
class Supplier:
    """The partner as the supplier named on tax documents (Czech VAT Act § 29)."""

    name: str
    address: tuple[str, ...]  # street, postcode and town, country: one line each
    ico: str  # company id (IČO), 8 digits
    dic: str = ""  # VAT id (DIČ), e.g. "CZ12345678"; empty for a supplier not registered for VAT


@dataclass(frozen=True)
class PaymentGateway:
    """The partner's own card gateway, reached through a hook: the widget never handles cards.

    ``mode`` is ``"url"`` (the widget opens ``url_template`` filled with the payment's details)
    or ``"event"`` (the widget emits ``selfcare:pay`` and the portal opens its gateway).
    ``secret`` is the key the gateway signs its return with (shared with the partner).
    """

    mode: str
    url_template: str = ""
    secret: str = field(default="", repr=False)


@dataclass(frozen=True)
class TopUpLimits:
    """Prepaid top-up amounts a partner accepts, in CZK."""

    minimum: Decimal = Decimal("100")
    maximum: Decimal = Decimal("5000")
    presets: tuple[Decimal, ...] = (Decimal("200"), Decimal("300"), Decimal("500"))


@dataclass(frozen=True)
class SupportContact:
    """The partner's customer care, shown where the widget cannot help (e.g. after blocking a SIM)."""

    phone: str = ""  # as the customer dials it, e.g. "+420 800 123 456"
    email: str = ""
    url: str = ""  # https:// page of the partner's customer care

    def __bool__(self) -> bool:
        return bool(self.phone or self.email or self.url)


@dataclass(frozen=True)
class Partner:
    """One MVNO partner of the platform."""

    id: str
    name: str
    origins: tuple[str, ...]
    sso: SsoVerification | None
    login_methods: tuple[str, ...]
    theme: str = "default"
    default_locale: str = "cs"
    edr_webhook_url: str = ""
    edr_webhook_secret: str = field(default="", repr=False)
    record_client_ip: bool = False
    payee_iban: str = ""  # where customers pay invoices (QR Platba)
    supplier: Supplier | None = None  # the supplier block of tax documents
    payment_gateway: PaymentGateway | None = None  # None: bank transfer / QR only
    topup: TopUpLimits = TopUpLimits()
    sms_daily_budget: int = 2000  # SMS codes the partner's customers may be sent per day
    support: SupportContact = SupportContact()  # empty: the widget names no contact
    roaming_notice: str = ""  # the partner's roaming prices in a sentence or two (shown as text)
    roaming_notice_url: str = ""  # https:// page with the partner's roaming price list

    def allows_origin(self, origin: str | None) -> bool:
        return bool(origin) and origin in self.origins


def _origin(value: str, where: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise ConfigError(f"{where}: {value!r} is not an origin like https://portal.example.cz")
    return f"{parts.scheme}://{parts.netloc}"


def _is_loopback(host: str) -> bool:
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _fetch_url(value: object, where: str) -> str:
    """A URL the widget fetches or posts to (JWKS, EDR webhook): ``https://``.

    Plain ``http://`` only to a loopback host (the demo and development); anywhere else it would
    let the network read EDRs or substitute the keys that sign customers on.
    """
    text = value if isinstance(value, str) else ""
    parts = urlsplit(text)
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return text
    if parts.scheme == "http" and host and _is_loopback(host):
        return text
    raise ConfigError(
        f"{where}: {value!r} must be an https:// URL "
        "(http:// only to a loopback host: 127.0.0.1, ::1, localhost)"
    )


def _secret(env: Mapping[str, str], var: str, where: str) -> str:
    value = env.get(var, "")
    if not value:
        raise ConfigError(f"{where} names environment variable {var}, which is not set")
    return value


def partner_from_mapping(data: Mapping, env: Mapping[str, str], base_dir: Path | None = None) -> Partner:
    """Build and validate one partner from its TOML table."""
    pid = str(data.get("id", ""))
    if not _ID.match(pid):
        raise ConfigError(f"partners: id {pid!r} must be lower-case letters, digits and dashes")
    where = f"partners.{pid}"
    origins = tuple(_origin(o, f"{where}.origins") for o in data.get("origins", []))
    if not origins:
        raise ConfigError(f"{where}.origins must list at least one portal origin")
    methods = tuple(data.get("login_methods", ["sso"]))
    for method in methods:
        if method not in LOGIN_METHODS:
            raise ConfigError(f"{where}.login_methods: {method!r} is not one of {', '.join(LOGIN_METHODS)}")
    sso = None
    if "sso" in methods:
        table = data.get("sso") or {}
        alg = table.get("algorithm", "")
        typ = table.get("typ", "")
        if typ != "" and not (isinstance(typ, str) and _TYP.match(typ)):
            raise ConfigError(f'{where}.sso.typ: {typ!r} is not a token type like "JWT" or "selfcare+jwt"')
        if alg in ASYMMETRIC_ALGS:
            pem = table.get("public_key_pem", "")
            if table.get("public_key_file"):
                key_path = Path(table["public_key_file"])
                if base_dir and not key_path.is_absolute():
                    key_path = base_dir / key_path
                try:
                    pem = key_path.read_text()
                except OSError as exc:
                    raise ConfigError(f"{where}.sso.public_key_file cannot be read: {exc}") from None
            jwks_url = table.get("jwks_url", "")
            if bool(pem) == bool(jwks_url):
                raise ConfigError(
                    f"{where}.sso needs exactly one of public_key_pem/public_key_file or jwks_url"
                )
            if jwks_url:
                jwks_url = _fetch_url(jwks_url, f"{where}.sso.jwks_url")
            sso = SsoVerification(algorithm=alg, public_key_pem=pem, jwks_url=jwks_url, typ=typ)
        elif alg == "HS256":
            secret = _secret(env, table.get("secret_env", ""), f"{where}.sso.secret_env")
            if len(secret) < 32:
                raise ConfigError(f"{where}.sso: the HS256 secret must be at least 32 characters")
            sso = SsoVerification(algorithm=alg, shared_secret=secret, typ=typ)
        else:
            allowed = ", ".join((*ASYMMETRIC_ALGS, "HS256"))
            raise ConfigError(f"{where}.sso.algorithm must be one of {allowed}, got {alg!r}")
    locale = data.get("default_locale", "cs")
    if locale not in LOCALES:
        raise ConfigError(f"{where}.default_locale must be one of {', '.join(LOCALES)}")
    webhook_url = data.get("edr_webhook_url", "")
    webhook_secret = ""
    if webhook_url:
        webhook_url = _fetch_url(webhook_url, f"{where}.edr_webhook_url")
        webhook_secret = _secret(
            env, data.get("edr_webhook_secret_env", ""), f"{where}.edr_webhook_secret_env"
        )
    return Partner(
        id=pid,
        name=str(data.get("name") or pid),
        origins=origins,
        sso=sso,
        login_methods=methods,
        theme=str(data.get("theme", "default")),
        default_locale=locale,
        edr_webhook_url=webhook_url,
        edr_webhook_secret=webhook_secret,
        record_client_ip=bool(data.get("record_client_ip", False)),
        payee_iban=str(data.get("payee_iban", "")),
        supplier=_supplier(data.get("supplier"), where),
        payment_gateway=_payment_gateway(data.get("payment_gateway"), env, where),
        topup=_topup_limits(data.get("topup"), where),
        sms_daily_budget=_positive_int(data.get("sms_daily_budget", 2000), f"{where}.sms_daily_budget"),
        support=_support(data, where),
        roaming_notice=_plain_text(data.get("roaming_notice", ""), f"{where}.roaming_notice", 500),
        roaming_notice_url=_link(data.get("roaming_notice_url", ""), f"{where}.roaming_notice_url"),
    )


def _positive_int(value: object, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{where} must be a whole number of at least 1, got {value!r}")
    return value


_PHONE = re.compile(r"^\+?[0-9][0-9 ]{2,18}[0-9]$")
_EMAIL = re.compile(r"^[^@\s<>\"']{1,64}@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def _link(value: object, where: str) -> str:
    """An optional link shown to customers: ``https://`` with a host (never ``javascript:``)."""
    if value == "":
        return ""
    parts = urlsplit(value if isinstance(value, str) else "")
    if parts.scheme != "https" or not parts.hostname or any(ch.isspace() for ch in str(value)):
        raise ConfigError(f"{where}: {value!r} must be an https:// URL")
    return str(value)


def _plain_text(value: object, where: str, limit: int) -> str:
    """An optional sentence shown to customers (escaped when shown): one line of text."""
    if not isinstance(value, str) or len(value) > limit or "\n" in value.strip():
        raise ConfigError(f"{where} must be one line of text of at most {limit} characters")
    return value.strip()


def _support(data: Mapping, where: str) -> SupportContact:
    """``support_phone``, ``support_email``, ``support_url``: the partner's customer care (optional)."""
    phone = data.get("support_phone", "")
    email = data.get("support_email", "")
    if phone != "" and not (isinstance(phone, str) and _PHONE.match(phone)):
        raise ConfigError(f'{where}.support_phone: {phone!r} is not a phone number like "+420 800 123 456"')
    if email != "" and not (isinstance(email, str) and _EMAIL.match(email)):
        raise ConfigError(f"{where}.support_email: {email!r} is not an e-mail address")
    return SupportContact(
        phone=phone, email=email, url=_link(data.get("support_url", ""), f"{where}.support_url")
    )


_ICO = re.compile(r"^[0-9]{8}$")
_DIC = re.compile(r"^CZ[0-9]{8,10}$")


def _supplier(table: object, where: str) -> Supplier | None:
    """``[partner.supplier]``: name, address (list of lines), ico, dic."""
    if table is None:
        return None
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}.supplier must be a table")
    name = table.get("name", "")
    address = table.get("address", [])
    ico = str(table.get("ico", ""))
    dic = str(table.get("dic", ""))
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}.supplier.name must name the company")
    if not isinstance(address, list) or not address or not all(isinstance(a, str) and a for a in address):
        raise ConfigError(f"{where}.supplier.address must be a list of address lines")
    if not _ICO.match(ico):
        raise ConfigError(f"{where}.supplier.ico must be 8 digits, got {ico!r}")
    if dic and not _DIC.match(dic):
        raise ConfigError(f"{where}.supplier.dic must look like CZ12345678, got {dic!r}")
    return Supplier(name=name.strip(), address=tuple(address), ico=ico, dic=dic)


def _payment_gateway(table: object, env: Mapping[str, str], where: str) -> PaymentGateway | None:
    """``[partner.payment_gateway]``: mode = "url" (with url_template) or "event"; secret_env."""
    if table is None:
        return None
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}.payment_gateway must be a table")
    mode = table.get("mode", "")
    if mode not in ("url", "event"):
        raise ConfigError(f'{where}.payment_gateway.mode must be "url" or "event", got {mode!r}')
    url_template = ""
    if mode == "url":
        url_template = _fetch_url(table.get("url_template", ""), f"{where}.payment_gateway.url_template")
    secret = _secret(env, table.get("secret_env", ""), f"{where}.payment_gateway.secret_env")
    if len(secret) < 32:
        raise ConfigError(f"{where}.payment_gateway: the secret must be at least 32 characters")
    return PaymentGateway(mode=mode, url_template=url_template, secret=secret)


def _amount(value: object, where: str) -> Decimal:
    try:
        amount = (
            Decimal(str(value)) if isinstance(value, (int, str)) and not isinstance(value, bool) else None
        )
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal(1)):
        raise ConfigError(f"{where} must be a whole number of CZK above 0, got {value!r}")
    return amount


def _topup_limits(table: object, where: str) -> TopUpLimits:
    """``[partner.topup]``: minimum, maximum and presets in whole CZK."""
    if table is None:
        return TopUpLimits()
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}.topup must be a table")
    default = TopUpLimits()
    minimum = _amount(table.get("minimum", default.minimum), f"{where}.topup.minimum")
    maximum = _amount(table.get("maximum", default.maximum), f"{where}.topup.maximum")
    raw_presets = table.get("presets", list(default.presets))
    if not isinstance(raw_presets, list) or not raw_presets:
        raise ConfigError(f"{where}.topup.presets must be a list of amounts")
    presets = tuple(_amount(p, f"{where}.topup.presets") for p in raw_presets)
    if minimum > maximum or any(not minimum <= p <= maximum for p in presets):
        raise ConfigError(
            f"{where}.topup: presets must lie between minimum and maximum, and minimum ≤ maximum"
        )
    return TopUpLimits(minimum=minimum, maximum=maximum, presets=presets)


def load_partners(path: Path, env: Mapping[str, str] | None = None) -> dict[str, Partner]:
    """Load and validate the partners file (``[[partner]]`` tables)."""
    env = os.environ if env is None else env
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"SELFCARE_PARTNERS_FILE {str(path)!r} cannot be read: {exc}") from None
    partners: dict[str, Partner] = {}
    for table in data.get("partner", []):
        partner = partner_from_mapping(table, env, path.parent)
        if partner.id in partners:
            raise ConfigError(f"partners: id {partner.id!r} appears twice")
        partners[partner.id] = partner
    if not partners:
        raise ConfigError(f"SELFCARE_PARTNERS_FILE {str(path)!r} defines no [[partner]]")
    return partners
