"""``edr-worker``, ``edr-status`` and ``edr-replay`` as an operator runs them: real processes, a real
Redis, real HTTP to webhook endpoints."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest
import requests

from selfcare_widget.edr.worker import endpoint_disabled
from tests.edr.helpers import add_edr, scripted_endpoint
from tests.support import free_port

pytestmark = pytest.mark.redis

SECRET = "whsec_" + "dGVzdC1zZWNyZXQtb2YtdGhlLWVkci1jbGktdGVzdHM="  # noqa: S105 - test secret
STAMP = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"


def _partners_file(tmp_path, demo_url: str, zelena_url: str):
    path = tmp_path / "partners.toml"
    blocks = []
    for pid, url in (("demo-mobil", demo_url), ("zelena-mobil", zelena_url), ("tichy-mobil", "")):
        block = f'[[partner]]\nid = "{pid}"\nname = "{pid}"\norigins = ["https://{pid}.example.cz"]\n'
        block += 'login_methods = ["password"]\n'
        if url:
            block += f'edr_webhook_url = "{url}"\nedr_webhook_secret_env = "TEST_EDR_SECRET"\n'
        blocks.append(block)
    path.write_text("\n".join(blocks))
    return path


@pytest.fixture
def cli_env(tmp_path, redis_url):
    def env(partners_file) -> dict[str, str]:
        return {
            **os.environ,
            "SELFCARE_PLATFORM_URL": "http://127.0.0.1:9",
            "SELFCARE_PLATFORM_CREDENTIAL": "x",
            "SELFCARE_REDIS_URL": redis_url,
            "SELFCARE_PARTNERS_FILE": str(partners_file),
            "TEST_EDR_SECRET": SECRET,
            "PYTHONUNBUFFERED": "1",
        }

    return env


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "selfcare_widget.cli", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_status_shows_next_attempts_and_a_disabled_endpoint_until_re_enabled(store, tmp_path, cli_env):
    demo_ids = [add_edr(store, "demo-mobil"), add_edr(store, "demo-mobil")]
    zelena_id = add_edr(store, "zelena-mobil")
    with scripted_endpoint(503) as demo_crm, scripted_endpoint(410, 200) as zelena_crm:
        env = cli_env(_partners_file(tmp_path, demo_crm.url, zelena_crm.url))

        worker = _cli(env, "edr-worker", "--once", "--consumer", "cli-1")
        assert worker.returncode == 0, worker.stderr
        assert "delivered 0, failed 2, dead-lettered 0" in worker.stdout
        assert re.search(r"ERROR .*zelena-mobil answered 410 Gone", worker.stderr)

        status = _cli(env, "edr-status")
        assert status.returncode == 0, status.stderr
        lines = status.stdout.splitlines()
        assert lines[0].startswith("demo-mobil: undelivered 2, pending 2, dead 0; next attempt ")
        assert re.search(rf"next attempt {STAMP} \((in 0m 0\ds|due)\)$", lines[0])
        listed = [
            re.fullmatch(
                rf"  \d+-\d+  edr=(\S+) attempts=1 error='HTTP 503' next={STAMP} \((in 0m 0\ds|due)\)", line
            )
            for line in lines[1:3]
        ]
        assert all(listed), lines[1:3]
        assert {m.group(1) for m in listed if m} == set(demo_ids)  # soonest first: jitter decides
        assert (
            lines[3]
            == "tichy-mobil: undelivered 0, pending 0, dead 0; no webhook URL: EDRs stay in the stream"
        )
        assert re.fullmatch(
            rf"zelena-mobil: undelivered 1, pending 1, dead 0; delivery DISABLED since {STAMP} "
            rf"\(the endpoint answered 410 to EDR {zelena_id}\); "
            r"re-enable: selfcare-widget edr-replay --partner zelena-mobil --enable-endpoint",
            lines[4],
        )
        assert len(lines) == 5
        assert _cli(env, "edr-status", "--partner", "demo-mobil", "--pending", "1").stdout.count("\n") == 2

        # --enable-endpoint moves no dead letters: it cannot be combined with --id
        both = _cli(env, "edr-replay", "--partner", "zelena-mobil", "--enable-endpoint", "--id", "1-0")
        assert both.returncode == 2 and "not allowed with" in both.stderr
        enabled = _cli(env, "edr-replay", "--partner", "zelena-mobil", "--enable-endpoint")
        assert enabled.returncode == 0, enabled.stderr
        assert re.fullmatch(
            rf"delivery to zelena-mobil re-enabled \(disabled since {STAMP} after HTTP 410 to EDR {zelena_id}\)\n",
            enabled.stdout,
        )
        assert endpoint_disabled(store, "zelena-mobil") is None
        again = _cli(env, "edr-replay", "--partner", "zelena-mobil", "--enable-endpoint")
        assert again.stdout == "delivery to zelena-mobil was not disabled\n"

        worker = _cli(env, "edr-worker", "--once", "--consumer", "cli-1")
        assert "delivered 1," in worker.stdout  # zelena's EDR; demo's wait for their 2nd attempt
        assert zelena_crm.ids() == [zelena_id, zelena_id]
        status = _cli(env, "edr-status", "--partner", "zelena-mobil").stdout
        assert status == "zelena-mobil: undelivered 0, pending 0, dead 0\n"


def test_worker_serves_metrics_of_a_disabled_endpoint(store, tmp_path, cli_env):
    add_edr(store, "zelena-mobil")
    port = free_port()
    with scripted_endpoint(200) as demo_crm, scripted_endpoint(410) as zelena_crm:
        env = cli_env(_partners_file(tmp_path, demo_crm.url, zelena_crm.url))
        proc = subprocess.Popen(
            [sys.executable, "-m", "selfcare_widget.cli", "edr-worker", "--metrics-port", str(port)]
            + ["--metrics-host", "127.0.0.1"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            wanted = {
                'selfcare_edr_endpoint_disabled{partner="zelena-mobil"} 1.0',
                'selfcare_edr_endpoint_disabled{partner="demo-mobil"} 0.0',
                'selfcare_edr_endpoint_disablements_total{partner="zelena-mobil"} 1.0',
            }
            deadline = time.monotonic() + 30  # bounds start-up; the first pass disables at once
            seen: set[str] = set()
            while time.monotonic() < deadline and not wanted <= seen:
                try:
                    text = requests.get(f"http://127.0.0.1:{port}/metrics", timeout=2).text
                    seen = set(text.splitlines())
                except requests.ConnectionError:
                    pass
                time.sleep(0.2)
            assert wanted <= seen
        finally:
            proc.send_signal(signal.SIGTERM)
            output, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, output
    assert len(zelena_crm.calls) == 1  # disabled: never tried again
    assert re.search(r"ERROR .*zelena-mobil answered 410 Gone", output)
