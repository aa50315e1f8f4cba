"""Rate limits on sign-in (Flask-Limiter, counters in the shared store).

Sign-in is where guessing happens: passwords per login and per client, SMS codes per number
(each SMS costs the partner money) and per client, SSO exchanges per client. Logins and numbers
count in one spelling (``auth.identifiers``), so ``601-234-567`` and ``+420601234567`` share a
counter; every counter key holds a keyed digest, never an e-mail, a number or an IP address.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, Response, current_app, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_limiter import Limiter, RequestLimit

from .auth.identifiers import digest, known_account, normalise_login, normalise_msisdn
from .config import Settings
from .services import services
from .store import limiter_storage

KeyFunc = Callable[[], str]


def _client() -> str:
    """The client, as a digest of its address (behind trusted proxies: the real client's)."""
    return "ip:" + digest("ip", request.remote_addr or "unknown")


def _account(kind: str) -> KeyFunc:
    """The account a sign-in form names (``login`` or ``msisdn`` field), however it is spelled."""
    normalise = normalise_login if kind == "login" else normalise_msisdn

    def key() -> str:
        partner = request.form.get("_partner") or request.form.get("partner", "")
        raw = request.form.get(kind, "")
        return f"{partner}:{kind}:" + digest(kind, normalise(raw) or raw.strip().lower())

    return key


def _account_of_login() -> str:
    """The account a password login belongs to, once the widget knows it.

    Learned on a sign-in, or looked up off the request path after a refused number, so the
    e-mail and every number of one account share this counter. Until then the login's own.
    """
    partner = request.form.get("_partner") or request.form.get("partner", "")
    raw = request.form.get("login", "")
    login = normalise_login(raw) or raw.strip().lower()
    account = known_account(services().store, partner, login)
    if account:
        return f"{partner}:account:{account}"
    return f"{partner}:unknown-account:" + digest("login", login)


def _session() -> str:
    """The signed-in session a request carries (as a digest of its token)."""
    from .auth.credentials import session_token_from_request

    return "session:" + digest("session", session_token_from_request())


def _reauthentication_failed(_response: Response) -> bool:
    """A wrong current password or code inside a session (changing the sign-in e-mail or the
    password, showing PIN/PUK): guessing with a hijacked session."""
    return bool(g.get("reauth_failed"))


def _failed(response: Response) -> bool:
    """Only a refused password counts against the account (a success or a typo in the form not)."""
    return response.status_code == 401


@dataclass(frozen=True)
class Limit:
    """One rate limit of an endpoint: its value, what it counts per, and which answers count."""

    value: str
    key: KeyFunc
    counts: Callable[[Response], bool] | None = None


#: endpoint -> its limits. ASVS 2.2.1 allows at most 100 failed attempts per account per hour.
LIMITS = {
    "auth.password_signin": [
        Limit("10 per minute", _client),
        Limit("20 per hour", _account("login"), counts=_failed),
        Limit("20 per hour", _account_of_login, counts=_failed),
    ],
    "auth.sms_send": [Limit("20 per hour", _client), Limit("3 per 10 minutes", _account("msisdn"))],
    "auth.sms_verify": [Limit("20 per minute", _client)],
    "reset.send": [Limit("20 per hour", _client), Limit("3 per 10 minutes", _account("msisdn"))],
    "reset.confirm": [Limit("20 per minute", _client)],
    "auth.sso_exchange": [Limit("60 per minute", _client)],
    "contact.save": [Limit("5 per hour", _session, counts=_reauthentication_failed)],
    "contact.send_code": [Limit("3 per 10 minutes", _session)],
    "password.save": [Limit("5 per hour", _session, counts=_reauthentication_failed)],
    "password.send_code": [Limit("3 per 10 minutes", _session)],
    # PIN/PUK: 5 wrong passwords or codes per session and hour, as for the sign-in e-mail
    "sims.puk_show": [Limit("5 per hour", _session, counts=_reauthentication_failed)],
    "sims.puk_code": [Limit("3 per 10 minutes", _session)],
}


def _breached(_limit: RequestLimit) -> Response:
    """A refused attempt keeps what the customer typed and says why, in their language."""
    from .auth.credentials import requested_partner

    message = _("Too many attempts. Please wait a moment and try again.")
    body: Response | str
    if request.endpoint == "auth.sso_exchange":
        body = jsonify(error="too_many_attempts")
    elif request.endpoint in (
        "contact.save",
        "contact.send_code",
        "password.save",
        "password.send_code",
        "sims.puk_show",
        "sims.puk_code",
    ):
        body = render_template("widget/error.html", status=429, message=message)
    elif request.endpoint in ("reset.send", "reset.confirm"):
        body = render_template(
            "widget/password_reset.html",
            partner=requested_partner(),
            step="number",
            msisdn_typed=request.form.get("msisdn", ""),
            error=message,
        )
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
    storage, storage_options = (
        ("memory://", {}) if settings.uses_memory_store else limiter_storage(settings.redis_url)
    )
    limiter = Limiter(
        _client,
        app=app,
        storage_uri=storage,
        storage_options=storage_options,
        key_prefix="sc:rl",
        headers_enabled=False,
        strategy="fixed-window",
        on_breach=_breached,
    )

    @limiter.request_filter
    def _unlimited() -> bool:
        # Only the endpoints of LIMITS have limits (no defaults): every other request, i.e.
        # every fragment, skips the limiter's search for limits that apply to it.
        return request.endpoint not in LIMITS

    for endpoint, limits in LIMITS.items():
        view = app.view_functions[endpoint]
        for limit in limits:
            view = limiter.limit(limit.value, key_func=limit.key, deduct_when=limit.counts)(view)
        app.view_functions[endpoint] = view
    return limiter
