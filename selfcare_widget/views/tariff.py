"""Tariff change of one SIM: the tariffs the partner offers for the line, compared with the
current one, a confirmation with the date the change applies, and the TMF622 ``modify`` order.

Reached from the SIM detail (*Změnit tarif*), not a section of its own. Ordering works like
package orders: the confirm step issues a signed token naming customer, partner, SIM, current
and new tariff and a random nonce; the change step verifies it and sends the nonce as the
TMF622 ``externalId``, so double clicks, retries and re-submitting one confirmation all land on
the one order the platform already has.

The offering says when a change applies (``ChangeTiming``): at once, or from the next billing
period (the 1st of next month: billing periods are calendar months, docs/platform-contract.md).
A change waiting for its date is shown on the SIM and in the overview; no second change can be
ordered meanwhile. Which tariffs a line may move to is the catalogue's say (``changeFrom``
relationships), so a prepaid line is offered prepaid tariffs only. A blocked SIM cannot change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask import Blueprint, make_response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import edr
from ..i18n import day, number
from ..platform import PlatformError, Rejected
from ..platform.models import BucketKind, ChangeTiming, Sim, TariffChange, TariffOffer
from ..web import error_fragment
from .common import own_sim, platform, rejection_message, today, trigger_action
from .confirmation import Confirmation

bp = Blueprint("tariff", __name__)

#: Confirmations bound to customer, partner, SIM (``s``), its tariff (``f``) and the new one (``o``).
CONFIRMATION = Confirmation("selfcare.tariff-change.v1")
#: Allowances in the order the comparison shows them.
KINDS = (BucketKind.DATA, BucketKind.VOICE, BucketKind.SMS)


def verify_change_token(token: str, sim: Sim, offering_id: str) -> str | None:
    """The nonce of a valid, unexpired token issued for exactly this change; None otherwise.

    A token names the tariff the SIM had when confirming: once the change applied (the SIM is on
    the new tariff), a repeated submit no longer matches ``f`` and is matched without it.
    """
    applied = sim.tariff.offering_id == offering_id
    from_tariff = {} if applied else {"f": sim.tariff.offering_id}
    return CONFIRMATION.verify(token, s=sim.product_id, o=offering_id, **from_tariff)


def idempotency_key(nonce: str) -> str:
    """The TMF622 ``externalId`` of the confirmation with this nonce."""
    return f"sc-t-{nonce}"


# --- what the templates show -------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """A tariff in the comparison: its offer and each allowance in words."""

    offer: TariffOffer
    units: tuple[str, ...]  # in the order of KINDS
    current: bool = False


def allowance_text(offer: TariffOffer, kind: BucketKind) -> str:
    """``3 GB``, ``100 min``, ``Unlimited`` or ``–`` (not included) for one allowance."""
    allowance = offer.allowance(kind)
    if allowance is None or allowance.amount <= 0:
        return "–"
    if allowance.unlimited:
        return _("Unlimited")
    if kind is BucketKind.DATA:
        if allowance.amount >= 1024:
            gigabytes = allowance.amount / 1024
            return _("%(amount)s GB", amount=number(gigabytes, 0 if allowance.amount % 1024 == 0 else 1))
        return _("%(amount)s MB", amount=number(allowance.amount))
    if kind is BucketKind.VOICE:
        return _("%(amount)s min", amount=number(allowance.amount))
    return _("%(amount)s SMS", amount=number(allowance.amount))


def _row(offer: TariffOffer, current: bool = False) -> Row:
    return Row(offer=offer, units=tuple(allowance_text(offer, k) for k in KINDS), current=current)


def next_period_start(day: date) -> date:
    """The first day of the next billing period (billing periods are calendar months)."""
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def effective_date(offer: TariffOffer, day: date) -> date:
    """The day a change to ``offer`` confirmed on ``day`` applies."""
    return day if offer.timing is ChangeTiming.IMMEDIATE else next_period_start(day)


def _render(sim: Sim, status: str = "", error: str = "") -> str:
    """The tariff change page of ``sim``: current tariff and the offers, compared."""
    port = platform()
    current = port.get_tariff(sim.tariff.offering_id)
    # cheapest first: a comparison reads as a ladder
    offers = sorted(port.list_tariff_offers(sim.tariff.offering_id), key=lambda o: (o.monthly_price, o.name))
    return render_template(
        "widget/tariff/index.html",
        sim=sim,
        current=_row(current, current=True),
        rows=[_row(o) for o in offers],
        changeable=sim.state == "active" and sim.pending_tariff is None,
        kinds=KINDS,
        today=today(),
        effective_date=effective_date,
        status=status,
        error=error,
    )


@bp.post("/w/tariff")
@login_required
def index():
    """The tariffs SIM ``sim`` (form field, the customer's own) may change to."""
    return _render(own_sim(request.form.get("sim", "")))


# --- refusals -------------------------------------------------------------------------------


def _refusal_message(code: str, exc: Rejected | None = None) -> str:
    """The customer's-language text for a refused change."""
    messages = {
        "simBlocked": _("The tariff of a blocked SIM cannot be changed."),
        "offeringNotAllowed": _("This SIM cannot change to this tariff."),
        "tariffChangePending": _(
            "A tariff change is already planned for this SIM. Another change is possible once it applies."
        ),
    }
    if code in messages:
        return messages[code]
    return rejection_message(exc or Rejected(code))


def _refuse(sim: Sim, offering_id: str, code: str, status: int = 422, record: bool = True):
    """A refusal fragment (with an EDR on the change step)."""
    if record:
        edr.record(
            edr.actions.TARIFF_CHANGE,
            "rejected",
            sim=sim.product_id,
            offering=offering_id,
            **{"from": sim.tariff.offering_id},
            code=code,
        )
    return error_fragment(_refusal_message(code), status)


def _state_refusal(sim: Sim) -> str:
    """Why this SIM cannot change its tariff now (``""`` when it can)."""
    if sim.state != "active":
        return "simBlocked"
    if sim.pending_tariff is not None:
        return "tariffChangePending"
    return ""


def _allowed_offer(sim: Sim, offering_id: str) -> TariffOffer | None:
    """The tariff if the catalogue offers it for this SIM's tariff (re-checked on every step)."""
    for offer in platform().list_tariff_offers(sim.tariff.offering_id):
        if offer.offering_id == offering_id:
            return offer
    return None


@bp.post("/w/tariff/confirm")
@login_required
def confirm():
    """The summary to confirm: old and new tariff, price, the date it applies, a signed token."""
    offering_id = request.form.get("offering", "")
    sim = own_sim(request.form.get("sim", ""))
    refusal = _state_refusal(sim)
    if refusal:
        return _refuse(sim, offering_id, refusal, record=False)
    offer = _allowed_offer(sim, offering_id)
    if offer is None:
        return _refuse(sim, offering_id, "offeringNotAllowed", record=False)
    current = platform().get_tariff(sim.tariff.offering_id)
    return render_template(
        "widget/tariff/_confirm.html",
        sim=sim,
        current=current,
        offer=offer,
        effective=effective_date(offer, today()),
        immediate=offer.timing is ChangeTiming.IMMEDIATE,
        today=today(),
        token=CONFIRMATION.issue(s=sim.product_id, f=sim.tariff.offering_id, o=offering_id),
    )


@bp.post("/w/tariff/change")
@login_required
def change():
    """Place the confirmed change (idempotent); re-renders the page with the new state."""
    offering_id = request.form.get("offering", "")
    sim = own_sim(request.form.get("sim", ""))
    nonce = verify_change_token(request.form.get("confirmation", ""), sim, offering_id)
    if nonce is None:
        edr.record(
            edr.actions.TARIFF_CHANGE,
            "rejected",
            sim=sim.product_id,
            offering=offering_id,
            **{"from": sim.tariff.offering_id},
            code="invalidConfirmation",
        )
        return error_fragment(
            _("This confirmation is not valid any more. Please choose the tariff again."), 400
        )
    # A repeated submit of a change that applied (or is planned) must still get its order back,
    # so the state checks here are the platform's; only a blocked SIM is refused up front.
    if sim.state != "active":
        return _refuse(sim, offering_id, "simBlocked")
    offer = None
    try:
        repeat = sim.tariff.offering_id == offering_id or (
            sim.pending_tariff is not None and sim.pending_tariff.offering_id == offering_id
        )
        offer = platform().get_tariff(offering_id) if repeat else _allowed_offer(sim, offering_id)
        if offer is None:
            return _refuse(sim, offering_id, "offeringNotAllowed")
        placed = platform().change_tariff(
            current_user.customer_id, sim.product_id, offering_id, idempotency_key=idempotency_key(nonce)
        )
    except Rejected as exc:
        edr.record(
            edr.actions.TARIFF_CHANGE,
            "rejected",
            sim=sim.product_id,
            offering=offering_id,
            **{"from": sim.tariff.offering_id},
            code=exc.code,
        )
        return error_fragment(_refusal_message(exc.code, exc), 422)
    except PlatformError:
        edr.record(
            edr.actions.TARIFF_CHANGE,
            "failure",
            sim=sim.product_id,
            offering=offering_id,
            **{"from": sim.tariff.offering_id},
        )
        return _change_failed(sim, offering_id)
    effective = placed.effective or today()
    _record_change(sim, offer, placed, effective)
    return trigger_action(_after_change(sim, offer, placed, effective), edr.actions.TARIFF_CHANGE)


def _record_change(sim: Sim, offer: TariffOffer, placed: TariffChange, effective: date) -> None:
    """EDR of a placed change; a repeated submit of one confirmation says so (same order id)."""
    edr.record(
        edr.actions.TARIFF_CHANGE,
        "success",
        sim=sim.product_id,
        offering=offer.offering_id,
        **{"from": sim.tariff.offering_id},
        name=offer.name,
        price=f"{offer.monthly_price:.2f}",
        currency="CZK",
        order=placed.id,
        effective=effective.isoformat(),
        pending=placed.pending,
        duplicate=not placed.created,
    )


def _after_change(sim: Sim, offer: TariffOffer, placed: TariffChange, effective: date):
    """The page re-read from the platform, showing the new tariff or the planned change."""
    if not placed.created:
        status = _("This change was already ordered: %(name)s. Nothing was changed twice.", name=offer.name)
    elif placed.pending:
        status = _("Your tariff changes to %(name)s on %(date)s.", name=offer.name, date=day(effective))
    else:
        status = _("Your tariff is now %(name)s.", name=offer.name)
    try:
        return make_response(_render(own_sim(sim.product_id), status=status))
    except PlatformError:
        # The order stands; only the refreshed page could not be read.
        return render_template("widget/tariff/_changed_only.html", status=status)


def _change_failed(sim: Sim, offering_id: str):
    """The confirmation's form again (same token, so a retry cannot change twice) with an error."""
    message = _("The change could not be sent right now. Please try again; nothing will be changed twice.")
    html = render_template(
        "widget/tariff/_change_failed.html",
        sim=sim,
        offering_id=offering_id,
        token=request.form.get("confirmation", ""),
        error=message,
    )
    return html, 503
