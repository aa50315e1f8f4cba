"""Packages of a SIM: the ordered ones, the ones its tariff allows, and ordering one.

Ordering is two steps. The confirm step issues a signed token naming customer, partner, SIM,
offering and a random nonce; the order step verifies it and sends the nonce as the TMF622
``externalId``, so double clicks, retries and re-submitting the same confirmation all land on
the one order the platform already has.

A SIM on a prepaid tariff pays for packages from its credit: the platform deducts the price when
the order completes (TMF654 adjustBalance). The confirmation says so and shows the credit after
the purchase; a package dearer than the credit is refused before anything is sent, with a way
to top up (the platform refuses it as well, ``insufficientCredit``).
"""

from __future__ import annotations

from decimal import Decimal

from flask import Blueprint, make_response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from .. import edr
from ..i18n import money
from ..platform import PlatformError, Rejected
from ..platform.models import BucketKind, Order, PackageOffer, Sim
from ..web import error_fragment
from .common import (
    chosen_sim,
    kept_fragment,
    own_sim,
    platform,
    rejection_message,
    today,
    trigger_action,
)
from .confirmation import Confirmation

bp = Blueprint("packages", __name__)

#: The platform's code for an order its credit does not cover (TMF654 adjustBalance refused).
INSUFFICIENT_CREDIT = "insufficientCredit"
#: Confirmations bound to customer, partner, SIM (``s``) and offering (``o``).
CONFIRMATION = Confirmation("selfcare.package-order.v1")


def idempotency_key(nonce: str) -> str:
    """The TMF622 ``externalId`` of the confirmation with this nonce."""
    return f"sc-{nonce}"


# --- rendering ----------------------------------------------------------------------------------


def _render_section(sims: list[Sim], sim: Sim | None, status: str = "", error: str = "") -> str:
    """The packages section of ``sim``: ordered packages, available offers, SIM selector."""
    ordered, offers = [], []
    if sim is not None:
        port = platform()
        ordered = [
            p for p in port.list_packages(current_user.customer_id) if p.sim_product_id == sim.product_id
        ]
        ordered.sort(key=lambda p: (p.active_from is None, p.active_from), reverse=True)
        offers = port.list_package_offers(sim.tariff.offering_id)
    return render_template(
        "widget/packages/index.html",
        sims=sims,
        sim=sim,
        ordered=ordered,
        offers=offers,
        status=status,
        error=error,
    )


@bp.post("/w/packages")
@login_required
@kept_fragment("sim")
def index():
    """Ordered and available packages of one SIM (form field ``sim``; default the first SIM)."""
    sims = platform().list_sims(current_user.customer_id)
    return _render_section(sims, chosen_sim(sims, prefer_active=True))


def _allowed_offer(sim: Sim, offering_id: str) -> PackageOffer | None:
    """The offering if the catalog allows it for this SIM's tariff (re-checked on every step)."""
    for offer in platform().list_package_offers(sim.tariff.offering_id):
        if offer.offering_id == offering_id:
            return offer
    return None


def _not_allowed(sim: Sim, offering_id: str, record: bool = True):
    """A 422 fragment for an offering this SIM's tariff does not allow (EDR on the order step)."""
    if record:
        edr.record(
            edr.actions.PACKAGE_ORDER,
            "rejected",
            sim=sim.product_id,
            offering=offering_id,
            code="offeringNotAllowed",
        )
    return error_fragment(rejection_message(Rejected("offeringNotAllowed")), 422)


# --- prepaid credit ---------------------------------------------------------------------------


def prepaid_credit(sim: Sim) -> Decimal | None:
    """The credit a prepaid SIM pays packages from (0 when it has none); None for a postpaid SIM."""
    if not sim.tariff.prepaid:
        return None
    credit = [
        b.remaining
        for b in platform().list_buckets([sim.product_id])
        if b.kind is BucketKind.MONETARY and b.sim_product_id == sim.product_id and not b.package_product_id
    ]
    return sum(credit, Decimal("0"))


def _credit_if_readable(sim: Sim) -> Decimal | None:
    """The SIM's credit for a message, or None when the platform cannot say right now."""
    try:
        return prepaid_credit(sim)
    except PlatformError:
        return None


def _insufficient(sim: Sim, offer: PackageOffer, credit: Decimal | None, status: int):
    """The refusal of a package dearer than the credit, with a top-up link when the app has one."""
    html = render_template(
        "widget/packages/_insufficient.html",
        sim=sim,
        offer=offer,
        credit=credit,
    )
    return html, status


@bp.post("/w/packages/confirm")
@login_required
def confirm():
    """The summary to confirm (name, price, start, charge) with a signed idempotency token.

    For a prepaid SIM: the credit now and after the purchase, or the refusal when it is too low.
    """
    offering_id = request.form.get("offering", "")
    sim = own_sim(request.form.get("sim", ""))
    offer = _allowed_offer(sim, offering_id)
    if offer is None:
        return _not_allowed(sim, offering_id, record=False)
    credit = prepaid_credit(sim)
    if credit is not None and offer.price > credit:
        return _insufficient(sim, offer, credit, 200)
    return render_template(
        "widget/packages/_confirm.html",
        sim=sim,
        offer=offer,
        credit=credit,
        token=CONFIRMATION.issue(s=sim.product_id, o=offering_id),
        today=today(),
    )


def _refuse_for_credit(sim: Sim, offer: PackageOffer, credit: Decimal | None):
    """EDR and refusal of an order its credit does not cover (nothing was ordered)."""
    edr.record(
        edr.actions.PACKAGE_ORDER,
        "rejected",
        sim=sim.product_id,
        offering=offer.offering_id,
        code=INSUFFICIENT_CREDIT,
        paid_from="credit",
        amount=f"{offer.price:.2f}",
        currency="CZK",
        **({"credit": f"{credit:.2f}"} if credit is not None else {}),
    )
    return _insufficient(sim, offer, credit, 422)


@bp.post("/w/packages/order")
@login_required
def order():
    """Place the confirmed order (idempotent); re-renders the section with both lists updated."""
    offering_id = request.form.get("offering", "")
    sim = own_sim(request.form.get("sim", ""))
    nonce = CONFIRMATION.verify(request.form.get("confirmation", ""), s=sim.product_id, o=offering_id)
    if nonce is None:
        edr.record(
            edr.actions.PACKAGE_ORDER,
            "rejected",
            sim=sim.product_id,
            offering=offering_id,
            code="invalidConfirmation",
        )
        return error_fragment(
            _("This confirmation is not valid any more. Please choose the package again."), 400
        )
    offer = None
    try:
        offer = _allowed_offer(sim, offering_id)
        if offer is None:
            return _not_allowed(sim, offering_id)
        # No credit check of our own here: a repeated submit of a placed order must still get
        # that order back (charged once), and the platform refuses a new one the credit does
        # not cover (``insufficientCredit``, below), also when it was spent since confirming.
        placed = platform().order_package(
            current_user.customer_id, sim.product_id, offering_id, idempotency_key=idempotency_key(nonce)
        )
    except Rejected as exc:
        if exc.code == INSUFFICIENT_CREDIT and offer is not None:
            return _refuse_for_credit(sim, offer, _credit_if_readable(sim))
        edr.record(
            edr.actions.PACKAGE_ORDER, "rejected", sim=sim.product_id, offering=offering_id, code=exc.code
        )
        return error_fragment(rejection_message(exc), 422)
    except PlatformError:
        edr.record(edr.actions.PACKAGE_ORDER, "failure", sim=sim.product_id, offering=offering_id)
        return _order_failed(sim, offering_id)
    _record_order(sim, offer, placed)
    return trigger_action(_after_order(sim, offer, placed), edr.actions.PACKAGE_ORDER)


def _record_order(sim: Sim, offer: PackageOffer, placed: Order) -> None:
    """EDR of a placed order; a repeated submit of one confirmation says so (same order id).

    ``paid_from`` says who pays: ``credit`` (a prepaid SIM; ``amount`` is what the platform
    deducted, ``"0.00"`` for a repeated submit, which charges nothing) or ``bill``.
    """
    prepaid = sim.tariff.prepaid
    charged = offer.price if placed.created else Decimal("0")
    edr.record(
        edr.actions.PACKAGE_ORDER,
        "success",
        sim=sim.product_id,
        offering=offer.offering_id,
        name=offer.name,
        price=f"{offer.price:.2f}",
        currency="CZK",
        order=placed.id,
        duplicate=not placed.created,
        paid_from="credit" if prepaid else "bill",
        **({"amount": f"{charged:.2f}"} if prepaid else {}),
    )


def _after_order(sim: Sim, offer: PackageOffer, placed: Order):
    """The section re-read from the platform, with the new package among the ordered ones."""
    # The platform's order id means nothing to the customer (it is in the EDR for the partner).
    if placed.created:
        status = _("Ordered: %(name)s.", name=offer.name)
    else:
        status = _("Already ordered: %(name)s. Nothing was ordered twice.", name=offer.name)
    try:
        credit = prepaid_credit(sim)
        if credit is not None:
            status += " " + _("Your credit is now %(credit)s.", credit=money(credit))
        sims = platform().list_sims(current_user.customer_id)
        return make_response(_render_section(sims, own_sim(sim.product_id, sims), status=status))
    except PlatformError:
        # The order stands; only the refreshed lists could not be read.
        return render_template("widget/packages/_ordered_only.html", status=status)


def _order_failed(sim: Sim, offering_id: str):
    """The confirmation again (same token, so a retry cannot order twice) with an error."""
    message = _("The order could not be sent right now. Please try again; you will not be charged twice.")
    html = render_template(
        "widget/packages/_order_failed.html",
        sim=sim,
        offer_id=offering_id,
        token=request.form.get("confirmation", ""),
        error=message,
    )
    return html, 503
