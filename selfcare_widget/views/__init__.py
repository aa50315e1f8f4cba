"""Feature blueprints: one per section of the widget; each view returns just the piece it swaps."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask
from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class Section:
    """A navigation entry of the widget."""

    id: str
    label: object  # lazy translated string
    endpoint: str


SECTIONS = (
    Section("overview", _l("Overview"), "overview.index"),
    Section("sims", _l("SIM cards"), "sims.index"),
    Section("packages", _l("Packages"), "packages.index"),
    Section("billing", _l("Billing"), "billing.index"),
    Section("usage", _l("Call log"), "usage.index"),
    Section("contact", _l("Contact details"), "contact.index"),
)
SECTION_IDS = {s.id for s in SECTIONS}


def register_views(app: Flask) -> None:
    """Register every feature blueprint, and the one answer to a platform failure."""
    from ..platform import PlatformError
    from . import alerts, billing, contact, overview, packages, password, payments, shell, sims, tariff, usage
    from .common import platform_error

    features = (shell, overview, sims, tariff, alerts, packages, billing, payments, usage, contact, password)
    for module in features:
        app.register_blueprint(module.bp)
    app.register_error_handler(PlatformError, platform_error)
