"""``selfcare-widget alerts`` as an operator runs it: a real process, a real Redis, the sandbox over
real HTTP. Two runs in a row notify once; the loop stops gracefully on SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest
import redis

from tests.alerts.conftest import outbox
from tests.support import PLATFORM_CREDENTIAL

pytestmark = pytest.mark.redis

SIM, NUMBER = "prod-0004-2", "420605777888"  # the seed's SIM whose data is used up


@pytest.fixture
def alerts_redis(redis_url) -> str:
    """A database of the real Redis of its own (the session's Redis is shared with other tests)."""
    url = redis_url.rsplit("/", 1)[0] + "/9"
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()


@pytest.fixture
def env(tmp_path, alerts_redis, alerts_platform_url) -> dict[str, str]:
    partners = tmp_path / "partners.toml"
    partners.write_text(
        '[[partner]]\nid = "demo-mobil"\nname = "Demo Mobil"\norigins = ["https://demo.example.cz"]\n'
        'login_methods = ["password"]\n\n'
        '[[partner]]\nid = "zelena-mobil"\nname = "Zelená mobil"\norigins = ["https://zelena.example.cz"]\n'
        'login_methods = ["password"]\n'
    )
    return {
        **os.environ,
        "SELFCARE_PLATFORM_URL": alerts_platform_url,
        "SELFCARE_PLATFORM_CREDENTIAL": PLATFORM_CREDENTIAL,
        "SELFCARE_REDIS_URL": alerts_redis,
        "SELFCARE_PARTNERS_FILE": str(partners),
        "PYTHONUNBUFFERED": "1",
    }


@pytest.fixture
def alerts_on(tmf):
    from selfcare_widget.platform.models import AlertChannel, UsageAlert

    tmf.update_usage_alerts("cust-0004", (UsageAlert(SIM, AlertChannel.SMS, language="cs"),))
    yield
    tmf.update_usage_alerts("cust-0004", ())


def _cli(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "selfcare_widget.cli", "alerts", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_two_runs_notify_once(env, alerts_on, alerts_platform_url, alerts_redis):
    before = len(outbox(alerts_platform_url, **{"receiver.phoneNumber": NUMBER}))
    first = _cli(env, "--once")
    assert first.returncode == 0, first.stderr
    assert "sent 1, already sent 0, failed 0" in first.stdout
    second = _cli(env, "--once")
    assert second.returncode == 0, second.stderr
    assert "sent 0, already sent 1, failed 0" in second.stdout
    sent = outbox(alerts_platform_url, **{"receiver.phoneNumber": NUMBER})
    assert len(sent) == before + 1
    assert sent[0]["content"].startswith("Demo Mobil: číslo +420 605 777 888 vyčerpalo všechna mobilní data")
    # the dedup keys are in the shared Redis, each with a TTL to its period's end
    keys = redis.Redis.from_url(alerts_redis, decode_responses=True).keys("sc:alerts:sent:demo-mobil:*")
    assert sorted(k.split(":")[5] for k in keys) == ["data100", "data80"]
    assert all(0 < redis.Redis.from_url(alerts_redis).ttl(k) <= 33 * 86400 for k in keys)


def test_the_loop_stops_gracefully_on_sigterm(env):
    import threading

    proc = subprocess.Popen(
        [sys.executable, "-m", "selfcare_widget.cli", "alerts", "--interval", "0.2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    passed = threading.Event()

    def read() -> None:
        for line in proc.stdout:
            lines.append(line)
            if "usage alerts pass" in line:
                passed.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        # bounded wait for the first pass (start-up may be slow on a busy machine)
        assert passed.wait(60), "".join(lines)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
        reader.join(10)
    output = "".join(lines)
    assert proc.returncode == 0, output
    assert "usage alerts stopped" in output


def test_a_memory_store_is_refused(env):
    result = _cli({**env, "SELFCARE_REDIS_URL": "memory://"}, "--once")
    assert result.returncode == 2
    assert "shared Redis" in result.stderr
