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
SIM_REPLACE = "sim.replace"  # a replacement SIM ordered for a blocked line
SIM_PUK_VIEW = "sim.puk.view"  # PIN/PUK shown after re-authentication (the codes are never recorded)
PACKAGE_ORDER = "package.order"  # a prepaid SIM's order carries ``paid_from="credit"`` and ``amount``
TARIFF_CHANGE = "tariff.change"  # a SIM line moved to another tariff, at once or from the next period
INVOICE_VIEW = "invoice.view"
INVOICE_DOWNLOAD = "invoice.download"
USAGE_VIEW = "usage.view"
USAGE_EXPORT = "usage.export"
CONTACT_CHANGE = "contact.change"
PASSWORD_RESET = "password.reset"  # noqa: S105 - an action name, not a password
PASSWORD_CHANGE = "password.change"  # noqa: S105 - an action name, not a password
PAYMENT_START = "payment.start"
PAYMENT_CONFIRM = "payment.confirm"
TOPUP = "topup"
ALERTS_CHANGE = "alerts.change"  # usage alerts of a SIM turned on/off or changed

#: Each action with the outcomes it can be recorded with.
ACTIONS: dict[str, tuple[Outcome, ...]] = {
    SIGNIN: ("success", "failure"),
    SIGNOUT: ("success",),
    SIM_SETTING_CHANGE: ("success", "failure", "rejected"),
    SIM_BLOCK: ("success", "failure", "rejected"),
    SIM_REPLACE: ("success", "failure", "rejected"),
    SIM_PUK_VIEW: ("success", "failure", "rejected"),
    PACKAGE_ORDER: ("success", "failure", "rejected"),
    TARIFF_CHANGE: ("success", "failure", "rejected"),
    INVOICE_VIEW: ("success",),
    INVOICE_DOWNLOAD: ("success",),
    USAGE_VIEW: ("success", "failure", "rejected"),
    USAGE_EXPORT: ("success", "failure", "rejected"),
    CONTACT_CHANGE: ("success", "failure", "rejected"),
    PASSWORD_RESET: ("success", "failure"),
    PASSWORD_CHANGE: ("success", "failure", "rejected"),
    PAYMENT_START: ("success", "failure", "rejected"),
    PAYMENT_CONFIRM: ("success", "failure", "rejected"),
    TOPUP: ("success", "failure", "rejected"),
    ALERTS_CHANGE: ("success", "failure", "rejected"),
}
