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


def test_toggle_eu_roaming_and_see_the_confirmed_state(portal):
    page = portal("cust-0001")
    widget = page.locator(WIDGET)
    settle(page)
    widget.locator('[data-sc-nav="sims"]').click()
    widget.locator('[data-sc-section="sims"]').wait_for()
    widget.locator("button", has_text=re.compile(r"602 345 678")).click()
    widget.locator("#sc-sim-title").wait_for()
    switch = widget.locator("#sc-toggle-roaming_eu_enabled button.sc-switch")
    before = switch.get_attribute("aria-pressed")
    after = "false" if before == "true" else "true"

    switch.click()
    # the platform-confirmed state comes back in the swapped toggle, announced in its status line
    widget.locator(f'#sc-toggle-roaming_eu_enabled button.sc-switch[aria-pressed="{after}"]').wait_for()
    status = widget.locator("#sc-toggle-roaming_eu_enabled [role=status]")
    assert status.inner_text().strip() != ""
    assert widget.locator("#sc-toggle-roaming_eu_enabled:not([aria-busy])").count() == 1
    # focus stays on the switch, so keyboard users can carry on
    assert page.evaluate(
        "document.querySelector('#selfcare-0').shadowRoot.activeElement?.matches('#sc-toggle-roaming_eu_enabled .sc-switch')"
    )
    save_artifact(page, "sims-roaming-toggled")

    # and back with the keyboard
    page.keyboard.press("Enter")
    widget.locator(f'#sc-toggle-roaming_eu_enabled button.sc-switch[aria-pressed="{before}"]').wait_for()


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


# --- prepaid: packages paid from the credit -------------------------------------------------------

PREPAID_SIM = "prod-0005-3"  # cust-0005's third Start SIM (no other browser test spends its credit)


def _czk(text: str) -> float:
    """``"87,71 Kč"`` -> 87.71 (for arithmetic on what the page shows)."""
    return float(re.sub(r"[^\d,-]", "", text).replace(",", "."))


def _prepaid_packages(portal):
    page = portal("cust-0005", viewport={"width": 1280, "height": 900})
    widget = page.locator(WIDGET)
    settle(page)
    widget.locator('[data-sc-nav="packages"]').click()
    widget.locator('[data-sc-section="packages"]').wait_for()
    widget.locator("#sc-packages-sim").select_option(PREPAID_SIM)
    widget.locator(f'#sc-packages-sim option[value="{PREPAID_SIM}"][selected]').wait_for(state="attached")
    settle(page)
    return page, widget


def test_buy_a_package_from_the_prepaid_credit(portal):
    page, widget = _prepaid_packages(portal)
    widget.locator('.sc-packages__available tr[data-offering="addon-50sms"] button').click()
    confirm = widget.locator("#sc-package-confirm .sc-confirm")
    confirm.wait_for()
    text = confirm.inner_text().replace("\xa0", " ")
    assert "Cena bude odečtena z kreditu." in text and "naúčtována" not in text
    now = _czk(confirm.locator(".sc-credit-now dd").inner_text())
    after = _czk(confirm.locator(".sc-credit-after dd").inner_text())
    assert round(now - 75.0, 2) == after and after >= 0
    save_artifact(page, "packages-prepaid-confirm")

    confirm.locator("button[type=submit]").click()
    notice = widget.locator(
        '[data-sc-section="packages"] .sc-notice', has_text="Objednáno: 50 SMS do všech sítí."
    )
    notice.wait_for()
    assert f"Váš kredit je nyní {after:.2f}".replace(".", ",") in notice.inner_text().replace("\xa0", " ")
    save_artifact(page, "packages-prepaid-ordered")

    # the overview shows the lower credit as well
    widget.locator('[data-sc-nav="overview"]').click()
    widget.locator(".sc-credit", has_text=f"{after:.2f}".replace(".", ",")).first.wait_for()


def test_a_package_above_the_credit_is_refused_with_a_top_up_link(portal, demo_stack):
    page, widget = _prepaid_packages(portal)
    widget.locator('.sc-packages__available tr[data-offering="addon-200min"] button').click()
    refused = widget.locator("#sc-package-confirm .sc-confirm--refused")
    refused.wait_for()
    text = refused.inner_text().replace("\xa0", " ")
    assert "Nedostatečný kredit" in text and "200 minut volání stojí 349,00 Kč" in text
    assert refused.locator("button[type=submit]").count() == 0  # nothing to submit
    box = refused.bounding_box()
    assert box is not None and box["width"] > 300  # laid out at 1280 px, not squeezed
    save_artifact(page, "packages-prepaid-refused")
    topup = refused.locator("button.sc-topup")
    assert topup.get_attribute("hx-post") == "/w/topup"
    topup.click()
    settle(page)
    assert widget.locator("#sc-main").inner_text().strip() != ""
    assert widget.locator("#sc-package-confirm").count() == 0  # the top-up view replaced the section
