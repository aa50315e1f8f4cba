"""The EDR vocabulary: every customer action the widget records, and the outcomes it may have.

``docs/edr.md`` documents the same table for partners; a test keeps the two equal.
"""

from __future__ import annotations

from typing import Literal

Outcome = Literal["success", "failure", "rejected"]
#: ``success``: it happened. ``failure``: it did not (wrong credentials, platform unavailable).
#: ``rejected``: the platform or our validation refused it (``code`` / ``errors`` say why).
OUTCOMES: tuple[Outcome, ...] = ("success", "failure", "rejected")

SIGNIN = "signin"
SIGNOUT = "signout"
SIM_SETTING_CHANGE = "sim.setting.change"
SIM_BLOCK = "sim.block"
PACKAGE_ORDER = "package.order"
INVOICE_VIEW = "invoice.view"
INVOICE_DOWNLOAD = "invoice.download"
USAGE_VIEW = "usage.view"
USAGE_EXPORT = "usage.export"
CONTACT_CHANGE = "contact.change"

#: Each action with the outcomes it can be recorded with.
ACTIONS: dict[str, tuple[Outcome, ...]] = {
    SIGNIN: ("success", "failure"),
    SIGNOUT: ("success",),
    SIM_SETTING_CHANGE: ("success", "failure", "rejected"),
    SIM_BLOCK: ("success", "failure", "rejected"),
    PACKAGE_ORDER: ("success", "failure", "rejected"),
    INVOICE_VIEW: ("success",),
    INVOICE_DOWNLOAD: ("success",),
    USAGE_VIEW: ("success", "failure", "rejected"),
    USAGE_EXPORT: ("success", "failure", "rejected"),
    CONTACT_CHANGE: ("success", "failure", "rejected"),
}
