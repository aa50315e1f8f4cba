"""Usage alerts of one SIM: turn them on or off, choose SMS or e-mail (and a prepaid credit limit).

The preference lives on the platform (TMF629 characteristic ``usageAlerts``, through the port);
the ``selfcare-widget alerts`` process (``selfcare_widget/alerts.py``) reads it and sends the
notices. Every save is an EDR ``alerts.change``; invalid input comes back with the form as typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Blueprint, make_response, render_template, request
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import edr
from ..platform import PlatformError, Rejected
from ..platform.models import AlertChannel, Customer, Sim, UsageAlert
from .common import own_sim, platform, rejection_message, trigger_action

bp = Blueprint("alerts", __name__)

ACTION = edr.actions.ALERTS_CHANGE
#: The credit limit a customer may choose (CZK); the platform refuses anything outside.
CREDIT_MIN, CREDIT_MAX = Decimal("1"), Decimal("10000")
#: Suggested when a prepaid customer first opens the panel.
CREDIT_DEFAULT = Decimal("50")


@dataclass(frozen=True)
class Entered:
    """The form as the customer filled it (shown again as typed after an error)."""

    enabled: bool
    channel: str
    data: bool
    credit: bool
    credit_below: str


def _entered_from(alert: UsageAlert | None, sim: Sim) -> Entered:
    if alert is None:
        return Entered(False, AlertChannel.SMS.value, True, sim.tariff.prepaid, _amount_text(CREDIT_DEFAULT))
    limit = alert.credit_below
    return Entered(
        True,
        alert.channel.value,
        alert.data,
        limit is not None,
        _amount_text(limit if limit is not None else CREDIT_DEFAULT),
    )


def _amount_text(amount: Decimal) -> str:
    """``50`` or ``49,50`` (Czech decimal comma in Czech)."""
    whole = amount == amount.to_integral_value()
    text = f"{amount.to_integral_value():f}" if whole else f"{amount.quantize(Decimal('0.01')):f}"
    return text.replace(".", ",") if str(get_locale()) == "cs" else text


def _render(
    sim: Sim,
    customer: Customer,
    entered: Entered,
    errors: dict[str, str] | None = None,
    status: str = "",
    form_error: str = "",
    focus_heading: bool = True,
) -> str:
    return render_template(
        "widget/alerts/index.html",
        sim=sim,
        email=customer.contact.email,
        entered=entered,
        errors=errors or {},
        status=status,
        form_error=form_error,
        focus_heading=focus_heading,
        credit_min=CREDIT_MIN,
        credit_max=CREDIT_MAX,
    )


@bp.post("/w/alerts")
@login_required
def index():
    """The alerts panel of the SIM named by the form's ``sim`` (404 when not the customer's)."""
    sim = own_sim(request.form.get("sim", ""))
    customer = platform().get_customer(current_user.customer_id)
    return _render(sim, customer, _entered_from(customer.alert_for(sim.product_id), sim))


def _parse(sim: Sim, customer: Customer) -> tuple[Entered, dict[str, str], UsageAlert | None]:
    """The form -> (as entered, errors by field, the alert to store or None when turned off)."""
    form = request.form
    entered = Entered(
        enabled=form.get("enabled") == "1",
        channel=form.get("channel", ""),
        data=form.get("data") == "1",
        credit=form.get("credit") == "1" and sim.tariff.prepaid,
        credit_below=form.get("credit_below", "").strip()[:20],
    )
    errors: dict[str, str] = {}
    if not entered.enabled:
        return entered, errors, None
    if entered.channel not in {c.value for c in AlertChannel}:
        errors["channel"] = _("Choose how we should send the alerts.")
    elif entered.channel == AlertChannel.EMAIL.value and not customer.contact.email:
        errors["channel"] = _(
            "You have no e-mail address in your contact details. Choose SMS or add an e-mail first."
        )
    limit: Decimal | None = None
    if entered.credit:
        limit = _parse_amount(entered.credit_below)
        if limit is None or not CREDIT_MIN <= limit <= CREDIT_MAX:
            errors["credit_below"] = _(
                "Enter an amount in CZK from %(low)s to %(high)s, e.g. 50.", low=CREDIT_MIN, high=CREDIT_MAX
            )
    if not errors and not entered.data and not entered.credit:
        errors["data"] = _("Choose at least one alert, or turn the alerts off.")
    if errors:
        return entered, errors, None
    alert = UsageAlert(
        sim_product_id=sim.product_id,
        channel=AlertChannel(entered.channel),
        data=entered.data,
        credit_below=limit,
        language=str(get_locale()),
    )
    return entered, errors, alert


def _parse_amount(text: str) -> Decimal | None:
    """``50``, ``49,50``, ``49.5`` or ``50 Kč`` -> Decimal (two places at most), else None."""
    cleaned = text.lower().replace("kč", "").replace("czk", "").replace("\u00a0", "").replace(" ", "")
    try:
        amount = Decimal(cleaned.replace(",", "."))
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        return None
    return amount


@bp.post("/w/alerts/save")
@login_required
def save():
    """Store the SIM's alerts on the platform; the panel again with what the platform confirmed."""
    customer_id = current_user.customer_id  # never from the form
    sim = own_sim(request.form.get("sim", ""))
    port = platform()
    customer = port.get_customer(customer_id)
    entered, errors, alert = _parse(sim, customer)
    if errors:
        edr.record(ACTION, "rejected", sim=sim.product_id, fields=sorted(errors))
        return make_response(_render(sim, customer, entered, errors, focus_heading=False), 422)
    # The other SIMs' alerts go back unchanged (the platform stores all SIMs in one array);
    # only SIMs the customer still has are kept.
    own = {s.product_id for s in port.list_sims(customer_id)}
    others = tuple(
        a for a in customer.usage_alerts if a.sim_product_id != sim.product_id and a.sim_product_id in own
    )
    details: dict[str, Any] = {
        "enabled": alert is not None,
        "channel": alert.channel.value if alert else None,
        "data": alert.data if alert else False,
        "credit_below": str(alert.credit_below) if alert and alert.credit_below is not None else None,
    }
    try:
        updated = port.update_usage_alerts(customer_id, others + ((alert,) if alert else ()))
    except Rejected as exc:
        edr.record(ACTION, "rejected", sim=sim.product_id, code=exc.code, **details)
        return make_response(_render(sim, customer, entered, form_error=rejection_message(exc)), 422)
    except PlatformError:
        edr.record(ACTION, "failure", sim=sim.product_id, **details)
        message = _("The alerts could not be saved right now. Please try again in a moment.")
        return make_response(_render(sim, customer, entered, form_error=message), 503)
    edr.record(ACTION, "success", sim=sim.product_id, **details)
    confirmed = updated.alert_for(sim.product_id)
    if confirmed is None:
        status = _("Usage alerts for this SIM are off.")
    elif confirmed.channel is AlertChannel.EMAIL:
        status = _(
            "Usage alerts are on. We will send them by e-mail to %(email)s.", email=updated.contact.email
        )
    else:
        status = _("Usage alerts are on. We will send them by SMS to this number.")
    html = _render(sim, updated, _entered_from(confirmed, sim) if confirmed else entered, status=status)
    return trigger_action(make_response(html), ACTION)
