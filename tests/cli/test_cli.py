"""The `selfcare-widget` command as an operator runs it (real processes, real HTTP)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time

import pytest
import requests

from tests.support import free_port, free_ports

PYTHON = sys.executable


def start(args: list[str], cwd, env=None) -> subprocess.Popen:
    return subprocess.Popen(
        [PYTHON, "-m", "selfcare_widget.cli", *args],
        cwd=cwd,
        env={**os.environ, **(env or {}), "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def read_until(proc: subprocess.Popen, pattern: str, limit: int = 200) -> re.Match:
    lines = []
    for _ in range(limit):
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line)
        match = re.search(pattern, line)
        if match:
            return match
    proc.kill()
    pytest.fail("expected output not seen:\n" + "".join(lines))


def test_demo_command_serves_portal_widget_and_platform(tmp_path):
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
        env={"SELFCARE_INSTANCE_DIR": str(tmp_path / "instance")},
    )
    try:
        portal = read_until(proc, r"partner portal\s+(http://\S+)").group(1)
        assert portal.endswith(f":{ports[0]}")
        page = requests.get(portal + "/", timeout=10)
        assert page.status_code == 200 and "Přihlášení" in page.text
        assert "/crm/demo-mobil/edrs" in page.text  # the portal links the CRM where EDRs arrive
        loader = requests.get(f"http://127.0.0.1:{ports[1]}/embed.js", timeout=10)
        assert loader.status_code == 200 and "data-selfcare-widget" in loader.text
        jwks = requests.get(portal + "/.well-known/jwks.json", timeout=10).json()
        assert jwks["keys"][0]["kty"] == "RSA"
    finally:
        proc.terminate()
        proc.wait(10)


def test_sandbox_command_prints_url_and_credential(tmp_path):
    port = free_port()
    proc = start(["sandbox", "--port", str(port), "--db", str(tmp_path / "p.sqlite3")], cwd=tmp_path)
    try:
        url = read_until(proc, r"Sandbox platform: (http://\S+)").group(1)
        credential = read_until(proc, r"Platform credential: (\S+)").group(1)
        for _ in range(50):
            try:
                response = requests.get(
                    url + "/tmf-api/customerManagement/v4/customer/cust-0001",
                    headers={"Authorization": f"Bearer {credential}"},
                    timeout=5,
                )
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        assert response.status_code == 200 and response.json()["name"] == "Jan Šťastný"
        assert (
            requests.get(url + "/tmf-api/customerManagement/v4/customer/cust-0001", timeout=5).status_code
            == 401
        )
    finally:
        proc.terminate()
        proc.wait(10)


def test_sso_token_command_mints_a_token_the_widget_accepts(tmp_path, sandbox_url, test_partners):
    from dataclasses import replace

    from selfcare_widget.demo.keys import load_or_create_rsa_key, public_pem
    from selfcare_widget.partners import SsoVerification
    from tests.support import PORTAL_ORIGIN, make_widget_app

    instance = tmp_path / "instance"
    out = subprocess.run(
        [
            PYTHON,
            "-m",
            "selfcare_widget.cli",
            "sso-token",
            "--partner",
            "demo-mobil",
            "--customer",
            "cust-0001",
        ],
        cwd=tmp_path,
        env={**os.environ, "SELFCARE_INSTANCE_DIR": str(instance)},
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    token = out.stdout.strip()
    key = load_or_create_rsa_key(instance / "demo-portal-key.pem")  # the key the command used
    partners = dict(test_partners)
    partners["demo-mobil"] = replace(
        partners["demo-mobil"], sso=SsoVerification(algorithm="RS256", public_key_pem=public_pem(key))
    )
    client = make_widget_app(sandbox_url, partners).test_client()
    response = client.post(
        "/sso/exchange", data={"token": token, "partner": "demo-mobil"}, headers={"Origin": PORTAL_ORIGIN}
    )
    assert response.status_code == 200 and response.get_json()["session"]


def test_serve_refuses_the_in_memory_store(tmp_path):
    result = subprocess.run(
        [PYTHON, "-m", "selfcare_widget.cli", "serve"],
        cwd=tmp_path,
        env={
            **os.environ,
            "SELFCARE_PLATFORM_URL": "http://127.0.0.1:9",
            "SELFCARE_PLATFORM_CREDENTIAL": "x",
            "SELFCARE_PARTNERS_FILE": str(
                __import__("pathlib").Path(__file__).resolve().parents[2] / "docs" / "partners.example.toml"
            ),
            "DEMO_MOBIL_EDR_SECRET": "s" * 32,
            "ZELENA_SSO_SECRET": "z" * 40,
            "DEMO_MOBIL_PAYMENT_SECRET": "p" * 32,
            "SELFCARE_REDIS_URL": "memory://",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "SELFCARE_REDIS_URL" in result.stderr


def test_a_bad_setting_stops_with_its_name(tmp_path):
    result = subprocess.run(
        [PYTHON, "-m", "selfcare_widget.cli", "serve"],
        cwd=tmp_path,
        env={**os.environ, "SELFCARE_PLATFORM_URL": "nonsense", "SELFCARE_PLATFORM_CREDENTIAL": "x"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "SELFCARE_PLATFORM_URL" in result.stderr


def test_serve_requires_a_shared_secret_key(tmp_path):
    result = subprocess.run(
        [PYTHON, "-m", "selfcare_widget.cli", "serve"],
        cwd=tmp_path,
        env={
            **{k: v for k, v in os.environ.items() if k != "SELFCARE_SECRET_KEY"},
            "SELFCARE_PLATFORM_URL": "http://127.0.0.1:9",
            "SELFCARE_PLATFORM_CREDENTIAL": "x",
            "SELFCARE_REDIS_URL": "redis://127.0.0.1:9/0",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "SELFCARE_SECRET_KEY" in result.stderr
