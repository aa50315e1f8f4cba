"""The alerts process's checker against the sandbox over real HTTP, with an injected clock.

Each pass is a new ``AlertChecker`` sharing only the store, like two runs of the process (or two
replicas): no notice goes out twice in a period, and the next period notifies again.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal

import pytest

from selfcare_widget.alerts import SENT_PREFIX, AlertChecker, data_notices, sent_key
from selfcare_widget.platform import Unavailable
from selfcare_widget.platform.models import (
    AlertChannel,
    BucketKind,
    Sim,
    Tariff,
    UnitBucket,
    UsageAlert,
)
from tests.alerts.conftest import PRAGUE, month_end, outbox


def expire_cache(store) -> None:
    """What the cache's 30 s TTL does between two passes of the process (5 min apart)."""
    keys = store.keys("sc:cache:*")
    if keys:
        store.delete(*keys)


def run(cached, store, partners, at: datetime):
    """One pass of the process at ``at`` (a fresh checker: nothing kept in memory between runs)."""
    expire_cache(store)
    return AlertChecker(cached, store, partners, clock=lambda: at.timestamp()).run_once()


def texts(platform_url: str, msisdn: str) -> list[str]:
    return [m["content"] for m in outbox(platform_url, **{"receiver.phoneNumber": msisdn})]


def test_data_alerts_at_80_and_100_percent_once_per_period(
    tmf, cached, store, buckets, test_partners, alerts_platform_url
):
    sim, number = "prod-0001-2", "420602345678"
    tmf.update_usage_alerts("cust-0001", (UsageAlert(sim, AlertChannel.SMS, data=True, language="cs"),))
    now = datetime.now(PRAGUE)
    before = len(texts(alerts_platform_url, number))

    buckets.data_used(sim, 0.5)
    assert run(cached, store, test_partners, now).sent == 0  # half used: nothing to say

    buckets.data_used(sim, 0.85)
    first = run(cached, store, test_partners, now)
    assert (first.customers, first.sent) == (1, 1)
    sent = texts(alerts_platform_url, number)
    assert len(sent) == before + 1
    assert "Demo Mobil" in sent[0] and "+420 602 345 678" in sent[0] and "80\u00a0%" in sent[0]
    assert "vyčerpalo" in sent[0]  # Czech, the language the alerts were turned on in

    # the second run (a new process) of the same period says nothing again
    second = run(cached, store, test_partners, now + timedelta(minutes=5))
    assert (second.sent, second.already) == (0, 1)
    assert len(texts(alerts_platform_url, number)) == before + 1

    buckets.data_used(sim, 1.0)
    assert run(cached, store, test_partners, now + timedelta(minutes=10)).sent == 1
    assert "všechna mobilní data" in texts(alerts_platform_url, number)[0]
    again = run(cached, store, test_partners, now + timedelta(minutes=15))
    assert (again.sent, again.already) == (0, 1)
    assert len(texts(alerts_platform_url, number)) == before + 2

    # the next billing period: the platform renews the allowance; used up again -> told again
    next_end = month_end(month_end(now.date()) + timedelta(days=1))
    next_month = datetime.combine(next_end.replace(day=20), clock_time(12), tzinfo=PRAGUE)
    buckets.data_used(sim, 1.0, period_end=next_end)
    renewed = run(cached, store, test_partners, next_month)
    assert renewed.sent == 1
    assert len(texts(alerts_platform_url, number)) == before + 3
    assert run(cached, store, test_partners, next_month + timedelta(hours=1)).sent == 0
    # the keys expire with their period (plus a day), not before it ends
    keys = store.keys(f"{SENT_PREFIX}demo-mobil:{sim}:*")
    assert len(keys) == 4  # data80 + data100, in each of the two periods
    ttl = store.ttl(sent_key("demo-mobil", sim, "data100", next_end.isoformat()))
    period_left = datetime.combine(next_end, clock_time(23, 59, 59), tzinfo=PRAGUE) - next_month
    assert abs(ttl - (period_left.total_seconds() + 24 * 3600)) < 5

    tmf.update_usage_alerts("cust-0001", ())


def test_low_credit_of_a_prepaid_line_by_email_in_english_once_a_month(
    tmf, cached, store, buckets, test_partners, alerts_platform_url
):
    sim = "prod-0005-1"
    tmf.update_usage_alerts(
        "cust-0005",
        (UsageAlert(sim, AlertChannel.EMAIL, data=False, credit_below=Decimal("50"), language="en"),),
    )
    address = tmf.get_customer("cust-0005").contact.email
    mails = lambda: outbox(alerts_platform_url, **{"receiver.email": address})  # noqa: E731
    before = len(mails())
    now = datetime.now(PRAGUE)

    buckets.credit(sim, 120)
    assert run(cached, store, test_partners, now).sent == 0
    buckets.credit(sim, 35.5)
    assert run(cached, store, test_partners, now).sent == 1
    assert run(cached, store, test_partners, now + timedelta(minutes=5)).sent == 0
    got = mails()
    assert len(got) == before + 1
    mail = got[0]
    assert mail["messageType"] == "Email"
    assert mail["subject"] == "Demo Mobil: usage alert for +420 776 100 200"
    # amounts as the widget shows them in English (babel: CZK35.50)
    assert "is CZK35.50, below the CZK50.00 you set" in mail["content"]
    assert "turn these alerts off" in mail["content"]
    # no SMS went to the line: the customer chose e-mail
    assert not [t for t in texts(alerts_platform_url, "420776100200") if "usage alert" in t or "kredit" in t]

    next_month = datetime.combine(month_end(now.date()) + timedelta(days=2), clock_time(9), tzinfo=PRAGUE)
    assert run(cached, store, test_partners, next_month).sent == 1
    assert len(mails()) == before + 2
    tmf.update_usage_alerts("cust-0005", ())


def test_each_partner_covers_its_own_customers_only(
    tmf, cached, store, buckets, test_partners, alerts_platform_url
):
    """cust-0003 is Zelená mobil's: its notice names Zelená mobil, and a demo-mobil-only process
    (or a platform that ignores the partner filter) never sends it."""
    sim, number = "prod-0003-1", "420731222333"
    tmf.update_usage_alerts("cust-0003", (UsageAlert(sim, AlertChannel.SMS, language="cs"),))
    buckets.data_used(sim, 1.0)
    now = datetime.now(PRAGUE)
    before = len(texts(alerts_platform_url, number))

    only_demo = {"demo-mobil": test_partners["demo-mobil"]}
    assert run(cached, store, only_demo, now).sent == 0

    class IgnoresPartnerFilter:
        """A platform answering every partner's customers to any partner's query."""

        def __init__(self, inner):
            self.inner = inner

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def list_alert_customers(self, partner_id):
            return [c for p in ("demo-mobil", "zelena-mobil") for c in self.inner.list_alert_customers(p)]

    assert run(IgnoresPartnerFilter(cached), store, only_demo, now).sent == 0
    assert len(texts(alerts_platform_url, number)) == before

    stats = run(cached, store, test_partners, now)
    assert stats.sent == 1
    sent = texts(alerts_platform_url, number)
    assert len(sent) == before + 1
    assert sent[0].startswith("Zelená mobil:") and "Demo Mobil" not in sent[0]
    assert "+420 731 222 333" in sent[0]
    tmf.update_usage_alerts("cust-0003", ())


def test_a_notice_that_could_not_be_sent_goes_out_next_pass(
    tmf, cached, store, buckets, test_partners, alerts_platform_url
):
    sim, number = "prod-0002-1", "420603111222"
    tmf.update_usage_alerts("cust-0002", (UsageAlert(sim, AlertChannel.SMS, language="en"),))
    buckets.data_used(sim, 0.9)
    now = datetime.now(PRAGUE)
    before = len(texts(alerts_platform_url, number))

    class SmsDown:
        def __init__(self, inner):
            self.inner = inner

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def send_sms(self, msisdn, text):
            raise Unavailable("TMF681 down")

    failed = run(SmsDown(cached), store, test_partners, now)
    assert (failed.sent, failed.failed) == (0, 1)
    assert len(texts(alerts_platform_url, number)) == before
    assert run(cached, store, test_partners, now + timedelta(minutes=5)).sent == 1
    sent = texts(alerts_platform_url, number)
    assert len(sent) == before + 1
    assert sent[0] == (
        "Demo Mobil: the number +420 603 111 222 has used 80\u00a0% of its mobile data for this period."
    )
    tmf.update_usage_alerts("cust-0002", ())


def test_alerts_of_a_sim_the_customer_does_not_own_are_ignored(tmf, cached, store, test_partners):
    """The platform validates productId; a platform that did not still sends nothing for it."""
    from selfcare_widget.platform.models import ContactDetails, Customer

    stranger = Customer(
        "cust-0001",
        "demo-mobil",
        "Jan",
        "approved",
        ContactDetails(email="jan@example.cz"),
        usage_alerts=(UsageAlert("prod-0004-2", AlertChannel.SMS),),
    )

    class Lying:
        def __init__(self, inner):
            self.inner = inner

        def __getattr__(self, name):
            return getattr(self.inner, name)

        def list_alert_customers(self, partner_id):
            return [stranger] if partner_id == "demo-mobil" else []

    stats = run(Lying(cached), store, test_partners, datetime.now(PRAGUE))
    assert (stats.customers, stats.sims, stats.sent) == (1, 0, 0)


# --- the thresholds, on domain objects ---------------------------------------------------------


def _sim(prepaid: bool = False) -> Sim:
    return Sim("p1", "420601000000", "89", "active", Tariff("t", "T", prepaid), "s1", "r1")


def _data(remaining: int, initial: int = 1000, **kw) -> UnitBucket:
    end = datetime(2026, 4, 30, 23, 59, 59, tzinfo=PRAGUE)
    return UnitBucket(
        kw.pop("id", "b"),
        "p1",
        BucketKind.DATA,
        "data",
        Decimal(remaining),
        "MB",
        Decimal(initial),
        kw.pop("valid_until", end),
        **kw,
    )


NOW = datetime(2026, 4, 15, 12, tzinfo=PRAGUE)


@pytest.mark.parametrize(
    ("remaining", "expected"),
    [
        (1000, []),
        (201, []),
        (200, ["data80"]),
        (1, ["data80"]),
        (0, ["data100", "data80"]),
        (-5, ["data100", "data80"]),
    ],
)
def test_data_thresholds(remaining, expected):
    assert [n.threshold for n in data_notices(_sim(), [_data(remaining)], NOW)] == expected


def test_tariff_and_packages_count_together_and_unlimited_does_not():
    tariff = _data(0, 1000, id="t")  # the tariff's data used up ...
    package = _data(1000, 1000, id="p", package_product_id="pkg")  # ... but a package is untouched
    assert [n.threshold for n in data_notices(_sim(), [tariff, package], NOW)] == []
    assert data_notices(_sim(), [_data(0, unlimited=True)], NOW) == []
    # an allowance of an ended period is not this period's
    assert (
        data_notices(_sim(), [_data(0, valid_until=datetime(2026, 3, 31, 23, 59, 59, tzinfo=PRAGUE))], NOW)
        == []
    )


def test_the_period_is_the_tariff_allowance_validity():
    (notice, *_rest) = data_notices(_sim(), [_data(0)], NOW)
    assert notice.period == date(2026, 4, 30).isoformat()


def test_clock_is_injected_not_read():
    """Sanity of the harness: a checker with a clock far in the future keys by that clock's month."""
    from selfcare_widget.alerts import credit_notice

    bucket = UnitBucket("c", "p1", BucketKind.MONETARY, "kredit", Decimal("10"), "CZK")
    alert = UsageAlert("p1", credit_below=Decimal("50"))
    later = datetime.fromtimestamp(time.time() + 400 * 86400, tz=PRAGUE)
    notice = credit_notice(_sim(prepaid=True), alert, [bucket], later)
    assert notice is not None and notice.period == f"{later:%Y-%m}"
    assert credit_notice(_sim(prepaid=False), alert, [bucket], later) is None
