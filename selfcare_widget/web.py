"""Cross-cutting request handling: request ids, who is asking, CORS, errors, security headers.

The widget is embedded cross-origin. Browsers send our requests as *simple* CORS requests
(form-encoded POSTs carrying the session token in the body) so there is no preflight per
interaction; a token may only be used from its partner's origins.
"""

from __future__ import annotations

import logging
import re
import uuid

import redis
from flask import Flask, abort, current_app, g, render_template, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from flask_babel import gettext as _
from flask_login import LoginManager, current_user
from werkzeug.exceptions import HTTPException

from .auth.credentials import requested_partner, session_token_from_request
from .auth.sessions import WidgetSession
from .auth.user import WidgetUser
from .services import services

log = logging.getLogger(__name__)

EXPOSED_HEADERS = (
    "X-Selfcare-Action, X-Selfcare-Pay, X-Selfcare-Session, X-Selfcare-Signed-Out, X-Selfcare-Answer, "
    "Content-Disposition, HX-Retarget, HX-Reswap"
)
#: ``app.extensions`` key of ``(WidgetSession) -> list[str]``: the names of the kept texts the
#: request's view will look for (set by ``create_app``: the views know them, this layer does not).
KEPT_NAMES = "selfcare.kept_names"
#: Marks every answer of this app: the loader swaps nothing else (a proxy's error page, say).
ANSWER_HEADER = "X-Selfcare-Answer"
PREFLIGHT_MAX_AGE = "7200"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def _load_user_from_request(_request) -> WidgetUser | None:
    token = session_token_from_request()
    if not token:
        return None
    shared = services()
    # the customer's cached data (and the kept text the view will want, see KEPT_NAMES) comes
    # along with the session in one round trip, where the platform is cached and this process
    # has seen the session before
    read_with = getattr(shared.platform, "read_with", None)
    kept_names = current_app.extensions.get(KEPT_NAMES)
    customer_reads = None
    if read_with is not None:

        def customer_reads(pipe, known: WidgetSession):
            return read_with(pipe, known.customer_id, kept_names(known) if kept_names else ())

    session = shared.sessions.load(token, customer_reads)
    if session is None:
        return None
    g.locale = session.locale
    return WidgetUser(session, token)


def _unauthorized():
    # The loader treats 401 as "re-run SSO once, else show the sign-in form".
    return render_template("widget/session_expired.html"), 401


class NoCookieSessions(SecureCookieSessionInterface):
    """Flask's session lives for one request only and is never sent as a cookie.

    The widget authenticates every request by the token it carries; a cookie would bring back
    ambient credentials (CSRF, third-party-cookie blocking). flask-login may still use the
    per-request session when a sign-in view logs the new user in.
    """

    def open_session(self, app, request) -> SecureCookieSession:
        # Never read from a cookie either (and no signing serializer built for every request).
        return SecureCookieSession()

    def save_session(self, app, session, response) -> None:
        return None


def init_app(app: Flask) -> None:
    """Install request ids, flask-login, CORS, error pages and security headers."""
    app.session_interface = NoCookieSessions()
    login_manager = LoginManager()
    login_manager.request_loader(_load_user_from_request)
    login_manager.unauthorized_handler(_unauthorized)
    login_manager.init_app(app)

    @app.before_request
    def assign_request_id():
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex

    @app.before_request
    def check_origin():
        if request.method == "OPTIONS":
            return _preflight()
        origin = request.headers.get("Origin")
        partner = requested_partner()
        if partner is not None and g.get("locale") is None:
            g.locale = partner.default_locale
        # A session may only be used from its own partner's portal; anything else is refused
        # before a view runs, so a stolen token cannot be replayed from a foreign page.
        # A session of a partner no longer configured is refused the same way.
        if (
            origin
            and current_user.is_authenticated
            and (partner is None or not partner.allows_origin(origin))
        ):
            log.warning("refused origin %s for partner %s", origin, current_user.partner_id)
            abort(403)

    @app.after_request
    def cors_and_security_headers(response):
        origin = request.headers.get("Origin")
        if origin and not response.headers.get("Access-Control-Allow-Origin"):
            partner = requested_partner() if request.method != "OPTIONS" else None
            if partner is not None and partner.allows_origin(origin):
                response.headers["Access-Control-Allow-Origin"] = origin
                response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        response.vary.add("Origin")
        response.headers[ANSWER_HEADER] = "1"
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers["X-Request-ID"] = g.get("request_id", "")
        if response.mimetype == "text/html" or response.mimetype == "application/json":
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.response is not None:  # a prepared answer (e.g. the sign-in form of a rate limit)
            return exc.response
        if exc.code == 401:
            return _unauthorized()
        return error_fragment(_http_message(exc.code), exc.code or 500)

    @app.errorhandler(redis.RedisError)
    def store_unavailable(exc: redis.RedisError):
        # Redis away (e.g. longer than a failover's retries): a moment's outage, not our bug
        log.warning("store unavailable (request %s): %s", g.get("request_id"), type(exc).__name__)
        # nobody is signed in for this answer: the error page must not ask the store again
        g._login_user = current_app.login_manager.anonymous_user()
        body, status = error_fragment(
            _("The service is briefly unavailable. Please try again in a moment."), 503
        )
        return body, status, {"Retry-After": "5"}

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception):
        log.exception("unhandled error (request %s)", g.get("request_id"))
        return error_fragment(_("Something went wrong on our side. Please try again in a moment."), 500)


def error_fragment(message: str, status: int) -> tuple[str, int]:
    """Our error box, in the customer's language, for the part that failed only."""
    return render_template("widget/error.html", status=status, message=message), status


def _preflight():
    """Answer CORS preflights for any configured partner origin, cached for two hours."""
    origin = request.headers.get("Origin")
    response = current_app.make_response(("", 204))
    partners = services().partners.values()
    if origin and any(p.allows_origin(origin) for p in partners):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = "GET, POST"
        response.headers["Access-Control-Allow-Headers"] = (
            "Authorization, Content-Type, HX-Request, HX-Target"
        )
        response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE
    return response


def _http_message(code: int | None) -> str:
    if code == 404:
        return _("This item was not found.")
    if code == 403:
        return _("This request is not allowed here.")
    if code == 429:
        return _("Too many attempts. Please wait a moment and try again.")
    if code in (400, 405, 413):
        return _("The request could not be processed.")
    return _("Something went wrong on our side. Please try again in a moment.")
