"""A trickling platform never fills the widget's threads (issue 11).

Once, 16 requests to a platform trickling its answers a byte every 1.5 s held all 16 server
threads and ``/healthz`` timed out. Here the widget app runs against a platform trickling every
answer (real TCP on loopback): slow requests end at the deadline, the widget answers ``/healthz``
and requests that need no platform while they are in flight, and once the customer API's circuit
is open, platform requests fail fast — a thread pool standing in for the server's worker threads
is never held. No timing assertions but "ends within the deadline + slack" and "fails fast".
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from selfcare_widget.platform.tmf import TmfSettings
from selfcare_widget.services import services
from tests.platform.slow_platform import SlowPlatform, serve_slow_platform
from tests.support import PORTAL_ORIGIN, make_widget_app

DEADLINE = 1.0  # SELFCARE_PLATFORM_DEADLINE of the app under test
SLACK = 0.5
FAST = 0.5
SERVER_THREADS = 4  # gunicorn --threads of the modelled server
BREAKER_FAILURES = TmfSettings("", "").breaker_failures  # the default the app runs with


@pytest.fixture
def trickling() -> Iterator[SlowPlatform]:
    """A platform sending every answer's body one byte per 0.1 s (about 30 s per answer)."""
    with serve_slow_platform(SlowPlatform("trickle_body", interval=0.1)) as platform:
        yield platform


def test_a_trickling_platform_never_holds_the_widget(trickling, test_partners):
    app = make_widget_app(trickling.url, test_partners, platform_deadline=DEADLINE)
    token = services(app).sessions.create("demo-mobil", "c1", "cs", "sso")
    form = {"_st": token, "_partner": "demo-mobil"}

    def overview() -> tuple[int, str, float]:
        started = time.monotonic()
        response = app.test_client().post("/w/overview", data=form, headers={"Origin": PORTAL_ORIGIN})
        return response.status_code, response.get_data(as_text=True), time.monotonic() - started

    # 1. Slow requests in flight, as many as it takes to open the circuit.
    results: list[tuple[int, str, float]] = []
    slow = [threading.Thread(target=lambda: results.append(overview())) for _ in range(BREAKER_FAILURES)]
    for thread in slow:
        thread.start()
    for _ in range(200):  # until every one of them is waiting on the platform (at most 2 s)
        if trickling.hits >= BREAKER_FAILURES:
            break
        time.sleep(0.01)
    assert trickling.hits == BREAKER_FAILURES

    # ... meanwhile the widget answers what needs no platform.
    client = app.test_client()
    health = client.get("/healthz")
    loader = client.get("/embed.js")
    assert health.status_code == 200 and health.get_data(as_text=True).startswith("ok")
    assert loader.status_code == 200
    assert all(thread.is_alive() for thread in slow)  # answered while the slow ones were in flight

    for thread in slow:
        thread.join(DEADLINE + 5)
    assert len(results) == BREAKER_FAILURES
    for status, body, took in results:
        assert status == 503 and 'role="alert"' in body and "Traceback" not in body
        assert took < DEADLINE + SLACK

    # 2. The circuit is open: a burst four times the server's threads fails fast, the platform
    #    sees none of it, and /healthz queued behind the burst is answered.
    hits = trickling.hits
    with ThreadPoolExecutor(SERVER_THREADS) as server:
        burst = [server.submit(overview) for _ in range(4 * SERVER_THREADS)]
        health_queued = server.submit(lambda: app.test_client().get("/healthz").status_code)
        answers = [future.result(timeout=DEADLINE + 5) for future in burst]
        assert health_queued.result(timeout=DEADLINE + 5) == 200
    for status, body, took in answers:
        assert status == 503 and 'role="alert"' in body
        assert took < FAST
    assert trickling.hits == hits

    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'selfcare_platform_breaker_state{api="customerManagement"} 2.0' in metrics
