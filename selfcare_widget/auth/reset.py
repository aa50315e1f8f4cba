"""Forgotten password: a code sent by SMS to one of the customer's lines, then a new password.

The answers never tell whether a number belongs to a customer: the code is looked up and sent
off the request path, as for SMS sign-in. Setting the password ends every other session of the
customer, tells them by SMS, and signs them in.
"""

from __future__ import annotations

import logging
import secrets

from flask import Blueprint, Flask, abort, current_app, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from .. import edr
from ..platform import PlatformError, Rejected
from ..services import services
from .identifiers import masked_msisdn, normalise_msisdn
from .password_policy import MIN_LENGTH, password_problem
from .views import deliver_code, partner_or_404, signed_in, take_code

log = logging.getLogger(__name__)

bp = Blueprint("reset", __name__)
PURPOSE = "reset"


def _form(step: str, status: int = 200, **context: str) -> tuple[str, int]:
    partner = partner_or_404()
    if "password" not in partner.login_methods:
        abort(404)
    msisdn = context.get("msisdn", "")
    page = render_template(
        "widget/password_reset.html",
        partner=partner,
        step=step,
        masked=masked_msisdn(msisdn) if msisdn else "",
        min_length=MIN_LENGTH,
        **context,
    )
    return page, status


@bp.post("/auth/reset")
def start() -> ResponseReturnValue:
    """Ask for the number to send a code to."""
    return _form("number")


@bp.post("/auth/reset/send")
def send() -> ResponseReturnValue:
    """Send a code to the number if it is a customer's line; the answer is the same either way."""
    partner = partner_or_404()
    raw = request.form.get("msisdn", "")
    msisdn = normalise_msisdn(raw)
    if not msisdn:
        return _form("number", 422, msisdn_typed=raw, error=_("Enter a phone number like 601 234 567."))
    code = f"{secrets.randbelow(10**6):06d}"
    text = _(
        "Your %(partner)s code to set a new password is %(code)s. It is valid for 5 minutes. "
        "If you did not ask for it, ignore this message.",
        partner=partner.name,
        code=code,
    )
    app = current_app._get_current_object()
    services().background.submit(deliver_code, app, partner, msisdn, code, text, PURPOSE)
    return _form("code", msisdn=msisdn)


@bp.post("/auth/reset/confirm")
def confirm() -> ResponseReturnValue:
    """Check the new password, then the code; set the password, end other sessions, sign in."""
    partner = partner_or_404()
    msisdn = normalise_msisdn(request.form.get("msisdn", ""))
    typed_code = request.form.get("code", "")
    password = request.form.get("password", "")
    if not msisdn:
        return _form("number")
    # The password is checked first, so a weak one does not use up the code.
    problem = password_problem(password, personal=(msisdn, msisdn[-9:]))
    if problem:
        return _form("code", 422, msisdn=msisdn, code=typed_code, password_error=problem)
    customer_id = take_code(partner.id, msisdn, typed_code, PURPOSE)
    if customer_id is None:
        edr.record(edr.actions.PASSWORD_RESET, "failure", partner_id=partner.id, reason="invalid_code")
        return _form("code", 401, msisdn=msisdn, code_error=_("The code is not correct or has expired."))
    try:
        services().platform.set_password(partner.id, customer_id, password)
    except PlatformError as exc:
        reason = exc.code if isinstance(exc, Rejected) else "unavailable"
        edr.record(
            edr.actions.PASSWORD_RESET,
            "failure",
            partner_id=partner.id,
            customer_id=customer_id,
            reason=reason,
        )
        return _form(
            "number", 503, error=_("The service is temporarily unavailable. Please try again in a moment.")
        )
    ended = services().sessions.revoke_customer(partner.id, customer_id)
    edr.record(
        edr.actions.PASSWORD_RESET, partner_id=partner.id, customer_id=customer_id, sessions_ended=ended
    )
    text = _(
        "Your %(partner)s self-care password was changed. "
        "If you did not do this, contact customer care right away.",
        partner=partner.name,
    )
    app = current_app._get_current_object()
    services().background.submit(send_notice, app, msisdn, text)
    return signed_in(partner, customer_id, "password")


def send_notice(app: Flask, msisdn: str, text: str) -> None:
    """Send an SMS notice off the request path (TMF681); a failure is logged, not shown."""
    with app.app_context():
        try:
            services().platform.send_sms(msisdn, text)
        except Exception:  # noqa: BLE001 - a background task logs, it has nobody to answer
            log.exception("password notice not sent")
