"""The embedded widget in a real browser on the demo portal (a different origin)."""

from __future__ import annotations

from collections import Counter

import pytest

from selfcare_widget.services import services
from tests.support import save_artifact

pytestmark = pytest.mark.browser

EVENTS_SCRIPT = """
window.__selfcareEvents = [];
for (const name of ['selfcare:ready', 'selfcare:signed-out', 'selfcare:session-expired', 'selfcare:action',
                    'selfcare:sign-on-failed']) {
  document.addEventListener(name, (e) => {
    window.__selfcareEvents.push([name, e.target.id, e.detail || {}]);
  }, true);
}
"""


def recording(seen: list):
    """A ``before`` hook for the portal fixture: append (method, url) of every request to ``seen``."""
    return lambda page: page.on("request", lambda r: seen.append((r.method, r.url)))


def record_requests(page):
    seen = []
    recording(seen)(page)
    return seen


def settle(page, widget="#selfcare-0"):
    """Wait until the widget has no request in flight (the loader clears aria-busy after swaps)."""
    page.locator(f"{widget} #sc-main:not([aria-busy])").wait_for()
    page.wait_for_timeout(200)


def widget_requests(seen, widget_url, since=0):
    return [
        (m, u)
        for m, u in seen[since:]
        if u.startswith(widget_url) and "/static/" not in u and "/themes/" not in u
    ]


def test_portal_sign_in_shows_the_customers_overview_in_the_shadow_root(portal, demo_stack):
    page = portal("cust-0001")
    widget = page.locator("#selfcare-0")
    widget.locator("[data-sc-section], .sc-section").first.wait_for()
    assert page.evaluate("document.querySelector('#selfcare-0').shadowRoot !== null")
    # the widget's DOM is not in the host document's light DOM
    assert page.evaluate("document.querySelector('.sc-shell')") is None
    text = widget.locator(".sc-shell").inner_text()
    assert "Jan Šťastný" in text and "+420 601 234 567" in text and "Přehled" in text
    assert "Kč" in text
    save_artifact(page, "overview")


def test_host_htmx_2_and_the_widget_htmx_4_coexist(portal, demo_stack):
    seen = []
    page = portal("cust-0005", before=recording(seen))
    page.locator("#portal-news-loaded").wait_for()
    # the host keeps its own htmx, and it is 2.x
    assert page.evaluate("window.htmx && window.htmx.version").startswith("2.")
    # the host's own hx-get still works after the widget loaded
    start = len(seen)
    page.click("#portal-news-refresh")
    page.wait_for_timeout(300)
    news = [u for m, u in seen[start:] if u.endswith("/news")]
    assert news == [demo_stack.urls.portal + "/news"]
    # the widget still works: one click, one request
    start = len(seen)
    page.locator("[data-sc-nav=contact]").click()
    page.locator("#sc-main [data-sc-section=contact], #sc-main .sc-section").first.wait_for()
    page.wait_for_timeout(300)
    assert len(widget_requests(seen, demo_stack.urls.widget, start)) == 1
    # nothing was requested twice on the whole account page (neither htmx processed the other's)
    since = next(i for i, (_, u) in enumerate(seen) if u.endswith("/account"))
    counts = Counter(u for m, u in seen[since:] if not u.endswith("/news"))
    assert all(n == 1 for n in counts.values()), counts


def test_each_interaction_is_one_round_trip_without_preflight(portal, demo_stack):
    page = portal("cust-0001")
    seen = record_requests(page)
    for section in ("sims", "billing", "overview", "contact", "overview"):
        start = len(seen)
        page.locator(f"[data-sc-nav={section}]").click()
        page.locator(f"[data-sc-nav={section}][aria-current=page]").wait_for()
        settle(page)
        requests = widget_requests(seen, demo_stack.urls.widget, start)
        assert [m for m, _ in requests] == ["POST"], (section, requests)
    assert not [u for m, u in seen if m == "OPTIONS"]


def test_session_token_never_appears_in_a_url_or_cookie(portal, demo_stack):
    page = portal("cust-0001")
    seen = record_requests(page)
    page.locator("[data-sc-nav=sims]").click()
    settle(page)
    assert all("_st=" not in u for _, u in seen)
    # the only cookie is the portal's own session; the widget sets none
    assert [c["name"] for c in page.context.cookies()] == ["portal_session"]
    # nor anything in web storage (the host's own htmx 2 keeps its history cache there)
    stored = page.evaluate("[...Object.keys(localStorage), ...Object.keys(sessionStorage)]")
    assert [k for k in stored if not k.startswith("htmx-")] == []


def test_two_widgets_on_one_page(portal):
    page = portal("cust-0001", query="widgets=2")
    page.locator("#selfcare-1 .sc-shell").wait_for()
    assert "Jan Šťastný" in page.locator("#selfcare-0 .sc-shell").inner_text()
    assert "Jan Šťastný" in page.locator("#selfcare-1 .sc-shell").inner_text()
    # each has its own navigation
    page.locator("#selfcare-1 [data-sc-nav=contact]").click()
    page.locator("#selfcare-1 [data-sc-nav=contact][aria-current=page]").wait_for()
    assert page.locator("#selfcare-0 [data-sc-nav=overview][aria-current=page]").count() == 1
    save_artifact(page, "two-widgets")


def test_expired_session_signs_on_again_silently(portal, demo_stack):
    seen = []
    page = portal("cust-0004", init_script=EVENTS_SCRIPT, before=recording(seen))
    # the server forgets every session (idle timeout, restart of the store, ...)
    store = services(demo_stack.widget_app).store
    for key in store.scan_iter("sc:session:*"):
        store.delete(key)
    start = len(seen)
    page.locator("[data-sc-nav=contact]").click()
    page.locator("[data-sc-nav=contact][aria-current=page]").wait_for()
    page.locator("#sc-main .sc-section").first.wait_for()
    settle(page)
    paths = [u for _, u in seen[start:]]
    assert sum(p.endswith("/sso/exchange") for p in paths) == 1
    assert sum(p.endswith("/selfcare-token") for p in paths) == 1
    assert "Lucie Černá" in page.locator("#selfcare-0 .sc-shell").inner_text()
    assert page.locator("#selfcare-0 .sc-signin").count() == 0


def test_failed_sign_on_says_so_and_offers_no_sign_in_as_someone_else(portal):
    """Issue 14 item 3: a widget started by the portal's SSO never offers its own sign-in form."""

    def token_endpoint_fails(page):  # e.g. the portal's own session is gone
        page.route("**/selfcare-token", lambda route: route.fulfill(status=401, body="{}"))

    page = portal("cust-0001", wait=False, before=token_endpoint_fails, init_script=EVENTS_SCRIPT)
    page.locator("#selfcare-0 [role=alert]").wait_for()
    assert page.locator("#sc-login").count() == 0 and page.locator("#sc-msisdn").count() == 0
    failed = [e for e in page.evaluate("window.__selfcareEvents") if e[0] == "selfcare:sign-on-failed"]
    assert [e[2]["reason"] for e in failed] == ["token_unavailable"]
    save_artifact(page, "signon-failed")


def test_widget_that_cannot_load_says_so(portal):
    page = portal("cust-0001", wait=False, before=lambda p: p.route("**/static/htmx-*", lambda r: r.abort()))
    alert = page.locator("#selfcare-0 [role=alert]")
    alert.wait_for()
    assert "nepodařilo" in alert.inner_text()


def test_ready_and_signed_out_events_reach_the_host(portal):
    page = portal("cust-0005", init_script=EVENTS_SCRIPT)
    page.wait_for_function("window.__selfcareEvents.some(e => e[0] === 'selfcare:ready')")
    page.locator(".sc-header .sc-button").click()
    page.locator(".sc-signin").wait_for()
    events = page.evaluate("window.__selfcareEvents")
    assert events[0][:2] == ["selfcare:ready", "selfcare-0"]
    assert any(e[0] == "selfcare:signed-out" for e in events)


def test_deep_link_opens_a_section(portal):
    page = portal("cust-0001", section="contact")
    page.locator("[data-sc-nav=contact][aria-current=page]").wait_for()


def test_a_slow_section_does_not_overwrite_the_one_clicked_after_it(portal):
    def slow_billing(page):
        def answer_late(route):
            page.wait_for_timeout(1500)
            route.continue_()

        page.route("**/w/billing", answer_late)

    page = portal("cust-0005", before=slow_billing)
    page.locator("#sc-main [data-sc-section=overview]").wait_for()
    page.locator("[data-sc-nav=billing]").click()
    page.locator("[data-sc-nav=contact]").click()  # before billing has arrived
    page.locator("#sc-main [data-sc-section=contact]").wait_for()
    page.wait_for_timeout(2000)
    assert page.locator("#sc-main [data-sc-section=contact]").count() == 1
    assert page.locator("#sc-main [data-sc-section=billing]").count() == 0


def test_first_load_is_one_exchange_answered_with_the_shell_and_its_section(portal, demo_stack):
    seen = []
    page = portal("cust-0005", before=recording(seen))
    page.locator("#sc-main [data-sc-section=overview]").wait_for()
    settle(page)
    posts = [u.rsplit("/", 2)[-2:] for m, u in seen if m == "POST" and u.startswith(demo_stack.urls.widget)]
    assert posts == [["sso", "exchange"]]  # issue 15: the shell comes in the exchange's answer
    # and the session it carried works for the next click
    page.locator("[data-sc-nav=contact]").click()
    page.locator("#sc-main [data-sc-section=contact]").wait_for()


CSP_WATCH = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI);
}, true);
"""


def test_works_under_a_strict_host_csp_without_violations(portal, demo_stack):
    """No inline script, inline style or eval anywhere in the widget: a strict CSP host works."""
    page = portal("cust-0001", wait=False, init_script=CSP_WATCH)
    response = page.goto(demo_stack.urls.portal + "/account?csp=strict")
    assert "script-src 'self' http" in response.headers["content-security-policy"]
    page.locator(".sc-shell").wait_for()
    for section in ("overview", "sims", "packages", "billing", "usage", "contact"):
        page.locator(f"[data-sc-nav={section}]").click()
        page.locator(f"#sc-main [data-sc-section={section}]").wait_for()
    page.wait_for_timeout(300)
    assert page.evaluate("window.__cspViolations") == []
    save_artifact(page, "strict-csp-contact")


def test_keyboard_only_navigation_moves_focus_to_the_new_section(portal):
    page = portal("cust-0001")
    page.locator("#sc-main [data-sc-section=overview]").wait_for()
    nav = page.locator("[data-sc-nav=billing]")
    nav.focus()
    page.keyboard.press("Enter")
    page.locator("#sc-main [data-sc-section=billing]").wait_for()
    page.wait_for_timeout(200)
    focused = page.evaluate(
        "(() => { const r = document.querySelector('#selfcare-0').shadowRoot;"
        " const a = r.activeElement; return a ? [a.tagName, a.hasAttribute('data-sc-focus')] : null; })()"
    )
    assert focused == ["H2", True]
    # Tab continues inside the widget, from the new section's heading
    page.keyboard.press("Tab")
    assert page.evaluate("document.querySelector('#selfcare-0').shadowRoot.activeElement !== null")


def test_narrow_screen_keeps_tables_inside_the_widget(portal):
    page = portal("cust-0002", viewport={"width": 380, "height": 800}, is_mobile=True)
    page.locator("[data-sc-nav=usage]").click()
    page.locator("#sc-main [data-sc-section=usage] table").first.wait_for()
    # the page itself does not scroll sideways; wide tables scroll inside their wrapper
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    save_artifact(page, "usage-narrow")


@pytest.mark.parametrize(
    ("status", "content_type", "body"),
    [
        (502, "text/html", "<html><body><center><h1>502 Bad Gateway</h1></center><hr>nginx</body></html>"),
        (500, "text/plain", "Internal Server Error"),
        (504, "text/html", ""),
    ],
    ids=["nginx-502-page", "plain-text-500", "empty-504"],
)
def test_a_proxys_error_page_never_enters_the_widget(portal, demo_stack, status, content_type, body):
    """Issue 12 bug 6: only the widget's own answers are swapped in; anything else becomes our
    message in Czech, with a button that repeats the request into the same region."""
    failing = {"on": True}

    def proxy_fails(page):
        def answer(route):
            if not failing["on"]:
                route.continue_()
                return
            route.fulfill(
                status=status,
                content_type=content_type,
                body=body,
                # a proxy configured to add CORS headers to its own error pages, too
                headers={"Access-Control-Allow-Origin": demo_stack.urls.portal},
            )

        page.route("**/w/billing", answer)

    page = portal("cust-0005", before=proxy_fails)
    page.locator("#sc-main [data-sc-section=overview]").wait_for()
    page.locator("[data-sc-nav=billing]").click()
    message = page.locator("#sc-main .sc-fail")
    message.wait_for()
    text = page.locator("#sc-main").inner_text()
    assert "Tato část je dočasně nedostupná" in text
    for foreign in ("Bad Gateway", "nginx", "Internal Server Error"):
        assert foreign not in text
    failing["on"] = False
    page.locator("#sc-main .sc-fail button", has_text="Zkusit znovu").click()
    page.locator("#sc-main [data-sc-section=billing]").wait_for()


def test_an_ended_session_says_so_and_leaves_the_next_step_to_the_portal(portal, demo_stack):
    """Issue 12 bug 9, issue 14 item 3: no silent re-sign-on possible (the portal's session is
    gone too), so the widget says the session ended, offers no sign-in as someone else and tells
    the host (tests/browser/test_spa.py: a widget without SSO reopens the section after sign-in)."""
    page = portal("cust-0001", init_script=EVENTS_SCRIPT)
    page.route("**/selfcare-token", lambda route: route.fulfill(status=401, body="{}"))
    store = services(demo_stack.widget_app).store
    for key in store.scan_iter("sc:session:*"):
        store.delete(key)
    page.locator("[data-sc-nav=billing]").click()
    notice = page.locator("#selfcare-0 .sc-signin [data-sc-session-expired]")
    notice.wait_for()
    assert notice.inner_text().strip() == "Vaše přihlášení vypršelo. Přihlaste se prosím znovu."
    assert page.locator("#selfcare-0 [data-sc-portal-signon]").count() == 1
    assert page.locator("#sc-login").count() == 0
    events = [e[0] for e in page.evaluate("window.__selfcareEvents")]
    assert "selfcare:session-expired" in events
