"""The widget frame: header, navigation and the area sections swap into."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user, login_required

from ..platform import PlatformError
from . import SECTION_IDS, SECTIONS
from .common import platform

bp = Blueprint("shell", __name__)


def render_shell(partner, customer_id: str, section: str = "overview") -> str:
    """The whole signed-in widget; the chosen section loads into it."""
    try:
        customer_name = platform().get_customer(customer_id).name
    except PlatformError:
        customer_name = ""
    return render_template(
        "widget/shell.html",
        partner=partner,
        customer_name=customer_name,
        sections=SECTIONS,
        current=section if section in SECTION_IDS else "overview",
    )


@bp.post("/w/shell")
@login_required
def index():
    """The signed-in widget (first load, or after re-sign-on)."""
    section = request.form.get("section", "overview")
    if section not in SECTION_IDS:
        abort(404)
    partner = current_app.extensions["selfcare"].partners[current_user.partner_id]
    return render_shell(partner, current_user.customer_id, section)
