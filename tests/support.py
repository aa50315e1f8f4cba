"""Test helpers: real servers on free loopback ports, skips that CI turns into failures, the
widget app on the sandbox and the constants the tests share (fixtures live in conftest.py)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

IN_CI = bool(os.environ.get("SELFCARE_CI"))

PLATFORM_CREDENTIAL = "test-platform-credential"
PORTAL_ORIGIN = "https://portal.demo-mobil.test"
ZELENA_ORIGIN = "https://zelena-mobil.example.cz"
ZELENA_SECRET = "zelena-test-secret-with-at-least-32-characters"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


def require(condition: bool, what: str) -> None:
    """Skip when ``condition`` is false, except in CI (``SELFCARE_CI``), where it fails."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"{what} is required in CI but missing")
    pytest.skip(f"{what} is not available")


def free_port() -> int:
    return free_ports(1)[0]


def free_ports(count: int) -> list[int]:
    """``count`` different free loopback ports: all are held at once while chosen, since one
    closed after the other may be handed out again (a Sentinel then found its port taken by
    the replica, and the test talked to the replica)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@contextmanager
def serve_wsgi(app, port: int | None = None) -> Iterator[str]:
    """Serve a WSGI app over real HTTP on loopback in a thread; yields its base URL."""
    server = make_server("127.0.0.1", port or 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


@contextmanager
def redis_server() -> Iterator[str]:
    """A Redis URL: ``REDIS_URL`` if set, else a private redis-server on a free port."""
    if os.environ.get("REDIS_URL"):
        yield os.environ["REDIS_URL"]
        return
    binary = shutil.which("redis-server")
    require(binary is not None, "redis-server")
    assert binary is not None
    port = free_port()
    workdir = tempfile.mkdtemp(prefix="selfcare-redis-")
    proc = start_redis(binary, workdir, port)
    try:
        wait_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(5)
        shutil.rmtree(workdir, ignore_errors=True)


def start_redis(binary: str, workdir: str, port: int, *extra: str) -> subprocess.Popen:
    """A redis-server on loopback ``port`` keeping nothing on disk; ``extra`` arguments first."""
    return subprocess.Popen(
        [
            binary,
            *extra,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            workdir,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def wait_port(port: int, timeout: float = 10.0) -> None:
    """Return once something listens on 127.0.0.1:``port``; RuntimeError after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), 0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port}")


# --- the widget app (talks to the sandbox over real HTTP) -------------------------------------


def make_widget_app(sandbox_url: str, partners, redis_url: str | None = None, **overrides):
    """A widget app on the sandbox; a private in-process store unless ``redis_url`` is given."""
    import uuid

    from selfcare_widget import create_app
    from selfcare_widget.config import Settings

    overrides.setdefault("edr_spool_dir", Path(tempfile.mkdtemp(prefix="selfcare-edr-spool-")))
    settings = Settings(
        platform_url=sandbox_url,
        platform_credential=PLATFORM_CREDENTIAL,
        partners_file=None,
        redis_url=redis_url or f"memory://tests-{uuid.uuid4().hex}",
        **overrides,
    )
    app = create_app(settings=settings, partners=partners)
    app.testing = True
    return app


# --- browser tests -------------------------------------------------------------------------------


def save_artifact(page, name: str) -> Path:
    """Save a full-page screenshot under test-artifacts/ (kept by CI as evidence)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


SMS_OUTBOX = "/tmf-api/communicationManagement/v4/communicationMessage"


def sms_messages(platform_url: str, number: str) -> list[str]:
    """Texts the platform's outbox holds for ``number`` (E.164, ``+`` optional), newest first."""
    import requests

    response = requests.get(
        platform_url + SMS_OUTBOX,
        params={"receiver.phoneNumber": "+" + number.lstrip("+"), "limit": 100},
        headers={"Authorization": f"Bearer {PLATFORM_CREDENTIAL}"},
        timeout=5,
    )
    response.raise_for_status()
    return [message["content"] for message in response.json()]


def sms_codes(platform_url: str, msisdn: str) -> list[str]:
    """Sign-in codes the platform's outbox holds for ``msisdn`` (E.164 digits), newest first."""
    import re

    return [
        match.group(1)
        for text in sms_messages(platform_url, msisdn)
        if (match := re.search(r"\b(\d{6})\b", text))
    ]


def new_sms_code(platform_url: str, msisdn: str, before: int, timeout: float = 10.0) -> str:
    """The code sent after ``before`` codes were in the outbox (codes are sent off the request path)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        codes = sms_codes(platform_url, msisdn)
        if len(codes) > before:
            return codes[0]
        time.sleep(0.05)
    raise AssertionError(f"no new sign-in code within {timeout} s")
