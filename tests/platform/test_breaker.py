"""The circuit breaker's states on a fake clock, and its thread safety."""

from __future__ import annotations

import threading

from selfcare_widget.platform.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def breaker(clock: Clock, changes: list | None = None, failures: int = 3) -> CircuitBreaker:
    def on_change(name: str, state: str) -> None:
        if changes is not None:
            changes.append(state)

    return CircuitBreaker("/api", failures, window=10.0, cooldown=5.0, on_change=on_change, clock=clock)


def fail(b: CircuitBreaker, times: int = 1) -> None:
    for _ in range(times):
        admission = b.admit()
        assert admission is not None
        b.record(admission, False)


def test_consecutive_failures_open_it_and_a_success_resets_the_count():
    clock = Clock()
    b = breaker(clock)
    fail(b, 2)
    b.record(b.admit(), True)
    fail(b, 2)
    assert b.state == CLOSED
    fail(b)
    assert b.state == OPEN
    assert b.admit() is None


def test_failures_spread_beyond_the_window_do_not_open_it():
    clock = Clock()
    b = breaker(clock)
    for _ in range(10):
        fail(b)
        clock.now += 6.0  # two failures fit in the 10 s window, never three
    assert b.state == CLOSED


def test_after_the_cooldown_a_single_trial_decides():
    clock, changes = Clock(), []
    b = breaker(clock, changes)
    fail(b, 3)
    clock.now += 4.9
    assert b.admit() is None
    clock.now += 0.2
    trial = b.admit()
    assert trial is not None and trial.trial
    assert b.state == HALF_OPEN
    assert b.admit() is None  # one trial at a time
    b.record(trial, False)
    assert b.state == OPEN
    clock.now += 5.1
    trial = b.admit()
    b.record(trial, True)
    assert b.state == CLOSED
    assert changes == [OPEN, HALF_OPEN, OPEN, HALF_OPEN, CLOSED]


def test_a_trial_without_verdict_lets_the_next_call_try():
    clock = Clock()
    b = breaker(clock)
    fail(b, 3)
    clock.now += 6
    b.record(b.admit(), None)
    trial = b.admit()
    assert trial is not None and trial.trial


def test_late_results_of_calls_admitted_before_a_change_are_ignored():
    clock = Clock()
    b = breaker(clock)
    late = [b.admit() for _ in range(5)]  # in flight while the breaker opens
    fail(b, 3)
    clock.now += 6
    trial = b.admit()
    b.record(late[0], True)  # not the trial: does not close it
    assert b.state == HALF_OPEN
    b.record(trial, True)
    for admission in late[1:]:
        b.record(admission, False)  # stale failures do not count against the new closed circuit
    assert b.state == CLOSED
    fail(b, 2)
    assert b.state == CLOSED


def test_threads_failing_together_open_it_once():
    changes: list[str] = []
    b = CircuitBreaker("/api", 5, window=60.0, cooldown=60.0, on_change=lambda _n, s: changes.append(s))
    admissions = [b.admit() for _ in range(64)]
    start = threading.Barrier(8)

    def record(chunk):
        start.wait()
        for admission in chunk:
            b.record(admission, False)

    threads = [threading.Thread(target=record, args=(admissions[i::8],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert b.state == OPEN
    assert changes == [OPEN]
