"""Section 'packages' — not built yet; shows a plain 'coming soon' until its issue lands."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import login_required

bp = Blueprint("packages", __name__)


@bp.post("/w/packages")
@login_required
def index():
    """Placeholder fragment."""
    return render_template("widget/coming_soon.html")
