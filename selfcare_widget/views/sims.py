"""SIM cards: the list, one SIM's detail with its settings as toggles, and blocking a lost SIM.

Every change is a TMF638 PATCH through the port; the fragment always shows the state the
platform confirmed (never the state the browser asked for), and each change is an EDR.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, abort, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required

from .. import edr
from ..platform import NotFound, PlatformError, Rejected
from ..platform.models import Sim, SimCard, SimSettings
from ..web import error_fragment
from .common import own_sim, platform, rejection_message, trigger_action

bp = Blueprint("sims", __name__)


@dataclass(frozen=True)
class Toggle:
    """A switchable setting: its domain name, label and a one-line explanation."""

    name: str
    label: object
    help: object


#: The settings a customer may switch online, in display order. ``sim_blocked`` is not one of
#: them: blocking has its own confirm step and cannot be undone online.
TOGGLES: tuple[Toggle, ...] = (
    Toggle("data_enabled", _l("Mobile data"), _l("Use the internet over the mobile network.")),
    Toggle("roaming_enabled", _l("Roaming"), _l("Calls, texts and data abroad in partner networks.")),
    Toggle(
        "premium_sms_barred",
        _l("Premium SMS barring"),
        _l("Blocks paid premium-rate text messages and services."),
    ),
    Toggle(
        "international_calls_barred",
        _l("International calls barring"),
        _l("Blocks outgoing calls to numbers abroad."),
    ),
    Toggle("voicemail_enabled", _l("Voicemail"), _l("Missed calls go to your voicemail box.")),
)
TOGGLES_BY_NAME = {t.name: t for t in TOGGLES}
_BOOLEANS = {"true": True, "false": False}


def settings_of(sim: Sim) -> SimSettings:
    """The current settings of the SIM's mobile service (raises NotFound if it has none)."""
    for settings in platform().list_sim_settings(current_user.customer_id):
        if settings.service_id == sim.service_id:
            return settings
    raise NotFound("service")


def _sim_card(sim: Sim) -> SimCard:
    """The TMF639 SIM card; falls back to the product's ICCID if the card cannot be read."""
    try:
        return platform().get_sim_card(sim.resource_id)
    except PlatformError:
        return SimCard(resource_id=sim.resource_id, iccid=sim.iccid, state="")


def _render_detail(sim: Sim, status: str = "", error: str = "") -> str:
    """The detail fragment of one SIM (settings read fresh from the platform)."""
    return render_template(
        "widget/sims/_detail.html",
        sim=sim,
        card=_sim_card(sim),
        settings=settings_of(sim),
        toggles=TOGGLES,
        status=status,
        error=error,
    )


@bp.post("/w/sims")
@login_required
def index():
    """The customer's SIMs, or (form field ``sim`` = product id) that SIM's detail and settings."""
    wanted = request.form.get("sim", "")
    sims = platform().list_sims(current_user.customer_id)
    if wanted:
        return _render_detail(own_sim(wanted, sims))
    if len(sims) == 1:
        return _render_detail(sims[0])
    return render_template("widget/sims/index.html", sims=sims)


def _parse_setting() -> tuple[str, bool]:
    """``setting`` and ``value`` of the form; a 400 fragment for anything else."""
    name = request.form.get("setting", "")
    value = request.form.get("value", "").lower()
    if name not in TOGGLES_BY_NAME or value not in _BOOLEANS:
        abort(make_response(*error_fragment(_("This setting cannot be changed here."), 400)))
    return name, _BOOLEANS[value]


def _toggle_response(sim: Sim, name: str, state: bool, status: str = "", error: str = "", code: int = 200):
    html = render_template(
        "widget/sims/_toggle.html",
        sim=sim,
        toggle=TOGGLES_BY_NAME[name],
        state=state,
        status=status,
        error=error,
    )
    return make_response(html, code)


@bp.post("/w/sims/setting")
@login_required
def setting() -> Response:
    """Switch one setting; returns that toggle showing the state the platform confirmed."""
    name, wanted = _parse_setting()
    sim = own_sim(request.form.get("sim", ""))
    old = getattr(settings_of(sim), name)
    try:
        confirmed = getattr(platform().update_sim_settings(sim.service_id, {name: wanted}), name)
    except Rejected as exc:
        edr.record(
            edr.actions.SIM_SETTING_CHANGE,
            "rejected",
            sim=sim.product_id,
            setting=name,
            old=old,
            new=wanted,
            code=exc.code,
        )
        return _toggle_response(
            sim, name, _real_state(sim, name, old), error=rejection_message(exc), code=422
        )
    except PlatformError:
        edr.record(
            edr.actions.SIM_SETTING_CHANGE, "failure", sim=sim.product_id, setting=name, old=old, new=wanted
        )
        message = _("The change could not be made right now. Please try again in a moment.")
        return _toggle_response(sim, name, _real_state(sim, name, old), error=message, code=503)
    edr.record(
        edr.actions.SIM_SETTING_CHANGE, "success", sim=sim.product_id, setting=name, old=old, new=confirmed
    )
    label = TOGGLES_BY_NAME[name].label
    status = (
        _("%(setting)s is now on.", setting=label)
        if confirmed
        else _("%(setting)s is now off.", setting=label)
    )
    return trigger_action(
        _toggle_response(sim, name, confirmed, status=status), edr.actions.SIM_SETTING_CHANGE
    )


def _real_state(sim: Sim, name: str, fallback: bool) -> bool:
    """The platform's current value after a refused change (the value read before, if unreadable)."""
    try:
        return getattr(settings_of(sim), name)
    except PlatformError:
        return fallback


@bp.post("/w/sims/block")
@login_required
def block():
    """Step one of blocking a lost/stolen SIM: the inline confirmation (or, ``step=cancel``, back)."""
    sim = own_sim(request.form.get("sim", ""))
    if request.form.get("step") == "cancel":
        return render_template("widget/sims/_block.html", sim=sim, focus=True)
    return render_template("widget/sims/_block_confirm.html", sim=sim)


@bp.post("/w/sims/block/confirm")
@login_required
def block_confirm():
    """Step two: block the SIM (not reversible online); re-renders the SIM's detail."""
    sim = own_sim(request.form.get("sim", ""))
    try:
        platform().update_sim_settings(sim.service_id, {"sim_blocked": True})
    except Rejected as exc:
        edr.record(edr.actions.SIM_BLOCK, "rejected", sim=sim.product_id, code=exc.code)
        return _detail_after(sim, error=rejection_message(exc), code=422)
    except PlatformError:
        edr.record(edr.actions.SIM_BLOCK, "failure", sim=sim.product_id)
        raise  # the registered handler answers with the friendly error
    edr.record(edr.actions.SIM_BLOCK, "success", sim=sim.product_id)
    status = _("The SIM is blocked. Nobody can use it any more; contact customer care for a new one.")
    return trigger_action(_detail_after(sim, status=status), edr.actions.SIM_BLOCK)


def _detail_after(sim: Sim, status: str = "", error: str = "", code: int = 200):
    """The detail fragment after a block attempt, with the SIM re-read (its state changed)."""
    fresh = own_sim(sim.product_id)
    return make_response(_render_detail(fresh, status=status, error=error), code)
