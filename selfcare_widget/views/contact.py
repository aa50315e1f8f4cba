"""Contact details: view, edit and save e-mail, phone and postal address (TMF629 contactMedium).

Every route works on the signed-in customer only; no customer id is ever read from the form.
Only the fields that actually changed are sent to the platform, and the EDR names those fields
but never their values.
"""

from __future__ import annotations

import logging

from flask import Blueprint, g, make_response, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import edr
from ..platform import PlatformError, Rejected
from ..platform.models import ContactDetails, Customer
from . import reauth
from .common import kept_fragment, partner, platform, rejection_message, trigger_action
from .contact_validation import COUNTRIES, FIELDS, changed_fields, display_phone, validate_contact

bp = Blueprint("contact", __name__)
log = logging.getLogger(__name__)

ACTION = edr.actions.CONTACT_CHANGE
#: The current password, asked for when the e-mail (also the sign-in login) changes.
REAUTH_FIELD = "current_password"
#: ... or a code sent by SMS to the customer's line (for those who sign in by SSO or SMS only).
REAUTH_CODE_FIELD = "reauth_code"


def _entered_from(contact: ContactDetails) -> dict[str, str]:
    """Form values showing the customer's current details (the phone as people write it)."""
    entered = {name: getattr(contact, name) for name in FIELDS}
    entered["phone"] = display_phone(contact.phone) if contact.phone else ""
    return entered


def _country_names() -> dict[str, str]:
    """Names of the selectable countries in the customer's language (from CLDR, not msgids)."""
    territories = get_locale().territories
    return {code: territories.get(code, code) for code in COUNTRIES}


def _render_view(customer: Customer, status_message: str = "", refocus: bool = False) -> str:
    """The details; ``refocus`` (or a status message) puts focus on the heading after the swap."""
    contact = customer.contact
    return render_template(
        "widget/contact/index.html",
        contact=contact,
        phone=display_phone(contact.phone) if contact.phone else "",
        country=_country_names().get(contact.country, contact.country),
        status_message=status_message,
        refocus=refocus or bool(status_message),
        password_login="password" in partner().login_methods,
    )


def _render_form(
    entered: dict[str, str],
    errors: dict[str, object] | None = None,
    form_error: str = "",
    code_sent_to: str = "",
) -> str:
    errors = errors or {}
    # The loader focuses the first [data-sc-focus]: the first invalid field, else the heading.
    first_invalid = next((name for name in (*FIELDS, REAUTH_FIELD) if name in errors), None)
    return render_template(
        "widget/contact/_edit.html",
        entered=entered,
        errors=errors,
        form_error=form_error,
        first_invalid=first_invalid,
        countries=_country_names(),
        fields=(*FIELDS, REAUTH_FIELD),
        code_sent_to=code_sent_to or request.form.get("code_sent_to", ""),
    )


@bp.post("/w/contact")
@login_required
@kept_fragment("refocus")
def index():
    """The customer's contact details with an Edit button."""
    customer = platform().get_customer(current_user.customer_id)
    # "refocus" comes from buttons inside the section (Cancel), which the swap removes.
    return _render_view(customer, refocus=request.form.get("refocus") == "1")


@bp.post("/w/contact/edit")
@login_required
def edit():
    """The edit form, filled with the current details."""
    customer = platform().get_customer(current_user.customer_id)
    return _render_form(_entered_from(customer.contact))


@bp.post("/w/contact/save")
@login_required
def save():
    """Validate, send only the changed fields, confirm; invalid input -> 422 with the form again."""
    customer_id = current_user.customer_id  # never from the form
    checked = validate_contact(request.form)
    if not checked.ok:
        return _render_form(checked.entered, checked.errors), 422
    port = platform()
    current = port.get_customer(customer_id)
    assert checked.contact is not None  # validated above
    changed = changed_fields(current.contact, checked.contact)
    if not changed:
        return _render_view(current, _("Nothing has changed; your contact details stay as they were."))
    fields = sorted(changed)
    if "email" in changed and not _reauthenticated(current):
        # The e-mail is also the password login: a hijacked session must not take the account.
        g.reauth_failed = True
        edr.record(ACTION, "rejected", fields=fields, reason="reauthentication")
        errors = {
            REAUTH_FIELD: _(
                "Enter your current password, or a code sent by SMS, to change the e-mail you sign in with."
            )
        }
        return _render_form(checked.entered, errors), 422
    try:
        updated = port.update_contact(customer_id, checked.contact, fields=set(changed))
    except Rejected as exc:
        edr.record(ACTION, "failure", fields=fields, reason=exc.code)
        message = rejection_message(exc) if exc.code != "invalidContact" else _invalid_contact_message()
        return _render_form(checked.entered, form_error=message), 422
    except PlatformError:
        edr.record(ACTION, "failure", fields=fields, reason="unavailable")
        raise  # the registered handler answers with the friendly error
    edr.record(ACTION, fields=fields)
    if "email" in changed:
        _notify_old_number(current)
    response = make_response(_render_view(updated, _("Your contact details have been saved.")))
    return trigger_action(response, ACTION)


@bp.post("/w/contact/code")
@login_required
def send_code():
    """Send a one-time code to the customer's line, for changing the e-mail without the password.

    The form comes back as typed (nothing is lost), with a field for the code.
    """
    checked = validate_contact(request.form)
    sims = [sim for sim in platform().list_sims(current_user.customer_id) if sim.state == "active"]
    if not sims:
        errors = {REAUTH_FIELD: _("There is no active SIM to send a code to. Please enter your password.")}
        return _render_form(checked.entered, errors), 422
    text = _(
        "Your %(partner)s code to change your sign-in e-mail is %(code)s.",
        partner=partner().name,
        code=reauth.new_code(),
    )
    reauth.send_sms_later(sims[0].msisdn, text)
    return _render_form(checked.entered, code_sent_to=sims[0].msisdn)


def _reauthenticated(current: Customer) -> bool:
    """The customer proved it is them: the current password or a code sent to their line."""
    if request.form.get(REAUTH_CODE_FIELD):
        return reauth.code_confirmed(request.form.get(REAUTH_CODE_FIELD, ""))
    return reauth.password_confirmed(current, request.form.get(REAUTH_FIELD, ""))


def _notify_old_number(current: Customer) -> None:
    """Tell the customer on their phone, off the request path, that the sign-in e-mail changed."""
    phone = current.contact.phone
    if not phone:
        log.warning("e-mail of a customer changed; no phone on file for the notice")
        return
    text = _(
        "The e-mail you sign in to %(partner)s self-care with was changed. "
        "If you did not do this, contact customer care right away.",
        partner=partner().name,
    )
    reauth.send_sms_later(phone, text)


def _invalid_contact_message() -> str:
    # The platform's own reason is Czech-only and technical; this says what the customer can do.
    return _(
        "The platform did not accept these contact details. Please check them; "
        "the e-mail address may already be used by another customer."
    )
