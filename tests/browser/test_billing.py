"""Billing in the embedded widget on the demo portal (real Chromium): list, detail, PDF download."""

from __future__ import annotations

import re

import pytest

from tests.support import ARTIFACTS, save_artifact

pytestmark = pytest.mark.browser

CUSTOMER = "cust-0001"  # read-only here: billing changes nothing


def test_open_an_invoice_and_download_its_pdf(portal):
    page = portal(CUSTOMER)
    page.locator("[data-sc-nav=billing]").click()
    rows = page.locator("#sc-main .sc-billing__invoices tbody tr")
    rows.first.wait_for()
    assert rows.count() == 12
    assert page.locator("#sc-main svg.sc-chart__svg rect").count() == 12
    number = rows.first.locator("th").inner_text().strip()
    assert re.fullmatch(r"\d{10}", number)
    save_artifact(page, "billing-list")

    rows.first.locator("button[hx-post*='/w/billing/invoice']").click()
    page.locator("#sc-main #sc-invoice-title").wait_for()
    assert number in page.locator("#sc-invoice-title").inner_text()
    assert page.locator("#sc-main .sc-billing__group").count() >= 1
    save_artifact(page, "billing-detail")

    with page.expect_download(timeout=15000) as info:
        page.locator("#sc-main [data-sc-download]").first.click()
    download = info.value
    assert download.suggested_filename == f"faktura-{number}.pdf"
    ARTIFACTS.mkdir(exist_ok=True)
    target = ARTIFACTS / f"browser-faktura-{number}.pdf"
    download.save_as(target)
    assert target.read_bytes().startswith(b"%PDF")
    assert "_st=" not in download.url and "token" not in download.url  # a blob: URL, no session in it
    save_artifact(page, "billing-downloaded")
