"""Packages of a SIM: the ordered ones, the ones its tariff allows, and ordering one.

Ordering is two steps. The confirm step issues a signed token naming customer, partner, SIM,
offering and a random nonce; the order step verifies it and sends the nonce as the TMF622
``externalId``, so double clicks, retries and re-submitting the same confirmation all land on
the one order the platform already has.
"""

from __future__ import annotations

import hashlib
import secrets

from flask import Blueprint, current_app, make_response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from .. import edr
from ..platform import PlatformError, Rejected
from ..platform.models import Order, PackageOffer, Sim
from ..web import error_fragment
from .common import (
    chosen_sim,
    own_sim,
    platform,
    rejection_message,
    today,
    trigger_action,
)

bp = Blueprint("packages", __name__)

#: How long a confirmation may be submitted (a retry after that has to start again).
CONFIRM_MAX_AGE = 3600
_TOKEN_SALT = "selfcare.package-order.v1"  # noqa: S105 - a namespace, not a secret


# --- the signed confirmation ------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt=_TOKEN_SALT, signer_kwargs={"digest_method": hashlib.sha256}
    )


def issue_order_token(sim_product_id: str, offering_id: str) -> str:
    """A token binding one confirmation to this customer, partner, SIM and offering."""
    payload = {
        "c": current_user.customer_id,
        "p": current_user.partner_id,
        "s": sim_product_id,
        "o": offering_id,
        "n": secrets.token_hex(16),
    }
    return _serializer().dumps(payload)


def verify_order_token(token: str, sim_product_id: str, offering_id: str) -> str | None:
    """The nonce of a valid, unexpired token issued for exactly this order; None otherwise."""
    try:
        payload = _serializer().loads(token, max_age=CONFIRM_MAX_AGE)
    except (BadSignature, SignatureExpired):
        return None
    expected = {
        "c": current_user.customer_id,
        "p": current_user.partner_id,
        "s": sim_product_id,
        "o": offering_id,
    }
    if not isinstance(payload, dict) or any(payload.get(k) != v for k, v in expected.items()):
        return None
    nonce = payload.get("n")
    return nonce if isinstance(nonce, str) and len(nonce) == 32 else None


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


@bp.post("/w/packages/confirm")
@login_required
def confirm():
    """The summary to confirm (name, price, start, charge) with a signed idempotency token."""
    offering_id = request.form.get("offering", "")
    sim = own_sim(request.form.get("sim", ""))
    offer = _allowed_offer(sim, offering_id)
    if offer is None:
        return _not_allowed(sim, offering_id, record=False)
    return render_template(
        "widget/packages/_confirm.html",
        sim=sim,
        offer=offer,
        token=issue_order_token(sim.product_id, offering_id),
        today=today(),
    )


@bp.post("/w/packages/order")
@login_required
def order():
    """Place the confirmed order (idempotent); re-renders the section with both lists updated."""
    offering_id = request.form.get("offering", "")
    sim = own_sim(request.form.get("sim", ""))
    nonce = verify_order_token(request.form.get("confirmation", ""), sim.product_id, offering_id)
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
    try:
        offer = _allowed_offer(sim, offering_id)
        if offer is None:
            return _not_allowed(sim, offering_id)
        placed = platform().order_package(
            current_user.customer_id, sim.product_id, offering_id, idempotency_key=idempotency_key(nonce)
        )
    except Rejected as exc:
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
    """EDR of a placed order; a repeated submit of one confirmation says so (same order id)."""
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
    )


def _after_order(sim: Sim, offer: PackageOffer, placed: Order):
    """The section re-read from the platform, with the new package among the ordered ones."""
    # The platform's order id means nothing to the customer (it is in the EDR for the partner).
    if placed.created:
        status = _("Ordered: %(name)s.", name=offer.name)
    else:
        status = _("Already ordered: %(name)s. Nothing was ordered twice.", name=offer.name)
    try:
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
