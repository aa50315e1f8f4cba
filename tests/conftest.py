"""Shared fixtures: the sandbox platform over real HTTP, a real Redis, the widget app."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import redis_server, serve_wsgi

PLATFORM_CREDENTIAL = "test-platform-credential"


@pytest.fixture(scope="session")
def sandbox_db(tmp_path_factory) -> Path:
    """A sandbox database generated once per test session (deterministic demo data)."""
    from selfcare_widget.sandbox.seed import generate

    path = tmp_path_factory.mktemp("sandbox") / "platform.sqlite3"
    generate(path)
    return path


@pytest.fixture(scope="session")
def sandbox_url(sandbox_db) -> str:
    """Base URL of a sandbox platform served over real HTTP on a free loopback port."""
    from selfcare_widget.sandbox import create_sandbox_app

    app = create_sandbox_app(db_path=sandbox_db, credential=PLATFORM_CREDENTIAL)
    with serve_wsgi(app) as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A real Redis (``REDIS_URL`` or a private redis-server); skipped locally if missing."""
    with redis_server() as url:
        yield url
