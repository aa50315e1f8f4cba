"""TMF630 conventions: attribute filters, paging, field selection, count headers, absolute hrefs.

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
#: TMF630 comparison operators (``attr.gt=``) and their SQL.
DATE_OPS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}
#: The same operators written as symbols (``attr>=value``).
SYMBOL_OPS = {">": "gt", ">=": "gte", "<": "lt", "<=": "lte"}
_SYMBOL_FORM = re.compile(r"([^<>]+)([<>]=?)(.*)", re.DOTALL)
#: Always returned whatever ``fields`` asks for (TMF630).
ALWAYS_RETURNED = frozenset({"id", "href"})


@dataclass(frozen=True)
class Attr:
    """How one query attribute filters.

    ``kind``: ``eq`` (value or comma list = OR) | ``date`` (an exact instant or comma list, or
    compared with ``.gt/.gte/.lt/.lte`` or ``> >= < <=``; column in epoch seconds) | ``contains``
    (digits matched anywhere) | ``in`` (``sql`` is a template with ``{marks}`` standing for the
    placeholder list, for filters needing a subquery).
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


@dataclass(frozen=True)
class Filter:
    """One query parameter read as ``attribute``, ``op`` (``eq`` or a key of DATE_OPS) and ``value``."""

    key: str  # as it arrived, for error messages
    attribute: str
    op: str
    value: str


def parse_filter(key: str, value: str, attrs: Mapping[str, Attr]) -> Filter:
    """Read one query parameter in any TMF630 form.

    ``attr=v`` and ``attr.eq=v`` test equality; ``attr.gt=v`` (``.gte``, ``.lt``, ``.lte``) and
    ``attr>v``, ``attr>=v``, ``attr<v``, ``attr<=v`` compare. A query string is split at its
    first ``=``: ``usageDate>=2026-01-01`` arrives as key ``usageDate>`` with value ``2026-01-01``,
    ``usageDate>2026-01-01`` (no ``=``) as that whole key with an empty value. So key and value
    are joined back into the expression the client wrote before the operator is read.
    """
    if key in attrs:
        return Filter(key, key, "eq", value)
    if "<" in key or ">" in key:
        match = _SYMBOL_FORM.fullmatch(f"{key}={value}" if value else key)
        if match:
            return Filter(key, match[1], SYMBOL_OPS[match[2]], match[3])
    if "." in key:
        name, suffix = key.rsplit(".", 1)
        if suffix == "eq" or suffix in DATE_OPS:
            return Filter(key, name, suffix, value)
    return Filter(key, key, "eq", value)


def where_clause(
    args: Mapping[str, str] | None, attrs: Mapping[str, Attr], required: tuple[str, ...] = ()
) -> tuple[str, list]:
    """Translate the query string into ``WHERE`` SQL and parameters; raises 400 on anything unknown."""
    args = request.args if args is None else args
    # a MultiDict (the query string) yields repeated keys too, a plain mapping each key once
    items = args.items(multi=True) if isinstance(args, MultiDict) else args.items()
    filters = [parse_filter(key, value, attrs) for key, value in items if key not in RESERVED]
    given = {f.attribute for f in filters if f.op == "eq" and f.value}
    for key in required:
        if key not in given:
            raise bad_request(f"filter {key!r} is required")
    clauses: list[str] = []
    params: list = []
    for f in filters:
        attr = attrs.get(f.attribute)
        if attr is None:
            raise bad_request(f"unsupported filter {f.key!r}; supported: {', '.join(sorted(attrs))}")
        if f.op != "eq":
            if attr.kind != "date":
                dates = ", ".join(sorted(k for k, a in attrs.items() if a.kind == "date")) or "none here"
                raise bad_request(f"{f.key!r}: only date filters compare ({dates})")
            clauses.append(f"{attr.sql} {DATE_OPS[f.op]} ?")
            params.append(parse_datetime(f.value))
            continue
        if attr.kind == "contains":
            clauses.append(f"instr({attr.sql}, ?) > 0")
            params.append(digits_only(f.value))
            continue
        values = [v.strip() for v in f.value.split(",") if v.strip()]
        if not values:
            raise bad_request(f"empty value for filter {f.key!r}")
        bound: list = (
            [parse_datetime(v) for v in values]  # an exact instant (epoch seconds), comma list = OR
            if attr.kind == "date"
            else [attr.normalize(v) for v in values]
            if attr.normalize
            else values
        )
        marks = ",".join("?" * len(bound))
        if attr.kind == "in":
            clauses.append(attr.sql.format(marks=marks))
            params.extend(bound * attr.sql.count("{marks}"))
        else:
            clauses.append(f"{attr.sql} IN ({marks})")
            params.extend(bound)
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
    """Top-level attributes requested with ``fields=`` (``id`` and ``href`` always kept), or None for all."""
    value = request.args.get("fields")
    if not value:
        return None
    return {f.strip().split(".")[0] for f in value.split(",") if f.strip()} | ALWAYS_RETURNED


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
    count: Callable[[], int] | None = None,
) -> Response:
    """Run a filtered, paged list query on ``table`` and build the TMF630 response.

    ``count`` answers ``X-Total-Count`` where the table keeps a cheaper way than counting rows.
    """
    where, params = where_clause(None, attrs, required)
    offset, limit = paging()
    order = order_by(sorts or {}, default_order)
    fields = fields_filter()
    total = (
        count() if count else conn.execute(f"SELECT count(*) FROM {table}{where}", params).fetchone()[0]  # noqa: S608
    )
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


# A JSON key ``href`` whose string value is a path. Inside a JSON string every ``"`` is escaped,
# so this can only match a real key, never text inside a value.
_HREF_PATH = re.compile(r'("href"\s*:\s*")(?=/)')


def absolute_hrefs(response: Response) -> Response:
    """Make every ``href`` path of a JSON body, and a path ``Location``, an absolute URL.

    Stored bodies name resources by path (the database does not know where it is served); on
    the way out each path is prefixed with the scheme, host and mount point of the sandbox
    answering this request (``request.url_root``; ``request.host_url`` when mounted at ``/``),
    so a client can follow it, and ``format: uri`` in the TMF schemas holds.
    """
    root = request.url_root.rstrip("/")
    location = response.headers.get("Location")
    if location and location.startswith("/"):
        response.headers["Location"] = root + location
    if response.mimetype == "application/json" and not response.direct_passthrough:
        text = response.get_data(as_text=True)
        if '"href"' in text:
            escaped = json.dumps(root, ensure_ascii=False)[1:-1]  # as it must appear inside a JSON string
            response.set_data(_HREF_PATH.sub(lambda m: m[1] + escaped, text))
    return response
