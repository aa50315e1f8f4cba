"""TMF635 Usage (call log) and the usage summary extension (aggregates in SQL)."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from .db import request_conn
from .resources import BASE
from .tmf630 import Attr, list_response, one_response, where_clause

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
    )


@usage_bp.get("/usage/<id_>")
def get_usage(id_: str) -> Response:
    """One usage record."""
    return one_response(request_conn(), "usage", "usage", id_)


@summary_bp.get("/usageSummary")
def usage_summary() -> Response:
    """Totals of the records ``/usage`` would return for the same filters (paging ignored)."""
    where, params = where_clause(None, USAGE_ATTRS, USAGE_REQUIRED)
    # only column names from USAGE_ATTRS are interpolated; values are bound parameters
    sql = SUMMARY_SQL + where
    row = request_conn().execute(sql, params).fetchone()
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
