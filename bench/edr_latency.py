"""EDR end-to-end latency: from the widget's ``record()`` to the partner's CRM webhook.

The widget app records EDRs into a private redis-server at a steady rate; ``selfcare-widget
edr-worker`` runs as its own process (as in production) and delivers them, signed, to a local
CRM endpoint that notes when each arrived. Latency = arrival - recording, both read from this
machine's clock. Target (issue 15): p50 ≤ 100 ms, p99 ≤ 1 s.
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from pathlib import Path

from flask import Flask, request

from bench import Result, percentile
from bench.fragment_load import free_port, process, redis_server
from bench.stack import CREDENTIAL, PARTNER, serve, widget_app

RATE_PER_S = 50
DURATION_S = 10
WEBHOOK_SECRET = "whsec_" + "YmVuY2gtd2ViaG9vay1zZWNyZXQtb2YtdGhlLWNybQ=="  # noqa: S105 - bench only

PARTNERS_TOML = """
[[partner]]
id = "{partner}"
name = "Demo Mobil"
origins = ["https://portal.bench.test"]
login_methods = ["password"]
edr_webhook_url = "{webhook}"
edr_webhook_secret_env = "BENCH_EDR_SECRET"
"""


def crm() -> tuple[Flask, dict[str, float]]:
    """A CRM endpoint that notes when each EDR (by id) first arrived."""
    arrived: dict[str, float] = {}
    lock = threading.Lock()
    app = Flask("bench-crm")

    @app.post("/webhook")
    def webhook():
        now = time.time()
        edr_id = json.loads(request.get_data())["id"]
        with lock:
            arrived.setdefault(edr_id, now)
        return "", 204

    return app, arrived


def run() -> list[Result]:
    from selfcare_widget.edr.recorder import record

    with ExitStack() as stack:
        tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="selfcare-bench-edr-")))
        redis_url = stack.enter_context(redis_server(tmp))
        crm_app, arrived = crm()
        crm_url = stack.enter_context(serve(crm_app))
        partners_file = tmp / "partners.toml"
        partners_file.write_text(PARTNERS_TOML.format(partner=PARTNER, webhook=f"{crm_url}/webhook"))
        env = {
            "SELFCARE_PLATFORM_URL": "http://127.0.0.1:9",  # the worker never calls the platform
            "SELFCARE_PLATFORM_CREDENTIAL": CREDENTIAL,
            "SELFCARE_PARTNERS_FILE": str(partners_file),
            "SELFCARE_REDIS_URL": redis_url,
            "BENCH_EDR_SECRET": WEBHOOK_SECRET,
        }
        metrics_port = free_port()  # `process` waits for a port: the worker's metrics server
        stack.enter_context(
            process(
                [
                    sys.executable,
                    "-m",
                    "selfcare_widget.cli",
                    "edr-worker",
                    "--metrics-port",
                    str(metrics_port),
                    "--metrics-host",
                    "127.0.0.1",
                ],
                metrics_port,
                env,
                tmp / "worker.log",
            )
        )
        app = widget_app("http://127.0.0.1:9", store_url=redis_url)
        recorded: dict[str, float] = {}
        interval = 1 / RATE_PER_S
        start = time.perf_counter()
        for n in range(RATE_PER_S * DURATION_S):
            time.sleep(max(0.0, start + n * interval - time.perf_counter()))
            with app.test_request_context("/w/overview", method="POST"):
                edr_id = record("signin", "failure", partner_id=PARTNER, reason="bench")
            assert edr_id is not None
            recorded[edr_id] = time.time()
        deadline = time.monotonic() + 30
        while len(arrived) < len(recorded) and time.monotonic() < deadline:
            time.sleep(0.05)
        latencies = [(arrived[i] - t) * 1000 for i, t in recorded.items() if i in arrived]
    lost = len(recorded) - len(latencies)
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    return [
        Result(
            f"EDR end to end, record() to CRM webhook ({RATE_PER_S}/s for {DURATION_S} s)",
            len(recorded),
            p50,
            p99,
            target_text="p50 ≤ 100 ms, p99 ≤ 1 s, none lost",
            ok=p50 <= 100 and p99 <= 1000 and lost == 0,
            note=f"edr-worker process (blocking XREADGROUP) + private redis-server; {lost} not delivered within 30 s",
        )
    ]
