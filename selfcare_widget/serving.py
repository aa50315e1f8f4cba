"""The gunicorn worker ``selfcare-widget serve`` runs: gthread that accepts only with a free thread.

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

from gunicorn.workers.gthread import ThreadWorker


class CapacityThreadWorker(ThreadWorker):
    """A gthread worker that accepts a new connection only while one of its threads is free."""

    def __init__(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003 - gunicorn's signature
        self._jobs = 0  # requests handed to the thread pool and not finished: running or queued
        self._connection_cap = 0
        super().__init__(*args, **kwargs)

    # gthread's run loop listens while ``nr_conns < worker_connections``: with every thread
    # taken, the bound is the current count, so the listener is unregistered until one frees.
    @property  # type: ignore[override]
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
