"""Change the password inside a session (from Contact details).

The current password, or a code sent to the customer's line, proves it is still them; the new
password follows the same rules as a reset (``auth.password_policy``). Every other session of the
customer ends, and a notice goes to their phone.
"""

from __future__ import annotations

from flask import Blueprint, abort, g, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import edr
from ..auth.password_policy import MIN_LENGTH, password_problem
from ..platform import PlatformError, Rejected
from ..services import services
from . import reauth
from .common import partner, platform, rejection_message

bp = Blueprint("password", __name__)
ACTION = edr.actions.PASSWORD_CHANGE


def _render(errors: dict[str, str] | None = None, code_sent_to: str = "", done: bool = False) -> str:
    errors = errors or {}
    return render_template(
        "widget/contact/_password.html",
        errors=errors,
        first_invalid=next(
            (n for n in ("current_password", "reauth_code", "new_password") if n in errors), None
        ),
        code_sent_to=code_sent_to or request.form.get("code_sent_to", ""),
        min_length=MIN_LENGTH,
        done=done,
    )


def _offered() -> None:
    if "password" not in partner().login_methods:
        abort(404)


@bp.post("/w/password")
@login_required
def form() -> ResponseReturnValue:
    """The change-password form."""
    _offered()
    return _render()


@bp.post("/w/password/code")
@login_required
def send_code() -> ResponseReturnValue:
    """Send a one-time code to the customer's line, for those without a password at hand."""
    _offered()
    sims = [sim for sim in platform().list_sims(current_user.customer_id) if sim.state == "active"]
    if not sims:
        message = _("There is no active SIM to send a code to. Please enter your password.")
        return _render({"current_password": message}), 422
    text = _(
        "Your %(partner)s code to change your password is %(code)s.",
        partner=partner().name,
        code=reauth.new_code(),
    )
    reauth.send_sms_later(sims[0].msisdn, text)
    return _render(code_sent_to=sims[0].msisdn)


@bp.post("/w/password/save")
@login_required
def save() -> ResponseReturnValue:
    """Check who it is and the new password; set it; end the customer's other sessions."""
    _offered()
    customer = platform().get_customer(current_user.customer_id)
    new_password = request.form.get("new_password", "")
    personal = (customer.contact.email, customer.contact.phone, *customer.name.split())
    problem = password_problem(new_password, personal)
    if problem:
        edr.record(ACTION, "rejected", reason="weak_password")
        return _render({"new_password": problem}), 422
    typed_code = request.form.get("reauth_code", "")
    current_password = request.form.get("current_password", "")
    if typed_code:
        proven = reauth.code_confirmed(typed_code)
    else:
        # The platform checks the current password itself when it is given (one call).
        proven = bool(current_password) and len(current_password) <= 200
    if not proven:
        g.reauth_failed = True
        edr.record(ACTION, "rejected", reason="reauthentication")
        return _render({"current_password": _("Enter your current password, or a code sent by SMS.")}), 422
    try:
        platform().set_password(
            current_user.partner_id, customer.id, new_password, None if typed_code else current_password
        )
    except Rejected as exc:
        if exc.code == "invalidCredentials":
            g.reauth_failed = True
            edr.record(ACTION, "rejected", reason="reauthentication")
            return _render({"current_password": _("The current password is not correct.")}), 422
        edr.record(ACTION, "failure", reason=exc.code)
        return _render({"new_password": rejection_message(exc)}), 422
    except PlatformError:
        edr.record(ACTION, "failure", reason="unavailable")
        raise  # the registered handler answers with the friendly error
    ended = services().sessions.revoke_customer(
        current_user.partner_id, customer.id, keep_token=current_user.token
    )
    edr.record(ACTION, sessions_ended=ended)
    if customer.contact.phone:
        reauth.send_sms_later(
            customer.contact.phone,
            _(
                "Your %(partner)s self-care password was changed. "
                "If you did not do this, contact customer care right away.",
                partner=partner().name,
            ),
        )
    return _render(done=True)
