"""Sandbox MVNE platform: the TMF v4 subset of docs/platform-contract.md over SQLite, with demo data.

A Flask app of its own (separate from the widget), serving each API under its official base
path. Every route needs ``Authorization: Bearer <credential>``. Every ``href`` it answers is an
absolute URL of the sandbox that answered (``tmf630.absolute_hrefs``).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from pathlib import Path

from flask import Flask, Response, g, request

from .errors import error_response, register_error_handlers

__all__ = ["create_sandbox_app"]


def create_sandbox_app(
    db_path: str | Path,
    credential: str,
    seed: int = 42,
    crm_secrets: Mapping[str, str] | None = None,
) -> Flask:
    """Build the sandbox platform app on the SQLite database at ``db_path``.

    When the file does not exist, demo data is generated first from ``seed`` (see
    :func:`selfcare_widget.sandbox.seed.generate`). ``credential`` is the platform bearer
    token every request must carry. ``crm_secrets`` (partner id -> EDR webhook secret) enables
    the demo CRM receiver for those partners under ``/crm/<partner>/`` (see ``sandbox/crm.py``).
    """
    from . import (
        api_billing,
        api_catalog,
        api_inventory,
        api_messaging,
        api_party,
        api_payment,
        api_prepay,
        api_usage,
        crm,
        db,
        tmf630,
    )
    from .seed import generate

    if not credential:
        raise ValueError("the sandbox needs a non-empty platform credential")
    db_path = Path(db_path)
    if not db_path.exists():
        generate(db_path, seed=seed)

    app = Flask(__name__)
    app.config["SANDBOX_DB"] = str(db_path)
    app.json.ensure_ascii = False  # Czech text as UTF-8, not \u escapes
    app.json.sort_keys = False
    expected = f"Bearer {credential}".encode()

    @app.before_request
    def _authenticate() -> Response | None:
        g.request_id = request.headers.get("X-Request-ID", "")
        if request.blueprint == crm.bp.name:
            return None  # the CRM receiver: webhooks carry their own signature (sandbox/crm.py)
        given = request.headers.get("Authorization", "").encode()
        # constant-time comparison: the credential must not leak through response timing
        if not hmac.compare_digest(given, expected):
            return error_response(
                401,
                "unauthorized",
                "Chybí nebo je neplatné pověření platformy",
                "missing or invalid bearer credential",
            )
        return None

    @app.after_request
    def _echo_request_id(response: Response) -> Response:
        if g.get("request_id"):
            response.headers["X-Request-ID"] = g.request_id
        return response

    @app.after_request
    def _absolute_hrefs(response: Response) -> Response:
        # stored bodies hold paths; hrefs point at the sandbox answering (the CRM's EDRs are not TMF)
        return response if request.blueprint == crm.bp.name else tmf630.absolute_hrefs(response)

    app.teardown_appcontext(db.close_request_conn)
    register_error_handlers(app)
    for module, names in (
        (api_catalog, ("catalog_bp", "order_bp")),
        (api_party, ("customer_bp", "account_bp", "auth_bp")),
        (api_inventory, ("product_bp", "service_bp", "resource_bp", "bucket_bp")),
        (api_usage, ("usage_bp", "summary_bp")),
        (api_billing, ("billing_bp",)),
        (api_messaging, ("messaging_bp",)),
        (api_prepay, ("adjust_bp",)),
        (api_payment, ("payment_bp", "topup_bp")),
    ):
        for name in names:
            app.register_blueprint(getattr(module, name))
    api_prepay.init_prepay(app)
    api_payment.init_payment(app)
    crm.init_crm(app, crm_secrets)
    return app
