"""EDRs that never give up: the Standard Webhooks retry schedule over ~27 hours and ``410 Gone``.

A real Redis and real HTTP to a webhook endpoint, as in test_worker.py; only the worker's clock
is injected (and jumped from one due time to the next), so 27 hours take a moment.
"""

from __future__ import annotations

import logging
import random
from itertools import pairwise

import pytest
from prometheus_client import REGISTRY

from selfcare_widget.edr import stream_key
from selfcare_widget.edr.worker import (
    STANDARD_WEBHOOKS_SCHEDULE,
    EdrWorker,
    WorkerConfig,
    dead_letters,
    delivery_status,
    enable_endpoint,
    endpoint_disabled,
    retry_key,
    scheduled_retries,
)
from tests.edr.helpers import CRM_SECRETS, add_edr, partner_with_webhook, scripted_endpoint

pytestmark = pytest.mark.redis

HOUR = 3600.0
START = 1_790_000_000.0  # the fake clock's start (unix seconds)
PARTNER = "demo-mobil"


class FakeClock:
    """The worker's clock, moved by the test."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Crm:
    """A CRM answering by the fake clock: 503 (or ``down_status``) until ``back_at``, then 200."""

    def __init__(self, clock: FakeClock, back_at: float = float("inf"), down_status: int = 503) -> None:
        self.clock, self.back_at, self.down_status = clock, back_at, down_status
        self.calls: list[tuple[float, int]] = []  # (fake time, status answered)

    def __call__(self) -> int:
        status = 200 if self.clock.now >= self.back_at else self.down_status
        self.calls.append((self.clock.now, status))
        return status

    @property
    def times(self) -> list[float]:
        return [at for at, _status in self.calls]


def _partners(test_partners, url: str):
    return {PARTNER: partner_with_webhook(test_partners[PARTNER], url, CRM_SECRETS[PARTNER])}


def _expected_attempt_times(seed: int, jitter: float = 0.1) -> list[float]:
    """START, then each scheduled delay lengthened by the injected random source's jitter."""
    rng = random.Random(seed)  # noqa: S311 - the same sequence the worker draws
    times = [START]
    for delay in STANDARD_WEBHOOKS_SCHEDULE:
        times.append(times[-1] + delay * (1 + rng.uniform(0.0, jitter)))
    return times


def _run_schedule(worker: EdrWorker, store, clock: FakeClock, crm: Crm) -> None:
    """Pass after pass, jumping the clock to the next due attempt (never earlier) until none is left."""
    worker.run_once()
    for _ in range(20):
        upcoming = scheduled_retries(store, PARTNER, count=1)
        if not upcoming:
            return
        due = upcoming[0].next_at
        calls = len(crm.calls)
        clock.now = due - 1.0  # a second early: nothing is sent
        stats = worker.run_once()
        assert (stats.deferred, len(crm.calls)) == (1, calls)
        clock.now = due
        worker.run_once()
        assert len(crm.calls) == calls + 1
    pytest.fail("the schedule did not end")


def test_the_schedule_is_the_standard_webhooks_one():
    config = WorkerConfig()
    assert config.retry_schedule == (5, 5 * 60, 30 * 60, 2 * HOUR, 5 * HOUR, 10 * HOUR, 10 * HOUR)
    assert config.max_attempts == 8
    assert 27 * HOUR < sum(config.retry_schedule) < 28 * HOUR


def test_a_crm_down_for_26_hours_still_gets_the_edr_exactly_once(store, test_partners):
    clock = FakeClock()
    crm = Crm(clock, back_at=START + 26 * HOUR)
    edr_id = add_edr(store)
    with scripted_endpoint(crm) as endpoint:
        jitter = random.Random(26)  # noqa: S311 - deterministic jitter
        worker = EdrWorker(store, _partners(test_partners, endpoint.url), "w1", clock=clock, rng=jitter)
        _run_schedule(worker, store, clock, crm)
        clock.now += 48 * HOUR  # and nothing more, ever
        assert worker.run_once().busy is False

    # eight attempts, at the scheduled times (jitter included), the last one answered 200
    assert crm.times == pytest.approx(_expected_attempt_times(26))
    for (earlier, later), delay in zip(pairwise(crm.times), STANDARD_WEBHOOKS_SCHEDULE, strict=True):
        assert delay <= later - earlier <= delay * 1.1
    assert [status for _at, status in crm.calls] == [503] * 7 + [200]
    assert crm.times[-1] - START > 27 * HOUR
    assert endpoint.ids() == [edr_id] * 8  # the same webhook-id every time
    assert delivery_status(store, PARTNER) == {"stream": 0, "pending": 0, "dead": 0}
    assert store.exists(retry_key(PARTNER)) == 0


def test_a_crm_down_for_longer_gets_a_dead_letter_after_the_8th_attempt(store, test_partners):
    clock = FakeClock()
    crm = Crm(clock)  # never back
    edr_id = add_edr(store)
    original = store.xrange(stream_key(PARTNER))[0][1]["edr"]
    with scripted_endpoint(crm) as endpoint:
        jitter = random.Random(8)  # noqa: S311 - deterministic jitter
        worker = EdrWorker(store, _partners(test_partners, endpoint.url), "w1", clock=clock, rng=jitter)
        _run_schedule(worker, store, clock, crm)
        clock.now += 48 * HOUR
        assert worker.run_once().busy is False

    assert crm.times == pytest.approx(_expected_attempt_times(8))
    assert endpoint.ids() == [edr_id] * 8
    assert delivery_status(store, PARTNER) == {"stream": 0, "pending": 0, "dead": 1}
    ((_dead_id, letter),) = dead_letters(store, PARTNER)
    assert letter["edr"] == original
    assert (letter["attempts"], letter["error"], letter["status"]) == ("8", "HTTP 503", "503")
    assert letter["failedAt"].startswith("2026-09-")  # the 8th attempt's (fake) time, ~27.6 h on
    assert store.exists(retry_key(PARTNER)) == 0


@pytest.mark.parametrize("status", [404, 400, 401])
def test_a_4xx_is_retried_on_the_schedule(store, test_partners, status):
    clock = FakeClock()
    crm = Crm(clock, back_at=START + 30 * 60, down_status=status)  # fixed after half an hour
    edr_id = add_edr(store)
    with scripted_endpoint(crm) as endpoint:
        config = WorkerConfig(backoff_jitter=0.0)
        worker = EdrWorker(store, _partners(test_partners, endpoint.url), "w1", config, clock=clock)
        _run_schedule(worker, store, clock, crm)
    assert crm.calls == [(START, status), (START + 5, status), (START + 305, status), (START + 2105, 200)]
    assert endpoint.ids() == [edr_id] * 4
    assert delivery_status(store, PARTNER) == {"stream": 0, "pending": 0, "dead": 0}


def test_jitter_spreads_edrs_failing_together_and_only_lengthens_the_delay(store, test_partners):
    clock = FakeClock()
    for _ in range(20):
        add_edr(store)
    with scripted_endpoint(503) as endpoint:
        worker = EdrWorker(store, _partners(test_partners, endpoint.url), "w1", clock=clock)
        assert worker.run_once().failed == 20
    retries = scheduled_retries(store, PARTNER, count=50)
    assert len(retries) == 20
    assert all(START + 5.0 <= r.next_at <= START + 5.5 for r in retries)
    assert len({r.next_at for r in retries}) > 10
    assert [r.next_at for r in retries] == sorted(r.next_at for r in retries)  # soonest first
    assert {(r.attempts, r.error) for r in retries} == {(1, "HTTP 503")}


def test_scheduled_retries_name_the_edr_its_attempts_and_next_time(store, test_partners):
    clock = FakeClock()
    first, second = add_edr(store), add_edr(store)
    with scripted_endpoint(503, 503, 500, 503) as endpoint:
        config = WorkerConfig(backoff_jitter=0.0)
        worker = EdrWorker(store, _partners(test_partners, endpoint.url), "w1", config, clock=clock)
        worker.run_once()  # both fail: next attempts at +5 s
        clock.now += 5
        store.hset(retry_key(PARTNER), "unrelated", "x")  # only the :next fields are read
        worker.run_once()  # 2nd attempts: HTTP 500 for the first, 503 for the second; next in 5 min
    retries = scheduled_retries(store, PARTNER)
    assert [(r.edr, r.attempts, r.next_at, r.error) for r in retries] == [
        (first, 2, START + 5 + 300, "HTTP 500"),
        (second, 2, START + 5 + 300, "HTTP 503"),
    ]
    assert scheduled_retries(store, PARTNER, count=1)[0].edr == first
    assert scheduled_retries(store, PARTNER, count=0) == []


def _worker_logs(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "selfcare_widget.edr.worker"]


def _metric(name: str) -> float:
    return REGISTRY.get_sample_value(name, {"partner": PARTNER}) or 0.0


def test_410_gone_disables_delivery_until_an_operator_re_enables_it(store, test_partners, caplog):
    clock = FakeClock()
    ids = [add_edr(store, page=n) for n in range(3)]
    disablements = _metric("selfcare_edr_endpoint_disablements_total")
    with scripted_endpoint(410, 200) as endpoint:  # gone; after the operator's fix it answers 200
        partners = _partners(test_partners, endpoint.url)
        worker = EdrWorker(store, partners, "w1", clock=clock)
        with caplog.at_level(logging.INFO, logger="selfcare_widget.edr.worker"):
            stats = worker.run_once()
        assert (stats.disabled, stats.delivered, stats.failed, stats.dead) == (1, 0, 0, 0)
        assert endpoint.ids() == [ids[0]]  # the others are not even tried
        errors = [r.getMessage() for r in _worker_logs(caplog) if r.levelno == logging.ERROR]
        assert len(errors) == 1 and "410 Gone" in errors[0] and PARTNER in errors[0]
        assert "edr-replay --partner demo-mobil --enable-endpoint" in errors[0]
        assert _metric("selfcare_edr_endpoint_disabled") == 1.0
        assert _metric("selfcare_edr_endpoint_disablements_total") == disablements + 1
        disabled = endpoint_disabled(store, PARTNER)
        assert disabled is not None
        assert (disabled["status"], disabled["edr"]) == (410, ids[0])

        # days pass, other workers start: nothing is sent, nothing is lost, nothing dead-lettered
        clock.now += 3 * 24 * HOUR
        caplog.clear()
        for name in ("w1", "w2"):
            with caplog.at_level(logging.INFO, logger="selfcare_widget.edr.worker"):
                stats = EdrWorker(store, partners, name, clock=clock).run_once()
            assert (stats.disabled, stats.busy) == (1, False)
        assert len(endpoint.calls) == 1
        assert delivery_status(store, PARTNER) == {"stream": 3, "pending": 3, "dead": 0}
        # a worker (re)started meanwhile says so once, at ERROR too
        assert [r.levelno for r in _worker_logs(caplog)] == [logging.ERROR, logging.ERROR]

        assert enable_endpoint(store, PARTNER) == disabled
        assert enable_endpoint(store, PARTNER) is None  # idempotent
        stats = worker.run_once()

    assert stats.delivered == 3
    assert endpoint.ids() == [ids[0], *ids]  # in stream order, each delivered (2xx) once
    assert _metric("selfcare_edr_endpoint_disabled") == 0.0
    assert delivery_status(store, PARTNER) == {"stream": 0, "pending": 0, "dead": 0}


def test_the_410_that_disables_is_not_counted_as_an_attempt(store, test_partners):
    clock = FakeClock()
    edr_id = add_edr(store)
    with scripted_endpoint(503, 410, 200) as endpoint:
        config = WorkerConfig(backoff_jitter=0.0)
        worker = EdrWorker(store, _partners(test_partners, endpoint.url), "w1", config, clock=clock)
        assert worker.run_once().failed == 1
        clock.now += 5
        assert worker.run_once().disabled == 1
        (retry,) = scheduled_retries(store, PARTNER)
        assert (retry.attempts, retry.error) == (1, "HTTP 503")  # the 410 changed nothing
        enable_endpoint(store, PARTNER)
        assert worker.run_once().delivered == 1  # due at once after re-enabling
    assert endpoint.ids() == [edr_id] * 3
    assert store.exists(retry_key(PARTNER)) == 0
