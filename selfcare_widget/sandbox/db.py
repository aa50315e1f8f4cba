"""SQLite storage of the sandbox platform.

One table per TMF resource: indexed columns for every filter the contract offers, plus a
JSON ``doc`` column holding the exact TMF body (so responses stay schema-exact and filters
stay fast). Dates used in filters are stored as UTC epoch seconds so comparisons are
numeric and independent of the offset written in the body.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS partner (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS customer (
    id TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL,
    email TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS customer_partner ON customer (partner_id);
CREATE INDEX IF NOT EXISTS customer_email ON customer (email);

CREATE TABLE IF NOT EXISTS billing_account (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS billing_account_customer ON billing_account (customer_id);

CREATE TABLE IF NOT EXISTS product_offering (
    id TEXT PRIMARY KEY,
    category_id TEXT NOT NULL,
    lifecycle_status TEXT NOT NULL,
    doc TEXT NOT NULL
);
-- one row per add-on -> tariff relation (filter productOfferingRelationship.id)
CREATE TABLE IF NOT EXISTS offering_relationship (
    offering_id TEXT NOT NULL,
    related_id TEXT NOT NULL,
    PRIMARY KEY (related_id, offering_id)
);

CREATE TABLE IF NOT EXISTS product (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    spec_id TEXT NOT NULL,
    offering_id TEXT NOT NULL,
    status TEXT NOT NULL,
    msisdn TEXT,
    sim_product_id TEXT,  -- add-ons: the SIM product they are an add-on to
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS product_customer ON product (customer_id);
CREATE INDEX IF NOT EXISTS product_msisdn ON product (msisdn);

CREATE TABLE IF NOT EXISTS service (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    state TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS service_customer ON service (customer_id);

CREATE TABLE IF NOT EXISTS resource (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS resource_customer ON resource (customer_id);

CREATE TABLE IF NOT EXISTS bucket (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    product_id TEXT NOT NULL,          -- the SIM product
    package_product_id TEXT,           -- the add-on that granted it, if any
    usage_type TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS bucket_product ON bucket (product_id);
CREATE INDEX IF NOT EXISTS bucket_package ON bucket (package_product_id);

CREATE TABLE IF NOT EXISTS product_order (
    id TEXT PRIMARY KEY,
    external_id TEXT,
    customer_id TEXT NOT NULL,
    doc TEXT NOT NULL
);
-- the idempotency guarantee: two POSTs with one externalId can never both insert
CREATE UNIQUE INDEX IF NOT EXISTS product_order_external ON product_order (external_id);

CREATE TABLE IF NOT EXISTS customer_bill (
    id TEXT PRIMARY KEY,
    billing_account_id TEXT NOT NULL,
    bill_date INTEGER NOT NULL,
    state TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS customer_bill_account ON customer_bill (billing_account_id, bill_date);

CREATE TABLE IF NOT EXISTS applied_rate (
    id TEXT PRIMARY KEY,
    bill_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS applied_rate_bill ON applied_rate (bill_id, seq);

CREATE TABLE IF NOT EXISTS usage (
    id TEXT PRIMARY KEY,
    customer_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    usage_date INTEGER NOT NULL,       -- UTC epoch seconds
    usage_type TEXT NOT NULL,
    destination_number TEXT NOT NULL,
    duration INTEGER NOT NULL,
    count INTEGER NOT NULL,
    volume INTEGER NOT NULL,
    charged INTEGER NOT NULL,          -- hellers (0.01 CZK), exact sums
    doc TEXT NOT NULL
);
-- paging newest-first over a date range is an index range scan for both entry points
CREATE INDEX IF NOT EXISTS usage_customer_date ON usage (customer_id, usage_date, usage_type);
CREATE INDEX IF NOT EXISTS usage_product_date ON usage (product_id, usage_date, usage_type);
CREATE INDEX IF NOT EXISTS usage_customer_product_date ON usage (customer_id, product_id, usage_date, id);
-- the usage summary of one SIM's period reads only index entries (no table rows): 3 months of the
-- heavy subscriber 31 ms -> 5 ms, which is most of a call-log fragment's time
CREATE INDEX IF NOT EXISTS usage_summary_cover ON usage (customer_id, product_id, usage_date, usage_type,
    destination_number, duration, count, volume, charged);

-- Daily and hourly totals of the call log, kept by a trigger (the table is append-only, as a
-- call log is): a period's count and totals read its whole UTC days from usage_day, the whole
-- hours around them from usage_hour and only the records of the partial hours at its ends, so
-- they cost about the same for 2 000 or 200 000 records in the period, as on a rating platform
-- that keeps such rollups (3 months of 200 000 records: 180 ms by counting rows).
CREATE TABLE IF NOT EXISTS usage_hour (
    customer_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    usage_type TEXT NOT NULL,
    hour INTEGER NOT NULL,             -- UTC epoch seconds of the hour's start
    records INTEGER NOT NULL,
    duration INTEGER NOT NULL,
    count INTEGER NOT NULL,
    volume INTEGER NOT NULL,
    charged INTEGER NOT NULL,
    PRIMARY KEY (customer_id, product_id, usage_type, hour)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS usage_hour_customer ON usage_hour (customer_id, hour);
CREATE INDEX IF NOT EXISTS usage_hour_product ON usage_hour (product_id, hour);
CREATE TABLE IF NOT EXISTS usage_day (
    customer_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    usage_type TEXT NOT NULL,
    day INTEGER NOT NULL,              -- UTC epoch seconds of the UTC day's start
    records INTEGER NOT NULL,
    duration INTEGER NOT NULL,
    count INTEGER NOT NULL,
    volume INTEGER NOT NULL,
    charged INTEGER NOT NULL,
    PRIMARY KEY (customer_id, product_id, usage_type, day)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS usage_day_customer ON usage_day (customer_id, day);
CREATE INDEX IF NOT EXISTS usage_day_product ON usage_day (product_id, day);
CREATE TRIGGER IF NOT EXISTS usage_rollups_add AFTER INSERT ON usage BEGIN
    INSERT INTO usage_hour VALUES (NEW.customer_id, NEW.product_id, NEW.usage_type,
        NEW.usage_date - NEW.usage_date % 3600, 1, NEW.duration, NEW.count, NEW.volume, NEW.charged)
    ON CONFLICT DO UPDATE SET records = records + 1, duration = duration + excluded.duration,
        count = count + excluded.count, volume = volume + excluded.volume,
        charged = charged + excluded.charged;
    INSERT INTO usage_day VALUES (NEW.customer_id, NEW.product_id, NEW.usage_type,
        NEW.usage_date - NEW.usage_date % 86400, 1, NEW.duration, NEW.count, NEW.volume, NEW.charged)
    ON CONFLICT DO UPDATE SET records = records + 1, duration = duration + excluded.duration,
        count = count + excluded.count, volume = volume + excluded.volume,
        charged = charged + excluded.charged;
END;

CREATE TABLE IF NOT EXISTS communication_message (
    id TEXT PRIMARY KEY,
    receiver_phone TEXT NOT NULL,
    created INTEGER NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS communication_message_receiver ON communication_message (receiver_phone);
"""


def connect(path: str | Path) -> sqlite3.Connection:
    """Open a connection in autocommit mode (writes use explicit ``BEGIN IMMEDIATE``).

    WAL lets readers proceed while a writer commits; the busy timeout makes concurrent
    writers queue instead of failing with "database is locked".
    """
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=10, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA busy_timeout=10000")
    return conn


def create_schema(conn: sqlite3.Connection) -> None:
    """Create all tables and indexes (idempotent); fills the call-log rollups of a database
    written before they existed."""
    conn.executescript(SCHEMA)
    for table, seconds in (("usage_hour", 3600), ("usage_day", 86400)):
        if conn.execute(
            f"SELECT EXISTS (SELECT 1 FROM usage) AND NOT EXISTS (SELECT 1 FROM {table})"  # noqa: S608
        ).fetchone()[0]:
            conn.execute(
                f"INSERT INTO {table} SELECT customer_id, product_id, usage_type, "  # noqa: S608
                f"usage_date - usage_date % {seconds}, count(*), sum(duration), sum(count), "
                "sum(volume), sum(charged) FROM usage GROUP BY 1, 2, 3, 4"
            )


def request_conn() -> sqlite3.Connection:
    """The current request's connection, opened on first use and closed at teardown.

    SQLite connections are cheap to open and must not be shared between the server's
    threads, so each request gets its own.
    """
    from flask import current_app, g

    conn = g.get("sandbox_conn")
    if conn is None:
        conn = g.sandbox_conn = connect(current_app.config["SANDBOX_DB"])
    return conn


def close_request_conn(_exc: BaseException | None = None) -> None:
    """Teardown hook: roll back anything left open and close the request's connection."""
    from flask import g

    conn = g.pop("sandbox_conn", None)
    if conn is not None:
        if conn.in_transaction:
            conn.rollback()
        conn.close()


@contextmanager
def immediate(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A write transaction that takes the write lock up front (``BEGIN IMMEDIATE``).

    Taking the lock before reading makes read-check-write sequences (order dedup, PATCH
    rules) serialise between concurrent requests instead of racing.
    """
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    else:
        conn.execute("COMMIT")


def load_doc(conn: sqlite3.Connection, table: str, id_: str) -> dict | None:
    """The stored TMF body of ``table`` row ``id_``, or None."""
    row = conn.execute(f"SELECT doc FROM {table} WHERE id = ?", (id_,)).fetchone()  # noqa: S608
    return json.loads(row[0]) if row else None


def dumps(doc: dict) -> str:
    """Compact JSON as stored in ``doc`` columns (UTF-8, no ASCII escapes)."""
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"))
