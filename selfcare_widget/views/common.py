"""Helpers shared by the feature views: the platform, the customer's SIMs, errors, HX headers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime
from functools import wraps
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, abort, current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.sessions import WidgetSession
from ..i18n import TIME_ZONE, request_locale
from ..partners import Partner
from ..platform import NotFound, Platform, PlatformError, Rejected
from ..platform.models import Sim
from ..services import services
from ..version import __version__
from ..web import error_fragment

log = logging.getLogger(__name__)


def platform() -> Platform:
    """The platform port of this app."""
    return services().platform


def partner() -> Partner:
    """The signed-in customer's partner."""
    return services().partners[current_user.partner_id]


def today() -> date:
    """Today in the platform's time zone (bills, call-log days and orders are Prague days)."""
    return datetime.now(ZoneInfo(TIME_ZONE)).date()


#: Seconds a rendered fragment may be reused (never past the data it shows: CachedPlatform.memo).
FRAGMENT_MAX_AGE = 60


def kept_fragment(*fields: str) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    """Reuse the view's HTML while the data it shows is unchanged (``CachedPlatform.memo``).

    Only for views that read and render: no EDR, no write, no token or nonce in the HTML. The
    HTML is kept per customer, partner, language, sign-in method, day, release and the form
    ``fields`` the answer depends on; an answer that is not plain HTML (an error, a redirect) is
    never kept.
    """

    def decorate(view: Callable[[], Any]) -> Callable[[], Any]:
        identity = f"{view.__module__}.{view.__qualname__}"

        @wraps(view)
        def wrapper() -> Any:
            memo = getattr(platform(), "memo", None)
            if memo is None:
                return view()
            session = current_user.session
            name = _kept_name(identity, fields, session.partner_id, request_locale(), session.method)
            answer = None

            def build() -> str | None:
                nonlocal answer
                answer = view()
                return answer if isinstance(answer, str) else None

            text = memo(current_user.customer_id, name, build, FRAGMENT_MAX_AGE)
            return answer if answer is not None else text

        wrapper.kept_as = (identity, fields)  # type: ignore[attr-defined] # outer @wraps copy it
        return wrapper

    return decorate


def _kept_name(identity: str, fields: tuple[str, ...], partner_id: str, locale: str, method: str) -> str:
    return "|".join(
        [
            identity,  # not request.endpoint: the shell inlines sections into its own answer
            partner_id,
            locale,
            method,
            today().isoformat(),
            __version__,
            *(request.form.get(f, "") for f in fields),
        ]
    )


def kept_names_for_request(session: WidgetSession) -> list[str]:
    """The kept text this request's view will look for, if ``session`` is still as it was last
    seen (same language): read along with the session, so a kept fragment costs one round trip.
    A wrong guess (the language changed) only costs the read."""
    view = current_app.view_functions.get(request.endpoint or "")
    kept_as = getattr(view, "kept_as", None)
    if kept_as is None:
        return []
    identity, fields = kept_as
    return [_kept_name(identity, fields, session.partner_id, session.locale, session.method)]


def own_sim(product_id: str, sims: list[Sim] | None = None) -> Sim:
    """The signed-in customer's SIM with this product id, else 404 (never another's)."""
    sims = sims if sims is not None else platform().list_sims(current_user.customer_id)
    for sim in sims:
        if sim.product_id == product_id:
            return sim
    abort(404)


def chosen_sim(sims: list[Sim], prefer_active: bool = False) -> Sim | None:
    """The SIM named by the form's ``sim`` field (404 if not the customer's), else the first
    (with ``prefer_active``, the first one in service: a blocked SIM cannot take a package)."""
    wanted = request.form.get("sim", "").strip()
    if wanted:
        return own_sim(wanted, sims)
    if prefer_active:
        active = [sim for sim in sims if sim.state == "active"]
        sims = active or sims
    return sims[0] if sims else None


def platform_error(exc: PlatformError) -> tuple[str, int]:
    """The answer to a platform failure a view did not handle itself (registered error handler).

    The affected part shows a friendly error; the rest of the widget keeps working.
    """
    if isinstance(exc, NotFound):
        return error_fragment(_("This item was not found."), 404)
    if isinstance(exc, Rejected):
        return error_fragment(rejection_message(exc), 422)
    return error_fragment(_("This part is temporarily unavailable. Please try again in a moment."), 503)


def rejection_message(exc: Rejected) -> str:
    """The customer's-language text for a platform rejection code.

    An unknown code gets a general sentence: a platform's own reason may be technical, in
    another language, or leak internals (``ORA-00942 …``); it goes to the log with the request id.
    """
    messages = {
        "simBlocked": _("This SIM is blocked, so its settings cannot be changed."),
        "unblockNotAllowed": _("A blocked SIM cannot be unblocked online. Please contact customer care."),
        "offeringNotAllowed": _("This package cannot be ordered for the tariff of this SIM."),
        "productNotFound": _("This SIM was not found."),
        "invalidContact": _("The platform did not accept these contact details."),
    }
    known = messages.get(exc.code)
    if known is None:
        log.warning("platform refused with code %r (request %s)", exc.code, g.get("request_id"))
        return _("The request was refused.")
    return known


def trigger_action(response: Response, action: str) -> Response:
    """Tell the host page (through the loader) which customer action just happened."""
    response.headers["X-Selfcare-Action"] = action
    return response
