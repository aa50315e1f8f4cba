"""The theme studio: every section and state of the widget in one partner theme, live.

``selfcare-widget theme-studio THEME_DIR`` serves a local page that shows each scene (overview in
its variants, SIM settings, packages and the order confirmation, invoices, the call log, empty
and error states, the contact form with field errors, the sign-in forms) at 375 px and 1280 px,
in Czech and English, next to the ``check-theme`` results of that theme folder.

Every scene is the answer of the widget's own view function, called in a request context of a
real widget app (``create_app``) whose platform port is :class:`SamplePlatform`: fixed domain
objects in memory, so no platform runs and nobody signs in. The page puts each answer in a shadow
root, as the loader does, with the widget stylesheet and the theme's sheets adopted; it polls
``/studio/state`` (a hash of the theme folder's files) and swaps the theme's sheets and the
check results in place when a file changes, so saving ``theme.css``, ``extra.css`` or the logo
shows at once without reloading by hand.
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from datetime import time as clock_time
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

import tinycss2
from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    g,
    jsonify,
    render_template,
    request,
    send_file,
)
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from . import themes
from .assets import THEME_FILE_TYPES, widget_css
from .auth.sessions import WidgetSession
from .auth.user import WidgetUser
from .config import PROJECT_ROOT, ConfigError, load_settings
from .partners import Partner, SupportContact
from .platform import NotFound, PlatformError, Unavailable
from .platform.models import (
    BillingAccount,
    BucketKind,
    ContactDetails,
    CurrentSpend,
    Customer,
    Invoice,
    InvoiceLine,
    Package,
    PackageOffer,
    Sim,
    SimCard,
    SimSettings,
    SimSpend,
    Tariff,
    UnitBucket,
    UsageFilter,
    UsageKind,
    UsagePage,
    UsageRecord,
    UsageSummary,
)

log = logging.getLogger(__name__)

STUDIO_PARTNER = "studio"
LOCALES = ("cs", "en")
WIDTHS = (375, 1280)
#: The theme files whose change re-renders the page (with every other file the theme references).
WATCHED_SUFFIXES = tuple(THEME_FILE_TYPES)
_THEME_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_AUTOFOCUS = re.compile(r"\sautofocus(?=[\s>/])")


# ---------------------------------------------------------------------- sample data


def _sample_day(offset_days: int) -> date:
    return date.today() + timedelta(days=offset_days)


def _end_of_month() -> datetime:
    today = date.today()
    first_next = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    return datetime.combine(first_next - timedelta(days=1), clock_time(23, 59), tzinfo=timezone.utc)


POSTPAID = Tariff("tariff-m", "Neomezeně M")
PREPAID = Tariff("tariff-card", "Kredit Plus", prepaid=True)


def _sim(number: int, customer: str, state: str = "active", tariff: Tariff = POSTPAID) -> Sim:
    return Sim(
        product_id=f"{customer}-sim-{number}",
        msisdn=f"42077712345{number}",
        iccid=f"894200000000000000{number}",
        state=state,
        tariff=tariff,
        service_id=f"{customer}-svc-{number}",
        resource_id=f"{customer}-res-{number}",
        billing_account_id="" if tariff.prepaid else f"{customer}-ba",
        start_date=date(2023, 3, 1),
    )


def _buckets(sim: Sim, data_left: str = "3481", credit: str | None = None) -> list[UnitBucket]:
    ends = _end_of_month()
    found = [
        UnitBucket(
            f"{sim.product_id}-data",
            sim.product_id,
            BucketKind.DATA,
            "Data",
            Decimal(data_left),
            "MB",
            Decimal("10240"),
            ends,
        ),
        UnitBucket(
            f"{sim.product_id}-voice",
            sim.product_id,
            BucketKind.VOICE,
            "Volání",
            Decimal("100"),
            "min",
            Decimal("100"),
            ends,
            unlimited=True,
        ),
        UnitBucket(
            f"{sim.product_id}-sms",
            sim.product_id,
            BucketKind.SMS,
            "SMS",
            Decimal("12"),
            "SMS",
            Decimal("100"),
            ends,
        ),
    ]
    if credit is not None:
        found.append(
            UnitBucket(
                f"{sim.product_id}-credit",
                sim.product_id,
                BucketKind.MONETARY,
                "Kredit",
                Decimal(credit),
                "CZK",
            )
        )
    return found


@dataclass
class SampleCustomer:
    """One customer of the sample data and everything the widget may read about them."""

    customer: Customer
    sims: list[Sim]
    buckets: list[UnitBucket]
    invoices: list[Invoice] = field(default_factory=list)
    packages: list[Package] = field(default_factory=list)
    records: list[UsageRecord] = field(default_factory=list)
    down: bool = False  # every read fails: the error state


def _customer(customer_id: str, name: str) -> Customer:
    return Customer(
        id=customer_id,
        partner_id=STUDIO_PARTNER,
        name=name,
        status="active",
        contact=ContactDetails(
            email="jana.novakova@example.cz",
            phone="+420777123451",
            street="Vinohradská 12",
            city="Praha 2",
            postal_code="120 00",
            country="CZ",
        ),
        billing_account_ids=(f"{customer_id}-ba",),
    )


def _invoice(customer_id: str, number: int, months_back: int, paid: bool, total: str) -> Invoice:
    issued = _sample_day(-30 * months_back - 20)
    amount = Decimal(total)
    base = (amount / Decimal("1.21")).quantize(Decimal("0.01"))
    return Invoice(
        id=f"{customer_id}-inv-{number}",
        number=f"2026{number:06d}",
        billing_account_id=f"{customer_id}-ba",
        period_start=issued - timedelta(days=31),
        period_end=issued - timedelta(days=1),
        issue_date=issued,
        due_date=issued + timedelta(days=14),
        total_excl_vat=base,
        vat=amount - base,
        total_incl_vat=amount,
        remaining=Decimal("0") if paid else amount,
        state="settled" if paid else "sent",
    )


def _records(sim: Sim) -> list[UsageRecord]:
    start = datetime.combine(_sample_day(-1), clock_time(8, 5), tzinfo=timezone.utc)
    kinds = (
        (UsageKind.VOICE, "Odchozí hovor", "420602111222", 313, 0, 0, "0"),
        (UsageKind.SMS, "SMS", "420731222333", 0, 1, 0, "0"),
        (UsageKind.DATA, "Mobilní data", "", 0, 0, 52_428_800, "0"),
        (UsageKind.VOICE, "Hovor do zahraničí", "4930123456", 125, 0, 0, "24.50"),
        (UsageKind.FEE, "Prémiová SMS", "90211", 0, 1, 0, "30"),
    )
    return [
        UsageRecord(
            id=f"{sim.product_id}-u{i}",
            time=start - timedelta(hours=5 * i),
            kind=kind,
            description=text,
            network="T-Mobile CZ",
            b_number=b,
            duration_seconds=seconds,
            count=count,
            volume_bytes=volume,
            charge=Decimal(charge),
        )
        for i, (kind, text, b, seconds, count, volume, charge) in enumerate(kinds * 3)
    ]


def sample_customers() -> dict[str, SampleCustomer]:
    """The studio's customers, one per overview state (dates relative to today)."""
    normal_sim, second = _sim(1, "normal"), _sim(2, "normal")
    used_sim = _sim(1, "data-used-up")
    blocked_sim, blocked_other = _sim(1, "blocked", "suspended"), _sim(2, "blocked")
    prepaid_sim = _sim(1, "prepaid", tariff=PREPAID)
    customers = {
        "normal": SampleCustomer(
            _customer("normal", "Jana Nováková"),
            [normal_sim, second],
            _buckets(normal_sim) + _buckets(second, "10240"),
            invoices=[
                _invoice("normal", 3, 0, False, "649.00"),
                _invoice("normal", 2, 1, False, "712.30"),
                _invoice("normal", 1, 2, True, "599.00"),
            ],
            packages=[
                Package(
                    "normal-pkg-1",
                    normal_sim.product_id,
                    "pkg-5gb",
                    "Data navíc 5 GB",
                    Decimal("199"),
                    _sample_day(-3),
                    "active",
                )
            ],
            records=_records(normal_sim),
        ),
        "data-used-up": SampleCustomer(
            _customer("data-used-up", "Petr Svoboda"), [used_sim], _buckets(used_sim, "0")
        ),
        "blocked": SampleCustomer(
            _customer("blocked", "Eva Dvořáková"),
            [blocked_sim, blocked_other],
            _buckets(blocked_sim) + _buckets(blocked_other, "512"),
        ),
        "prepaid": SampleCustomer(
            _customer("prepaid", "Tomáš Černý"), [prepaid_sim], _buckets(prepaid_sim, "800", credit="87.50")
        ),
        "empty": SampleCustomer(_customer("empty", "Lucie Marková"), [], []),
        "down": SampleCustomer(_customer("down", "Karel Veselý"), [], [], down=True),
    }
    return customers


OFFERS = [
    PackageOffer("pkg-1gb", "Data navíc 1 GB", "1 GB mobilních dat do konce měsíce.", Decimal("99")),
    PackageOffer("pkg-5gb", "Data navíc 5 GB", "5 GB mobilních dat do konce měsíce.", Decimal("199")),
    PackageOffer("pkg-roam", "Roaming EU 2 GB", "2 GB dat v roamingu v EU na 30 dní.", Decimal("249")),
]


class SamplePlatform:
    """The platform port answered from :func:`sample_customers` (reads only; no changes).

    What the studio never shows (orders, payments, sign-in checks) is refused as unavailable, so
    a view that reached for it would show its own friendly error.
    """

    def __init__(self) -> None:
        self.customers = sample_customers()

    def _who(self, customer_id: str) -> SampleCustomer:
        found = self.customers.get(customer_id)
        if found is None:
            raise NotFound("customer")
        if found.down:
            raise Unavailable("the studio's sample platform is down for this customer on purpose")
        return found

    def _owner_of(self, key: Callable[[SampleCustomer], bool]) -> SampleCustomer:
        for sample in self.customers.values():
            if key(sample):
                return self._who(sample.customer.id)
        raise NotFound("resource")

    def __getattr__(self, name: str) -> Any:
        from .platform.port import Platform

        if name.startswith("_") or not callable(getattr(Platform, name, None)):
            raise AttributeError(name)  # not a port method: optional hooks stay absent

        def unavailable(*_args: object, **_kwargs: object) -> Any:
            raise Unavailable(f"the theme studio shows no {name}")

        return unavailable

    def get_customer(self, customer_id: str) -> Customer:
        return self._who(customer_id).customer

    def list_sims(self, customer_id: str) -> list[Sim]:
        return list(self._who(customer_id).sims)

    def list_buckets(self, sim_product_ids: list[str]) -> list[UnitBucket]:
        wanted = set(sim_product_ids)
        return [b for s in self.customers.values() for b in s.buckets if b.sim_product_id in wanted]

    def list_packages(self, customer_id: str) -> list[Package]:
        return list(self._who(customer_id).packages)

    def list_package_offers(self, tariff_offering_id: str) -> list[PackageOffer]:
        return list(OFFERS)

    def list_sim_settings(self, customer_id: str) -> list[SimSettings]:
        return [
            SimSettings(
                service_id=sim.service_id,
                state=sim.state,
                data_enabled=True,
                roaming_enabled=True,
                premium_sms_barred=True,
                international_calls_barred=False,
                voicemail_enabled=False,
                sim_blocked=sim.state == "suspended",
                roaming_eu_enabled=True,
                roaming_world_enabled=False,
                roaming_data_limit=1500,
            )
            for sim in self._who(customer_id).sims
        ]

    def get_sim_card(self, resource_id: str) -> SimCard:
        for sample in self.customers.values():
            for sim in sample.sims:
                if sim.resource_id == resource_id:
                    return SimCard(resource_id, sim.iccid, "active")
        raise NotFound("resource")

    def list_billing_accounts(self, customer_id: str) -> list[BillingAccount]:
        return [BillingAccount(a, "Vyúčtování") for a in self._who(customer_id).customer.billing_account_ids]

    def list_invoices(self, billing_account_id: str) -> list[Invoice]:
        sample = self._owner_of(lambda s: billing_account_id in s.customer.billing_account_ids)
        return [i for i in sample.invoices if i.billing_account_id == billing_account_id]

    def get_invoice(self, invoice_id: str) -> Invoice:
        for sample in self.customers.values():
            for invoice in sample.invoices:
                if invoice.id == invoice_id:
                    return invoice
        raise NotFound("invoice")

    def list_invoice_lines(self, invoice_id: str) -> list[InvoiceLine]:
        bill = self.get_invoice(invoice_id)
        owner = self._owner_of(lambda s: bill in s.invoices)
        sim = owner.sims[0]

        def line(n: int, name: str, kind: str, amount: str) -> InvoiceLine:
            incl = Decimal(amount)
            excl = (incl / Decimal("1.21")).quantize(Decimal("0.01"))
            return InvoiceLine(
                f"{invoice_id}-l{n}",
                name,
                kind,
                bill.period_start,
                excl,
                Decimal("0.21"),
                incl - excl,
                incl,
                sim.product_id,
                sim.msisdn,
            )

        rest = bill.total_incl_vat - Decimal("499") - Decimal("99")
        return [
            line(1, "Neomezeně M", "recurring", "499"),
            line(2, "Data navíc 1 GB", "package", "99"),
            line(3, "Hovory do zahraničí", "usage", str(rest)),
        ]

    def current_spend(self, billing_account_id: str) -> CurrentSpend | None:
        sample = self._owner_of(lambda s: billing_account_id in s.customer.billing_account_ids)
        return CurrentSpend(
            billing_account_id,
            Decimal("154.50"),
            _sample_day(-12),
            tuple(
                SimSpend(sim.product_id, Decimal("154.50") if n == 0 else Decimal("0"))
                for n, sim in enumerate(sample.sims)
            ),
        )

    def _records(self, customer_id: str, flt: UsageFilter) -> list[UsageRecord]:
        records = [r for r in self._who(customer_id).records if r.id.startswith(flt.sim_product_id)]
        return [r for r in records if not flt.kinds or r.kind in flt.kinds]

    def list_usage(self, customer_id: str, filter: UsageFilter, offset: int, limit: int) -> UsagePage:
        records = self._records(customer_id, filter)
        return UsagePage(records[offset : offset + limit], len(records), offset, limit)

    def usage_summary(self, customer_id: str, filter: UsageFilter) -> UsageSummary:
        records = self._records(customer_id, filter)
        return UsageSummary(
            count=len(records),
            voice_seconds=sum(r.duration_seconds for r in records if r.kind is UsageKind.VOICE),
            sms_count=sum(r.count for r in records if r.kind is UsageKind.SMS),
            data_bytes=sum(r.volume_bytes for r in records),
            fee_count=sum(1 for r in records if r.kind is UsageKind.FEE),
            charged=sum((r.charge for r in records), Decimal("0")),
        )


# ---------------------------------------------------------------------- scenes


@dataclass(frozen=True)
class Scene:
    """One state of one section: the view that answers it, as whom and with what form."""

    id: str
    title: object  # lazy translated string
    endpoint: str
    customer: str | None = "normal"  # None: nobody is signed in (the sign-in forms)
    form: dict[str, str] = field(default_factory=dict)
    section: str = "overview"  # the navigation entry shown as current
    shell: bool = True  # inside the signed-in frame (header, navigation)


def scenes() -> list[Scene]:
    """Every scene the studio shows, in page order."""
    return [
        Scene("overview", _l("Overview"), "overview.index"),
        Scene("overview-data-used-up", _l("Overview: data used up"), "overview.index", "data-used-up"),
        Scene("overview-blocked", _l("Overview: blocked SIM"), "overview.index", "blocked"),
        Scene("overview-prepaid", _l("Overview: prepaid"), "overview.index", "prepaid"),
        Scene("sims", _l("SIM settings"), "sims.index", form={"sim": "normal-sim-1"}, section="sims"),
        Scene("packages", _l("Packages"), "packages.index", form={"sim": "normal-sim-1"}, section="packages"),
        Scene(
            "packages-confirm",
            _l("Package confirmation"),
            "packages.confirm",
            form={"sim": "normal-sim-1", "offering": "pkg-5gb"},
            section="packages",
        ),
        Scene("billing", _l("Invoices"), "billing.index", section="billing"),
        Scene(
            "invoice",
            _l("Invoice detail"),
            "billing.invoice",
            form={"invoice": "normal-inv-3"},
            section="billing",
        ),
        Scene(
            "usage", _l("Call log with results"), "usage.index", form={"preset": "last30"}, section="usage"
        ),
        Scene(
            "usage-errors",
            _l("Call log: filter errors"),
            "usage.index",
            form={"from": "31.2.2026", "to": "x"},
            section="usage",
        ),
        Scene("empty", _l("Empty: no SIM cards"), "overview.index", "empty"),
        Scene(
            "empty-usage",
            _l("Empty: no calls"),
            "usage.index",
            "blocked",
            form={"preset": "last30"},
            section="usage",
        ),
        Scene("error", _l("Error: platform unavailable"), "overview.index", "down"),
        Scene("contact", _l("Contact details"), "contact.index", section="contact"),
        Scene(
            "contact-errors",
            _l("Contact form with field errors"),
            "contact.save",
            form={
                "email": "jana@",
                "phone": "12",
                "street": "",
                "city": "Praha 2",
                "postal_code": "1200",
                "country": "CZ",
            },
            section="contact",
        ),
        Scene("signin", _l("Sign-in"), "auth.signin_form", None, shell=False),
        Scene(
            "signin-error",
            _l("Sign-in: error"),
            "auth.password_signin",
            None,
            form={"login": "jana"},
            shell=False,
        ),
    ]


def studio_partner() -> Partner:
    """The partner the scenes are shown for: every sign-in method, a support contact, an account."""
    return Partner(
        id=STUDIO_PARTNER,
        name="Studio Mobil",
        origins=("http://127.0.0.1",),
        sso=None,
        login_methods=("password", "sms"),
        payee_iban="CZ6508000000192000145399",
        support=SupportContact(
            phone="+420 800 123 456", email="pece@example.cz", url="https://example.cz/pece"
        ),
        roaming_notice="Roaming v EU je v ceně tarifu.",
    )


def render_scene(app: Flask, scene: Scene, locale: str) -> tuple[str, int]:
    """The widget's own answer for ``scene`` in ``locale`` (inside its frame when signed in)."""
    from .views import SECTIONS
    from .views.common import platform_error

    form = {"partner": STUDIO_PARTNER, **scene.form}
    # A fresh app context per scene: the locale and its catalog are kept on ``g``.
    with app.app_context(), app.test_request_context("/w/studio", method="POST", data=form):
        g.locale = locale
        g.request_id = "studio"
        if scene.customer is not None:
            session = WidgetSession("studio", STUDIO_PARTNER, scene.customer, locale, "password", time.time())
            g._login_user = WidgetUser(session, "studio")
        try:
            response = app.make_response(app.view_functions[scene.endpoint]())
        except PlatformError as exc:
            response = app.make_response(platform_error(exc))
        # ``autofocus`` would make the browser scroll the studio page to one of its many scenes.
        answer = _AUTOFOCUS.sub(" data-studio-autofocus", response.get_data(as_text=True))
        html = Markup(answer)  # noqa: S704 - the widget's own escaped HTML
        if scene.shell:
            platform = cast(SamplePlatform, app.extensions["selfcare_studio"]["platform"])
            sample = platform.customers[scene.customer or "normal"]
            html = Markup(  # noqa: S704 - the widget's own template
                render_template(
                    "widget/shell.html",
                    partner=studio_partner(),
                    customer_name=sample.customer.name,
                    sections=SECTIONS,
                    current=scene.section,
                    section_html=html,
                )
            )
        return html, response.status_code


# ---------------------------------------------------------------------- checks shown on the page


@dataclass(frozen=True)
class ProblemView:
    """A ``check-theme`` problem with the source line it points at."""

    problem: themes.Problem
    source: str


def _source_line(folder: Path, problem: themes.Problem) -> str:
    if not problem.line:
        return ""
    relative = problem.file.split("/", 1)[1] if "/" in problem.file else problem.file
    path = folder / relative
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return lines[problem.line - 1].strip()[:200] if problem.line <= len(lines) else ""


def property_users(css: str) -> dict[str, list[str]]:
    """``--sc-*`` property -> the widget selectors whose colour or background uses it.

    What the studio lists under a failing contrast pair ("the elements that use it") and
    outlines in the scenes.
    """
    users: dict[str, list[str]] = {}

    def visit(rules: list) -> None:
        for rule in rules:
            if rule.type == "at-rule" and rule.content is not None:
                visit(tinycss2.parse_rule_list(rule.content, skip_comments=True, skip_whitespace=True))
            if rule.type != "qualified-rule":
                continue
            selector = " ".join(tinycss2.serialize(rule.prelude).split())
            for decl in tinycss2.parse_blocks_contents(
                rule.content, skip_comments=True, skip_whitespace=True
            ):
                if decl.type != "declaration" or decl.lower_name not in (
                    "color",
                    "background",
                    "background-color",
                ):
                    continue
                for name in re.findall(r"var\(\s*(--sc-[a-z0-9-]+)", tinycss2.serialize(decl.value)):
                    if selector not in users.setdefault(name, []):
                        users[name].append(selector)

    visit(tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True))
    return users


def theme_report(folder: Path, css: str) -> dict[str, Any]:
    """What the check panel shows: problems by kind with their lines, and every contrast pair."""
    problems = themes.check_theme(folder, themes.base_defaults())
    theme_css = folder / themes.THEME_FILE
    pairs: list[themes.PairContrast] = []
    if theme_css.is_file():
        rules = tinycss2.parse_stylesheet(
            theme_css.read_text(encoding="utf-8"), skip_comments=True, skip_whitespace=True
        )
        pairs = themes.pair_contrasts(themes.theme_properties(rules), themes.base_defaults())
    users = property_users(css)
    contrast = [
        {
            "pair": pair,
            "selectors": [s for s in users.get(pair.foreground, []) if s in users.get(pair.background, [])]
            or users.get(pair.foreground, []),
        }
        for pair in pairs
    ]
    others = [ProblemView(p, _source_line(folder, p)) for p in problems if p.kind != themes.KIND_CONTRAST]
    unreadable = [p for p in problems if p.kind == themes.KIND_CONTRAST and "cannot be checked" in p.message]
    return {
        "ok": not problems,
        "count": len(problems),
        "contrast": contrast,
        "unreadable": [ProblemView(p, _source_line(folder, p)) for p in unreadable],
        "problems": others,
        "min_contrast": themes.MIN_CONTRAST,
    }


def theme_state(folder: Path) -> str:
    """A hash of every file of the theme (name, size, modification time): what the page polls."""
    digest = hashlib.sha256()
    if folder.is_dir():
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                stat = path.stat()
                digest.update(f"{path.relative_to(folder)}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:16]


# ---------------------------------------------------------------------- the app


def _studio_locale() -> str:
    wanted = request.args.get("lang", "")
    return wanted if wanted in LOCALES else "cs"


def create_studio_app(theme_dir: Path) -> Flask:
    """The widget app over the sample platform, with the studio page at ``/``."""
    from . import create_app

    folder = Path(theme_dir).resolve()
    if not folder.is_dir():
        raise ConfigError(f"{theme_dir}: not a theme folder")
    settings = load_settings(
        {
            "SELFCARE_PLATFORM_URL": "http://127.0.0.1:9",  # never called: the sample platform answers
            "SELFCARE_PLATFORM_CREDENTIAL": "theme-studio",
            "SELFCARE_REDIS_URL": "memory://theme-studio",
            "SELFCARE_PLATFORM_CACHE": "off",
            "SELFCARE_THEMES_DIR": str(PROJECT_ROOT / "themes"),
        }
    )
    sample = SamplePlatform()
    # The partner uses the shipped default theme for the start-up gate: the studied theme is put
    # on the page by the studio itself, so an unsafe one is shown with its problems, not refused.
    app = create_app(settings, partners={STUDIO_PARTNER: studio_partner()}, platform=cast(Any, sample))
    app.extensions["selfcare_studio"] = {"platform": sample, "folder": folder}
    css = widget_css(cast(str, app.static_folder))
    bp = Blueprint("studio", __name__)

    @bp.get("/")
    def page() -> str:
        locale = _studio_locale()
        rendered = []
        for scene in scenes():
            per_locale = {code: render_scene(app, scene, code) for code in LOCALES}
            rendered.append({"scene": scene, "html": per_locale})
        g.locale = locale
        return render_template(
            "studio/index.html",
            folder=folder,
            rendered=rendered,
            locales=LOCALES,
            widths=WIDTHS,
            report=theme_report(folder, css),
            state=theme_state(folder),
            lang=locale,
        )

    @bp.get("/studio/checks")
    def checks() -> str:
        g.locale = _studio_locale()
        return render_template("studio/_checks.html", report=theme_report(folder, css), folder=folder)

    @bp.get("/studio/state")
    def state() -> Response:
        response = jsonify(state=theme_state(folder))
        response.headers["Cache-Control"] = "no-store"
        return response

    @bp.get("/studio/widget.css")
    def stylesheet() -> Response:
        return Response(css, mimetype="text/css")

    @bp.get("/studio/theme/<path:filename>")
    def theme_file(filename: str) -> Response:
        suffix = Path(filename).suffix
        path = (folder / filename).resolve()
        if suffix not in THEME_FILE_TYPES or not path.is_relative_to(folder):
            abort(404)
        if not path.is_file():
            if filename == themes.EXTRA_FILE:  # optional: the page always asks for it
                return Response("", mimetype="text/css", headers={"Cache-Control": "no-store"})
            abort(404)
        response = send_file(path, mimetype=THEME_FILE_TYPES[suffix], max_age=0)
        response.headers["Cache-Control"] = "no-store"
        return response

    app.register_blueprint(bp)
    return app


def serve_studio(theme_dir: Path, host: str = "127.0.0.1", port: int = 8010) -> None:
    """Run the studio until interrupted (a development server on the loopback address)."""
    from werkzeug.serving import make_server

    app = create_studio_app(theme_dir)
    # The page polls /studio/state several times a second: keep those lines out of the log.
    logging.getLogger("werkzeug").addFilter(lambda record: "/studio/state" not in record.getMessage())
    server = make_server(host, port, app, threaded=True)
    print(f"Theme studio for {Path(theme_dir).resolve()}: http://{host}:{server.server_port}/")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


# ---------------------------------------------------------------------- theme-new


def new_theme(themes_dir: Path, name: str, source: str = "default") -> Path:
    """Copy theme ``source`` to ``themes_dir/name`` as a starting point (never over a folder)."""
    if not _THEME_NAME.match(name):
        raise ConfigError(
            f"{name!r} is not a theme name: lowercase letters, digits, '-' and '_', starting with a "
            "letter or digit, at most 40 characters"
        )
    origin = Path(source) if ("/" in source or "\\" in source) else Path(themes_dir) / source
    if not (origin / themes.THEME_FILE).is_file():
        raise ConfigError(f"{origin}: not a theme folder (no theme.css)")
    target = Path(themes_dir) / name
    if target.exists():
        raise ConfigError(f"{target} already exists: choose another name (nothing was overwritten)")
    shutil.copytree(origin, target, ignore=shutil.ignore_patterns(".*"))
    return target


__all__ = [
    "SamplePlatform",
    "Scene",
    "create_studio_app",
    "new_theme",
    "render_scene",
    "scenes",
    "serve_studio",
    "theme_report",
    "theme_state",
]
