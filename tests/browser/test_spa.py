"""The widget in a single-page partner portal (issue 18) and one identity with the portal (issue
14 item 3), in a real browser.

The host is the demo portal's single-page version (``/spa/``, ``templates/portal/spa.html``): a
``history.pushState`` SPA on the portal's origin (so it has the portal's session cookie for
``/selfcare-token``) that creates and removes widgets as its router goes, and can mount one
component the way React StrictMode does (effect, cleanup, effect). The real React 19 StrictMode
SPA (``tests/browser/spa/``, built by ``make spa``) is in ``test_react_spa.py``. Options ride in
the query string of the first load (see the template).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
import requests

from selfcare_widget.auth.sessions import PREFIX
from selfcare_widget.services import services

pytestmark = pytest.mark.browser

SHELL = "#selfcare-0 #sc-main [data-sc-section=overview]"


@dataclass
class Host:
    """A partner SPA page and what it did: requests (method, path), responses, console output."""

    page: object
    seen: list = field(default_factory=list)
    statuses: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    exchanges: list = field(default_factory=list)  # the /sso/exchange responses

    def count(self, path: str, since: int = 0) -> int:
        """Requests for ``path`` since ``since`` (and since the SPA was opened: not the portal's)."""
        opened = next(i for i, (_, p) in enumerate(self.seen) if p.startswith("/spa/"))
        return sum(1 for _, p in self.seen[max(since, opened) :] if p == path)

    def text(self, widget: str = "#selfcare-0") -> str:
        """What the widget shows (inside its shadow root)."""
        return self.page.locator(f"{widget} #sc-app").inner_text()

    def events(self, name: str | None = None) -> list:
        events = self.page.evaluate("window.__events")
        return [e for e in events if name is None or e[0] == name]


@pytest.fixture
def spa(portal, demo_stack):
    """``spa(query="", path="/spa/account", customer="cust-0001", before=None) -> Host``: the
    customer signed in to the portal, then the portal's SPA opened at ``path``."""

    def _open(query="", path="/spa/account", customer="cust-0001", before=None):
        page = portal(customer)  # its widget signed on: none of its requests comes later
        host = Host(page)
        page.on("request", lambda r: host.seen.append((r.method, urlsplit(r.url).path)))
        page.on("response", lambda r: host.statuses.append((urlsplit(r.url).path, r.status)))
        page.on("pageerror", lambda e: host.errors.append(str(e)))
        page.on("response", lambda r: host.exchanges.append(r) if r.url.endswith("/sso/exchange") else None)

        def console(message):
            if message.type == "error":
                host.errors.append(message.text)
            elif message.type == "warning":
                host.warnings.append(message.text)

        page.on("console", console)
        if before:
            before(page)
        page.goto(demo_stack.urls.portal + path + ("?" + query if query else ""))
        return host

    return _open


def fresh_token(page) -> str:
    """A new SSO token for the portal's signed-in customer, as the portal's backend mints it."""
    return page.evaluate("fetch('/selfcare-token').then((r) => r.json()).then((j) => j.token)")


def listeners_and_nodes(page) -> tuple[int, int]:
    """JS event listeners and DOM nodes alive in the page, after a garbage collection."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("HeapProfiler.collectGarbage")
    cdp.send("Performance.enable")
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    cdp.detach()
    return int(metrics["JSEventListeners"]), int(metrics["Nodes"])


def session_of(exchange) -> str:
    """The session token an /sso/exchange answer handed the loader (a header, or JSON)."""
    return exchange.headers.get("x-selfcare-session") or exchange.json()["session"]


def live_session(demo_stack, token: str) -> bool:
    return services(demo_stack.widget_app).sessions.load(token) is not None


# --- 1. widgets added after the loader ran start by themselves ----------------------------------


@pytest.mark.parametrize("form", ["element", "div"])
def test_a_widget_added_by_the_router_after_the_loader_ran_starts(spa, form):
    host = spa(f"form={form}", path="/spa/")
    page = host.page
    page.wait_for_function("customElements.get('selfcare-widget') !== undefined")  # the loader ran
    page.locator("#home").wait_for()
    page.click("#to-account")
    page.locator(SHELL).wait_for()
    assert "Jan Šťastný" in page.locator("#selfcare-0 .sc-shell").inner_text()
    assert host.errors == []


# --- 2. StrictMode: one widget, one exchange, no replayed token ---------------------------------


@pytest.mark.parametrize("form", ["element", "div"])
def test_strict_mode_double_mount_with_a_rendered_token_signs_on_once(spa, form):
    host = spa(f"form={form}", path="/spa/")
    page = host.page
    page.wait_for_function("customElements.get('selfcare-widget') !== undefined")
    token = fresh_token(page)
    start = len(host.seen)
    page.evaluate("(token) => window.spa.strictMount({ token })", token)
    page.locator("#selfcare-strict #sc-main [data-sc-section=overview]").wait_for()
    page.wait_for_timeout(300)
    assert page.locator("selfcare-widget, [data-selfcare-widget]").count() == 1
    assert host.count("/sso/exchange", start) == 1
    assert ("/sso/exchange", 401) not in host.statuses and ("/w/shell", 401) not in host.statuses
    assert page.locator("#selfcare-strict .sc-signin").count() == 0
    assert [e[1] for e in host.events("selfcare:ready")] == ["selfcare-strict"]
    assert host.events("selfcare:sign-on-failed") == []


def test_strict_mode_double_mount_with_a_token_url_fetches_and_exchanges_once(spa):
    host = spa("form=element", path="/spa/")
    page = host.page
    page.wait_for_function("customElements.get('selfcare-widget') !== undefined")
    start = len(host.seen)
    page.evaluate("window.spa.strictMount()")
    page.locator("#selfcare-strict #sc-main [data-sc-section=overview]").wait_for()
    page.wait_for_timeout(300)
    assert host.count("/selfcare-token", start) == 1
    assert host.count("/sso/exchange", start) == 1


# --- 3. one session per page: remounts cost the section only ------------------------------------


def remount(host, selector=SHELL) -> list:
    """Route away and back; the widget requests (method, path) the remount made."""
    page = host.page
    page.click("#to-home")
    page.locator("#home").wait_for()
    start = len(host.seen)
    page.click("#to-account")
    page.locator(selector).wait_for()
    page.locator("#selfcare-0 #sc-app:not([aria-busy])").wait_for()
    return [(m, p) for m, p in host.seen[start:] if m == "POST" or p == "/selfcare-token"]


def test_route_away_and_back_20_times_signs_on_once(spa, demo_stack):
    host = spa("form=element")
    page = host.page
    page.locator(SHELL).wait_for()
    store = services(demo_stack.widget_app).store
    sessions_before = len(list(store.scan_iter(PREFIX + "*")))
    counts = []
    for round_ in range(20):
        assert remount(host) == [("POST", "/w/shell")]  # a remount costs the section only
        if round_ in (4, 19):
            counts.append(listeners_and_nodes(page))
    assert host.count("/selfcare-token") == 1
    assert host.count("/sso/exchange") == 1
    assert len(list(store.scan_iter(PREFIX + "*"))) == sessions_before  # no session per mount
    assert counts[0] == counts[1], counts  # listeners and nodes constant over the remounts
    assert host.errors == []


def test_the_div_form_remounts_on_the_same_session(spa):
    host = spa("form=div")
    host.page.locator(SHELL).wait_for()
    for _ in range(3):
        assert remount(host) == [("POST", "/w/shell")]
    assert host.count("/sso/exchange") == 1


# --- 4. sections: live attribute, unknown section, navigate event, history ----------------------


@pytest.mark.parametrize(("form", "attribute"), [("element", "section"), ("div", "data-section")])
def test_changing_the_section_attribute_opens_that_section(spa, form, attribute):
    host = spa(f"form={form}")
    page = host.page
    page.locator(SHELL).wait_for()
    page.evaluate(f"document.getElementById('selfcare-0').setAttribute('{attribute}', 'billing')")
    page.locator("#selfcare-0 #sc-main [data-sc-section=billing]").wait_for()
    assert page.locator("#selfcare-0 [data-sc-nav=billing][aria-current=page]").count() == 1
    navigate = host.events("selfcare:navigate")
    assert navigate[-1][2]["section"] == "billing" and navigate[-1][2]["previous"] == "overview"
    # an unknown section: the overview, and a warning for the developer
    page.evaluate(f"document.getElementById('selfcare-0').setAttribute('{attribute}', 'nonsense')")
    page.locator("#selfcare-0 #sc-main [data-sc-section=overview]").wait_for()
    assert any('unknown section "nonsense"' in w for w in host.warnings)


def test_an_unknown_first_section_falls_back_to_the_overview(spa):
    host = spa("section=nonsense")
    page = host.page
    page.locator(SHELL).wait_for()
    text = host.text()
    assert "nebyla nalezena" not in text and "Jan Šťastný" in text
    assert any('unknown section "nonsense"' in w for w in host.warnings)


def test_the_show_api_and_the_navigate_event(spa):
    host = spa()
    page = host.page
    page.locator(SHELL).wait_for()
    page.evaluate("document.getElementById('selfcare-0').show('contact')")
    page.locator("#selfcare-0 #sc-main [data-sc-section=contact]").wait_for()
    page.locator("#selfcare-0 [data-sc-nav=sims]").click()  # the customer moves inside the widget
    page.locator("#selfcare-0 #sc-main [data-sc-section=sims]").wait_for()
    sections = [e[2]["section"] for e in host.events("selfcare:navigate")]
    assert sections == ["contact", "sims"]


def test_with_the_history_option_back_returns_to_the_previous_section(spa, demo_stack):
    host = spa("history=1")
    page = host.page
    page.locator(SHELL).wait_for()
    for section in ("billing", "contact"):
        page.locator(f"#selfcare-0 [data-sc-nav={section}]").click()
        page.locator(f"#selfcare-0 #sc-main [data-sc-section={section}]").wait_for()
        page.wait_for_url(f"**/spa/account?history=1&section={section}")
    page.go_back()
    page.locator("#selfcare-0 #sc-main [data-sc-section=billing]").wait_for()
    assert urlsplit(page.url).path == "/spa/account"  # Back stayed on the page
    page.go_back()
    page.locator("#selfcare-0 #sc-main [data-sc-section=overview]").wait_for()
    page.go_forward()
    page.locator("#selfcare-0 #sc-main [data-sc-section=billing]").wait_for()
    # a reload of the URL opens the section it names
    page.reload()
    page.locator("#selfcare-0 #sc-main [data-sc-section=billing]").wait_for()


# --- 5. failed sign-ons reach the host, with a reason and a true message ------------------------


def test_a_replayed_token_is_reported(spa, demo_stack):
    host = spa(path="/spa/")
    token = fresh_token(host.page)
    used = requests.post(
        demo_stack.urls.widget + "/sso/exchange", data={"token": token, "partner": "demo-mobil"}
    )
    assert used.status_code == 200  # someone else already used it
    host.page.goto(demo_stack.urls.portal + "/spa/account?token=" + token)
    host.page.locator("#selfcare-0 [role=alert]").wait_for()
    failed = host.events("selfcare:sign-on-failed")
    assert [e[2]["reason"] for e in failed] == ["token_replayed"]
    assert [e[2]["reason"] for e in host.events("selfcare:signon-failed")] == ["token_replayed"]
    assert "Přihlášení do samoobsluhy se nezdařilo" in host.text()
    assert host.page.locator("#selfcare-0 #sc-login").count() == 0


def test_a_rate_limited_sign_on_is_reported_and_can_be_retried(spa, demo_stack):
    limited = {"on": True}

    def rate_limited(page):
        def answer(route):
            if not limited["on"]:
                route.continue_()
                return
            # what the widget's limiter answers past 60 exchanges a minute
            route.fulfill(
                status=429,
                content_type="application/json",
                body='{"error": "too_many_attempts"}',
                headers={"Access-Control-Allow-Origin": demo_stack.urls.portal, "X-Selfcare-Answer": "1"},
            )

        page.route("**/sso/exchange", answer)

    host = spa(before=rate_limited)
    page = host.page
    page.locator("#selfcare-0 [role=alert]").wait_for()
    assert [e[2]["reason"] for e in host.events("selfcare:sign-on-failed")] == ["rate_limited"]
    assert "Příliš mnoho pokusů" in host.text()
    limited["on"] = False
    page.locator("#selfcare-0 [role=alert] button", has_text="Zkusit znovu").click()
    page.locator(SHELL).wait_for()


def test_an_origin_not_allowed_says_so(spa, demo_stack):
    host = spa(path="/spa/")
    token = fresh_token(host.page)
    foreign = demo_stack.urls.portal.replace("127.0.0.1", "localhost")
    assert foreign != demo_stack.urls.portal
    host.page.goto(foreign + "/spa/account?token=" + token)
    host.page.locator("#selfcare-0 [role=alert]").wait_for()
    assert [e[2]["reason"] for e in host.events("selfcare:sign-on-failed")] == ["origin_not_allowed"]
    text = host.text()
    assert "není mezi povolenými adresami partnera" in text and "Spojení se nezdařilo" not in text
    assert any(foreign in e and "demo-mobil" in e for e in host.errors)


def test_a_token_url_that_refuses_is_reported_without_a_sign_in_form(spa):
    host = spa(before=lambda p: p.route("**/selfcare-token", lambda r: r.fulfill(status=401, body="{}")))
    host.page.locator("#selfcare-0 [role=alert]").wait_for()
    failed = host.events("selfcare:sign-on-failed")
    assert [(e[2]["reason"], e[2]["status"]) for e in failed] == [("token_unavailable", 401)]
    assert host.page.locator("#selfcare-0 #sc-login").count() == 0


# --- 6. sign-out ends every widget, routing does not sign back on, revocation is noticed --------


def test_sign_out_from_the_host_ends_both_widgets_and_routing_does_not_sign_back_on(spa, demo_stack):
    host = spa("widgets=2")
    page = host.page
    page.locator("#selfcare-1 #sc-main [data-sc-section=overview]").wait_for()
    page.locator(SHELL).wait_for()
    exchange = next(r for r in host.statuses if r[0] == "/sso/exchange")
    assert exchange[1] == 200
    page.evaluate("document.getElementById('selfcare-0').signOut()")
    for widget in ("#selfcare-0", "#selfcare-1"):
        page.locator(f"{widget} [data-sc-portal-signon]").wait_for()
        assert page.locator(f"{widget} #sc-login").count() == 0
    signed_out = host.events("selfcare:signed-out")
    assert sorted(e[1] for e in signed_out) == ["selfcare-0", "selfcare-1"]
    assert all(e[2]["by"] == "host" for e in signed_out)
    exchanges = host.count("/sso/exchange")
    for _ in range(3):
        page.click("#to-home")
        page.click("#to-account")
        page.locator("#selfcare-0 [data-sc-portal-signon]").wait_for()
    page.wait_for_timeout(300)
    assert host.count("/sso/exchange") == exchanges and host.count("/selfcare-token") == 1
    # the host decides when to sign on again
    page.evaluate("document.getElementById('selfcare-0').refresh()")
    page.locator(SHELL).wait_for()
    assert host.count("/sso/exchange") == exchanges + 1


def test_sign_out_in_one_widget_signs_out_the_other(spa):
    host = spa("widgets=2")
    page = host.page
    page.locator("#selfcare-1 #sc-main [data-sc-section=overview]").wait_for()
    page.locator(SHELL).wait_for()
    page.locator("#selfcare-1 .sc-header .sc-button").click()
    for widget in ("#selfcare-1", "#selfcare-0"):
        page.locator(f"{widget} [data-sc-portal-signon]").wait_for()
    assert sorted(e[1] for e in host.events("selfcare:signed-out")) == ["selfcare-0", "selfcare-1"]
    assert all(e[2]["by"] == "customer" for e in host.events("selfcare:signed-out"))


def test_a_revoked_session_is_noticed_without_a_click(spa, demo_stack):
    host = spa()
    page = host.page
    page.locator(SHELL).wait_for()
    page.route("**/selfcare-token", lambda route: route.fulfill(status=401, body="{}"))  # portal session gone
    store = services(demo_stack.widget_app).store
    for key in store.scan_iter(PREFIX + "*"):
        store.delete(key)
    page.evaluate("window.dispatchEvent(new Event('focus'))")  # the customer comes back to the tab
    page.locator("#selfcare-0 [data-sc-session-expired]").wait_for()
    assert page.locator("#selfcare-0 .sc-shell").count() == 0  # the data is gone from the screen
    assert page.locator("#selfcare-0 #sc-login").count() == 0
    assert [e[1] for e in host.events("selfcare:session-expired")] == ["selfcare-0"]


def test_a_revoked_session_is_renewed_silently_while_the_portal_session_lives(spa, demo_stack):
    host = spa()
    page = host.page
    page.locator(SHELL).wait_for()
    store = services(demo_stack.widget_app).store
    for key in store.scan_iter(PREFIX + "*"):
        store.delete(key)
    page.evaluate("window.dispatchEvent(new Event('focus'))")
    page.wait_for_function("window.__events.some((e) => e[0] === 'selfcare:renewed')")
    page.locator(SHELL).wait_for()
    assert host.count("/sso/exchange") == 2


# --- 7. isolation from the host's CSS; Trusted Types ---------------------------------------------

SIZES = """(host) => {
  const root = host.shadowRoot;
  const size = (sel) => parseFloat(getComputedStyle(root.querySelector(sel)).fontSize);
  return {
    heading: size('.sc-section > h2'),
    text: size('.sc-user'),
    nav: size('[data-sc-nav]'),
    height: host.getBoundingClientRect().height,
    padding: parseFloat(getComputedStyle(root.querySelector('.sc-shell')).paddingTop),
  };
}"""


def test_hostile_host_css_does_not_resize_the_widget(spa):
    plain = spa("form=element")
    plain.page.locator(SHELL).wait_for()
    default = plain.page.locator("#selfcare-0").evaluate(SIZES)
    hostile = spa("form=element&hostile=1")
    hostile.page.locator(SHELL).wait_for()
    assert hostile.page.evaluate("getComputedStyle(document.getElementById('host-text')).fontSize") == "30px"
    sizes = hostile.page.locator("#selfcare-0").evaluate(SIZES)
    for name, value in default.items():
        assert abs(sizes[name] - value) <= 0.05 * value, (name, value, sizes[name])
    assert sizes["heading"] > sizes["text"]
    colour = hostile.page.locator("#selfcare-0 .sc-section > h2").evaluate("e => getComputedStyle(e).color")
    assert colour != "rgb(255, 0, 0)"


def test_a_trusted_types_page_loads_and_uses_the_widget(spa):
    host = spa("tt=1")
    page = host.page
    assert "require-trusted-types-for" in page.evaluate(
        "fetch(location.href).then((r) => r.headers.get('Content-Security-Policy'))"
    )
    page.evaluate(
        "window.__tt = []; document.addEventListener('securitypolicyviolation',"
        " (e) => window.__tt.push(e.violatedDirective))"
    )
    page.locator(SHELL).wait_for()
    for section in ("billing", "contact", "overview"):
        page.locator(f"#selfcare-0 [data-sc-nav={section}]").click()
        page.locator(f"#selfcare-0 #sc-main [data-sc-section={section}]").wait_for()
    assert page.evaluate("window.__tt") == []
    assert host.errors == []


# --- issue 14 item 3: one identity with the portal ----------------------------------------------


def test_sign_out_in_an_sso_widget_offers_no_sign_in_as_someone_else(spa):
    host = spa()
    page = host.page
    page.locator(SHELL).wait_for()
    page.locator("#selfcare-0 .sc-header .sc-button").click()
    page.locator("#selfcare-0 [data-sc-portal-signon]").wait_for()
    widget = page.locator("#selfcare-0")
    assert widget.locator("#sc-login").count() == 0 and widget.locator("#sc-msisdn").count() == 0
    assert "Byli jste odhlášeni" in host.text()
    assert [(e[1], e[2]["by"]) for e in host.events("selfcare:signed-out")] == [("selfcare-0", "customer")]


def test_the_portal_ends_the_widget_session_with_sign_out(spa, demo_stack):
    host = spa()
    page = host.page
    page.locator(SHELL).wait_for()
    session = session_of(host.exchanges[-1])
    assert live_session(demo_stack, session)
    page.evaluate("document.getElementById('selfcare-0').signOut()")
    page.locator("#selfcare-0 [data-sc-portal-signon]").wait_for()
    assert not live_session(demo_stack, session)


def test_a_token_for_another_customer_replaces_the_session(spa, demo_stack):
    host = spa(path="/spa/")
    page = host.page
    first = fresh_token(page)
    with page.expect_response("**/sso/exchange") as exchange:
        page.goto(demo_stack.urls.portal + "/spa/account?token=" + first)
        page.locator(SHELL).wait_for()
    session_a = session_of(exchange.value)
    assert "Jan Šťastný" in page.locator("#selfcare-0 .sc-shell").inner_text()
    # the portal signs in another customer (its own sign-in), then hands the widget their token
    page.evaluate(
        "fetch('/login', {method: 'POST', body: new URLSearchParams({customer: 'cust-0005'}), redirect: 'manual'})"
    )
    second = fresh_token(page)
    page.evaluate("(t) => document.getElementById('selfcare-0').setAttribute('token', t)", second)
    page.locator("#selfcare-0 .sc-user", has_text="Jiří Procházka").wait_for()
    assert "Jan Šťastný" not in host.text()
    page.wait_for_timeout(300)
    assert not live_session(demo_stack, session_a)  # A's session ended, not left behind


def test_a_widget_without_sso_keeps_its_own_sign_in(spa):
    from selfcare_widget.sandbox.seed import DEMO_PASSWORD

    host = spa("sso=off")
    page = host.page
    page.locator("#selfcare-0 #sc-login").fill("601 234 567")
    page.locator("#selfcare-0 #sc-password").fill(DEMO_PASSWORD)
    page.locator("#selfcare-0 .sc-signin form").first.locator("button[type=submit]").click()
    page.locator(SHELL).wait_for()
    # the new session token was picked up from the response: the next click is signed in
    page.locator("#selfcare-0 [data-sc-nav=contact]").click()
    page.locator("#selfcare-0 #sc-main [data-sc-section=contact]").wait_for()
    # and a remount keeps it (one session per page, whatever the sign-in)
    page.click("#to-home")
    page.click("#to-account")
    page.locator(SHELL).wait_for()
    assert host.count("/auth/password") == 1


def test_without_sso_an_ended_session_asks_to_sign_in_and_reopens_the_section(spa, demo_stack):
    """Issue 12 bug 9 for a widget with its own sign-in: the form says why it appears, and signing
    in opens the section the customer clicked."""
    from selfcare_widget.sandbox.seed import DEMO_PASSWORD

    host = spa("sso=off")
    page = host.page

    def sign_in():
        page.locator("#selfcare-0 #sc-login").fill("601 234 567")
        page.locator("#selfcare-0 #sc-password").fill(DEMO_PASSWORD)
        page.locator("#selfcare-0 .sc-signin form").first.locator("button[type=submit]").click()

    sign_in()
    page.locator(SHELL).wait_for()
    store = services(demo_stack.widget_app).store
    for key in store.scan_iter(PREFIX + "*"):
        store.delete(key)
    page.locator("#selfcare-0 [data-sc-nav=billing]").click()
    notice = page.locator("#selfcare-0 .sc-signin [data-sc-session-expired]")
    notice.wait_for()
    assert notice.inner_text().strip() == "Vaše přihlášení vypršelo. Přihlaste se prosím znovu."
    sign_in()
    page.locator("#selfcare-0 #sc-main [data-sc-section=billing]").wait_for()
    assert page.locator("#selfcare-0 [data-sc-nav=billing][aria-current=page]").count() == 1


def test_destroy_and_leaving_the_page_revoke_the_session(spa, demo_stack):
    host = spa("widgets=2")
    page = host.page
    page.locator("#selfcare-1 #sc-main [data-sc-section=overview]").wait_for()
    session = session_of(host.exchanges[-1])
    page.evaluate("document.getElementById('selfcare-1').destroy()")
    assert page.locator("#selfcare-1").count() == 0
    assert live_session(demo_stack, session)  # the other widget still uses it
    with page.expect_response("**/auth/release"):
        page.evaluate("document.getElementById('selfcare-0').destroy()")
    assert not live_session(demo_stack, session)
    # a new page's session ends when the customer leaves the page (sendBeacon on pagehide)
    with page.expect_response("**/sso/exchange") as exchange:
        page.reload()
        page.locator(SHELL).wait_for()
    session = session_of(exchange.value)
    page.goto(demo_stack.urls.portal + "/spa/")
    page.wait_for_function("1")
    for _ in range(50):
        if not live_session(demo_stack, session):
            break
        page.wait_for_timeout(100)
    assert not live_session(demo_stack, session)


def test_no_widget_stylesheet_sizes_in_rem():
    """rem follows the host page's html font-size; sizes use --sc-rem (media queries may keep rem:
    there it is the browser's initial size, not the host's)."""
    import re
    from pathlib import Path

    import selfcare_widget

    package = Path(selfcare_widget.__file__).parent
    sheets = [*(package / "static" / "css").glob("*.css"), *(package.parent / "themes").glob("*/*.css")]
    assert sheets
    for sheet in sheets:
        for number, line in enumerate(sheet.read_text(encoding="utf-8").splitlines(), 1):
            if not line.lstrip().startswith("@media"):
                assert not re.search(r"\d(\.\d+)?rem\b", line), f"{sheet.name}:{number}: {line.strip()}"


def test_signing_out_of_the_portal_ends_the_widget_session(portal, demo_stack):
    """The demo portal's own sign-out (a plain form POST): the page goes away and its widget
    session with it (sendBeacon on pagehide), without any script of the portal."""
    page = portal("cust-0001")  # signed on: its exchange is over
    with page.expect_response("**/sso/exchange") as exchange:
        page.goto(demo_stack.urls.portal + "/account")
        page.locator(".sc-shell").wait_for()
    session = session_of(exchange.value)
    assert live_session(demo_stack, session)
    page.locator(".portal-user button[type=submit]").click()
    page.wait_for_url(demo_stack.urls.portal + "/")
    for _ in range(50):
        if not live_session(demo_stack, session):
            break
        page.wait_for_timeout(100)
    assert not live_session(demo_stack, session)
