"""How ``selfcare-widget serve`` runs under gunicorn: a preloaded, frozen master, and a gthread
worker that accepts only with a free thread.

Every gunicorn worker polls the one listening socket, and a stock gthread worker accepts whenever
it is readable. Clients that open their keep-alive connections in a burst (a load balancer's
pool, a browser, ``wrk``) are then all accepted by whichever worker woke first, and keep going to
it for as long as they live: measured with 2 workers on 2 cores, one worker held 32 of 32
connections and the second core stayed idle (1.01x the throughput of one worker).

This worker stops listening while all its threads have work (requests running or queued) and
listens again as soon as one is free, so a busy worker leaves new connections to an idle one.
``SO_REUSEPORT`` (gunicorn's ``reuse_port``) would spread connections too, but a worker that
exits (``max_requests`` recycling, a restart) drops the connections waiting in its own queue.
"""

from __future__ import annotations

import gc

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


class CapacityThreadWorker(ThreadWorker):
    """A gthread worker that accepts a new connection only while one of its threads is free."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003 - gunicorn's signature
        self._jobs = 0  # requests handed to the thread pool and not finished: running or queued
        self._connection_cap = 0
        super().__init__(*args, **kwargs)

    # gthread's run loop listens while ``nr_conns < worker_connections``: with every thread
    # taken, the bound is the current count, so the listener is unregistered until one frees.
    @property
    def worker_connections(self) -> int:
        """The configured connection limit, or the current count while no thread is free."""
        return self._connection_cap if self._jobs < self.cfg.threads else self.nr_conns

    @worker_connections.setter
    def worker_connections(self, value: int) -> None:
        self._connection_cap = value

    def enqueue_req(self, conn) -> None:  # noqa: ANN001 - gunicorn's TConn
        """Hand a connection's next request to the thread pool (counted until it finishes)."""
        self._jobs += 1
        super().enqueue_req(conn)

    def finish_request(self, conn, fs) -> None:  # noqa: ANN001 - gunicorn's TConn and Future
        """A request finished (on the main thread): its thread is free again."""
        self._jobs -= 1
        super().finish_request(conn, fs)
