"""SIM settings and package ordering inside the embedded widget on the demo portal (Chromium)."""

from __future__ import annotations

import re

import pytest

from tests.support import save_artifact

pytestmark = pytest.mark.browser

WIDGET = "#selfcare-0"


def settle(page):
    """Wait until the widget's main area has no request in flight."""
    page.locator(f"{WIDGET} #sc-main:not([aria-busy])").wait_for()


def test_toggle_roaming_and_see_the_confirmed_state(portal):
    page = portal("cust-0001")
    widget = page.locator(WIDGET)
    settle(page)
    widget.locator('[data-sc-nav="sims"]').click()
    widget.locator('[data-sc-section="sims"]').wait_for()
    widget.locator("button", has_text=re.compile(r"602 345 678")).click()
    widget.locator("#sc-sim-title").wait_for()
    switch = widget.locator("#sc-toggle-roaming_enabled button.sc-switch")
    before = switch.get_attribute("aria-pressed")
    after = "false" if before == "true" else "true"

    switch.click()
    # the platform-confirmed state comes back in the swapped toggle, announced in its status line
    widget.locator(f'#sc-toggle-roaming_enabled button.sc-switch[aria-pressed="{after}"]').wait_for()
    status = widget.locator("#sc-toggle-roaming_enabled [role=status]")
    assert status.inner_text().strip() != ""
    assert widget.locator("#sc-toggle-roaming_enabled:not([aria-busy])").count() == 1
    # focus stays on the switch, so keyboard users can carry on
    assert page.evaluate(
        "document.querySelector('#selfcare-0').shadowRoot.activeElement?.matches('#sc-toggle-roaming_enabled .sc-switch')"
    )
    save_artifact(page, "sims-roaming-toggled")

    # and back with the keyboard
    page.keyboard.press("Enter")
    widget.locator(f'#sc-toggle-roaming_enabled button.sc-switch[aria-pressed="{before}"]').wait_for()


def test_order_a_package_and_see_it_in_ordered_packages(portal):
    page = portal("cust-0001")
    widget = page.locator(WIDGET)
    settle(page)
    widget.locator('[data-sc-nav="packages"]').click()
    widget.locator('[data-sc-section="packages"]').wait_for()
    ordered = widget.locator('.sc-packages__ordered tr[data-package="addon-data-1gb"]')
    count = ordered.count()
    save_artifact(page, "packages-before-order")

    widget.locator('.sc-packages__available tr[data-offering="addon-data-1gb"] button').click()
    confirm = widget.locator("#sc-package-confirm .sc-confirm")
    confirm.wait_for()
    assert "199,00" in confirm.inner_text()
    save_artifact(page, "packages-confirm")

    confirm.locator("button[type=submit]").click()
    widget.locator(
        '[data-sc-section="packages"] .sc-notice', has_text="Objednáno: Datový balíček 1 GB."
    ).wait_for()
    assert ordered.count() == count + 1
    assert widget.locator("#sc-package-confirm .sc-confirm").count() == 0
    save_artifact(page, "packages-ordered")
