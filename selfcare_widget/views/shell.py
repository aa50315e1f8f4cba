"""The widget frame: header, navigation and the area sections swap into."""

from __future__ import annotations

from flask import Blueprint, current_app, render_template, request
from flask_login import current_user, login_required
from markupsafe import Markup

from ..platform import PlatformError
from . import SECTION_IDS, SECTIONS
from .common import partner, platform

bp = Blueprint("shell", __name__)


def _section_html(section_id: str) -> Markup | None:
    """The section rendered by its own view, to ship with the shell in one round trip.

    None when it cannot be inlined (no signed-in user in this request, the platform failed, or
    the view answered anything but 200); the shell then loads it with its own request, which
    shows the section's own error.
    """
    if not current_user.is_authenticated:
        return None
    endpoint = next(s.endpoint for s in SECTIONS if s.id == section_id)
    try:
        response = current_app.make_response(current_app.view_functions[endpoint]())
    except PlatformError:
        return None
    if response.status_code != 200 or response.mimetype != "text/html":
        return None
    return Markup(response.get_data(as_text=True))  # noqa: S704 - the section view's own escaped HTML


def render_shell(partner, customer_id: str, section: str = "overview") -> str:
    """The whole signed-in widget with the chosen section inside it."""
    section = section if section in SECTION_IDS else "overview"
    try:
        customer_name = platform().get_customer(customer_id).name
    except PlatformError:
        customer_name = ""
    return render_template(
        "widget/shell.html",
        partner=partner,
        customer_name=customer_name,
        sections=SECTIONS,
        current=section,
        section_html=_section_html(section),
    )


@bp.post("/w/shell")
@login_required
def index():
    """The signed-in widget (first load, or after re-sign-on); an unknown section (a host
    page's mistake) opens the overview, and the loader warns in the console."""
    section = request.form.get("section", "overview")
    return render_shell(partner(), current_user.customer_id, section)
