"""Lost SIM and roaming in the embedded widget on the demo portal (Chromium, 375 and 1280 px):
block a SIM, see the partner's customer care, order a replacement (a card by post or an eSIM
with its activation QR code), and switch roaming by zone with the data limit."""

from __future__ import annotations

import re
import uuid

import pytest

from selfcare_widget.platform.models import SimKind
from selfcare_widget.services import services
from tests.support import save_artifact

pytestmark = pytest.mark.browser

WIDGET = "#selfcare-0"
WIDTHS = {375: {"width": 375, "height": 800}, 1280: {"width": 1280, "height": 900}}
#: cust-0005's third SIM: a replacement puts it back in service (a new card), and the test
#: restores it if it stops half-way, so the other tests that use it find it active.
LOST_CUSTOMER, LOST_SIM, LOST_NUMBER = "cust-0005", "prod-0005-3", "776 100 202"
#: cust-0002's only SIM: the roaming journey puts every switch back as it found it.
ROAMER = "cust-0002"


def settle(page):
    page.locator(f"{WIDGET} #sc-main:not([aria-busy])").wait_for()


def _open(portal, customer: str, width: int):
    page = portal(customer, viewport=WIDTHS[width], is_mobile=width == 375)
    settle(page)
    return page, page.locator(WIDGET)


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.fixture
def restore_lost_sim(demo_stack):
    yield
    platform = services(demo_stack.widget_app).platform
    if any(s.product_id == LOST_SIM and s.state != "active" for s in platform.list_sims(LOST_CUSTOMER)):
        platform.order_sim_replacement(LOST_CUSTOMER, LOST_SIM, SimKind.ESIM, None, f"test-{uuid.uuid4()}")


@pytest.mark.parametrize(
    ("width", "kind"), [(375, "esim"), (1280, "physical"), (1280, "esim"), (375, "physical")]
)
def test_block_a_lost_sim_and_order_a_replacement(portal, restore_lost_sim, width, kind):
    page, widget = _open(portal, LOST_CUSTOMER, width)
    widget.locator('[data-sc-nav="sims"]').click()
    widget.locator('[data-sc-section="sims"]').wait_for()
    widget.locator("button", has_text=re.compile(LOST_NUMBER)).click()
    widget.locator("#sc-sim-title").wait_for()

    # block it (inline confirmation)
    widget.locator("#sc-block button.sc-button--danger").click()
    widget.locator("#sc-block .sc-confirm button.sc-button--danger").click()
    support = widget.locator("[data-sc-support]")
    support.wait_for()
    assert "Zákaznická péče Demo Mobil" in support.inner_text()
    assert support.locator('a[href="tel:+420800123456"]').count() == 1
    assert support.locator('a[href="mailto:pece@demo-mobil.cz"]').is_visible()
    _no_sideways_scroll(page)
    save_artifact(page, f"sims-lost-blocked-{width}")

    # the replacement form: kind and the delivery address from the contact details
    widget.locator("[data-sc-replace]").click()
    form = widget.locator("#sc-replace form.sc-replace")
    form.wait_for()
    delivery = form.locator("[data-sc-delivery]")
    assert delivery.locator("address").count() == 1 and delivery.locator("button.sc-link").is_visible()
    form.locator(f'label[for="sc-replace-{kind}"]').click()
    assert form.locator(f"#sc-replace-{kind}").is_checked()
    _no_sideways_scroll(page)
    save_artifact(page, f"sims-lost-form-{kind}-{width}")
    form.locator("button[type=submit]").click()

    replaced = widget.locator(f'[data-sc-replaced="{kind}"]')
    replaced.wait_for()
    assert "Náhradní SIM je objednaná." in replaced.inner_text()
    if kind == "esim":
        qr = replaced.locator(".sc-qr svg[role=img]")
        assert qr.is_visible()
        box = qr.bounding_box()
        assert box is not None and box["width"] >= 120 and box["x"] + box["width"] <= WIDTHS[width]["width"]
        assert qr.locator("title").count() == 1  # the text alternative
        assert replaced.locator("[data-sc-lpa]").inner_text().startswith("LPA:1$smdp.example$")
        assert "novým telefonem" in replaced.locator("[data-sc-esim-help]").inner_text()
    else:
        assert replaced.locator("address").count() == 1
    # the line is in service again on the new card: settings are live, blocking is offered again
    assert widget.locator("#sc-block button.sc-button--danger").is_visible()
    assert widget.locator("[data-sc-support]").count() == 0
    _no_sideways_scroll(page)
    save_artifact(page, f"sims-lost-replaced-{kind}-{width}")

    # shown once: opening the SIM again shows no activation code
    widget.locator('[data-sc-nav="sims"]').click()
    widget.locator("button", has_text=re.compile(LOST_NUMBER)).click()
    widget.locator("#sc-sim-title").wait_for()
    settle(page)
    assert widget.locator("[data-sc-lpa]").count() == 0


@pytest.mark.parametrize("width", [375, 1280])
def test_roaming_by_zone_with_the_price_notice_and_the_data_limit(portal, width):
    page, widget = _open(portal, ROAMER, width)
    widget.locator('[data-sc-nav="sims"]').click()
    widget.locator("#sc-sim-title").wait_for()
    notice = widget.locator("[data-sc-roaming-notice]")
    assert "Mimo EU" in notice.inner_text()
    assert notice.locator('a[href="https://www.demo-mobil.cz/roaming"]').is_visible()

    switches = {
        zone: widget.locator(f"#sc-toggle-roaming_{zone}_enabled button.sc-switch")
        for zone in ("eu", "world")
    }
    before = {zone: switch.get_attribute("aria-pressed") for zone, switch in switches.items()}
    limit = widget.locator("#sc-roaming-limit-value")
    limit_before = limit.input_value()

    def flip(zone: str, to: str) -> None:
        switches[zone].click()
        widget.locator(f'#sc-toggle-roaming_{zone}_enabled button.sc-switch[aria-pressed="{to}"]').wait_for()

    def opposite(value: str | None) -> str:
        return "false" if value == "true" else "true"

    flip("world", opposite(before["world"]))
    flip("eu", opposite(before["eu"]))
    # each zone switched on its own: the other kept the state it had
    assert switches["world"].get_attribute("aria-pressed") == opposite(before["world"])
    assert widget.locator("#sc-toggle-roaming_eu_enabled [role=status]").inner_text().strip() != ""

    wanted = "500" if limit_before != "500" else "5000"
    limit.select_option(wanted)
    widget.locator("#sc-roaming-limit button[type=submit]").click()
    widget.locator("#sc-roaming-limit [role=status]", has_text="Limit dat v roamingu je uložen.").wait_for()
    assert widget.locator("#sc-roaming-limit-value").input_value() == wanted
    _no_sideways_scroll(page)
    save_artifact(page, f"sims-roaming-{width}")

    # the state is the platform's: reopen the SIM and see it, then put everything back
    widget.locator('[data-sc-nav="overview"]').click()
    settle(page)
    widget.locator('[data-sc-nav="sims"]').click()
    widget.locator("#sc-sim-title").wait_for()
    assert widget.locator("#sc-roaming-limit-value").input_value() == wanted
    flip("eu", before["eu"] or "false")
    flip("world", before["world"] or "false")
    widget.locator("#sc-roaming-limit-value").select_option(limit_before)
    widget.locator("#sc-roaming-limit button[type=submit]").click()
    widget.locator("#sc-roaming-limit [role=status]", has_text="Limit dat v roamingu je uložen.").wait_for()


def test_lost_sim_replacement_and_puk_views_pass_axe(portal):
    """cust-0004's blocked SIM: customer care and the replacement form (not submitted), the PIN/PUK
    re-authentication with its error state, and the codes shown after the right password."""
    from selfcare_widget.sandbox.seed import DEMO_PASSWORD
    from tests.browser.test_accessibility import Audit

    page, widget = _open(portal, "cust-0004", 375)
    audit = Audit("sims-lost")
    widget.locator('[data-sc-nav="sims"]').click()
    widget.locator("button", has_text=re.compile("604 555 666")).click()
    widget.locator("[data-sc-support]").wait_for()
    audit.check(page, "blocked")
    widget.locator("[data-sc-replace]").click()
    widget.locator("#sc-replace form.sc-replace").wait_for()
    audit.check(page, "replace-form")

    widget.locator("[data-sc-puk-open]").click()
    password = widget.locator("#sc-puk-password")
    password.wait_for()
    audit.check(page, "puk-reauth")
    password.fill("not-the-password")
    widget.locator("#sc-puk button[type=submit]").click()
    widget.locator("#sc-puk-error").wait_for()
    audit.check(page, "puk-wrong")
    widget.locator("#sc-puk-password").fill(DEMO_PASSWORD)
    widget.locator("#sc-puk button[type=submit]").click()
    puk = widget.locator("[data-sc-puk]")
    puk.wait_for()
    assert re.fullmatch(r"\d{8}", puk.inner_text().strip())
    audit.check(page, "puk-shown")
    widget.locator("#sc-puk button.sc-button--quiet").click()
    widget.locator("[data-sc-puk-open]").wait_for()
    assert widget.locator("[data-sc-puk]").count() == 0  # hidden again
    audit.assert_clean()
