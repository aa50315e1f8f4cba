"""Fixtures of the usage-alert tests: a private sandbox (they write preferences and buckets), its
database for moving buckets through periods, and the cached platform over real HTTP."""

from __future__ import annotations

import json
import sqlite3
import uuid
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from selfcare_widget import store as shared_store
from selfcare_widget.platform.cached import CachedPlatform
from selfcare_widget.platform.tmf import TmfPlatform, TmfSettings
from tests.support import PLATFORM_CREDENTIAL, make_widget_app, serve_wsgi

PRAGUE = ZoneInfo("Europe/Prague")
OUTBOX = "/tmf-api/communicationManagement/v4/communicationMessage"


@pytest.fixture(scope="module")
def alerts_db(sandbox_db, tmp_path_factory) -> Path:
    """A copy of the session's demo database: these tests write, the others must not notice."""
    path = tmp_path_factory.mktemp("alerts-sandbox") / "platform.sqlite3"
    src, dst = sqlite3.connect(sandbox_db), sqlite3.connect(path)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    return path


@pytest.fixture(scope="module")
def alerts_platform_url(alerts_db) -> str:
    """The private sandbox over real HTTP."""
    from selfcare_widget.sandbox import create_sandbox_app

    app = create_sandbox_app(db_path=alerts_db, credential=PLATFORM_CREDENTIAL)
    with serve_wsgi(app) as url:
        yield url


@pytest.fixture
def store():
    """A fresh in-process store (fakeredis) per test."""
    return shared_store.connect(f"memory://alerts-{uuid.uuid4().hex}")


@pytest.fixture
def tmf(alerts_platform_url) -> TmfPlatform:
    """The TMF adapter on the private sandbox (no cache: for arranging and reading back)."""
    with TmfPlatform(TmfSettings(base_url=alerts_platform_url, credential=PLATFORM_CREDENTIAL)) as platform:
        yield platform


@pytest.fixture
def cached(tmf, store) -> CachedPlatform:
    """What the alerts process uses: the cached platform over real HTTP."""
    return CachedPlatform(tmf, store)


@pytest.fixture
def alerts_app(alerts_platform_url, test_partners):
    """A widget app on the private sandbox."""
    return make_widget_app(alerts_platform_url, test_partners)


class Buckets:
    """Moves a SIM's buckets the way the platform's rating and period roll-over would."""

    def __init__(self, db: Path) -> None:
        self.db = db

    def _update(self, sim: str, usage_type: str, change) -> None:
        conn = sqlite3.connect(self.db)
        with conn:
            rows = conn.execute(
                "SELECT id, doc FROM bucket WHERE product_id = ? AND usage_type = ?", (sim, usage_type)
            ).fetchall()
            assert rows, f"{sim} has no {usage_type} bucket"
            for bucket_id, raw in rows:
                doc = json.loads(raw)
                change(doc)
                conn.execute("UPDATE bucket SET doc = ? WHERE id = ?", (json.dumps(doc), bucket_id))
        conn.close()

    def data_used(self, sim: str, share: float, period_end: date | None = None) -> None:
        """Every limited data allowance of the SIM used to ``share`` (0..1); a new period if given."""

        def change(doc: dict) -> None:
            initial = doc["initialValue"]["amount"]
            doc["remainingValue"]["amount"] = round(initial * (1 - share))
            if period_end is not None:
                start = period_end.replace(day=1)
                doc["validFor"] = {
                    "startDateTime": datetime.combine(start, time(0), tzinfo=PRAGUE).isoformat(),
                    "endDateTime": datetime.combine(period_end, time(23, 59, 59), tzinfo=PRAGUE).isoformat(),
                }

        self._update(sim, "data", change)

    def credit(self, sim: str, amount: float) -> None:
        def change(doc: dict) -> None:
            if len(doc["product"]) == 1:  # the SIM's own credit, not a package's
                doc["remainingValue"]["amount"] = amount

        self._update(sim, "monetary", change)


@pytest.fixture
def buckets(alerts_db) -> Buckets:
    return Buckets(alerts_db)


def month_end(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def outbox(platform_url: str, **params) -> list[dict]:
    """The sandbox outbox (newest first), filtered by ``receiver.phoneNumber`` or ``receiver.email``."""
    import requests

    response = requests.get(
        platform_url + OUTBOX,
        params={**params, "limit": 1000},
        headers={"Authorization": f"Bearer {PLATFORM_CREDENTIAL}"},
        timeout=5,
    )
    response.raise_for_status()
    return response.json()
