"""Fixtures of the journeys: each runs against the sandbox as it is and against a strict one."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from selfcare_widget.services import services
from tests.strict.platform import StrictPlatform
from tests.support import PLATFORM_CREDENTIAL, PORTAL_ORIGIN, make_widget_app, serve_wsgi


@dataclass
class Platform:
    """One platform the widget talks to over HTTP, and its database (the truth to compare with)."""

    mode: str
    url: str
    db: Path
    strict: StrictPlatform | None

    def query(self, sql: str, *args: object) -> list[tuple]:
        with sqlite3.connect(f"file:{self.db}?mode=ro", uri=True) as conn:
            return conn.execute(sql, args).fetchall()


@pytest.fixture(scope="module", params=["sandbox", "strict"])
def platform(request, tmp_path_factory) -> Iterator[Platform]:
    """A private sandbox (the journeys change data), as it is or wrapped to be strict."""
    from selfcare_widget.sandbox import create_sandbox_app
    from selfcare_widget.sandbox.seed import generate

    db = tmp_path_factory.mktemp(request.param) / "platform.sqlite3"
    generate(db)
    sandbox = create_sandbox_app(db_path=db, credential=PLATFORM_CREDENTIAL)
    strict = StrictPlatform(sandbox) if request.param == "strict" else None
    with serve_wsgi(strict or sandbox) as url:
        yield Platform(request.param, url, db, strict)


@pytest.fixture(scope="module")
def widget(platform, test_partners):
    return make_widget_app(platform.url, test_partners)


@pytest.fixture
def post(widget):
    """``post(path, token=None, **form)``: a widget request as the loader sends it."""
    client = widget.test_client()

    def _post(path: str, token: str | None = None, **form):
        data = {"_partner": "demo-mobil", **form}
        if token:
            data["_st"] = token
        return client.post(path, data=data, headers={"Origin": PORTAL_ORIGIN})

    return _post


@pytest.fixture
def sign_in(widget):
    def _sign_in(customer_id: str) -> str:
        return services(widget).sessions.create("demo-mobil", customer_id, "cs", "sso")

    return _sign_in
