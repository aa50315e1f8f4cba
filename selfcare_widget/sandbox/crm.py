"""Demo CRM receiver: what a partner's CRM does with the widget's EDR webhooks.

``POST /crm/<partner>/webhook`` verifies the Standard Webhooks signature with the partner's
secret (timestamps older or newer than 5 minutes are rejected), then stores the EDR once per
``webhook-id`` (a repeated delivery is acknowledged with 200 but not stored again: at-least-once
delivery + an idempotent receiver = each EDR once). ``GET /crm/<partner>/edrs`` lists what
arrived, newest first, as JSON (``?format=json`` or ``Accept: application/json``) or as a tiny
HTML page for the demo.

These routes are outside the platform's bearer credential: the webhook is authenticated by
its signature, and the listing is a demo page of the sandbox.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping

from flask import Blueprint, Response, abort, current_app, jsonify, render_template_string, request

from ..edr.signing import DEFAULT_TOLERANCE, WebhookVerificationError, verify
from . import db

log = logging.getLogger(__name__)

WEBHOOK_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")

bp = Blueprint("crm", __name__, url_prefix="/crm")

SCHEMA = """
CREATE TABLE IF NOT EXISTS crm_edr (
    webhook_id TEXT PRIMARY KEY,
    partner_id TEXT NOT NULL,
    received_at REAL NOT NULL,
    deliveries INTEGER NOT NULL DEFAULT 1,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS crm_edr_partner ON crm_edr (partner_id, received_at);
"""

CONFIG_KEY = "CRM_SECRETS"
LIST_LIMIT = 200

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>CRM – EDRs of {{ partner }}</title>
<style>
body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1b1b1b}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}
code{font-size:.8rem;white-space:pre-wrap;word-break:break-all}
</style></head>
<body>
<h1>Demo CRM: EDRs received for {{ partner }}</h1>
<p>{{ total }} EDR(s) stored (each webhook-id once); newest first. JSON:
<a href="?format=json">?format=json</a></p>
<table>
<caption>Webhook deliveries verified with the partner's secret</caption>
<thead><tr><th scope="col">Time</th><th scope="col">Action</th><th scope="col">Outcome</th>
<th scope="col">Customer</th><th scope="col">SIM</th><th scope="col">Details</th>
<th scope="col">Deliveries</th></tr></thead>
<tbody>
{% for row in rows %}<tr><td>{{ row.edr.time }}</td><td>{{ row.edr.action }}</td>
<td>{{ row.edr.outcome }}</td><td>{{ row.edr.customer }}</td><td>{{ row.edr.sim }}</td>
<td><code>{{ row.edr.details|tojson }}</code></td><td>{{ row.deliveries }}</td></tr>
{% else %}<tr><td colspan="7">Nothing has arrived yet.</td></tr>{% endfor %}
</tbody></table>
</body></html>
"""


def init_crm(app, secrets: Mapping[str, str] | None) -> None:
    """Register the receiver on the sandbox ``app`` with the partners' webhook secrets."""
    app.config[CONFIG_KEY] = dict(secrets or {})
    conn = db.connect(app.config["SANDBOX_DB"])
    try:
        conn.executescript(SCHEMA)
    finally:
        conn.close()
    app.register_blueprint(bp)


def _secret_or_404(partner_id: str) -> str:
    secret = current_app.config.get(CONFIG_KEY, {}).get(partner_id)
    if not secret:
        abort(404)
    return secret


@bp.post("/<partner_id>/webhook")
def webhook(partner_id: str) -> tuple[Response, int]:
    """Receive one EDR: verify, then store it once per webhook-id."""
    secret = _secret_or_404(partner_id)
    body = request.get_data(cache=False)
    try:
        # the three webhook headers, looked up case-insensitively as HTTP defines
        headers = {name: request.headers.get(name, "") for name in WEBHOOK_HEADERS}
        msg_id = verify(secret, headers, body, tolerance=DEFAULT_TOLERANCE)
    except WebhookVerificationError as exc:
        log.info("CRM %s rejected a webhook: %s", partner_id, exc.reason)
        return jsonify(error=exc.reason), 401
    try:
        edr = json.loads(body)
    except ValueError:
        return jsonify(error="bad_json"), 400
    if not isinstance(edr, dict) or str(edr.get("id", "")) != msg_id or edr.get("partner") != partner_id:
        return jsonify(error="id_or_partner_mismatch"), 400
    conn = db.request_conn()
    with db.immediate(conn):
        inserted = conn.execute(
            "INSERT OR IGNORE INTO crm_edr (webhook_id, partner_id, received_at, doc) VALUES (?, ?, ?, ?)",
            (msg_id, partner_id, time.time(), db.dumps(edr)),
        ).rowcount
        if not inserted:
            conn.execute("UPDATE crm_edr SET deliveries = deliveries + 1 WHERE webhook_id = ?", (msg_id,))
    return jsonify(stored=bool(inserted), id=msg_id), 200


@bp.get("/<partner_id>/edrs")
def edrs(partner_id: str):
    """The EDRs received for a partner, newest first (JSON or a small HTML page)."""
    _secret_or_404(partner_id)
    action = request.args.get("action")
    sql = "SELECT doc, deliveries FROM crm_edr WHERE partner_id = ?"
    params: list = [partner_id]
    if action:
        sql += " AND json_extract(doc, '$.action') = ?"
        params.append(action)
    conn = db.request_conn()
    total = conn.execute(f"SELECT COUNT(*) FROM ({sql})", params).fetchone()[0]  # noqa: S608
    rows = [
        {"edr": json.loads(r["doc"]), "deliveries": r["deliveries"]}
        for r in conn.execute(sql + " ORDER BY received_at DESC LIMIT ?", (*params, LIST_LIMIT))
    ]
    wants_json = request.args.get("format") == "json" or (
        request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"
    )
    if wants_json:
        return jsonify(partner=partner_id, total=total, edrs=rows)
    return render_template_string(_PAGE, partner=partner_id, rows=rows, total=total)
