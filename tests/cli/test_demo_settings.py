"""`selfcare-widget demo` takes the widget's SELFCARE_* settings that make sense for a demo
(session timeouts, audience, platform timeouts, ...) and keeps its own platform, partners,
origins and store; a wrong value stops it with the setting named, like `serve`."""

from __future__ import annotations

import pytest
import requests

from selfcare_widget.config import ConfigError
from selfcare_widget.demo import DEMO_OWNED_SETTINGS, demo_settings
from tests.cli.test_cli import read_until, start
from tests.support import free_port, free_ports

DEMO = {
    "platform_url": "http://127.0.0.1:8002",
    "credential": "demo-credential",
    "public_url": "http://127.0.0.1:8001",
    "store_url": "memory://demo-test",
}


def test_demo_settings_take_the_environment_but_keep_the_demos_own_platform():
    settings = demo_settings(
        {
            "SELFCARE_SESSION_IDLE": "120",
            "SELFCARE_SESSION_ABSOLUTE": "900",
            "SELFCARE_AUDIENCE": "demo-audience",
            "SELFCARE_JWT_LEEWAY": "5",
            "SELFCARE_PLATFORM_DEADLINE": "2.5",
            "SELFCARE_PLATFORM_CACHE": "off",
            # an operator's production values must not leak into the demo
            "SELFCARE_PLATFORM_URL": "https://mvne.example.net",
            "SELFCARE_PLATFORM_CREDENTIAL": "production-credential",
            "SELFCARE_REDIS_URL": "redis://prod-redis:6379/0",
            "SELFCARE_PUBLIC_URL": "https://widget.example.net",
            "SELFCARE_OPS_PORT": "9100",
            "SELFCARE_PARTNERS_FILE": "/nonexistent/partners.toml",
            "HOME": "/root",
        },
        **DEMO,
    )
    assert (settings.session_idle_seconds, settings.session_absolute_seconds) == (120, 900)
    assert settings.audience == "demo-audience"
    assert settings.jwt_leeway_seconds == 5
    assert settings.platform_deadline == 2.5
    assert settings.platform_cache is False
    assert settings.platform_url == DEMO["platform_url"]
    assert settings.platform_credential == DEMO["credential"]
    assert settings.redis_url == DEMO["store_url"]
    assert settings.public_url == DEMO["public_url"]
    assert settings.ops_port == 0 and settings.partners_file is None
    assert "SELFCARE_SESSION_IDLE" not in DEMO_OWNED_SETTINGS


def test_demo_settings_without_environment_are_the_defaults():
    settings = demo_settings({}, **DEMO)
    assert (settings.session_idle_seconds, settings.session_absolute_seconds) == (30 * 60, 12 * 3600)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"SELFCARE_SESSION_IDLE": "soon"}, "SELFCARE_SESSION_IDLE"),
        ({"SELFCARE_SESSION_IDLE": "600", "SELFCARE_SESSION_ABSOLUTE": "300"}, "SELFCARE_SESSION_ABSOLUTE"),
        ({"SELFCARE_PLATFORM_DEADLINE": "-1"}, "SELFCARE_PLATFORM_DEADLINE"),
    ],
)
def test_wrong_setting_is_named(env, named):
    with pytest.raises(ConfigError, match=named):
        demo_settings(env, **DEMO)


def test_demo_command_stops_at_once_on_a_wrong_setting(tmp_path):
    ports = [str(free_port()) for _ in range(3)]
    proc = start(
        ["demo", "--portal-port", ports[0], "--widget-port", ports[1], "--platform-port", ports[2]],
        cwd=tmp_path,
        env={"SELFCARE_INSTANCE_DIR": str(tmp_path / "instance"), "SELFCARE_SESSION_IDLE": "10"},
    )
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "configuration error: SELFCARE_SESSION_IDLE must be at least 60" in out
    assert not (tmp_path / "instance" / "sandbox.sqlite3").exists()  # no demo data generated first


def test_demo_command_honours_session_timeouts_and_audience(tmp_path):
    ports = free_ports(3)
    proc = start(
        [
            "demo",
            "--portal-port",
            str(ports[0]),
            "--widget-port",
            str(ports[1]),
            "--platform-port",
            str(ports[2]),
        ],
        cwd=tmp_path,
        env={
            "SELFCARE_INSTANCE_DIR": str(tmp_path / "instance"),
            "SELFCARE_SESSION_IDLE": "120",
            "SELFCARE_SESSION_ABSOLUTE": "900",
            "SELFCARE_AUDIENCE": "acme-selfcare",
        },
    )
    try:
        portal = read_until(proc, r"partner portal\s+(http://\S+)").group(1)
        sms_inbox = read_until(proc, r"SMS inbox\s+(http://\S+)").group(1)
        read_until(proc, r"Sessions end after 120 s idle, 900 s at most")
        widget = f"http://127.0.0.1:{ports[1]}"
        assert requests.get(sms_inbox, timeout=10).status_code == 200

        # A customer of each partner: the portal signs for the audience the widget expects
        # (RS256 for Demo Mobil, HS256 for Zelená mobil) and the session gets the idle timeout.
        for customer, partner in (("cust-0001", "demo-mobil"), ("cust-0003", "zelena-mobil")):
            browser = requests.Session()
            browser.post(portal + "/login", data={"customer": customer}, timeout=10)
            token = browser.get(portal + "/selfcare-token", timeout=10).json()["token"]
            exchanged = requests.post(
                widget + "/sso/exchange",
                data={"_partner": partner, "token": token},
                headers={"Origin": portal},
                timeout=10,
            )
            assert exchanged.status_code == 200, (customer, exchanged.text)
            assert exchanged.json()["idleTimeout"] == 120
    finally:
        proc.terminate()
        proc.wait(10)
