"""A slow, hanging, garbled or lying platform costs a bounded time, never a stuck thread (issue 11).

Fault injection over real TCP on loopback (:mod:`tests.platform.slow_platform`). The only timing
assertions are "ends within the deadline + slack" and "fails fast when the circuit is open".
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from selfcare_widget.platform.errors import Unavailable
from selfcare_widget.platform.tmf import (
    ACCOUNT,
    CUSTOMER,
    MAX_LIST_PAGES,
    ORDERING,
    TmfPlatform,
    TmfSettings,
)
from tests.platform.slow_platform import SlowPlatform, serve_slow_platform
from tests.support import free_port

DEADLINE = 0.5
SLACK = 0.5  # scheduling and the last recv; far below what any fault would cost without a deadline
FAST = 0.5  # "fails fast": no network at all while the circuit is open


@pytest.fixture
def slow() -> Iterator[SlowPlatform]:
    with serve_slow_platform(SlowPlatform()) as platform:
        yield platform


def client(url: str, **overrides) -> TmfPlatform:
    """Per-read timeouts longer than the deadline, so only the deadline can end a slow call."""
    settings = {
        "base_url": url,
        "credential": "x",
        "connect_timeout": 2.0,
        "read_timeout": 5.0,
        "deadline": DEADLINE,
        "retry_backoff": 0.0,
        **overrides,
    }
    return TmfPlatform(TmfSettings(**settings))


def timed(call) -> tuple[BaseException | None, float]:
    started = time.monotonic()
    try:
        call()
    except BaseException as exc:  # noqa: BLE001 - the test inspects it
        return exc, time.monotonic() - started
    return None, time.monotonic() - started


# ---------------------------------------------------------------------- the deadline


@pytest.mark.parametrize("mode", ["trickle_body", "trickle_headers", "hang", "hang_body"])
def test_a_slow_answer_ends_at_the_deadline(slow, mode):
    slow.mode, slow.interval = mode, 0.1  # each byte well within the 5 s read timeout
    with client(slow.url) as tmf:
        error, took = timed(lambda: tmf.get_customer("c1"))
    assert isinstance(error, Unavailable)
    assert took < DEADLINE + SLACK
    assert slow.hits == 1  # a read timeout or passed deadline is never retried


def test_a_write_ends_at_the_deadline_and_is_sent_once(slow):
    slow.mode = "trickle_body"
    with client(slow.url) as tmf:
        error, took = timed(lambda: tmf.order_package("c1", "sim1", "addon-50sms", "key-1"))
    assert isinstance(error, Unavailable)
    assert took < DEADLINE + SLACK
    assert slow.paths == [f"{ORDERING}/productOrder"]


def test_sign_in_ends_at_the_deadline(slow):
    slow.mode = "hang"
    with client(slow.url) as tmf:
        error, took = timed(lambda: tmf.authenticate("demo-mobil", "jan@example.cz", "secret"))
    assert isinstance(error, Unavailable)
    assert took < DEADLINE + SLACK


@pytest.mark.parametrize("mode", ["garbage", "garbage_json"])
def test_garbage_is_unavailable_at_once(slow, mode):
    slow.mode = mode
    with client(slow.url, get_retries=0) as tmf:
        error, took = timed(lambda: tmf.get_customer("c1"))
    assert isinstance(error, Unavailable)
    assert took < DEADLINE + SLACK


def test_get_retries_never_reach_past_the_deadline(slow):
    """503s after 0.15 s each: eleven attempts would take 1.65 s; the deadline ends the call first."""
    slow.mode, slow.delay = "unavailable", 0.15
    with client(slow.url, get_retries=10) as tmf:
        error, took = timed(lambda: tmf.get_customer("c1"))
    assert isinstance(error, Unavailable)
    assert took < DEADLINE + SLACK
    assert 2 <= slow.hits <= 4  # retried, but only while time was left


def test_retry_backoff_never_reaches_past_the_deadline():
    """Nothing listens: backoffs of 0.4, 0.8, 1.6 ... s are cut to what the deadline leaves."""
    with client(f"http://127.0.0.1:{free_port()}", get_retries=10, retry_backoff=0.2) as tmf:
        error, took = timed(lambda: tmf.get_customer("c1"))
    assert isinstance(error, Unavailable)
    assert took < DEADLINE + SLACK


def test_a_list_shares_one_deadline(slow):
    """Pages of 0.15 s each, forever: not 20 x 0.15 s, but the deadline for the whole list."""
    slow.mode, slow.delay = "liar", 0.15
    with client(slow.url) as tmf:
        error, took = timed(lambda: tmf.list_billing_accounts("c1"))
    assert isinstance(error, Unavailable)
    assert took < DEADLINE + SLACK
    assert slow.hits <= 4


# ---------------------------------------------------------------------- the page cap


def test_a_list_lying_about_its_total_is_bounded_by_the_page_cap(slow):
    """Claims 100 000 000 items and hands out full pages forever: 20 pages, then Unavailable."""
    slow.mode = "liar"
    tmf = client(slow.url, deadline=30.0)  # the page cap ends it, not the deadline
    with tmf, pytest.raises(Unavailable, match="too long"):
        tmf.list_billing_accounts("c1")
    assert MAX_LIST_PAGES == 20
    assert slow.paths == [f"{ACCOUNT}/billingAccount"] * MAX_LIST_PAGES


# ---------------------------------------------------------------------- the circuit breaker


def test_a_dead_api_costs_a_few_failures_then_fails_fast(slow):
    slow.mode = "hang"
    with client(slow.url, breaker_failures=3, breaker_cooldown=60.0) as tmf:
        # Three requests hang at once (three widget threads); each ends at the deadline.
        results: list[tuple[BaseException | None, float]] = []
        threads = [
            threading.Thread(target=lambda: results.append(timed(lambda: tmf.get_customer("c1"))))
            for _ in range(3)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(DEADLINE + 5)
        assert [isinstance(e, Unavailable) and took < DEADLINE + SLACK for e, took in results] == [True] * 3
        assert tmf.breaker_states()[CUSTOMER] == "open"

        hits = slow.hits
        for _ in range(50):
            error, took = timed(lambda: tmf.get_customer("c1"))
            assert isinstance(error, Unavailable)
            assert took < FAST
        assert slow.hits == hits  # nothing sent while open

        # Another API is not affected: its calls still go out.
        slow.mode = "ok"
        assert tmf.list_billing_accounts("c1") == []
        assert slow.paths[-1] == f"{ACCOUNT}/billingAccount"
        assert tmf.breaker_states()[ACCOUNT] == "closed"


def test_after_the_cooldown_one_trial_call_decides(slow):
    slow.mode = "unavailable"
    cooldown = 0.3
    with client(slow.url, breaker_failures=2, breaker_cooldown=cooldown, get_retries=0) as tmf:
        for _ in range(2):
            with pytest.raises(Unavailable):
                tmf.get_customer("c1")
        assert tmf.breaker_states()[CUSTOMER] == "open"
        time.sleep(cooldown + 0.05)

        # The trial hangs; meanwhile every other call fails fast.
        slow.mode = "hang"
        trial: list[tuple[BaseException | None, float]] = []
        thread = threading.Thread(target=lambda: trial.append(timed(lambda: tmf.get_customer("c1"))))
        thread.start()
        for _ in range(50):
            if slow.hits >= 3:
                break
            time.sleep(0.01)
        assert tmf.breaker_states()[CUSTOMER] == "half_open"
        hits = slow.hits
        error, took = timed(lambda: tmf.get_customer("c1"))
        assert isinstance(error, Unavailable) and took < FAST
        assert slow.hits == hits
        thread.join(DEADLINE + 5)
        assert isinstance(trial[0][0], Unavailable) and trial[0][1] < DEADLINE + SLACK
        assert tmf.breaker_states()[CUSTOMER] == "open"  # the failed trial opens it again

        # The platform is back: after the next cool-down, one successful trial closes it.
        slow.mode = "ok"
        time.sleep(cooldown + 0.05)
        assert tmf.get_customer("c1").id == "c1"
        assert tmf.breaker_states()[CUSTOMER] == "closed"
        assert tmf.get_customer("c1").id == "c1"


def test_answers_that_are_not_failures_keep_the_circuit_closed(slow):
    """Garbage JSON, 404-like answers: the platform is up; only unreachability and 5xx count."""
    slow.mode = "garbage_json"
    with client(slow.url, breaker_failures=2) as tmf:
        for _ in range(5):
            with pytest.raises(Unavailable):
                tmf.get_customer("c1")
        assert tmf.breaker_states()[CUSTOMER] == "closed"
        assert slow.hits == 5


def test_breaker_changes_are_reported_to_watchers(slow):
    slow.mode = "unavailable"
    seen: list[tuple[str, str]] = []
    with client(slow.url, breaker_failures=1, get_retries=0) as tmf:
        tmf.watch_breakers(lambda api, state: seen.append((api, state)))
        assert (CUSTOMER, "closed") in seen
        seen.clear()
        with pytest.raises(Unavailable):
            tmf.get_customer("c1")
    assert seen == [(CUSTOMER, "open")]
