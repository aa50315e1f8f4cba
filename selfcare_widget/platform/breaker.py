"""A circuit breaker: a failing platform API costs one fast failure, not a thread per request.

*Closed*: calls pass; ``failures`` consecutive failures within ``window`` seconds open it.
*Open*: calls fail at once, without touching the network, for ``cooldown`` seconds.
*Half-open*: after the cool-down one call goes through as a trial while the others still fail
fast; its success closes the breaker, its failure opens it for another cool-down.

A failure is what says the platform is not serving: no connection, a timeout or a passed deadline,
a 5xx answer. Any other answer (404, 422, ...) is a success here — the platform did answer.

State is per process and thread-safe (gunicorn threads share it; each worker has its own).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("selfcare_widget.platform")

CLOSED = "closed"
HALF_OPEN = "half_open"
OPEN = "open"


@dataclass(frozen=True)
class Admission:
    """A call let through by :meth:`CircuitBreaker.admit`; hand it back to :meth:`~CircuitBreaker.record`."""

    generation: int
    trial: bool


class CircuitBreaker:
    """One breaker (of one API); ``on_change(name, state)`` is told every change of state."""

    def __init__(
        self,
        name: str,
        failures: int,
        window: float,
        cooldown: float,
        *,
        on_change: Callable[[str, str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.failures = max(1, failures)
        self.window = window
        self.cooldown = cooldown
        self._on_change = on_change
        self._clock = clock
        self._lock = threading.Lock()
        self._state = CLOSED
        self._generation = 0  # bumped on every change: results of calls admitted before are stale
        self._streak = 0  # consecutive failures while closed
        self._streak_started = 0.0
        self._opened_at = 0.0
        self._trial_running = False

    @property
    def state(self) -> str:
        """``closed``, ``open`` or ``half_open`` (open stays open until a call tries again)."""
        with self._lock:
            return self._state

    def admit(self) -> Admission | None:
        """Let a call through (an :class:`Admission`), or None: fail it fast."""
        with self._lock:
            if self._state == CLOSED:
                return Admission(self._generation, trial=False)
            if self._state == OPEN:
                if self._clock() - self._opened_at < self.cooldown:
                    return None
                self._change(HALF_OPEN)
            if self._trial_running:
                return None
            self._trial_running = True
            return Admission(self._generation, trial=True)

    def record(self, admission: Admission, ok: bool | None) -> None:
        """The outcome of an admitted call: ``ok``, a failure, or None (no verdict, e.g. a bug)."""
        with self._lock:
            if admission.trial:
                self._trial_running = False
                if ok is None or self._state != HALF_OPEN or admission.generation != self._generation:
                    return  # no verdict: the next call is the trial
                if ok:
                    self._change(CLOSED)
                    log.info("platform API %s answers again: circuit closed", self.name)
                else:
                    self._open("the trial call failed")
                return
            if ok is None or self._state != CLOSED or admission.generation != self._generation:
                return  # admitted before the breaker last changed: the trial decides now
            if ok:
                self._streak = 0
                return
            now = self._clock()
            if self._streak == 0 or now - self._streak_started > self.window:
                self._streak, self._streak_started = 1, now
            else:
                self._streak += 1
            if self._streak >= self.failures:
                self._open(f"{self._streak} consecutive failures")

    def _open(self, why: str) -> None:
        self._opened_at = self._clock()
        self._change(OPEN)
        log.error(
            "platform API %s failing (%s): circuit open, calls fail fast for %g s",
            self.name,
            why,
            self.cooldown,
        )

    def _change(self, state: str) -> None:
        self._state = state
        self._generation += 1
        self._streak = 0
        if self._on_change is not None:
            self._on_change(self.name, state)
