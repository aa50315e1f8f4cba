"""CPU time of a warm fragment, in-process, against a bare Flask route measured in the same run.

A widget app (default wiring: ``CachedPlatform`` over ``TmfPlatform``) with a private, real
``redis-server`` as its store (sessions and platform cache) and a sandbox on loopback. Requests go
through Flask's test client in this thread, so ``time.thread_time`` around one request is the CPU
the widget spent on it (waiting for Redis or the sandbox is not CPU and does not count). Every
section is viewed first, so the cache is warm; the call log's first page is warm when its short
TTL cache holds the page and the summary of the filter.

The bare route is a Flask app with one ``POST`` route returning the overview's bytes, asked the
same way (form body, ``Origin``): the ratio ``fragment / bare`` compares rows of one run on a
loaded machine. The Redis round trips of every warm fragment are counted at the socket level (a
connection class counting each packed write, i.e. one per command or pipeline).

Each row's ms columns are CPU milliseconds per request (p50, p99); the verdict is on the p50.
"""

from __future__ import annotations

import gc
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from flask import Flask, request
from redis.connection import Connection

from bench import Result, summarize
from bench.stack import ORIGIN, PARTNER, sandbox, widget_app
from selfcare_widget.services import services

CUSTOMER = "cust-0001"  # two postpaid SIMs with packages, several invoices: a full overview
RUNS = 300
WARMUP = 30
#: Redis round trips a warm fragment may cost: the session touch and one batch of cache reads.
TARGET_ROUND_TRIPS = 2


@dataclass(frozen=True)
class View:
    """One section as the loader requests it, with its CPU target (ms, p50)."""

    label: str
    path: str
    marker: bytes
    target_ms: float


VIEWS = (
    View("overview", "/w/overview", b'data-sc-section="overview"', 1.2),
    View("billing list", "/w/billing", b'data-sc-section="billing"', 1.5),
    View("packages", "/w/packages", b'data-sc-section="packages"', 1.0),
    View("SIMs", "/w/sims", b'data-sc-section="sims"', 1.0),
    View("contact", "/w/contact", b'data-sc-section="contact"', 1.0),
    View("call log, first page", "/w/usage", b"data-usage-id", 4.0),
)


class CountingConnection(Connection):
    """A Redis connection that counts its writes: one per command, one per pipeline."""

    sent = 0

    def send_packed_command(self, command, check_health=True):  # noqa: ANN001 - redis-py's signature
        CountingConnection.sent += 1
        return super().send_packed_command(command, check_health)


@contextmanager
def redis_store() -> Iterator[str]:
    """A private redis-server for this benchmark; yields its URL."""
    from bench.fragment_load import redis_server

    with tempfile.TemporaryDirectory(prefix="selfcare-bench-cpu-") as tmp, redis_server(Path(tmp)) as url:
        yield url


def bare_app(body: bytes) -> Flask:
    """The floor: a Flask app whose one route reads the form and returns ``body``."""
    app = Flask("bare")

    @app.post("/bare")
    def bare():
        request.form.get("_st")
        return body, 200, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}

    return app


def cpu_samples(call: Callable[[], None], runs: int) -> list[float]:
    """``runs`` calls, each its thread CPU time in ms."""
    samples = []
    for _ in range(runs):
        started = time.thread_time()
        call()
        samples.append((time.thread_time() - started) * 1000)
    return samples


def calls_per_request(call: Callable[[], None], runs: int = 20) -> int:
    """Python and C function calls per request: a count that does not depend on the machine's load."""
    count = 0

    def profile(_frame, event, _arg) -> None:  # noqa: ANN001 - sys.setprofile's signature
        nonlocal count
        if event in ("call", "c_call"):
            count += 1

    sys.setprofile(profile)
    try:
        for _ in range(runs):
            call()
    finally:
        sys.setprofile(None)
    return round(count / runs)


def run() -> list[Result]:
    """Warm CPU per section and per bare request; Redis round trips per warm fragment."""
    with redis_store() as redis_url, sandbox() as platform_url:
        app = widget_app(platform_url, store_url=redis_url)
        store = services(app).store
        store.connection_pool.connection_class = CountingConnection
        store.connection_pool.disconnect()
        token = services(app).sessions.create(PARTNER, CUSTOMER, "cs", "sso")
        client = app.test_client()

        def fragment(view: View) -> Callable[[], None]:
            def call() -> None:
                response = client.post(
                    view.path, data={"_st": token, "_partner": PARTNER}, headers={"Origin": ORIGIN}
                )
                if response.status_code != 200 or view.marker not in response.data:
                    raise RuntimeError(
                        f"{view.path} answered {response.status_code}: {response.data[:200]!r}"
                    )

            return call

        for view in VIEWS:
            for _ in range(WARMUP):
                fragment(view)()
        body = client.post(
            "/w/overview", data={"_st": token, "_partner": PARTNER}, headers={"Origin": ORIGIN}
        ).data
        bare_client = bare_app(body).test_client()

        def bare() -> None:
            bare_client.post("/bare", data={"_st": token, "_partner": PARTNER}, headers={"Origin": ORIGIN})

        for _ in range(WARMUP):
            bare()
        # Long-lived objects out of the collector's way, as in a preloaded worker.
        gc.collect()
        gc.freeze()
        try:
            bare_ms = cpu_samples(bare, RUNS)
            bare_calls = calls_per_request(bare)
            rows = []
            trips: dict[str, int] = {}
            calls: dict[str, int] = {}
            for view in VIEWS:
                call = fragment(view)
                before = CountingConnection.sent
                call()
                trips[view.label] = CountingConnection.sent - before
                rows.append((view, cpu_samples(call, RUNS)))
                calls[view.label] = calls_per_request(call)
        finally:
            gc.unfreeze()
    bare_p50 = summarize("bare", bare_ms).p50_ms
    results = [
        summarize(
            "bare Flask route, same bytes (in-process CPU)",
            bare_ms,
            note=f"POST with the same form, returns the warm overview's {len(body)} bytes; the floor "
            f"every fragment row is divided by; {bare_calls} function calls per request",
        )
    ]
    for view, samples in rows:
        r = summarize(
            f"warm {view.label}, CPU per request (in-process)",
            samples,
            note=f"{ratio_text(samples, bare_p50)} the bare route (p50); {trips[view.label]} Redis round trips; "
            f"{calls[view.label]} function calls per request ({calls[view.label] / bare_calls:.1f}x the bare route)",
        )
        results.append(
            replace(r, target_text=f"p50 ≤ {view.target_ms:g} ms CPU", ok=r.p50_ms <= view.target_ms)
        )
    worst = max(trips.values())
    results.append(
        Result(
            name=f"Redis round trips per warm fragment: at most {worst}",
            n=len(trips),
            p50_ms=0.0,
            p99_ms=0.0,
            note=", ".join(f"{label} {n}" for label, n in trips.items())
            + " (counted at the socket: one write per command or pipeline; ms columns unused)",
            target_text=f"≤ {TARGET_ROUND_TRIPS}",
            ok=worst <= TARGET_ROUND_TRIPS,
        )
    )
    return results


def ratio_text(samples: list[float], bare_p50: float) -> str:
    """``12.3x`` — a fragment's p50 CPU over the bare route's."""
    return f"{summarize('x', samples).p50_ms / bare_p50:.1f}x"
