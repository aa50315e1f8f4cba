"""WCAG 2.1 A/AA quality gate: axe-core run in real Chromium against every widget view.

axe-core (Deque's rule engine, MPL-2.0) is vendored under tests/browser/vendor/ and injected
into the demo portal page with ``add_script_tag(path=...)``: the tests never fetch anything.
axe is scoped to the widget's host element (``#selfcare-0``) and walks its open shadow root;
the partner portal around it is the partner's business, not ours.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support import save_artifact

pytestmark = pytest.mark.browser

WIDGET = "#selfcare-0"
AXE_JS = next((Path(__file__).resolve().parent / "vendor").glob("axe-core-*.min.js"))
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# Best-practice rules that matter for an embedded widget, run as a second pass. Page-level ones
# (page-has-heading-one, region, landmark-one-main, bypass) are the host page's business.
WIDGET_BEST_PRACTICES = [
    "heading-order",
    "empty-heading",
    "empty-table-header",
    "landmark-no-duplicate-main",
    "landmark-unique",
    "aria-allowed-role",
    "tabindex",
    "presentation-role-conflict",
    "table-duplicate-name",
    "label-title-only",
]

# (rule id, CSS selector inside the shadow root) pairs judged false positives in this context.
# Each entry must say why; nothing is silenced globally. Empty: axe found nothing to excuse.
KNOWN_FALSE_POSITIVES: dict[tuple[str, str], str] = {}

RUN_AXE = """
async ([selector, runOnly]) => {
  const results = await axe.run(document.querySelector(selector), {
    runOnly,
    resultTypes: ['violations'],
  });
  const shadowNodes = results.passes.concat(results.violations)
    .flatMap(r => r.nodes).filter(n => Array.isArray(n.target[0])).length;
  // axe 4.x deprecated its duplicate-id rules (only ARIA-referenced ids are checked), but a
  // repeated id still breaks label/for, aria-describedby and htmx targets: checked here.
  const ids = [...document.querySelector(selector).shadowRoot.querySelectorAll('[id]')].map(e => e.id);
  const duplicateIds = [...new Set(ids.filter((id, i) => ids.indexOf(id) !== i))];
  return {
    shadowNodes,
    duplicateIds,
    violations: results.violations.map(v => ({
      id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
      nodes: v.nodes.map(n => ({target: n.target, html: n.html, summary: n.failureSummary})),
    })),
  };
}
"""


@dataclass
class Audit:
    """Collects axe violations view by view; one readable report at the end."""

    name: str
    found: dict[str, list[dict]] = field(default_factory=dict)

    def check(self, page, view: str, *, wait: bool = True) -> None:
        """Run axe on the widget as it is now and remember the violations under ``view``."""
        if wait:
            settle(page)
        if not page.evaluate("typeof window.axe === 'object'"):
            page.add_script_tag(path=str(AXE_JS))
        wcag = page.evaluate(RUN_AXE, [WIDGET, {"type": "tag", "values": WCAG_TAGS}])
        # a vacuous pass (axe never saw inside the shadow root) must not look like a clean one
        assert wcag["shadowNodes"] > 0, f"{view}: axe inspected nothing inside the shadow root"
        practice = page.evaluate(RUN_AXE, [WIDGET, {"type": "rule", "values": WIDGET_BEST_PRACTICES}])
        found = wcag["violations"] + practice["violations"] + duplicate_id_violations(wcag["duplicateIds"])
        violations = [v for v in map(drop_known_false_positives, found) if v["nodes"]]
        save_artifact(page, f"a11y-{self.name}-{view}")
        if violations:
            self.found[view] = violations

    def assert_clean(self) -> None:
        """Fail with every violation of every view, one block per view."""
        assert not self.found, report(self.found)


def duplicate_id_violations(ids: list[str]) -> list[dict]:
    """Repeated ids in the shadow root, in axe's violation shape (WCAG 2.1 SC 4.1.1)."""
    if not ids:
        return []
    nodes = [{"target": [[WIDGET, f"#{i}"]], "html": f'id="{i}"', "summary": "repeated id"} for i in ids]
    return [
        {
            "id": "duplicate-id",
            "impact": "serious",
            "help": "id attribute values must be unique within the widget",
            "helpUrl": "https://www.w3.org/WAI/WCAG21/Understanding/parsing.html",
            "nodes": nodes,
        }
    ]


def drop_known_false_positives(violation: dict) -> dict:
    """The violation without nodes listed (rule and node together) in KNOWN_FALSE_POSITIVES."""
    nodes = [n for n in violation["nodes"] if (violation["id"], inner_target(n)) not in KNOWN_FALSE_POSITIVES]
    return {**violation, "nodes": nodes}


def inner_target(node: dict) -> str:
    """The node's selector inside the shadow root (axe gives [host, inner] for shadow nodes)."""
    target = node["target"][-1]
    return target[-1] if isinstance(target, list) else target


def report(found: dict[str, list[dict]]) -> str:
    """Human-readable list: view, rule, impact, help, and each offending node."""
    lines = ["axe-core found violations in the widget (WCAG 2.1 A/AA and widget best practices):"]
    for view, violations in found.items():
        lines.append(f"\n== {view}")
        for v in violations:
            lines.append(f"  - {v['id']} ({v['impact']}): {v['help']}  <{v['helpUrl']}>")
            for node in v["nodes"]:
                lines.append(f"      at {json.dumps(node['target'], ensure_ascii=False)}")
                lines.append(f"         {node['html'][:160]}")
                summary = " ".join((node["summary"] or "").split())
                lines.append(f"         {summary[:300]}")
    return "\n".join(lines)


# --- driving the widget ---------------------------------------------------------------------


IDLE = """
(selector) => {
  const root = document.querySelector(selector).shadowRoot;
  return root && root.querySelector('.sc-shell, .sc-signin')
    && !root.querySelector('#sc-main[aria-busy], .htmx-request');
}
"""


def settle(page) -> None:
    """No request in flight (the loader clears aria-busy after each swap) and the swap settled."""
    page.wait_for_function(IDLE, arg=WIDGET)
    page.wait_for_timeout(150)  # htmx's settle step (classes, focus) after the swap


def open_section(page, section: str) -> None:
    """Click the section's navigation button and wait until the section is in place."""
    page.locator(f"{WIDGET} #sc-main .sc-section").first.wait_for()
    settle(page)  # a late first section would otherwise replace the one clicked
    page.locator(f"{WIDGET} [data-sc-nav={section}]").click()
    page.locator(f"{WIDGET} #sc-main [data-sc-section={section}]").wait_for()
    settle(page)


def click_and_wait(page, button: str, appears: str) -> None:
    """Click ``button`` inside the widget and wait for ``appears``."""
    page.locator(f"{WIDGET} {button}").first.click()
    page.locator(f"{WIDGET} {appears}").first.wait_for()
    settle(page)


def audit_sections(page, audit: Audit) -> None:
    """Every section of cust-0001 plus its sub-views: SIM detail, order confirm, invoice,
    call-log validation error, contact edit form and its 422 state."""
    audit.check(page, "overview")

    open_section(page, "sims")
    audit.check(page, "sims-list")
    if page.locator(f"{WIDGET} #sc-sim-title").count() == 0:  # one SIM: the section is its detail
        click_and_wait(page, "[data-sc-section=sims] .sc-card__actions button", "#sc-sim-title")
    audit.check(page, "sims-detail")
    click_and_wait(page, "#sc-block button", "#sc-block-confirm-title")
    audit.check(page, "sims-block-confirm")  # not confirmed: the SIM stays active

    open_section(page, "packages")
    audit.check(page, "packages")
    click_and_wait(page, ".sc-packages__available tbody button", "#sc-package-confirm .sc-confirm")
    audit.check(page, "packages-confirm")  # not submitted: nothing is ordered

    open_section(page, "billing")
    page.locator(f"{WIDGET} .sc-chart__data summary").click()  # the chart's data table, opened
    audit.check(page, "billing-list")
    click_and_wait(
        page, ".sc-billing__invoices tbody button[hx-post*='/w/billing/invoice']", "#sc-invoice-title"
    )
    audit.check(page, "billing-invoice")

    open_section(page, "usage")
    page.locator(f"{WIDGET} .sc-usage-table, {WIDGET} .sc-usage-status").first.wait_for()
    audit.check(page, "usage")
    # "from" after "to": the filter answers with its field errors
    page.locator(f"{WIDGET} #sc-usage-to").fill("2025-01-01")
    page.locator(f"{WIDGET} #sc-usage-from").fill("2025-02-01")
    page.locator(f"{WIDGET} #sc-usage-form button[type=submit]").click()
    page.locator(f"{WIDGET} .sc-usage-errors").wait_for()
    audit.check(page, "usage-invalid-filter")

    open_section(page, "contact")
    audit.check(page, "contact")
    click_and_wait(page, "#sc-main button[hx-post*='/w/contact/edit']", "#sc-contact-email")
    audit.check(page, "contact-edit")
    # an invalid postal code: 422 with the form re-rendered (nothing is saved)
    page.locator(f"{WIDGET} #sc-contact-postal_code").fill("1234")
    page.locator(f"{WIDGET} .sc-contact__form button[type=submit]").click()
    page.locator(f"{WIDGET} #sc-contact-postal_code-error").wait_for()
    audit.check(page, "contact-invalid")
    # the change-password form and its 422 state (a weak password: nothing is changed)
    open_section(page, "contact")
    click_and_wait(page, "#sc-main button[hx-post*='/w/password']", "#sc-password-new_password")
    audit.check(page, "password-change")
    page.locator(f"{WIDGET} #sc-password-current_password").fill("not-checked-first")
    page.locator(f"{WIDGET} #sc-password-new_password").fill("heslo")
    page.locator(f"{WIDGET} #sc-main form button[type=submit]").click()
    page.locator(f"{WIDGET} #sc-password-new_password[aria-invalid=true]").wait_for()
    audit.check(page, "password-change-invalid")


# --- the gate ---------------------------------------------------------------------------------


def test_every_view_of_cust_0001_passes_axe(portal):
    page = portal("cust-0001")
    audit = Audit("cust-0001")
    audit_sections(page, audit)

    # sign out: a widget started by SSO leaves signing in again to the portal
    page.locator(f"{WIDGET} .sc-header .sc-button").click()
    page.locator(f"{WIDGET} .sc-signin").wait_for()
    audit.check(page, "signed-out-sso")
    # a widget embedded without SSO: its own sign-in form, then its error state
    page.goto(page.url.split("/account")[0] + "/spa/account?sso=off")
    page.locator(f"{WIDGET} #sc-login").wait_for()
    audit.check(page, "signin")
    page.locator(f"{WIDGET} #sc-login").fill("nobody@example.cz")
    page.locator(f"{WIDGET} #sc-password").fill("not-the-password")
    page.locator(f"{WIDGET} .sc-signin form").first.locator("button[type=submit]").click()
    page.locator(f"{WIDGET} .sc-signin .sc-error").wait_for()
    audit.check(page, "signin-error")
    # the SMS code step (a number nobody has: no customer gets a code)
    page.locator(f"{WIDGET} #sc-msisdn").fill("+420 799 000 001")
    page.locator(f"{WIDGET} .sc-signin form").nth(1).locator("button[type=submit]").click()
    page.locator(f"{WIDGET} #sc-code").wait_for()
    audit.check(page, "signin-sms-code")
    # the forgotten-password steps (again a number nobody has)
    page.locator(f"{WIDGET} .sc-signin > .sc-link").click()  # back to sign-in
    page.locator(f"{WIDGET} #sc-login").wait_for()
    page.locator(f"{WIDGET} .sc-signin__more .sc-link").click()
    page.locator(f"{WIDGET} #sc-reset-msisdn").wait_for()
    audit.check(page, "password-reset-number")
    page.locator(f"{WIDGET} #sc-reset-msisdn").fill("+420 799 000 002")
    page.locator(f"{WIDGET} .sc-signin form button[type=submit]").click()
    page.locator(f"{WIDGET} #sc-reset-code").wait_for()
    audit.check(page, "password-reset-code")
    audit.assert_clean()


def test_money_views_pass_axe(portal):
    """The payment panel of an unpaid bill and the prepaid top-up form (nothing is paid)."""
    audit = Audit("money")
    page = portal("cust-0001", section="billing")
    overdue = page.locator(f"{WIDGET} .sc-billing__invoices tbody tr", has=page.locator(".sc-badge--overdue"))
    overdue.first.locator("button[hx-post*='/w/billing/invoice']").click()
    page.locator(f"{WIDGET} #sc-pay").wait_for()
    settle(page)
    audit.check(page, "invoice-payment-panel")
    page = portal("cust-0005")
    click_and_wait(page, "#sc-main .sc-topup", "#sc-topup")
    audit.check(page, "topup")
    audit.assert_clean()


def test_blocked_sim_and_used_up_data_pass_axe(portal):
    """cust-0004: first SIM blocked, data used up (the hint with its link, the blocked badge)."""
    page = portal("cust-0004")
    audit = Audit("cust-0004")
    audit.check(page, "overview")
    # the states this test is about are really on screen
    assert page.locator(f"{WIDGET} [data-sc-section=overview] .sc-hint .sc-link").count() == 1
    assert page.locator(f"{WIDGET} .sc-badge--suspended").count() >= 1
    open_section(page, "sims")
    audit.check(page, "sims-list")
    click_and_wait(page, "[data-sc-section=sims] .sc-card__actions button", "#sc-sim-title")
    assert page.locator(f"{WIDGET} #sc-main .sc-badge--suspended").count() == 1
    audit.check(page, "sims-detail-blocked")
    open_section(page, "packages")
    audit.check(page, "packages-blocked")
    audit.assert_clean()


def test_english_widget_passes_axe(portal):
    """The same views in English (the SSO token's locale claim, via the portal's ?locale=en)."""
    page = portal("cust-0001", query="locale=en")
    page.locator(f"{WIDGET} [data-sc-nav=overview]", has_text="Overview").wait_for()
    audit = Audit("en")
    audit_sections(page, audit)
    audit.assert_clean()


def test_narrow_screen_passes_axe(portal):
    """At phone width the tables scroll inside their wrappers: those must be keyboard reachable."""
    page = portal("cust-0001")
    page.set_viewport_size({"width": 380, "height": 800})
    audit = Audit("narrow")
    audit_sections(page, audit)
    audit.assert_clean()


@pytest.mark.parametrize("width", [1280, 375])
def test_zelena_mobil_in_its_own_theme_passes_axe(portal, width):
    """Every section for Zelená mobil's customer (cust-0003), embedded in its theme, at both widths."""
    css = (Path(__file__).resolve().parents[2] / "themes" / "zelena" / "theme.css").read_text(
        encoding="utf-8"
    )
    page = portal("cust-0003", viewport={"width": width, "height": 900})
    brand = page.evaluate(
        "getComputedStyle(document.querySelector('#selfcare-0')).getPropertyValue('--sc-primary').trim()"
    )
    assert brand == re.search(r"--sc-primary:\s*(#[0-9a-f]+)", css).group(1)
    audit = Audit(f"zelena-{width}")
    audit_sections(page, audit)
    audit.assert_clean()


def test_loading_skeleton_passes_axe(portal):
    """What the widget shows while it signs on: the loader's skeleton (the first section then
    arrives inside the shell, so there is no second placeholder)."""
    page = portal("cust-0001")
    held = []
    page.route("**/selfcare-token", lambda route: held.append(route))  # answered only when released
    page.reload()
    page.locator(f"{WIDGET} .sc-boot").wait_for()
    audit = Audit("cust-0001")
    audit.check(page, "loading", wait=False)
    for route in held:
        route.continue_()
    page.locator(f"{WIDGET} #sc-main [data-sc-section=overview]").wait_for()
    audit.assert_clean()


FOCUS_RING = """
(selector) => {
  const host = document.querySelector(selector);
  const el = host.shadowRoot.activeElement;
  const style = getComputedStyle(el);
  return {
    matches: el.matches(':focus-visible'),
    outline: [style.outlineStyle, style.outlineWidth, style.outlineColor],
    surface: getComputedStyle(host).backgroundColor,
  };
}
"""


def rgb(css_colour: str) -> tuple[float, float, float]:
    """``rgb(r, g, b)`` as computed by the browser -> 0..1 channels."""
    r, g, b = (int(v) for v in re.findall(r"\d+", css_colour)[:3])
    return r / 255, g / 255, b / 255


@pytest.mark.parametrize("theme", ["default", "zelena"])
def test_keyboard_focus_ring_contrasts_with_the_widget_surface(portal, theme):
    """WCAG 2.1 SC 1.4.11 / 2.4.7: the focus outline needs 3:1 against the surface around it
    (axe cannot judge focus styles, so this measures the real rendering)."""
    from selfcare_widget.themes import contrast_ratio

    page = portal("cust-0001")
    if theme != "default":
        css = (Path(__file__).resolve().parents[2] / "themes" / theme / "theme.css").read_text(
            encoding="utf-8"
        )
        page.route(
            "**/themes/default/theme.css*", lambda route: route.fulfill(body=css, content_type="text/css")
        )
        page.reload()
    page.locator(f"{WIDGET} #sc-main .sc-section").first.wait_for()
    page.locator(f"{WIDGET} [data-sc-nav=overview]").focus()
    page.keyboard.press("Tab")  # keyboard modality: :focus-visible applies
    ring = page.evaluate(FOCUS_RING, WIDGET)
    assert ring["matches"], ring
    style, width, colour = ring["outline"]
    assert style != "none" and float(width.removesuffix("px")) >= 2, ring
    ratio = contrast_ratio(rgb(colour), rgb(ring["surface"]))
    assert ratio >= 3, f"{theme}: focus outline {colour} on {ring['surface']} is {ratio:.2f}:1"
    save_artifact(page, f"a11y-focus-ring-{theme}")
