"""How ``selfcare-widget serve`` runs under gunicorn: a preloaded, frozen master, and a gthread
worker that leaves new connections to an idle worker while its own threads are all busy.

Every gunicorn worker polls the one listening socket, and a stock gthread worker accepts whenever
it is readable. Clients that open their keep-alive connections in a burst (a load balancer's
pool, a browser, ``wrk``) are then all accepted by whichever worker woke first, and keep going to
it for as long as they live: measured with 2 workers on 2 cores, one worker held 32 of 32
connections and the second core stayed idle (1.01x the throughput of one worker).

This worker stops listening while all its threads have work (requests running or queued) and
listens again as soon as one is free, so a busy worker leaves new connections to an idle one;
never for longer than 20 ms at a time, so when every worker is busy a new connection is still
accepted and queued behind the others' requests (as stock gthread does), not starved.
``SO_REUSEPORT`` (gunicorn's ``reuse_port``) would spread connections too, but a worker that
exits (``max_requests`` recycling, a restart) drops the connections waiting in its own queue.
"""

from __future__ import annotations

import gc
import time

from flask import Flask
from gunicorn.workers.gthread import ThreadWorker


def preload(app: Flask) -> None:
    """Do before forking what every worker would do on its first requests, then freeze the heap.

    Each worker starts as a copy of the master: templates compiled here are not compiled again
    by every new worker (gunicorn replaces them now and then). ``gc.freeze()`` moves everything
    that exists now out of the collector's reach: a full collection then only walks what a
    worker made itself, instead of pausing every request in the worker for 30-40 ms (measured
    with ``gc.callbacks`` under wrk), and the pages shared with the master stay shared.
    """
    for name in app.jinja_env.list_templates():
        if name.endswith(".html"):
            app.jinja_env.get_template(name)
    gc.collect()
    gc.freeze()


#: Longest a worker with every thread busy stops listening: when both workers are busy, a new
#: connection still gets accepted this soon, instead of waiting for a thread to come free.
BUSY_ACCEPT_PAUSE = 0.02


class CapacityThreadWorker(ThreadWorker):
    """A gthread worker that, while all its threads have work, leaves new connections to an idle
    worker for up to :data:`BUSY_ACCEPT_PAUSE` seconds at a time."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003 - gunicorn's signature
        self._jobs = 0  # requests handed to the thread pool and not finished: running or queued
        self._connection_cap = 0
        self._paused_since: float | None = None
        super().__init__(*args, **kwargs)

    # gthread's run loop listens while ``nr_conns < worker_connections`` and re-checks after
    # every event (a request finishing, a connection becoming readable): while every thread is
    # taken, the bound is the current count, so the listener is unregistered for a moment.
    @property
    def worker_connections(self) -> int:
        """The configured connection limit, or the current count while the worker pauses."""
        if self._jobs < self.cfg.threads:
            self._paused_since = None
            return self._connection_cap
        now = time.monotonic()
        if self._paused_since is None:
            self._paused_since = now
        elif now - self._paused_since >= BUSY_ACCEPT_PAUSE:
            self._paused_since = now  # listen for one round, then pause again
            return self._connection_cap
        return self.nr_conns

    @worker_connections.setter
    def worker_connections(self, value: int) -> None:
        self._connection_cap = value

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        """Wait no longer than a pause, so a paused worker listens again in time."""
        super().wait_for_and_dispatch_events(BUSY_ACCEPT_PAUSE if self._paused_since is not None else timeout)

    def enqueue_req(self, conn) -> None:  # noqa: ANN001 - gunicorn's TConn
        """Hand a connection's next request to the thread pool (counted until it finishes)."""
        self._jobs += 1
        super().enqueue_req(conn)

    def finish_request(self, conn, fs) -> None:  # noqa: ANN001 - gunicorn's TConn and Future
        """A request finished (on the main thread): its thread is free again."""
        self._jobs -= 1
        super().finish_request(conn, fs)
