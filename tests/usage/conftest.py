"""Fixtures of the call-log tests: the heavy subscriber's SIM, a direct count in the sandbox DB."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

import pytest

from selfcare_widget.services import services
from tests.usage.helpers import day_start_epoch


@pytest.fixture
def port(app):
    """The widget's platform port (TMF client on the sandbox over real HTTP)."""
    return services(app).platform


@pytest.fixture
def sim_of(port):
    """``sim_of(customer_id, index=0) -> Sim``."""

    def _sim(customer_id: str, index: int = 0):
        return port.list_sims(customer_id)[index]

    return _sim


@pytest.fixture
def direct_count(sandbox_db):
    """``direct_count(product_id, from, to, types=None, b='') -> int`` straight from the SQLite file."""

    def _count(product_id: str, date_from: date, date_to: date, types=None, b: str = "") -> int:
        sql = "SELECT COUNT(*) FROM usage WHERE product_id = ? AND usage_date >= ? AND usage_date < ?"
        args: list = [product_id, day_start_epoch(date_from), day_start_epoch(date_to + timedelta(days=1))]
        if types:
            sql += f" AND usage_type IN ({','.join('?' * len(types))})"
            args += list(types)
        if b:
            sql += " AND instr(destination_number, ?) > 0"
            args.append(b)
        with sqlite3.connect(f"file:{sandbox_db}?mode=ro", uri=True) as db:
            return db.execute(sql, args).fetchone()[0]

    return _count
