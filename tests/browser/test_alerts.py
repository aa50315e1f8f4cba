"""Usage alerts in the embedded widget on the demo portal (Chromium), at 1280 and 375 px: from a
SIM's detail to "Upozornění na spotřebu", turned on, saved on the platform, shown again on return."""

from __future__ import annotations

import re

import pytest

from tests.support import save_artifact

pytestmark = pytest.mark.browser

WIDGET = "#selfcare-0"
WIDTHS = {
    "desktop": ({"width": 1280, "height": 900}, "776 100 201", "sms"),
    "phone": ({"width": 375, "height": 740}, "776 100 202", "email"),
}


def settle(page) -> None:
    page.locator(f"{WIDGET} #sc-main:not([aria-busy])").wait_for()


@pytest.mark.parametrize("width", list(WIDTHS), ids=list(WIDTHS))
def test_turn_alerts_on_for_a_sim(portal, width):
    viewport, number, channel = WIDTHS[width]
    page = portal("cust-0005", viewport=viewport, is_mobile=width == "phone")
    widget = page.locator(WIDGET)
    settle(page)
    widget.locator('[data-sc-nav="sims"]').click()
    widget.locator("button", has_text=re.compile(number)).click()
    widget.locator("#sc-sim-title").wait_for()

    widget.locator("button[data-sc-alerts]").click()
    panel = widget.locator('[data-sc-section="alerts"]')
    panel.wait_for()
    assert panel.locator("h2").inner_text() == "Upozornění na spotřebu"
    # focus moved to the panel's heading after the swap (keyboard and screen-reader users)
    assert page.evaluate(
        "document.querySelector('#selfcare-0').shadowRoot.activeElement?.id === 'sc-alerts-title'"
    )
    enabled = panel.locator("#sc-alerts-enabled")
    assert not enabled.is_checked()

    # a wrong amount first: explained, and what was chosen stays chosen
    enabled.check()
    panel.locator(f'input[name="channel"][value="{channel}"]').check()
    panel.locator('input[name="credit"]').check()
    panel.locator("#sc-alerts-credit_below").fill("hodně")
    panel.locator("button[type=submit]").click()
    error = widget.locator("#sc-alerts-credit_below-error")
    error.wait_for()
    assert "Zadejte částku v Kč" in error.inner_text()
    assert widget.locator("#sc-alerts-enabled").is_checked()
    assert widget.locator(f'input[name="channel"][value="{channel}"]').is_checked()
    assert widget.locator("#sc-alerts-credit_below").input_value() == "hodně"

    widget.locator("#sc-alerts-credit_below").fill("80")
    widget.locator('[data-sc-section="alerts"] button[type=submit]').click()
    status = widget.locator(".sc-alerts__status")
    status.filter(has_text="Upozornění na spotřebu jsou zapnutá").wait_for()
    settle(page)
    # nothing sticks out of the widget at this width
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    save_artifact(page, f"alerts-on-{width}")

    # back to the SIM and into the panel again: the platform kept it
    widget.locator("button", has_text="Zpět na SIM kartu").click()
    widget.locator("#sc-sim-title").wait_for()
    widget.locator("button[data-sc-alerts]").click()
    widget.locator('[data-sc-section="alerts"]').wait_for()
    assert widget.locator("#sc-alerts-enabled").is_checked()
    assert widget.locator(f'input[name="channel"][value="{channel}"]').is_checked()
    assert widget.locator("#sc-alerts-credit_below").input_value() == "80"

    # and off again (the demo's data stays as it was for other tests)
    widget.locator("#sc-alerts-enabled").uncheck()
    widget.locator('[data-sc-section="alerts"] button[type=submit]').click()
    widget.locator(".sc-alerts__status").filter(has_text="vypnutá").wait_for()
