"""Fixtures of the platform adapter tests: a scripted faulty TMF server and a client for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from selfcare_widget.platform.tmf import TmfPlatform, TmfSettings
from tests.platform.faulty import FAULTY_CREDENTIAL, FaultyServer
from tests.support import serve_wsgi


@pytest.fixture(scope="module")
def faulty_server() -> Iterator[tuple[FaultyServer, str]]:
    """One faulty server per module (real HTTP on loopback); scripts are reset per test."""
    server = FaultyServer()
    with serve_wsgi(server.app()) as url:
        yield server, url


@pytest.fixture
def faulty(faulty_server) -> FaultyServer:
    """The faulty server with a clean script and request log."""
    server, _ = faulty_server
    server.reset()
    return server


@pytest.fixture
def tmf(faulty, faulty_server) -> Iterator[TmfPlatform]:
    """A TmfPlatform pointed at the faulty server, with short timeouts and no retry backoff."""
    _, url = faulty_server
    settings = TmfSettings(
        base_url=url,
        credential=FAULTY_CREDENTIAL,
        connect_timeout=1.0,
        read_timeout=0.5,
        get_retries=2,
        retry_backoff=0.0,
    )
    with TmfPlatform(settings, request_id=lambda: "req-test-1") as platform:
        yield platform
