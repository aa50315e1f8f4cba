"""Sign-on routes: SSO token exchange, password and SMS-code sign-in, sign-out.

Successful sign-in hands the loader a session token in the ``X-Selfcare-Session`` response
header (read by the loader, kept in memory only) and swaps in the widget shell.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from typing import cast

from flask import Blueprint, Flask, Response, abort, current_app, g, jsonify, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from .. import edr
from ..partners import Partner
from ..platform import NotFound, PlatformError, Rejected
from ..services import services
from ..views import SECTION_IDS
from ..views.shell import render_shell
from .credentials import requested_partner, session_token_from_request
from .identifiers import (
    digest,
    known_account,
    masked_msisdn,
    normalise_login,
    normalise_msisdn,
    remember_account,
)
from .sso import SsoError
from .user import WidgetUser

log = logging.getLogger(__name__)

bp = Blueprint("auth", __name__)

OTP_TTL_SECONDS = 300
OTP_MAX_ATTEMPTS = 5


def partner_or_404() -> Partner:
    partner = requested_partner()
    if partner is None:
        abort(404)
    origin = request.headers.get("Origin")
    if origin and not partner.allows_origin(origin):
        abort(403)
    return partner


def _customer_of_partner(partner_id: str, customer_id: str) -> bool:
    try:
        customer = services().platform.get_customer(customer_id)
    except NotFound:
        return False
    return customer.partner_id == partner_id


def _return_section() -> str:
    """The section the customer was in when the session ended (opened again after sign-in)."""
    section = request.form.get("section", "")
    return section if section in SECTION_IDS else "overview"


def signed_in(partner: Partner, customer_id: str, method: str, locale: str | None = None) -> Response:
    """Create the session, record the EDR, return the shell with the token header."""
    locale = locale if locale in ("cs", "en") else partner.default_locale
    sessions = services().sessions
    token = sessions.create(partner.id, customer_id, locale, method)
    # The rest of this request acts as the new user, so the shell can carry its first section.
    session = sessions.load(token)
    assert session is not None  # created just above
    login_user(WidgetUser(session, token))
    edr.record(edr.actions.SIGNIN, partner_id=partner.id, customer_id=customer_id, method=method)
    g.locale = locale
    response = current_app.make_response(render_shell(partner, customer_id, section=_return_section()))
    response.headers["X-Selfcare-Session"] = token
    return response


@bp.post("/sso/exchange")
def sso_exchange() -> ResponseReturnValue:
    """Exchange a partner-signed SSO JWT for a widget session (JSON for the loader; with
    ``shell=1`` the shell and its first ``section`` itself, the session in a header).

    A refusal says why in ``reason`` (``replayed``, ``expired``, else ``invalid``) so the loader
    can tell the host page; an origin not in the partner's list gets a 403.
    """
    partner = requested_partner()
    if partner is None:
        abort(404)
    origin = request.headers.get("Origin")
    if origin and not partner.allows_origin(origin):
        log.warning("SSO exchange from origin %s refused for partner %s", origin, partner.id)
        # Not readable by that page (no CORS for a foreign origin): the loader tells it apart
        # from a network failure by an opaque request (embed.js, originRefused).
        return jsonify(error="origin_not_allowed", origin=origin), 403
    token = request.form.get("token", "")
    try:
        claims = services().sso.verify(partner, token)
        if not _customer_of_partner(partner.id, claims.customer_id):
            raise SsoError("customer_not_of_partner")
    except SsoError as exc:
        log.info("SSO rejected for partner %s: %s", partner.id, exc.reason)
        edr.record(edr.actions.SIGNIN, "failure", partner_id=partner.id, method="sso", reason=exc.reason)
        reason = exc.reason if exc.reason in ("replayed", "expired") else "invalid"
        return jsonify(error="sso_rejected", reason=reason), 401
    except PlatformError:
        return jsonify(error="platform_unavailable"), 503
    if request.form.get("shell") == "1":
        # The loader asks for the first content in the same round trip: the shell with the
        # section, the session in its header, as password and SMS sign-in answer.
        return signed_in(partner, claims.customer_id, "sso", claims.locale)
    locale = claims.locale if claims.locale in ("cs", "en") else partner.default_locale
    session = services().sessions.create(partner.id, claims.customer_id, locale, "sso")
    edr.record(edr.actions.SIGNIN, partner_id=partner.id, customer_id=claims.customer_id, method="sso")
    return jsonify(session=session, locale=locale, idleTimeout=services().settings.session_idle_seconds)


@bp.post("/auth/signin")
def signin_form() -> ResponseReturnValue:
    """The sign-in fragment with the partner's enabled methods (password, SMS code)."""
    partner = partner_or_404()
    # The loader asks with expired=1 (and the section clicked) when a session ended and could
    # not be renewed silently: the form says so, and signing in opens that section again.
    return render_template(
        "widget/signin.html",
        partner=partner,
        expired=request.form.get("expired") == "1",
        signed_out=request.form.get("signed_out") == "1",
        # A widget started by the portal's SSO offers no sign-in as someone else (issue 14).
        sso=request.form.get("sso") == "1",
        section=_return_section(),
    )


@bp.post("/auth/password")
def password_signin() -> ResponseReturnValue:
    """Sign in with MSISDN or e-mail and password, checked by the platform."""
    partner = partner_or_404()
    if "password" not in partner.login_methods:
        abort(404)
    login = request.form.get("login", "").strip()
    password = request.form.get("password", "")
    if not login or not password or len(login) > 200 or len(password) > 200:
        return render_template(
            "widget/signin.html",
            partner=partner,
            login=login,
            error=_("Enter your phone number or e-mail and password."),
        ), 422
    login_key = normalise_login(login) or login.lower()
    try:
        customer_id = services().platform.authenticate(partner.id, login_key, password)
        if not _customer_of_partner(partner.id, customer_id):
            raise Rejected("invalidCredentials")
    except Rejected:
        edr.record(
            edr.actions.SIGNIN,
            "failure",
            partner_id=partner.id,
            method="password",
            reason="invalid_credentials",
        )
        if normalise_msisdn(login_key) == login_key:
            # Whose number it is is looked up off the request path: the answer takes the same
            # time whether or not it is a customer's.
            app = current_app._get_current_object()
            services().background.submit(_learn_account_of_number, app, partner.id, login_key)
        return render_template(
            "widget/signin.html",
            partner=partner,
            login=login,
            error=_("The login or password is not correct."),
        ), 401
    except PlatformError:
        return render_template("widget/signin.html", partner=partner, login=login, error=_unavailable()), 503
    remember_account(services().store, partner.id, login_key, customer_id)
    return signed_in(partner, customer_id, "password")


def _learn_account_of_number(app: Flask, partner_id: str, msisdn: str) -> None:
    """Remember whose line ``msisdn`` is, so failed passwords on any of its numbers count together."""
    with app.app_context():
        app_services = services()
        try:
            customer_id = app_services.platform.find_customer_by_msisdn(msisdn)
        except PlatformError:
            return  # not a customer's number (or the platform is down): it keeps its own counter
        if known_account(app_services.store, partner_id, msisdn) is None:
            remember_account(app_services.store, partner_id, msisdn, customer_id)


def _otp_key(partner_id: str, msisdn: str, purpose: str = "signin") -> str:
    # A sign-in code never sets a password, nor a reset code signs in: one key per purpose.
    prefix = "sc:otp" if purpose == "signin" else f"sc:otp-{purpose}"
    return f"{prefix}:{partner_id}:{digest('msisdn', msisdn)}"


def _code_digest(code: str, customer_id: str) -> str:
    # Keyed: a million codes are guessed from a bare SHA-256 in a second by whoever reads Redis.
    return digest("otp", f"{customer_id}:{code}")


@bp.post("/auth/sms/send")
def sms_send() -> ResponseReturnValue:
    """Send a one-time code to a registered MSISDN of this partner's customer."""
    partner = partner_or_404()
    if "sms" not in partner.login_methods:
        abort(404)
    raw = request.form.get("msisdn", "")
    msisdn = normalise_msisdn(raw)
    if not msisdn:
        return render_template(
            "widget/signin.html",
            partner=partner,
            msisdn=raw,
            error=_("Enter a phone number like 601 234 567."),
        ), 422
    code = f"{secrets.randbelow(10**6):06d}"
    text = _(
        "Your %(partner)s sign-in code is %(code)s. It is valid for 5 minutes.",
        partner=partner.name,
        code=code,
    )
    # Looking the number up, storing and sending happen off the request path: the answer is the
    # same, in the same time, whether or not the number belongs to a customer.
    app = current_app._get_current_object()
    services().background.submit(deliver_code, app, partner, msisdn, code, text)
    return render_template(
        "widget/sms_code.html",
        partner=partner,
        msisdn=msisdn,
        masked=masked_msisdn(msisdn),
        section=_return_section(),
    )


def deliver_code(
    app: Flask, partner: Partner, msisdn: str, code: str, text: str, purpose: str = "signin"
) -> None:
    """Store and send a one-time code if ``msisdn`` is a line of a customer of the partner.

    The partner's ``sms_daily_budget`` caps what abuse can cost it: beyond it no code is sent.
    """
    partner_id = partner.id
    with app.app_context():
        app_services = services()
        try:
            customer_id = app_services.platform.find_customer_by_msisdn(msisdn)
            if not _customer_of_partner(partner_id, customer_id):
                return
            budget_key = f"sc:sms-budget:{partner_id}:{time.strftime('%Y%m%d', time.gmtime())}"
            sent_today = int(app_services.store.incr(budget_key))
            app_services.store.expire(budget_key, 2 * 86400)
            if sent_today > partner.sms_daily_budget:
                log.error("daily SMS budget of partner %s is used up; no code sent", partner_id)
                return
            key = _otp_key(partner_id, msisdn, purpose)
            app_services.store.delete(key)
            app_services.store.hset(
                key, mapping={"digest": _code_digest(code, customer_id), "customer": customer_id}
            )
            app_services.store.expire(key, OTP_TTL_SECONDS)
            app_services.platform.send_sms(msisdn, text)
        except NotFound:
            return  # not a customer: nothing is sent, and the answer was the same
        except PlatformError as exc:
            log.warning("sign-in code not sent: %s", type(exc).__name__)
        except Exception:  # noqa: BLE001 - a background task must log, not die silently
            log.exception("sign-in code not sent")


def take_code(partner_id: str, msisdn: str, typed: str, purpose: str = "signin") -> str | None:
    """The customer a typed one-time code was sent for, using the code up; None if it is wrong.

    At most five tries per code: the fifth wrong one deletes it.
    """
    code = "".join(ch for ch in typed if ch.isdigit())
    store = services().store
    key = _otp_key(partner_id, msisdn, purpose)
    # The store is built with decode_responses=True (store.connect): fields and values are str.
    entry = cast("dict[str, str]", store.hgetall(key)) if msisdn else {}
    if not entry or len(code) != 6:
        return None
    attempts = store.hincrby(key, "attempts", 1)
    if attempts <= OTP_MAX_ATTEMPTS and hmac.compare_digest(
        entry["digest"], _code_digest(code, entry["customer"])
    ):
        store.delete(key)
        return entry["customer"]
    if attempts >= OTP_MAX_ATTEMPTS:
        store.delete(key)
    return None


@bp.post("/auth/sms/verify")
def sms_verify() -> ResponseReturnValue:
    """Check the one-time code; at most five attempts per code."""
    partner = partner_or_404()
    if "sms" not in partner.login_methods:
        abort(404)
    msisdn = normalise_msisdn(request.form.get("msisdn", ""))
    customer_id = take_code(partner.id, msisdn, request.form.get("code", ""))
    if customer_id:
        return signed_in(partner, customer_id, "sms")
    edr.record(edr.actions.SIGNIN, "failure", partner_id=partner.id, method="sms", reason="invalid_code")
    return render_template(
        "widget/sms_code.html",
        partner=partner,
        msisdn=msisdn,
        masked=masked_msisdn(msisdn),
        section=_return_section(),
        error=_("The code is not correct or has expired."),
    ), 401


@bp.post("/auth/logout")
@login_required
def logout() -> ResponseReturnValue:
    """End the session; the loader forgets its token and shows the sign-in form."""
    partner = requested_partner()
    edr.record(edr.actions.SIGNOUT)
    services().sessions.revoke(current_user.token)
    sso = current_user.session.method == "sso"  # then the next step is the portal's
    response = current_app.make_response(
        render_template("widget/signin.html", partner=partner, signed_out=True, sso=sso)
    )
    response.headers["X-Selfcare-Signed-Out"] = "1"
    return response


@bp.post("/auth/check")
@login_required
def check() -> ResponseReturnValue:
    """204 while the session lives (401 otherwise): the loader notices a revocation unasked."""
    return "", 204


@bp.post("/auth/release")
def release() -> ResponseReturnValue:
    """The loader gives up a session nobody uses any more (page unload, ``destroy()``).

    Not a sign-out by the customer: no EDR. Sent by ``sendBeacon``, whose answer nobody reads.
    """
    token = session_token_from_request()
    if token:
        services().sessions.revoke(token)
    return "", 204


def _unavailable() -> str:
    # flask_babel ships no py.typed, so mypy sees gettext as Any; it is annotated to return str.
    return _("The service is temporarily unavailable. Please try again in a moment.")  # type: ignore[no-any-return]
