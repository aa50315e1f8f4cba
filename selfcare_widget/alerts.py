"""Usage alerts: notices at 80 % and 100 % of a SIM's data and when a prepaid credit runs low.

Customers opt in per SIM in the widget (``views/alerts.py``); the preference is stored on the
platform as the TMF629 customer characteristic ``usageAlerts`` (docs/platform-contract.md). This
module is the checker that the ``selfcare-widget alerts`` process runs every ``--interval``
seconds, for the customers of every partner:

1. ``list_alert_customers(partner)``: the partner's customers with alerts on (checked again:
   a customer of another partner is never handled in this partner's pass);
2. their SIMs and buckets through the cached platform reads (``platform/cached.py``);
3. per SIM, which thresholds are reached: ``data80`` / ``data100`` over the SIM's limited data
   allowances (tariff and packages together), ``credit`` when a prepaid line's credit is below
   the amount the customer chose;
4. a notice goes out through TMF681 (SMS to the line, or e-mail to the customer's contact
   address) at most once per threshold per period: before sending, the checker claims the key
   ``sc:alerts:sent:<partner>:<SIM>:<threshold>:<period>`` with ``SET NX`` and a TTL to the
   period's end (+ a day), so neither a second pass nor a second replica sends it again; a
   failed send releases the claim for the next pass.

The data period is the allowance's validity (TMF654 ``validFor.endDateTime``, the billing
period); the credit's period is the calendar month (Europe/Prague). When the data jumped past
both thresholds between two passes, only the 100 % notice is sent (the 80 % one is claimed with
it). Texts are in the language the customer used when turning the alerts on (Czech by default)
and name the partner and the number. Logs carry ids only, never numbers, addresses or texts.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import redis
from babel.numbers import format_currency
from babel.support import NullTranslations
from prometheus_client import Counter

from .i18n import SUPPORTED, TIME_ZONE, compile_catalog, msisdn, po_path
from .partners import Partner
from .platform import Platform, PlatformError
from .platform.models import AlertChannel, BucketKind, Customer, Sim, UnitBucket, UsageAlert

if TYPE_CHECKING:
    from .config import Settings

log = logging.getLogger(__name__)

SENT_PREFIX = "sc:alerts:sent:"
#: Data thresholds, in per cent of the allowance used.
DATA_THRESHOLDS = (80, 100)
#: A dedup key outlives its period by this much (clocks of replicas and the platform differ a little).
KEY_GRACE_SECONDS = 24 * 3600
ZONE = ZoneInfo(TIME_ZONE)

SENT = Counter(
    "selfcare_usage_alerts_sent",
    "Usage alerts sent through the platform (TMF681), by partner, threshold and channel.",
    ["partner", "threshold", "channel"],
)


def _(message: str) -> str:
    """Marks a msgid for the catalog (``python -m selfcare_widget.catalog``); translated at send time."""
    return message


DATA_80_TEXT = _(
    "%(partner)s: the number %(number)s has used %(percent)s of its mobile data for this period."
)
DATA_100_TEXT = _(
    "%(partner)s: the number %(number)s has used all its mobile data for this period. "
    "You can buy more data in self-care."
)
CREDIT_TEXT = _(
    "%(partner)s: the credit of the number %(number)s is %(credit)s, below the %(limit)s you set. "
    "You can top up in self-care."
)
SUBJECT_TEXT = _("%(partner)s: usage alert for %(number)s")
OFF_TEXT = _("You can turn these alerts off in self-care, in the SIM card's settings.")


@lru_cache(maxsize=len(SUPPORTED))
def _translations(language: str) -> NullTranslations:
    if language in SUPPORTED and po_path(language).is_file():
        return compile_catalog(language)
    return NullTranslations()  # English: the msgids are the texts


@dataclass(frozen=True)
class Notice:
    """One threshold a SIM has reached in a period."""

    threshold: str  # data80 | data100 | credit
    period: str  # the period's id: its last day (data) or the month (credit)
    period_end: datetime
    credit: Decimal | None = None  # the credit, for the credit notice


@dataclass
class CheckStats:
    """What one pass did (for logs and tests)."""

    customers: int = 0
    sims: int = 0
    sent: int = 0
    already: int = 0  # reached, but this period's notice went out before
    failed: int = 0  # could not be sent; tried again next pass


def _month_end(day: date) -> datetime:
    first_next = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return datetime.combine(first_next, datetime.min.time(), tzinfo=ZONE) - timedelta(seconds=1)


def data_notices(sim: Sim, buckets: list[UnitBucket], now: datetime) -> list[Notice]:
    """The data thresholds the SIM has reached, highest first (empty: none, or no limited data).

    The SIM's limited data allowances of the current period are added up (tariff and packages);
    an unlimited allowance (a fair-use cap) and an allowance of unknown size are left out.
    """
    data = [
        b
        for b in buckets
        if b.sim_product_id == sim.product_id
        and b.kind is BucketKind.DATA
        and not b.unlimited
        and b.initial
        and (b.valid_until is None or b.valid_until >= now)
    ]
    if not data:
        return []
    total = sum((b.initial or Decimal(0) for b in data), Decimal(0))
    left = sum((max(b.remaining, Decimal(0)) for b in data), Decimal(0))
    ends = [b.valid_until for b in data if b.valid_until is not None]
    # the tariff's allowance defines the billing period; packages may end earlier
    tariff_ends = [b.valid_until for b in data if b.valid_until is not None and not b.package_product_id]
    period_end = max(tariff_ends or ends) if ends else _month_end(now.date())
    period = period_end.astimezone(ZONE).date().isoformat()
    used = 1 - left / total if total > 0 else Decimal(0)
    reached = [t for t in DATA_THRESHOLDS if (left <= 0 if t == 100 else used * 100 >= t)]
    return [Notice(f"data{t}", period, period_end) for t in sorted(reached, reverse=True)]


def credit_notice(sim: Sim, alert: UsageAlert, buckets: list[UnitBucket], now: datetime) -> Notice | None:
    """The credit notice of a prepaid line whose credit is below the customer's amount, else None."""
    if not sim.tariff.prepaid or alert.credit_below is None:
        return None
    credit = next(
        (
            b
            for b in buckets
            if b.sim_product_id == sim.product_id
            and b.kind is BucketKind.MONETARY
            and not b.package_product_id
        ),
        None,
    )
    if credit is None or credit.remaining >= alert.credit_below:
        return None
    local = now.astimezone(ZONE)
    return Notice("credit", f"{local:%Y-%m}", _month_end(local.date()), credit=credit.remaining)


def sent_key(partner_id: str, sim_product_id: str, threshold: str, period: str) -> str:
    """The dedup key of one notice: partner, SIM, threshold and period."""
    return f"{SENT_PREFIX}{partner_id}:{sim_product_id}:{threshold}:{period}"


def message(notice: Notice, alert: UsageAlert, partner: Partner, sim: Sim) -> tuple[str, str]:
    """``(subject, text)`` of a notice in the alert's language (Czech when unknown)."""
    language = alert.language if alert.language in SUPPORTED else "cs"
    gettext = _translations(language).gettext
    number = msisdn(sim.msisdn)
    params: dict[str, str] = {"partner": partner.name, "number": number}
    if notice.threshold == "data80":
        text = gettext(DATA_80_TEXT) % {**params, "percent": "80\u00a0%"}
    elif notice.threshold == "data100":
        text = gettext(DATA_100_TEXT) % params
    else:
        text = gettext(CREDIT_TEXT) % {
            **params,
            "credit": format_currency(notice.credit or 0, "CZK", locale=language),
            "limit": format_currency(alert.credit_below or 0, "CZK", locale=language),
        }
    if alert.channel is AlertChannel.EMAIL:
        text = f"{text}\n\n{gettext(OFF_TEXT)}"
    return gettext(SUBJECT_TEXT) % params, text


class AlertChecker:
    """One pass (``run_once``) or a loop (``run_forever``) over the customers of every partner.

    ``clock`` (unix seconds) can be injected: a test moves through periods in moments.
    """

    def __init__(
        self,
        platform: Platform,
        store: redis.Redis,
        partners: Mapping[str, Partner],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.platform = platform
        self.store = store
        self.partners = partners
        self.clock = clock

    def run_forever(self, stop_event: threading.Event, interval: float) -> None:
        """A pass every ``interval`` seconds until ``stop_event`` is set (SIGTERM: graceful)."""
        log.info("usage alerts started for %d partner(s), every %s s", len(self.partners), interval)
        while not stop_event.is_set():
            try:
                stats = self.run_once(stop_event)
                log.info(
                    "usage alerts pass: %d customer(s), %d SIM(s), %d sent, %d already sent, %d failed",
                    stats.customers,
                    stats.sims,
                    stats.sent,
                    stats.already,
                    stats.failed,
                )
            except redis.RedisError as exc:
                # No claims can be made without the store: send nothing rather than twice.
                log.warning("usage alerts: store unavailable (%s)", type(exc).__name__)
            stop_event.wait(interval)
        log.info("usage alerts stopped")

    def run_once(self, stop_event: threading.Event | None = None) -> CheckStats:
        """One pass over the customers with alerts of every partner (``stop_event`` set: the
        pass ends after the customer in hand, so SIGTERM never waits for a whole pass)."""
        stats = CheckStats()
        for partner in self.partners.values():
            if stop_event is not None and stop_event.is_set():
                break
            try:
                customers = self.platform.list_alert_customers(partner.id)
            except PlatformError as exc:
                log.warning("usage alerts: customers of %s unreadable (%s)", partner.id, type(exc).__name__)
                continue
            for customer in customers:
                if stop_event is not None and stop_event.is_set():
                    break
                if customer.partner_id != partner.id:  # never another partner's customer
                    log.warning(
                        "usage alerts: customer %s is not of partner %s; skipped", customer.id, partner.id
                    )
                    continue
                stats.customers += 1
                try:
                    self._check_customer(partner, customer, stats)
                except PlatformError as exc:
                    log.warning("usage alerts: customer %s not checked (%s)", customer.id, type(exc).__name__)
        return stats

    def _check_customer(self, partner: Partner, customer: Customer, stats: CheckStats) -> None:
        # Only the customer's own SIMs count: a preference naming another product is ignored.
        sims = {s.product_id: s for s in self.platform.list_sims(customer.id) if s.state == "active"}
        wanted = [(sims[a.sim_product_id], a) for a in customer.usage_alerts if a.sim_product_id in sims]
        if not wanted:
            return
        buckets = self.platform.list_buckets(sorted(sims))
        now = datetime.fromtimestamp(self.clock(), tz=ZONE)
        for sim, alert in wanted:
            stats.sims += 1
            notices = data_notices(sim, buckets, now) if alert.data else []
            credit = credit_notice(sim, alert, buckets, now)
            if notices:
                # the highest threshold reached is told; the lower ones are claimed with it
                self._notify(partner, customer, sim, alert, notices[0], stats, also=notices[1:])
            if credit is not None:
                self._notify(partner, customer, sim, alert, credit, stats)

    def _notify(
        self,
        partner: Partner,
        customer: Customer,
        sim: Sim,
        alert: UsageAlert,
        notice: Notice,
        stats: CheckStats,
        also: list[Notice] | None = None,
    ) -> None:
        now = self.clock()
        ttl = max(60, int(notice.period_end.timestamp() - now) + KEY_GRACE_SECONDS)
        key = sent_key(partner.id, sim.product_id, notice.threshold, notice.period)
        if not self.store.set(key, str(int(now)), nx=True, ex=ttl):
            stats.already += 1
            return
        subject, text = message(notice, alert, partner, sim)
        try:
            if alert.channel is AlertChannel.EMAIL:
                if not customer.contact.email:
                    raise _NoAddress
                self.platform.send_email(customer.contact.email, subject, text, sender=partner.name)
            else:
                self.platform.send_sms(sim.msisdn, text)
        except (PlatformError, _NoAddress) as exc:
            self.store.delete(key)  # not sent: the next pass tries again
            stats.failed += 1
            log.warning(
                "usage alert %s of SIM %s (partner %s) not sent: %s",
                notice.threshold,
                sim.product_id,
                partner.id,
                type(exc).__name__,
            )
            return
        for lower in also or []:
            self.store.set(
                sent_key(partner.id, sim.product_id, lower.threshold, lower.period),
                str(int(now)),
                nx=True,
                ex=ttl,
            )
        stats.sent += 1
        SENT.labels(partner.id, notice.threshold, alert.channel.value).inc()
        log.info(
            "usage alert %s of SIM %s sent to customer %s (partner %s, %s)",
            notice.threshold,
            sim.product_id,
            customer.id,
            partner.id,
            alert.channel.value,
        )


class _NoAddress(Exception):
    """The customer chose e-mail but has no e-mail address in the contact details."""


def platform_from_settings(settings: Settings, store: redis.Redis) -> Platform:
    """The cached TMF platform, configured like the widget's (``create_app``)."""
    import uuid

    from .platform.cached import CachedPlatform
    from .platform.tmf import TmfPlatform, TmfSettings

    inner = TmfPlatform(
        TmfSettings(
            base_url=settings.platform_url,
            credential=settings.platform_credential,
            connect_timeout=settings.platform_connect_timeout,
            read_timeout=settings.platform_read_timeout,
            deadline=settings.platform_deadline,
        ),
        request_id=lambda: uuid.uuid4().hex,
    )
    return CachedPlatform(inner, store) if settings.platform_cache else inner
