"""TMF630 list conventions: attribute filters, paging, field selection, count headers.

Each list endpoint declares which query attributes it understands and which SQL column
each maps to; anything else is a 400, so a misspelt filter can never silently widen a
result to other customers' data.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from flask import Response, request
from werkzeug.datastructures import MultiDict

from .errors import ApiError, bad_request
from .resources import PRAGUE

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000
RESERVED = frozenset({"offset", "limit", "fields", "sort"})
DATE_OPS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


@dataclass(frozen=True)
class Attr:
    """How one query attribute filters.

    ``kind``: ``eq`` (value or comma list = OR) | ``date`` (``.gt/.gte/.lt/.lte``, column in
    epoch seconds) | ``contains`` (digits matched anywhere) | ``in`` (``sql`` is a template
    with ``{in}`` standing for the placeholder list, for filters needing a subquery).
    """

    sql: str
    kind: str = "eq"
    normalize: Callable[[str], str] | None = None


def parse_datetime(value: str) -> float:
    """A TMF630 date filter value as epoch seconds.

    Accepts ISO 8601 date-times (offset or ``Z``; without offset = Europe/Prague) and plain
    dates (midnight Europe/Prague). A ``+`` decoded to a space by a client that forgot to
    encode it is restored.
    """
    text = value.strip().replace(" ", "+")
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        if len(text) == 10:
            return datetime.combine(date.fromisoformat(text), datetime.min.time(), tzinfo=PRAGUE).timestamp()
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise bad_request(f"invalid date-time {value!r} (use ISO 8601)") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=PRAGUE)
    return parsed.timestamp()


def digits_only(value: str) -> str:
    """Digits of a phone-number fragment; 400 when anything else than digits, spaces, ``+``."""
    cleaned = re.sub(r"[\s+]", "", value)
    if not cleaned.isdigit() or len(cleaned) > 20:
        raise bad_request(f"expected digits, got {value!r}")
    return cleaned


def where_clause(
    args: Mapping[str, str] | None, attrs: Mapping[str, Attr], required: tuple[str, ...] = ()
) -> tuple[str, list]:
    """Translate the query string into ``WHERE`` SQL and parameters; raises 400 on anything unknown."""
    args = request.args if args is None else args
    clauses: list[str] = []
    params: list = []
    for key in required:
        if not args.get(key):
            raise bad_request(f"filter {key!r} is required")
    # a MultiDict (the query string) yields repeated keys too, a plain mapping each key once
    items = args.items(multi=True) if isinstance(args, MultiDict) else args.items()
    for key, value in items:
        if key in RESERVED:
            continue
        attr = attrs.get(key)
        op = "="
        if attr is None and "." in key:
            base, suffix = key.rsplit(".", 1)
            if suffix in DATE_OPS and base in attrs and attrs[base].kind == "date":
                attr, op = attrs[base], DATE_OPS[suffix]
        if attr is None:
            raise bad_request(f"unsupported filter {key!r}; supported: {', '.join(sorted(attrs))}")
        if attr.kind == "date":
            if op == "=":
                raise bad_request(f"use {key}.gt/.gte/.lt/.lte for date filters")
            clauses.append(f"{attr.sql} {op} ?")
            params.append(parse_datetime(value))
        elif attr.kind == "contains":
            clauses.append(f"instr({attr.sql}, ?) > 0")
            params.append(digits_only(value))
        else:
            values = [v.strip() for v in value.split(",") if v.strip()]
            if not values:
                raise bad_request(f"empty value for filter {key!r}")
            if attr.normalize:
                values = [attr.normalize(v) for v in values]
            marks = ",".join("?" * len(values))
            if attr.kind == "in":
                clauses.append(attr.sql.format(marks=marks))
                params.extend(values * attr.sql.count("{marks}"))
            else:
                clauses.append(f"{attr.sql} IN ({marks})")
                params.extend(values)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def paging() -> tuple[int, int]:
    """``offset`` and ``limit`` from the query string (400 when not whole numbers in range)."""
    try:
        offset = int(request.args.get("offset", "0"))
        limit = int(request.args.get("limit", str(DEFAULT_LIMIT)))
    except ValueError:
        raise bad_request("offset and limit must be whole numbers") from None
    if offset < 0 or not 1 <= limit <= MAX_LIMIT:
        raise bad_request(f"offset must be >= 0 and limit between 1 and {MAX_LIMIT}")
    return offset, limit


def order_by(sorts: Mapping[str, str], default: str) -> str:
    """``ORDER BY`` for ``sort=attr`` / ``sort=-attr``; ``sorts`` maps attribute to column."""
    value = request.args.get("sort")
    if not value:
        return default
    descending = value.startswith("-")
    column = sorts.get(value.lstrip("-+"))
    if column is None:
        raise bad_request(f"unsupported sort {value!r}; supported: {', '.join(sorted(sorts))}")
    direction = "DESC" if descending else "ASC"
    return f"{column} {direction}, id {direction}"  # id breaks ties: stable pages


def fields_filter() -> set[str] | None:
    """Top-level attributes requested with ``fields=`` (``id`` always kept), or None for all."""
    value = request.args.get("fields")
    if not value:
        return None
    return {f.strip().split(".")[0] for f in value.split(",") if f.strip()} | {"id"}


def render_docs(docs: list[str], fields: set[str] | None) -> str:
    """A JSON array of stored bodies; without field selection the stored JSON is passed through."""
    if fields is None:
        return "[" + ",".join(docs) + "]"
    picked = [{k: v for k, v in json.loads(d).items() if k in fields} for d in docs]
    return json.dumps(picked, ensure_ascii=False)


def list_response(
    conn: sqlite3.Connection,
    table: str,
    attrs: Mapping[str, Attr],
    *,
    required: tuple[str, ...] = (),
    sorts: Mapping[str, str] | None = None,
    default_order: str = "id",
) -> Response:
    """Run a filtered, paged list query on ``table`` and build the TMF630 response."""
    where, params = where_clause(None, attrs, required)
    offset, limit = paging()
    order = order_by(sorts or {}, default_order)
    fields = fields_filter()
    total = conn.execute(f"SELECT count(*) FROM {table}{where}", params).fetchone()[0]  # noqa: S608
    rows = conn.execute(
        f"SELECT doc FROM {table}{where} ORDER BY {order} LIMIT ? OFFSET ?",  # noqa: S608
        [*params, limit, offset],
    ).fetchall()
    body = render_docs([r[0] for r in rows], fields)
    response = Response(body, status=200, mimetype="application/json")
    response.headers["X-Total-Count"] = str(total)
    response.headers["X-Result-Count"] = str(len(rows))
    return response


def one_response(conn: sqlite3.Connection, table: str, kind: str, id_: str) -> Response:
    """``GET /{kind}/{id}``: the stored body, with ``fields`` honoured, or a TMF 404."""
    row = conn.execute(f"SELECT doc FROM {table} WHERE id = ?", (id_,)).fetchone()  # noqa: S608
    if row is None:
        raise ApiError(404, "notFound", "Záznam nenalezen", f"{kind} {id_!r} does not exist")
    fields = fields_filter()
    body = (
        row[0]
        if fields is None
        else json.dumps({k: v for k, v in json.loads(row[0]).items() if k in fields}, ensure_ascii=False)
    )
    return Response(body, status=200, mimetype="application/json")
