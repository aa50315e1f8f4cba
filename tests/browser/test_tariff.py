"""Tariff change inside the embedded widget on the demo portal (Chromium), at 375 and 1280 px.

cust-0003 (Tomáš Dvořák, Zelená mobil) changes from Pohoda to Datový at once, sees it on the SIM,
and changes back to Pohoda (also at once), so every run leaves the tariff as the demo has it.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.test_accessibility import Audit
from tests.support import save_artifact

pytestmark = pytest.mark.browser

WIDGET = "#selfcare-0"
WIDTHS = {"phone": {"width": 375, "height": 812}, "desktop": {"width": 1280, "height": 900}}


def settle(page):
    """Wait until the widget's main area has no request in flight."""
    page.locator(f"{WIDGET} #sc-main:not([aria-busy])").wait_for()


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def change_to(page, widget, offering: str, name: str, width: str, audit: Audit | None = None) -> None:
    """From the SIM detail: open the tariffs, choose ``offering``, confirm; back on the SIM."""
    widget.locator("#sc-sim-tariff button", has_text="Změnit tarif").click()
    widget.locator("[data-sc-tariff]").wait_for()
    settle(page)
    row = widget.locator(f'tr[data-tariff="{offering}"]')
    row.locator("button", has_text="Vybrat").click()
    confirm = widget.locator("#sc-tariff-confirm .sc-confirm")
    confirm.wait_for()
    assert "ihned, dnes" in confirm.inner_text()
    assert f"{name} (" in confirm.inner_text()
    # the confirmation takes the keyboard focus, so screen reader users hear it
    page.wait_for_function(
        "document.querySelector('#selfcare-0').shadowRoot.activeElement?.id === 'sc-tariff-confirm-title'"
    )
    save_artifact(page, f"tariff-confirm-{offering}-{width}")
    if audit is not None:
        audit.check(page, "confirm")
    confirm.locator("button[type=submit]").click()
    widget.locator("[data-sc-tariff] .sc-notice", has_text=f"Váš tarif je teď {name}.").wait_for()
    current = widget.locator("tr.sc-tariff__current")
    assert current.get_attribute("data-tariff") == offering
    assert widget.locator("#sc-tariff-confirm .sc-confirm").count() == 0
    save_artifact(page, f"tariff-changed-{offering}-{width}")
    widget.locator("button", has_text="Zpět na SIM kartu").click()
    widget.locator("#sc-sim-title").wait_for()
    settle(page)


@pytest.mark.parametrize("width", list(WIDTHS))
def test_compare_change_and_change_back(portal, width):
    page = portal("cust-0003", viewport=WIDTHS[width], is_mobile=width == "phone")
    audit = Audit(f"tariff-{width}")  # WCAG 2.1 A/AA of each view, axe-core as in test_accessibility
    widget = page.locator(WIDGET)
    settle(page)
    widget.locator('[data-sc-nav="sims"]').first.click()
    widget.locator("#sc-sim-title").wait_for()  # one SIM: its detail at once
    settle(page)
    assert "Pohoda" in widget.locator(".sc-facts").first.inner_text()

    widget.locator("#sc-sim-tariff button", has_text="Změnit tarif").click()
    table = widget.locator(".sc-tariff__compare")
    table.wait_for()
    settle(page)
    # the comparison: the current tariff first, then the offers with price, units and timing
    rows = widget.locator("tr[data-tariff]")
    assert [rows.nth(i).get_attribute("data-tariff") for i in range(rows.count())] == [
        "tariff-pohoda",
        "tariff-datovy",
        "tariff-neomezeny",
    ]
    datovy = widget.locator('tr[data-tariff="tariff-datovy"]').inner_text()
    assert "499,00" in datovy and "Neomezeně" in datovy and "10 GB" in datovy and "ihned" in datovy
    neomezeny = widget.locator('tr[data-tariff="tariff-neomezeny"]').inner_text()
    assert re.search(r"od 1\.\d{1,2}\.\d{4}", neomezeny)  # from the next billing period
    for name in ("Vybrat",):
        assert widget.locator('tr[data-tariff="tariff-datovy"] button', has_text=name).is_visible()
    assert no_horizontal_scroll(page)
    save_artifact(page, f"tariff-compare-{width}")
    audit.check(page, "compare")

    widget.locator("button", has_text="Zpět na SIM kartu").click()
    widget.locator("#sc-sim-title").wait_for()
    settle(page)
    try:
        change_to(page, widget, "tariff-datovy", "Datový", width, audit)
        audit.check(page, "sim-after-change")
        assert "Datový" in widget.locator(".sc-facts").first.inner_text()
        assert no_horizontal_scroll(page)
    finally:
        # back to Pohoda (a change to Pohoda applies at once), as the demo and other tests know it
        if "Datový" in widget.locator(".sc-facts").first.inner_text():
            change_to(page, widget, "tariff-pohoda", "Pohoda", width)
    assert "Pohoda" in widget.locator(".sc-facts").first.inner_text()
    audit.assert_clean()
