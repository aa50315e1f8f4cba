"""Rate limits on sign-in (Flask-Limiter, counters in the shared store).

Sign-in is where guessing happens: passwords per login and per client, SMS codes per number
(each SMS costs the partner money) and per client, SSO exchanges per client.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, jsonify, render_template, request
from flask_babel import gettext as _
from flask_limiter import Limiter, RequestLimit

from .config import Settings


def _client() -> str:
    return request.remote_addr or "unknown"


def _partner_and_field(field: str):
    def key() -> str:
        partner = request.form.get("_partner") or request.form.get("partner", "")
        value = "".join(request.form.get(field, "").split()).lower()
        return f"{partner}:{field}:{value}"

    return key


#: endpoint -> [(limit, key function)]
LIMITS = {
    "auth.password_signin": [("10 per minute", _client), ("20 per hour", _partner_and_field("login"))],
    "auth.sms_send": [("20 per hour", _client), ("3 per 10 minutes", _partner_and_field("msisdn"))],
    "auth.sms_verify": [("20 per minute", _client)],
    "auth.sso_exchange": [("60 per minute", _client)],
}


def _breached(_limit: RequestLimit) -> Response:
    """A refused attempt keeps what the customer typed and says why, in their language."""
    from .auth.credentials import requested_partner

    message = _("Too many attempts. Please wait a moment and try again.")
    body: Response | str
    if request.endpoint == "auth.sso_exchange":
        body = jsonify(error="too_many_attempts")
    elif request.endpoint == "auth.sms_verify":
        body = render_template(
            "widget/sms_code.html",
            partner=requested_partner(),
            msisdn=request.form.get("msisdn", ""),
            error=message,
        )
    else:
        body = render_template(
            "widget/signin.html",
            partner=requested_partner(),
            login=request.form.get("login", ""),
            msisdn=request.form.get("msisdn", ""),
            error=message,
        )
    response = current_app.make_response(body)
    response.status_code = 429
    return response


def init_app(app: Flask, settings: Settings) -> Limiter:
    """Attach a limiter to ``app`` and apply :data:`LIMITS` to the sign-in endpoints."""
    storage = "memory://" if settings.uses_memory_store else settings.redis_url
    limiter = Limiter(
        _client,
        app=app,
        storage_uri=storage,
        key_prefix="sc:rl",
        headers_enabled=False,
        strategy="fixed-window",
        on_breach=_breached,
    )
    for endpoint, limits in LIMITS.items():
        view = app.view_functions[endpoint]
        for value, key_func in limits:
            view = limiter.limit(value, key_func=key_func)(view)
        app.view_functions[endpoint] = view
    return limiter
