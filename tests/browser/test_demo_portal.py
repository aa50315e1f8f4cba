"""The demo portal in a real browser: both demo partners' customers, Zelená mobil's theme, the
demo-only SMS inbox, and the screenshots script (issue 12, Demo and Pictures)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from selfcare_widget.sandbox.seed import DEMO_CUSTOMERS
from tests.support import free_port, save_artifact

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
WIDGET = "#selfcare-0"
PRIMARY = f"getComputedStyle(document.querySelector('{WIDGET}')).getPropertyValue('--sc-primary').trim()"
# True once the active section tab is painted in the given rgb() (a transition may run first).
PAINTED = f"""(rgb) => {{
  const tab = document.querySelector('{WIDGET}').shadowRoot.querySelector('[data-sc-nav][aria-current]');
  return !!tab && getComputedStyle(tab).backgroundColor === rgb;
}}"""


def theme_primary(theme: str) -> str:
    css = (ROOT / "themes" / theme / "theme.css").read_text(encoding="utf-8")
    return re.search(r"--sc-primary:\s*(#[0-9a-fA-F]+)", css).group(1).lower()


def as_rgb(hex_colour: str) -> str:
    """``#1e6b34`` -> ``rgb(30, 107, 52)``, as getComputedStyle reports it."""
    return "rgb({}, {}, {})".format(*(int(hex_colour[i : i + 2], 16) for i in (1, 3, 5)))


def test_portal_lists_the_customers_of_both_demo_partners(browser, demo_stack):
    context = browser.new_context(locale="cs-CZ")
    try:
        page = context.new_page()
        page.goto(demo_stack.urls.portal + "/")
        offered = page.evaluate(
            """() => [...document.querySelectorAll('#customer optgroup')].map(g => [
                 g.dataset.partner, [...g.querySelectorAll('option')].map(o => o.value)])"""
        )
    finally:
        context.close()
    expected = {
        pid: sorted(c.id for c in DEMO_CUSTOMERS.values() if c.partner_id == pid)
        for pid in ("demo-mobil", "zelena-mobil")
    }
    assert {pid: sorted(ids) for pid, ids in offered} == expected
    assert "cust-0003" in expected["zelena-mobil"]


def test_zelena_customer_gets_the_zelena_widget_in_its_theme(portal, demo_stack):
    default = portal("cust-0001")
    default.locator(f"{WIDGET} #sc-main [data-sc-section]").first.wait_for()
    default_primary = default.evaluate(PRIMARY).lower()
    default.wait_for_function(PAINTED, arg=as_rgb(theme_primary("default")))

    page = portal("cust-0003")  # Tomáš Dvořák, a customer of Zelená mobil
    page.locator(f"{WIDGET} #sc-main [data-sc-section]").first.wait_for()
    assert page.locator(WIDGET).get_attribute("data-partner") == "zelena-mobil"
    # the portal signed the SSO token with Zelená mobil's HS256 secret: the widget is signed in
    shell = page.locator(f"{WIDGET} .sc-shell").inner_text()
    assert "Tomáš Dvořák" in shell and "+420 731 222 333" in shell
    assert page.locator(f"{WIDGET} .sc-brand").inner_text().strip() == "Zelená mobil"
    zelena_primary = page.evaluate(PRIMARY).lower()
    assert default_primary == theme_primary("default")
    assert zelena_primary == theme_primary("zelena") != default_primary
    page.wait_for_function(PAINTED, arg=as_rgb(zelena_primary))  # and it is what the customer sees
    assert page.locator(".portal-brand").inner_text() == "Zelená mobil"  # the portal around it too
    save_artifact(page, "demo-portal-zelena")


def test_sms_inbox_shows_the_code_of_an_sms_sign_in(browser, demo_stack):
    msisdn = "420776100202"  # cust-0005's third SIM: no other test asks codes for it on the demo
    context = browser.new_context(locale="cs-CZ")
    try:
        page = context.new_page()
        page.goto(demo_stack.urls.portal + "/")
        page.click("#portal-sms-inbox")  # linked from every portal page
        page.wait_for_url("**/demo/sms/")
        assert "jen demo" in page.locator("h1").inner_text()
        # What the widget's SMS sign-in form posts (the loader adds the partner and the Origin).
        response = requests.post(
            demo_stack.urls.widget + "/auth/sms/send",
            data={"_partner": "demo-mobil", "msisdn": "+420 776 100 202"},
            headers={"Origin": demo_stack.urls.portal},
            timeout=10,
        )
        assert response.status_code == 200
        # The page refreshes itself: the newest row gets the code, without a reload.
        row = page.locator("#sms-inbox-rows tr.sms-message").first
        row.locator("text=+420 776 100 202").wait_for(timeout=15000)
        code = row.locator(".sms-code").inner_text()
        assert re.fullmatch(r"\d{6}", code)
        save_artifact(page, "demo-sms-inbox")
    finally:
        context.close()
    # the code shown is the one sent: it signs the customer in
    signed_in = requests.post(
        demo_stack.urls.widget + "/auth/sms/verify",
        data={"_partner": "demo-mobil", "msisdn": msisdn, "code": code},
        headers={"Origin": demo_stack.urls.portal},
        timeout=10,
    )
    assert signed_in.status_code == 200 and signed_in.headers.get("X-Selfcare-Session")


def test_sms_inbox_is_not_part_of_the_widget(demo_stack):
    """Demo only: the widget app (what ``serve`` runs) has no such page."""
    assert requests.get(demo_stack.urls.widget + "/demo/sms/", timeout=5).status_code == 404
    assert requests.get(demo_stack.urls.portal + "/demo/sms/", timeout=5).status_code == 200


def screenshots(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "screenshots.py"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )


def test_screenshots_script_writes_one_view(demo_stack, tmp_path):
    """One view at one width (the whole set is `make screenshots`, not part of the suite)."""
    from PIL import Image

    result = screenshots(
        "--portal-url",
        demo_stack.urls.portal,
        "--views",
        "invoice",
        "--widths",
        "375",
        "--themes",
        "zelena",
        "--out",
        str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["invoice-zelena-375.png"]
    with Image.open(tmp_path / files[0]) as image:
        width, height = image.size
        assert image.mode == "P"  # a 256-colour PNG: small
        # the widget only: narrower than the 375 px viewport (portal margins), at most 1100 px tall
        assert 300 <= width <= 375 and 200 <= height <= 1100
        colours = [rgb for _, rgb in image.convert("RGB").getcolors(1 << 16)]

    def shown(theme: str) -> bool:  # the palette keeps a colour within a few steps of the original
        target = [int(theme_primary(theme)[i : i + 2], 16) for i in (1, 3, 5)]
        return any(sum(abs(a - b) for a, b in zip(rgb, target, strict=True)) <= 24 for rgb in colours)

    # Zelená mobil's primary colour is in the picture (the active tab), the default's is not
    assert shown("zelena") and not shown("default")


def test_screenshots_script_fails_loudly(tmp_path):
    result = screenshots(
        "--portal-url",
        f"http://127.0.0.1:{free_port()}",  # nothing listens there
        "--views",
        "overview",
        "--widths",
        "375",
        "--themes",
        "default",
        "--out",
        str(tmp_path),
    )
    assert result.returncode == 1
    assert "FAILED" in result.stderr
    assert not list(tmp_path.glob("*.png"))
