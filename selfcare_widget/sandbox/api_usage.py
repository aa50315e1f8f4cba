"""TMF635 Usage (call log) and the usage summary extension (aggregates in SQL)."""

from __future__ import annotations

import math
import sqlite3

from flask import Blueprint, Response, jsonify, request
from werkzeug.datastructures import MultiDict

from .db import request_conn
from .resources import BASE
from .tmf630 import (
    DATE_OPS,
    RESERVED,
    Attr,
    Filter,
    list_response,
    one_response,
    parse_datetime,
    parse_filter,
    where_clause,
)

usage_bp = Blueprint("tmf635", __name__, url_prefix=BASE["635"])
summary_bp = Blueprint("selfcare_usage", __name__, url_prefix=BASE["selfcare"])

USAGE_ATTRS = {
    "id": Attr("id"),
    "relatedParty.id": Attr("customer_id"),
    "ratedProductUsage.productRef.id": Attr("product_id"),
    "usageDate": Attr("usage_date", kind="date"),
    "usageType": Attr("usage_type"),
    "destinationNumber.contains": Attr("destination_number", kind="contains"),
}
USAGE_REQUIRED = ("relatedParty.id",)
SUMMARY_SQL = (
    "SELECT count(*), coalesce(sum(duration), 0), "
    "coalesce(sum(CASE WHEN usage_type = 'sms' THEN count ELSE 0 END), 0), coalesce(sum(volume), 0), "
    "coalesce(sum(CASE WHEN usage_type = 'fee' THEN count ELSE 0 END), 0), coalesce(sum(charged), 0) "
    "FROM usage"
)
#: The same totals from a rollup table (``usage_hour`` or ``usage_day``).
ROLLUP_SQL = (
    "SELECT coalesce(sum(records), 0), coalesce(sum(duration), 0), "
    "coalesce(sum(CASE WHEN usage_type = 'sms' THEN count ELSE 0 END), 0), coalesce(sum(volume), 0), "
    "coalesce(sum(CASE WHEN usage_type = 'fee' THEN count ELSE 0 END), 0), coalesce(sum(charged), 0) "
    "FROM {table}"
)
#: Filters the rollups can answer (besides the ``usageDate`` range), with their columns.
ROLLUP_ATTRS = {
    "relatedParty.id": Attr("customer_id"),
    "ratedProductUsage.productRef.id": Attr("product_id"),
    "usageType": Attr("usage_type"),
}
HOUR = 3600
DAY = 86400
Totals = tuple[int, int, int, int, int, int]


def usage_totals(conn: sqlite3.Connection, args: MultiDict) -> Totals:
    """Records, voice seconds, SMS, data bytes, fees and charged hellers that ``/usage`` selects.

    Whole UTC days inside the ``usageDate`` range come from the daily rollup, the whole hours
    around them from the hourly one; the records of the partial hours at the range's two ends,
    and any filter the rollups cannot answer (a number search, exact instants, ids), from the
    ``usage`` table itself.
    """
    filters = [
        parse_filter(key, value, USAGE_ATTRS) for key, value in args.items(multi=True) if key not in RESERVED
    ]
    others = [f for f in filters if f.attribute != "usageDate"]
    lower = [f for f in filters if f.attribute == "usageDate" and f.op in ("gt", "gte")]
    upper = [f for f in filters if f.attribute == "usageDate" and f.op in ("lt", "lte")]
    first_hour = _round_up(_first_second(lower[0]), HOUR) if lower else None
    end_hour = _end_second(upper[0]) // HOUR * HOUR if upper else None
    if (
        any(f.attribute not in ROLLUP_ATTRS for f in others)
        or len(lower) > 1
        or len(upper) > 1
        or len(others) + len(lower) + len(upper) != len(filters)  # exact instants
        or (first_hour is not None and end_hour is not None and first_hour >= end_hour)
    ):
        where, params = where_clause(args, USAGE_ATTRS, USAGE_REQUIRED)
        return _row(conn, SUMMARY_SQL + where, params)
    other_args = MultiDict([(f.key, f.value) for f in others])
    rollup, rollup_params = where_clause(other_args, ROLLUP_ATTRS, USAGE_REQUIRED)

    def totals(table: str, column: str, start: int | None, end: int | None) -> Totals:
        """The rollup's totals for ``start <= column < end`` (None: open)."""
        sql, params = ROLLUP_SQL.format(table=table) + rollup, list(rollup_params)
        for op, value in ((">=", start), ("<", end)):
            if value is not None:
                sql += f" AND {column} {op} ?"
                params.append(value)
        return _row(conn, sql, params)

    # every whole second t in [first_hour, end_hour) passes the date filters
    first_day = _round_up(first_hour, DAY) if first_hour is not None else None
    end_day = end_hour // DAY * DAY if end_hour is not None else None
    if first_day is not None and end_day is not None and first_day >= end_day:
        parts = [totals("usage_hour", "hour", first_hour, end_hour)]
    else:
        parts = [totals("usage_day", "day", first_day, end_day)]
        if first_hour is not None:
            parts.append(totals("usage_hour", "hour", first_hour, first_day))
        if end_hour is not None:
            parts.append(totals("usage_hour", "hour", end_day, end_hour))
    base, base_params = where_clause(other_args, USAGE_ATTRS, USAGE_REQUIRED)
    # the records before the first whole hour, and from the end of the last one
    for bound, edge, edge_second in (
        (lower, "usage_date < ?", first_hour),
        (upper, "usage_date >= ?", end_hour),
    ):
        if bound:
            parts.append(
                _row(
                    conn,
                    f"{SUMMARY_SQL}{base} AND usage_date {DATE_OPS[bound[0].op]} ? AND {edge}",
                    [*base_params, parse_datetime(bound[0].value), edge_second],
                )
            )
    return tuple(sum(column) for column in zip(*parts, strict=True))


def _row(conn: sqlite3.Connection, sql: str, params: list) -> Totals:
    return tuple(conn.execute(sql, params).fetchone())


def _first_second(bound: Filter) -> int:
    """The first whole second a lower bound admits."""
    value = parse_datetime(bound.value)
    return math.floor(value) + 1 if bound.op == "gt" else math.ceil(value)


def _end_second(bound: Filter) -> int:
    """The first whole second past what an upper bound admits."""
    value = parse_datetime(bound.value)
    return math.ceil(value) if bound.op == "lt" else math.floor(value) + 1


def _round_up(second: int, unit: int) -> int:
    return -(-second // unit) * unit


@usage_bp.get("/usage")
def list_usage() -> Response:
    """The call log, newest first (``sort=usageDate`` for oldest first)."""
    return list_response(
        request_conn(),
        "usage",
        USAGE_ATTRS,
        required=USAGE_REQUIRED,
        sorts={"usageDate": "usage_date"},
        default_order="usage_date DESC, id DESC",
        count=lambda: usage_totals(request_conn(), request.args)[0],
    )


@usage_bp.get("/usage/<id_>")
def get_usage(id_: str) -> Response:
    """One usage record."""
    return one_response(request_conn(), "usage", "usage", id_)


@summary_bp.get("/usageSummary")
def usage_summary() -> Response:
    """Totals of the records ``/usage`` would return for the same filters (paging ignored)."""
    row = usage_totals(request_conn(), request.args)
    return jsonify(
        {
            "count": row[0],
            "voiceSeconds": row[1],
            "smsCount": row[2],
            "dataBytes": row[3],
            "feeCount": row[4],
            "chargedAmount": {"unit": "CZK", "value": row[5] / 100},
        }
    )
