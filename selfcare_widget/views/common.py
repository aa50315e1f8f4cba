"""Helpers shared by the feature views: the platform, ownership checks, HX response headers."""

from __future__ import annotations

from flask import Response, abort, current_app, render_template
from flask_babel import gettext as _
from flask_login import current_user

from ..platform import NotFound, Platform, PlatformError, Rejected
from ..platform.models import Sim


def platform() -> Platform:
    """The platform port of this app."""
    return current_app.extensions["selfcare"].platform


def partner():
    """The signed-in customer's partner."""
    return current_app.extensions["selfcare"].partners[current_user.partner_id]


def own_sim(product_id: str, sims: list[Sim] | None = None) -> Sim:
    """The signed-in customer's SIM with this product id, else 404 (never another's)."""
    sims = sims if sims is not None else platform().list_sims(current_user.customer_id)
    for sim in sims:
        if sim.product_id == product_id:
            return sim
    abort(404)


def platform_error_fragment(exc: PlatformError, status: int = 503) -> tuple[str, int]:
    """A friendly error for the affected part only; the rest of the widget keeps working."""
    if isinstance(exc, NotFound):
        return render_template("widget/error.html", status=404, message=_("This item was not found.")), 404
    if isinstance(exc, Rejected):
        return render_template("widget/error.html", status=422, message=rejection_message(exc)), 422
    message = _("This part is temporarily unavailable. Please try again in a moment.")
    return render_template("widget/error.html", status=status, message=message, retry=True), status


def rejection_message(exc: Rejected) -> str:
    """The customer's-language text for a platform rejection code."""
    messages = {
        "simBlocked": _("This SIM is blocked, so its settings cannot be changed."),
        "unblockNotAllowed": _("A blocked SIM cannot be unblocked online. Please contact customer care."),
        "offeringNotAllowed": _("This package cannot be ordered for the tariff of this SIM."),
        "productNotFound": _("This SIM was not found."),
        "invalidContact": _("The platform did not accept these contact details."),
    }
    return messages.get(exc.code) or exc.reason or _("The request was refused.")


def trigger_action(response: Response, action: str) -> Response:
    """Tell the host page (through the loader) which customer action just happened."""
    response.headers["X-Selfcare-Action"] = action
    return response
