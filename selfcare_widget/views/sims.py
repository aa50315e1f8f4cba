"""SIM cards: the list, one SIM's detail with its settings as toggles, roaming by zone with the
partner's price notice and a data limit, blocking a lost SIM, ordering a replacement, and PIN/PUK.

Every change is a TMF638 PATCH through the port; the fragment always shows the state the
platform confirmed (never the state the browser asked for), and each change is an EDR.

A replacement SIM is a TMF622 order, idempotent like package orders: the form carries a signed
token naming customer, partner, SIM and a nonce, and the nonce is the order's ``externalId``.
PIN and PUK are shown only after a fresh re-authentication (password or a code by SMS); they
are never cached, logged or recorded.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, abort, g, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup

from .. import edr
from ..invoices.spayd import qr_svg
from ..platform import NotFound, PlatformError, Rejected
from ..platform.models import ROAMING_DATA_LIMITS, ContactDetails, Order, Sim, SimCard, SimKind, SimSettings
from ..web import error_fragment
from . import reauth
from .common import own_sim, partner, platform, rejection_message, trigger_action
from .confirmation import Confirmation

bp = Blueprint("sims", __name__)


@dataclass(frozen=True)
class Toggle:
    """A switchable setting: its domain name, label, a one-line explanation and the
    :class:`SimSettings` attribute that says whether it is on (default: the name)."""

    name: str
    label: object
    help: object
    state: str = ""

    @property
    def state_attr(self) -> str:
        return self.state or self.name


#: Roaming by zone, shown together with the partner's price notice. ``roaming_enabled`` (the
#: platform's master switch) is not shown: the widget sets it with the zones (see _changes_for).
ROAMING_TOGGLES: tuple[Toggle, ...] = (
    Toggle(
        "roaming_eu_enabled",
        _l("Roaming in the EU"),
        _l("Calls, texts and data in the EU and EEA at home prices."),
        "roams_in_eu",
    ),
    Toggle(
        "roaming_world_enabled",
        _l("Roaming outside the EU"),
        _l("Calls, texts and data in the rest of the world, at the partner's roaming prices."),
        "roams_in_world",
    ),
)
#: The one roaming switch of older clients and platforms without zones (still accepted).
MASTER_ROAMING = Toggle(
    "roaming_enabled", _l("Roaming"), _l("Calls, texts and data abroad in partner networks.")
)

#: The settings a customer may switch online, in display order. ``sim_blocked`` is not one of
#: them: blocking has its own confirm step and cannot be undone online.
TOGGLES: tuple[Toggle, ...] = (
    Toggle("data_enabled", _l("Mobile data"), _l("Use the internet over the mobile network.")),
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
TOGGLES_BY_NAME = {t.name: t for t in (*TOGGLES, *ROAMING_TOGGLES, MASTER_ROAMING)}
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


def _render_detail(sim: Sim, status: str = "", error: str = "", replaced: str = "") -> str:
    """The detail fragment of one SIM (settings read fresh from the platform); ``replaced``: the
    fragment that reports a replacement SIM just ordered, shown above the settings."""
    return render_template(
        "widget/sims/_detail.html",
        sim=sim,
        card=_sim_card(sim),
        settings=settings_of(sim),
        toggles=TOGGLES,
        roaming_toggles=ROAMING_TOGGLES,
        roaming_limits=ROAMING_DATA_LIMITS,
        partner=partner(),
        status=status,
        error=error,
        replaced=Markup(replaced),  # noqa: S704 - our own rendered template
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


def _changes_for(settings: SimSettings, name: str, wanted: bool) -> dict[str, bool | int]:
    """What the platform is asked to change when the customer switches ``name``.

    A roaming zone is sent with the other zone's effective state and the master switch, all
    absolute: the master is on exactly when a zone is, so a stale zone value behind an off master
    switch can never come back on unasked.
    """
    if name not in ("roaming_eu_enabled", "roaming_world_enabled"):
        return {name: wanted}
    zones = {"roaming_eu_enabled": settings.roams_in_eu, "roaming_world_enabled": settings.roams_in_world}
    zones[name] = wanted
    return {"roaming_enabled": any(zones.values()), **zones}


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
    current = settings_of(sim)
    attr = TOGGLES_BY_NAME[name].state_attr
    old = getattr(current, attr)
    try:
        changes = _changes_for(current, name, wanted)
        confirmed = getattr(platform().update_sim_settings(sim.service_id, changes), attr)
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
        return getattr(settings_of(sim), TOGGLES_BY_NAME[name].state_attr)
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
    status = _("The SIM is blocked. Nobody can use it any more. You can order a replacement SIM below.")
    return trigger_action(_detail_after(sim, status=status), edr.actions.SIM_BLOCK)


def _detail_after(sim: Sim, status: str = "", error: str = "", code: int = 200):
    """The detail fragment after a block attempt, with the SIM re-read (its state changed)."""
    fresh = own_sim(sim.product_id)
    return make_response(_render_detail(fresh, status=status, error=error), code)


# --- roaming data limit -------------------------------------------------------------------------


@bp.post("/w/sims/roaming-limit")
@login_required
def roaming_limit():
    """Set the limit of data roaming outside the EU (one of the values the platform allows)."""
    sim = own_sim(request.form.get("sim", ""))
    raw = request.form.get("limit", "")
    wanted = int(raw) if raw.isdigit() and int(raw) in ROAMING_DATA_LIMITS else None
    current = settings_of(sim)
    if wanted is None or current.roaming_data_limit is None:
        return error_fragment(_("This setting cannot be changed here."), 400)
    old = current.roaming_data_limit
    action, setting = edr.actions.SIM_SETTING_CHANGE, "roaming_data_limit"
    try:
        confirmed = platform().update_sim_settings(sim.service_id, {setting: wanted})
    except Rejected as exc:
        edr.record(
            action, "rejected", sim=sim.product_id, setting=setting, old=old, new=wanted, code=exc.code
        )
        return _limit_response(sim, old, error=rejection_message(exc), code=422)
    except PlatformError:
        edr.record(action, "failure", sim=sim.product_id, setting=setting, old=old, new=wanted)
        message = _("The change could not be made right now. Please try again in a moment.")
        return _limit_response(sim, old, error=message, code=503)
    limit = confirmed.roaming_data_limit if confirmed.roaming_data_limit is not None else wanted
    edr.record(action, "success", sim=sim.product_id, setting=setting, old=old, new=limit)
    status = _("The roaming data limit is saved.")
    return trigger_action(_limit_response(sim, limit, status=status), edr.actions.SIM_SETTING_CHANGE)


def _limit_response(sim: Sim, limit: int, status: str = "", error: str = "", code: int = 200) -> Response:
    html = render_template(
        "widget/sims/_roaming_limit.html",
        sim=sim,
        limit=limit,
        roaming_limits=ROAMING_DATA_LIMITS,
        status=status,
        error=error,
        focus=True,
    )
    return make_response(html, code)


# --- replacement SIM --------------------------------------------------------------------------

#: Replacement forms bound to customer, partner and the blocked SIM (``s``).
REPLACEMENT = Confirmation("selfcare.sim-replacement.v1")


def _has_address(contact: ContactDetails) -> bool:
    return bool(contact.street and contact.city and contact.postal_code)


def _blocked_sim() -> Sim:
    """The customer's SIM named by the form; only a blocked one gets a replacement (else 404)."""
    sim = own_sim(request.form.get("sim", ""))
    if not settings_of(sim).sim_blocked:
        abort(
            make_response(*error_fragment(_("A replacement SIM can be ordered for a blocked SIM only."), 422))
        )
    return sim


def _replace_form(sim: Sim, kind: str = "", error: str = "", token: str = "", code: int = 200) -> Response:
    contact = platform().get_customer(current_user.customer_id).contact
    html = render_template(
        "widget/sims/_replace.html",
        sim=sim,
        contact=contact,
        has_address=_has_address(contact),
        kind=kind,
        token=token or REPLACEMENT.issue(s=sim.product_id),
        error=error,
    )
    return make_response(html, code)


@bp.post("/w/sims/replace")
@login_required
def replace():
    """The replacement form: plastic card to the contact address, or an eSIM (or, ``step=cancel``,
    back to the offer)."""
    sim = _blocked_sim()
    if request.form.get("step") == "cancel":
        return render_template("widget/sims/_replace_offer.html", sim=sim, partner=partner(), focus=True)
    return _replace_form(sim)


@bp.post("/w/sims/replace/order")
@login_required
def replace_order():
    """Order the replacement (idempotent on the form's token); re-renders the SIM's detail."""
    sim = own_sim(request.form.get("sim", ""))
    kind_value = request.form.get("kind", "")
    if kind_value not in (SimKind.PHYSICAL.value, SimKind.ESIM.value):
        return _replace_form(
            _blocked_sim(),
            error=_("Choose a SIM card or an eSIM."),
            token=request.form.get("confirmation", ""),
            code=400,
        )
    kind = SimKind(kind_value)
    nonce = REPLACEMENT.verify(request.form.get("confirmation", ""), s=sim.product_id)
    if nonce is None:
        edr.record(
            edr.actions.SIM_REPLACE,
            "rejected",
            sim=sim.product_id,
            kind=kind.value,
            code="invalidConfirmation",
        )
        return error_fragment(_("This form is not valid any more. Please start the order again."), 400)
    delivery = None
    if kind is SimKind.PHYSICAL:
        contact = platform().get_customer(current_user.customer_id).contact
        if not _has_address(contact):
            edr.record(
                edr.actions.SIM_REPLACE,
                "rejected",
                sim=sim.product_id,
                kind=kind.value,
                code="noDeliveryAddress",
            )
            message = _(
                "We need your postal address to send the SIM card. Please add it in your contact details."
            )
            return _replace_form(
                sim, kind=kind.value, error=message, token=request.form.get("confirmation", ""), code=422
            )
        delivery = contact
    try:
        # No "is it still blocked" check of our own: a repeated submit of a placed order must
        # get that order back, and the platform refuses a new one for a line in service.
        placed = platform().order_sim_replacement(
            current_user.customer_id, sim.product_id, kind, delivery, idempotency_key=f"sc-sim-{nonce}"
        )
    except Rejected as exc:
        edr.record(edr.actions.SIM_REPLACE, "rejected", sim=sim.product_id, kind=kind.value, code=exc.code)
        return error_fragment(_replace_rejection(exc), 422)
    except PlatformError:
        edr.record(edr.actions.SIM_REPLACE, "failure", sim=sim.product_id, kind=kind.value)
        message = _("The order could not be sent right now. Please try again; nothing will be ordered twice.")
        return _replace_form(
            sim, kind=kind.value, error=message, token=request.form.get("confirmation", ""), code=503
        )
    edr.record(
        edr.actions.SIM_REPLACE,
        "success",
        sim=sim.product_id,
        kind=kind.value,
        order=placed.id,
        duplicate=not placed.created,
    )
    return trigger_action(_after_replacement(sim, kind, placed, delivery), edr.actions.SIM_REPLACE)


def _replace_rejection(exc: Rejected) -> str:
    if exc.code == "simNotBlocked":
        return _("A replacement SIM can be ordered for a blocked SIM only.")
    return rejection_message(exc)


def _after_replacement(sim: Sim, kind: SimKind, placed: Order, delivery: ContactDetails | None) -> Response:
    """The SIM's detail re-read (a new card, in service again) with what happens next; for an
    eSIM its activation QR code, shown only here (it is not part of the detail otherwise)."""
    fresh = own_sim(sim.product_id)
    activation = ""
    if kind is SimKind.ESIM:
        try:
            activation = platform().get_sim_secrets(fresh.resource_id).activation_code
        except PlatformError:
            activation = ""
    qr = ""
    if activation:
        title = _("Activation QR code of your eSIM")
        qr = Markup(qr_svg(activation, title))  # noqa: S704 - segno's SVG of our own string
    report = render_template(
        "widget/sims/_replaced.html",
        kind=kind.value,
        duplicate=not placed.created,
        delivery=delivery,
        activation=activation,
        qr=qr,
    )
    return make_response(_render_detail(fresh, replaced=report))


# --- PIN and PUK ------------------------------------------------------------------------------


def _puk_form(sim: Sim, error: str = "", code_sent_to: str = "", status: int = 200) -> Response:
    html = render_template(
        "widget/sims/_puk.html",
        sim=sim,
        step="reauth",
        error=error,
        code_sent_to=code_sent_to or request.form.get("code_sent_to", ""),
        has_password="password" in partner().login_methods,
    )
    return make_response(html, status)


@bp.post("/w/sims/puk")
@login_required
def puk():
    """Ask who it is before PIN/PUK are shown (or, ``step=hide``, hide them again)."""
    sim = own_sim(request.form.get("sim", ""))
    if request.form.get("step") == "hide":
        return render_template("widget/sims/_puk.html", sim=sim, step="closed", focus=True)
    return _puk_form(sim)


@bp.post("/w/sims/puk/code")
@login_required
def puk_code():
    """Send a one-time code to the customer's line in service (for those without a password)."""
    sim = own_sim(request.form.get("sim", ""))
    active = [s for s in platform().list_sims(current_user.customer_id) if s.state == "active"]
    if not active:
        return _puk_form(
            sim, error=_("There is no active SIM to send a code to. Please enter your password."), status=422
        )
    text = _(
        "Your %(partner)s code to show the PIN and PUK is %(code)s.",
        partner=partner().name,
        code=reauth.new_code(),
    )
    reauth.send_sms_later(active[0].msisdn, text)
    return _puk_form(sim, code_sent_to=active[0].msisdn)


@bp.post("/w/sims/puk/show")
@login_required
def puk_show():
    """PIN and PUK of the SIM's card, after the password or the code proved it is the customer."""
    sim = own_sim(request.form.get("sim", ""))
    typed_code = request.form.get("reauth_code", "")
    if typed_code:
        method, proven = "code", reauth.code_confirmed(typed_code)
    else:
        customer = platform().get_customer(current_user.customer_id)
        method, proven = "password", reauth.password_confirmed(customer, request.form.get("password", ""))
    if not proven:
        g.reauth_failed = True  # counts against the session's limit (limits.py)
        edr.record(
            edr.actions.SIM_PUK_VIEW, "rejected", sim=sim.product_id, method=method, reason="reauthentication"
        )
        return _puk_form(sim, error=_("The password or code is not correct."), status=422)
    try:
        codes = platform().get_sim_secrets(sim.resource_id)
    except PlatformError:
        edr.record(edr.actions.SIM_PUK_VIEW, "failure", sim=sim.product_id, method=method)
        message = _("The PIN and PUK cannot be read right now. Please try again in a moment.")
        return _puk_form(sim, error=message, status=503)
    edr.record(edr.actions.SIM_PUK_VIEW, "success", sim=sim.product_id, method=method)
    html = render_template("widget/sims/_puk.html", sim=sim, step="shown", codes=codes)
    response = make_response(html)
    response.headers["Cache-Control"] = "no-store"
    return trigger_action(response, edr.actions.SIM_PUK_VIEW)
