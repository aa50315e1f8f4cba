"""The overview and the loading skeleton as customers see them, in Chromium at 375 and 1280 px.

Slow answers are made with ``page.route``: the widget's POST is held until the test has looked
at the page, then released, so "the skeleton is visible before the content" needs no timing.
"""

from __future__ import annotations

import re

import pytest

from tests.browser.test_accessibility import WIDGET, Audit, settle
from tests.support import save_artifact

pytestmark = pytest.mark.browser

WIDTHS = {"phone": {"width": 375, "height": 740}, "desktop": {"width": 1280, "height": 800}}


def _open(portal, customer: str, width: str, **options):
    return portal(customer, viewport=WIDTHS[width], is_mobile=width == "phone", **options)


def _wait_held(page, held: list, what: str) -> None:
    """Let the page run until the held request has been made."""
    for _ in range(200):
        if held:
            return
        page.wait_for_timeout(50)
    raise AssertionError(f"the widget never asked for {what}")


INSIDE = """(selector) => {
    const host = document.querySelector('[data-selfcare-widget]');
    const box = host.getBoundingClientRect();
    return [...host.shadowRoot.querySelectorAll(selector)].map((el) => {
        const r = el.getBoundingClientRect();
        return r.width > 0 && r.left >= box.left - 1 && r.right <= box.right + 1;
    });
}"""


@pytest.mark.parametrize("width", list(WIDTHS), ids=list(WIDTHS))
def test_first_load_shows_a_skeleton_until_the_widget_arrives(portal, width):
    """Issue 12 bug 8: with a slow first answer the card stayed blank; now the skeleton stays,
    announced as busy, until the widget replaces it. (The first answer is the SSO exchange, which
    brings the shell with its first section: issue 15.)"""
    page = _open(portal, "cust-0001", width)
    held = []
    page.route("**/sso/exchange", lambda route: held.append(route))  # answered only when released
    page.reload()
    _wait_held(page, held, "/sso/exchange")
    skeleton = page.locator(f"{WIDGET} #sc-app > .sc-boot")
    assert skeleton.is_visible()
    box = skeleton.bounding_box()
    assert box and box["height"] > 40  # three bars, not an empty card
    assert skeleton.get_attribute("role") == "status" and skeleton.get_attribute("aria-label")
    assert page.locator(f"{WIDGET} #sc-app").get_attribute("aria-busy") == "true"
    save_artifact(page, f"overview-first-load-skeleton-{width}")
    for route in held:
        route.continue_()
    page.locator(f"{WIDGET} #sc-main [data-sc-section=overview]").wait_for()
    settle(page)
    assert page.locator(f"{WIDGET} .sc-boot").count() == 0
    assert page.locator(f"{WIDGET} #sc-app").get_attribute("aria-busy") is None


@pytest.mark.parametrize("width", list(WIDTHS), ids=list(WIDTHS))
def test_switching_sections_shows_a_skeleton_in_place_of_the_old_one(portal, width):
    page = _open(portal, "cust-0001", width)
    settle(page)
    held = []
    page.route("**/w/billing", lambda route: held.append(route))
    page.locator(f"{WIDGET} [data-sc-nav=billing]").click()
    _wait_held(page, held, "/w/billing")
    skeleton = page.locator(f"{WIDGET} #sc-main > .sc-skeleton--section")
    skeleton.wait_for(state="visible")  # after a short delay, so quick answers do not flash
    assert skeleton.get_attribute("role") == "status" and skeleton.get_attribute("aria-label")
    assert page.locator(f"{WIDGET} #sc-main").get_attribute("aria-busy") == "true"
    assert not page.locator(
        f"{WIDGET} #sc-main [data-sc-section=overview] h2"
    ).is_visible()  # the old one is hidden
    assert page.locator(f"{WIDGET} [data-sc-nav=billing]").get_attribute("aria-current") == "page"
    save_artifact(page, f"overview-section-skeleton-{width}")
    for route in held:
        route.continue_()
    page.locator(f"{WIDGET} #sc-main [data-sc-section=billing]").wait_for()
    settle(page)
    assert page.locator(f"{WIDGET} .sc-skeleton--section").count() == 0
    assert page.locator(f"{WIDGET} #sc-main").get_attribute("data-sc-loading") is None
    assert page.locator(f"{WIDGET} #sc-main [data-sc-section=billing] h2").is_visible()


SHIMMER = """(selector) => getComputedStyle(
    document.querySelector(selector).shadowRoot.querySelector('.sc-skeleton--section div')).animationName"""


@pytest.mark.parametrize("motion", ["no-preference", "reduce"])
def test_the_skeleton_shimmers_only_when_motion_is_welcome(portal, motion):
    page = portal("cust-0001", reduced_motion=motion)
    settle(page)
    held = []
    page.route("**/w/usage", lambda route: held.append(route))
    page.locator(f"{WIDGET} [data-sc-nav=usage]").click()
    _wait_held(page, held, "/w/usage")
    page.locator(f"{WIDGET} .sc-skeleton--section").wait_for(state="visible")
    assert page.evaluate(SHIMMER, WIDGET) == ("none" if motion == "reduce" else "sc-shimmer")
    for route in held:
        route.continue_()
    page.locator(f"{WIDGET} #sc-main [data-sc-section=usage]").wait_for()


@pytest.mark.parametrize("width", list(WIDTHS), ids=list(WIDTHS))
def test_overview_reads_clearly_and_the_bill_notice_opens_the_bill(portal, width):
    """cust-0001: overdue bills first, data first in GB, an unlimited package, one "valid until"
    per SIM, the notice's link opening that bill's detail in the Billing section; axe clean."""
    page = _open(portal, "cust-0001", width)
    settle(page)
    widget = page.locator(WIDGET)
    notice = widget.locator("[data-sc-bills]")
    assert notice.is_visible()
    bills = notice.locator(".sc-bill")
    assert bills.count() == 2
    first = bills.first.inner_text()
    assert "Po splatnosti" in first and re.search(
        r"na [\d\s]+,\d\d\sKč bylo splatné \d{1,2}\.\d{1,2}\.\d{4}", first
    )
    assert all(page.evaluate(INSIDE, "[data-sc-bills] .sc-link"))
    card = widget.locator("[data-sc-sim]").first
    units = card.locator(".sc-unit")
    assert units.first.get_attribute("data-sc-unit") == "data"
    assert re.search(r"Zbývá [\d,\s]+ (GB|MB) z 3 GB", units.first.inner_text())
    assert card.locator(".sc-unit--unlimited").first.inner_text().count("Neomezeně") == 1
    assert card.locator(".sc-units__valid").count() == 1 and card.locator(".sc-unit__valid").count() == 0
    assert "Útrata od posledního vyúčtování" in card.locator(".sc-facts").inner_text()
    audit = Audit(f"overview-{width}")
    audit.check(page, "overview")
    save_artifact(page, f"overview-cust-0001-{width}")

    number = re.search(r"Vyúčtování (\S+) na", first).group(1)
    bills.first.locator(".sc-link").click()
    widget.locator("#sc-invoice-title").wait_for()
    settle(page)
    assert widget.locator("[data-sc-nav=billing]").get_attribute("aria-current") == "page"
    assert widget.locator("#sc-invoice-title").inner_text() == f"Faktura {number}"
    audit.check(page, "invoice-from-notice")
    audit.assert_clean()


@pytest.mark.parametrize("width", list(WIDTHS), ids=list(WIDTHS))
def test_used_up_data_is_shown_in_words_not_colour_alone(portal, width):
    page = _open(portal, "cust-0004", width)
    settle(page)
    used_up = page.locator(f"{WIDGET} .sc-unit--used-up")
    assert used_up.count() == 1
    assert used_up.locator(".sc-tag--used-up").inner_text() == "Vyčerpáno"
    assert "Zbývá 0 GB z 3 GB" in used_up.inner_text()
    outline = used_up.evaluate("(el) => getComputedStyle(el).outlineStyle")
    assert outline == "dashed"
    audit = Audit(f"used-up-{width}")
    audit.check(page, "overview")
    save_artifact(page, f"overview-cust-0004-{width}")
    audit.assert_clean()


@pytest.mark.parametrize("width", list(WIDTHS), ids=list(WIDTHS))
def test_prepaid_credit_has_a_top_up_and_no_bills(portal, width):
    page = _open(portal, "cust-0005", width)
    settle(page)
    widget = page.locator(WIDGET)
    assert widget.locator("[data-sc-bills]").count() == 0
    assert "Útrata" not in widget.locator("#sc-main").inner_text()
    buttons = widget.locator(".sc-topup")
    assert buttons.count() == 3 and buttons.first.inner_text().strip() == "Dobít kredit"
    assert all(page.evaluate(INSIDE, ".sc-topup"))
    audit = Audit(f"prepaid-{width}")
    audit.check(page, "overview")
    save_artifact(page, f"overview-cust-0005-{width}")
    audit.assert_clean()
