"""Paying through the partner's gateway hook, in the embedded widget on the demo portal (Chromium).

The demo portal's fake gateway (clearly labelled DEMO) completes the loop: widget -> gateway ->
signed return -> portal page -> the widget verifies and records the payment on the platform.
These journeys change bills and credit, so they run on a demo stack of their own.
"""

from __future__ import annotations

import re

import pytest

from tests.support import save_artifact

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_stack(tmp_path_factory):
    """A demo stack for this module only: paying and topping up must not change other tests' data."""
    from selfcare_widget.demo import DemoStack

    stack = DemoStack(tmp_path_factory.mktemp("demo-pay"), portal_port=0, widget_port=0, platform_port=0)
    stack.start()
    yield stack
    stack.stop()


def test_pay_an_overdue_bill_through_the_demo_gateway(portal, demo_stack):
    page = portal("cust-0001", section="billing")
    overdue = page.locator("#sc-main .sc-billing__invoices tbody tr", has=page.locator(".sc-badge--overdue"))
    overdue.first.wait_for()
    number = overdue.first.locator("th").inner_text().strip()
    overdue.first.locator("button[hx-post*='/w/billing/invoice']").click()

    panel = page.locator("#sc-main #sc-pay")
    panel.wait_for()
    assert panel.locator("[data-sc-pay=account]").inner_text() == "19-2000145399/0800"
    assert panel.locator("[data-sc-pay=vs]").inner_text() == number
    qr = panel.locator("svg.sc-qr__code")
    assert qr.get_attribute("role") == "img" and "19-2000145399/0800" in qr.locator("title").text_content()
    amount = panel.locator("[data-sc-pay=amount]").inner_text()
    save_artifact(page, "payment-panel")

    panel.get_by_role("button", name="Zaplatit kartou").click()
    link = page.locator("#sc-main [data-sc-gateway-link]")
    link.wait_for()
    link.click()

    # the partner's gateway (the demo's): labelled DEMO, showing the amount asked
    page.wait_for_url(re.compile(r".*/demo-gateway/pay\?.*"))
    assert "DEMO" in page.locator("#demo-gateway-banner").inner_text()
    shown = page.locator("#demo-gateway-amount").inner_text()
    assert shown.replace(".", ",").startswith(amount.replace("\u00a0", "").replace(" ", "").replace("Kč", ""))
    save_artifact(page, "payment-demo-gateway")
    page.locator("#demo-gateway-pay").click()

    # back on the portal: the widget records the payment and shows the bill settled
    page.wait_for_url(re.compile(r".*/account.*"))
    status = page.locator("#sc-main [data-sc-pay-status]")
    status.wait_for(timeout=15000)
    assert "Děkujeme, platba" in status.inner_text()
    assert page.locator("#sc-main #sc-pay .sc-badge--paid").inner_text() == "Uhrazeno"
    assert number in page.locator("#sc-invoice-title").inner_text()
    assert "selfcare-pay" not in page.url  # the return was taken out of the address bar
    save_artifact(page, "payment-settled")

    # the platform says so too: the list shows the bill paid
    page.locator("[data-sc-nav=billing]").click()
    row = page.locator("#sc-main .sc-billing__invoices tbody tr", has=page.locator(f"th:text-is('{number}')"))
    row.locator(".sc-badge--paid").wait_for()


def test_a_prepaid_customer_tops_up_200_kc_and_sees_the_new_credit(portal):
    page = portal("cust-0005")
    button = page.locator("#sc-main .sc-topup").first
    button.wait_for()
    button.click()
    section = page.locator("#sc-main #sc-topup")
    section.wait_for()
    before = section.locator("[data-sc-credit]").inner_text()
    section.get_by_label("200,00\u00a0Kč").check()
    section.get_by_role("button", name="Dobít kartou").click()
    link = page.locator("#sc-main [data-sc-gateway-link]")
    link.wait_for()
    link.click()

    page.wait_for_url(re.compile(r".*/demo-gateway/pay\?.*"))
    assert page.locator("#demo-gateway-amount").inner_text() == "200.00 CZK"
    page.locator("#demo-gateway-pay").click()

    status = page.locator("#sc-main [data-sc-topup-status]")
    status.wait_for(timeout=15000)
    text = status.inner_text()
    assert "Kredit byl dobit o 200,00" in text
    after = page.locator("#sc-main [data-sc-credit]").inner_text()

    def kc(value: str) -> float:
        return float(value.replace("\u00a0", "").replace(" ", "").replace("Kč", "").replace(",", "."))

    assert round(kc(after) - kc(before), 2) == 200.00
    assert after in text
    assert "200,00" in page.locator("#sc-main [data-sc-topup-history]").inner_text()
    save_artifact(page, "topup-done")


def test_paying_every_unpaid_bill_from_the_overview_notice_clears_it(portal, demo_stack):
    """#13 done-when: the overview's unpaid-bills notice leads to each bill and is gone once all are paid."""
    page = portal("cust-0001")
    notice = page.locator("#sc-main [data-sc-bills]")
    notice.wait_for()
    for _ in range(6):  # cust-0001 has a handful of unpaid bills at most
        if not notice.count():
            break
        notice.locator("li [hx-post*='/w/billing/invoice']").first.click()
        page.locator("#sc-main #sc-pay").get_by_role("button", name="Zaplatit kartou").click()
        page.locator("#sc-main [data-sc-gateway-link]").click()
        page.wait_for_url(re.compile(r".*/demo-gateway/pay\?.*"))
        page.locator("#demo-gateway-pay").click()
        page.locator("#sc-main [data-sc-pay-status]").wait_for(timeout=15000)
        page.locator("[data-sc-nav=overview]").click()
        page.locator("#sc-main [data-sc-section=overview]").wait_for()
    assert notice.count() == 0
    assert "Neuhrazená vyúčtování" not in page.locator("#sc-main").inner_text()
    save_artifact(page, "overview-all-paid")
