"""The widget hosted by a real React 19 SPA in StrictMode (issue 18), in a real browser.

The host is ``tests/browser/spa/``: React and esbuild from the npm registry (``package-lock.json``),
``npm run build`` (``make spa``; ``.ci/run`` builds it) bundles ``src/app.jsx`` to ``dist/app.js``
with React's development build, the only one where StrictMode runs every effect twice. The page
must be on the portal's origin (the partner allows it, and ``/selfcare-token`` needs the portal's
session cookie), so the browser is handed it there by ``page.route``: ``/react/…`` answers a small
HTML shell that loads the widget's ``embed.js`` like ``templates/portal/spa.html`` and
``/react/app.js``, the bundle. Nothing of it is served by the product.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.browser.test_spa import Host, listeners_and_nodes
from tests.support import require

pytestmark = pytest.mark.browser

BUNDLE = Path(__file__).parent / "spa" / "dist" / "app.js"
WIDGET = "#selfcare-react"
SHELL = f"{WIDGET} #sc-main [data-sc-section=overview]"


def shell_html(partner: str, widget_url: str) -> str:
    """The SPA's index.html: a root for React, the loader, the bundle."""
    return (
        '<!doctype html><html lang="cs"><head><meta charset="utf-8"><title>React SPA</title></head>'
        f"<body><div id=\"root\" data-partner='{json.dumps(partner)[1:-1]}'></div>"
        '<script src="/react/app.js"></script>'
        f'<script src="{widget_url}/embed.js" async></script></body></html>'
    )


@pytest.fixture
def react_spa(portal, demo_stack):
    """``react_spa() -> Host``: cust-0001 signed in to the portal, then the React SPA opened at
    ``/react/account`` on the portal's origin."""
    require(BUNDLE.exists(), f"{BUNDLE} (make spa)")

    def _open() -> Host:
        page = portal("cust-0001")  # its widget signed on: none of its requests comes later
        partner = page.locator("[data-selfcare-widget]").first.get_attribute("data-partner")
        base = demo_stack.urls.portal + "/react"
        page.route(
            base + "/**",
            lambda route: (
                route.fulfill(path=str(BUNDLE), content_type="text/javascript; charset=utf-8")
                if urlsplit(route.request.url).path == "/react/app.js"
                else route.fulfill(
                    body=shell_html(partner, demo_stack.urls.widget), content_type="text/html; charset=utf-8"
                )
            ),
        )
        # A document fulfilled by Playwright has no IP address space of its own, so Chromium
        # counts it as public and would refuse its requests to the loopback widget (Local Network
        # Access); the portal's real pages are on loopback and need no such grant.
        page.context.grant_permissions(["local-network-access"], origin=demo_stack.urls.portal)
        host = Host(page)
        page.on("request", lambda r: host.seen.append((r.method, urlsplit(r.url).path)))
        page.on("response", lambda r: host.statuses.append((urlsplit(r.url).path, r.status)))
        page.on("pageerror", lambda e: host.errors.append(str(e)))
        page.on("console", lambda m: host.errors.append(m.text) if m.type == "error" else None)
        page.goto(base + "/account")
        return host

    return _open


def count(host: Host, path: str) -> int:
    """Requests for ``path`` since the React SPA was opened (not the portal's own)."""
    opened = next(i for i, (_, p) in enumerate(host.seen) if p.startswith("/react/"))
    return sum(1 for _, p in host.seen[opened:] if p == path)


def route_away_and_back(host: Host) -> list:
    """Route away and back; the widget requests (method, path) the remount made."""
    page = host.page
    page.click("#to-home")
    page.locator("#home").wait_for()
    assert page.locator(WIDGET).count() == 0  # React unmounted it
    start = len(host.seen)
    page.click("#to-account")
    page.locator(SHELL).wait_for()
    page.locator(f"{WIDGET} #sc-app:not([aria-busy])").wait_for()
    return [(m, p) for m, p in host.seen[start:] if m == "POST" or p == "/selfcare-token"]


def test_the_strict_mode_mount_makes_one_widget_and_one_exchange(react_spa):
    host = react_spa()
    page = host.page
    page.locator(SHELL).wait_for()
    page.wait_for_timeout(300)
    react = page.evaluate("window.__react")
    # StrictMode really ran the listening effect twice (effect, cleanup, effect)
    assert (react["effects"], react["cleanups"]) == (2, 1)
    assert page.locator("selfcare-widget, [data-selfcare-widget]").count() == 1
    assert count(host, "/selfcare-token") == 1
    assert count(host, "/sso/exchange") == 1
    assert not [s for s in host.statuses if s[1] == 401]
    assert "Jan Šťastný" in page.locator(f"{WIDGET} .sc-shell").inner_text()
    assert host.errors == []


def test_routing_away_and_back_20_times_signs_on_once(react_spa):
    host = react_spa()
    page = host.page
    page.locator(SHELL).wait_for()
    counts = []
    for round_ in range(20):
        assert route_away_and_back(host) == [("POST", "/w/shell")]  # a remount costs the section only
        if round_ in (4, 19):
            counts.append(listeners_and_nodes(page))
    (listeners_before, nodes_before), (listeners_after, nodes_after) = counts
    assert listeners_after == listeners_before, counts  # constant over the remounts
    # React's fibers let go of some unmounted nodes only later, so their count may drop a little;
    # what a leak would do is make it grow
    assert nodes_after <= nodes_before, counts
    assert count(host, "/selfcare-token") == 1
    assert count(host, "/sso/exchange") == 1
    assert host.errors == []


def test_the_navigate_event_reaches_the_host_through_its_ref_once(react_spa):
    host = react_spa()
    page = host.page
    page.locator(SHELL).wait_for()
    page.evaluate("document.querySelector('selfcare-widget').show('billing')")
    page.locator(f"{WIDGET} #sc-main [data-sc-section=billing]").wait_for()
    page.locator("#section", has_text="billing").wait_for()  # the host's state followed
    navigated = [e for e in page.evaluate("window.__react.events") if e[0] == "selfcare:navigate"]
    assert [e[1]["section"] for e in navigated] == ["billing"]  # StrictMode left one listener
    assert host.errors == []


def test_sign_out_from_the_host_through_its_ref_ends_the_widget_and_routing_does_not_sign_on(react_spa):
    host = react_spa()
    page = host.page
    page.locator(SHELL).wait_for()
    page.click("#sign-out")  # the host calls widgetRef.current.signOut()
    page.locator(f"{WIDGET} [data-sc-portal-signon]").wait_for()
    assert page.locator(f"{WIDGET} #sc-main").count() == 0
    signed_out = [e for e in page.evaluate("window.__react.events") if e[0] == "selfcare:signed-out"]
    assert len(signed_out) == 1 and signed_out[0][1]["by"] == "host"
    for _ in range(3):
        page.click("#to-home")
        page.locator("#home").wait_for()
        page.click("#to-account")
        page.locator(f"{WIDGET} [data-sc-portal-signon]").wait_for()
    page.wait_for_timeout(300)
    assert count(host, "/sso/exchange") == 1 and count(host, "/selfcare-token") == 1
    assert page.locator(f"{WIDGET} #sc-main").count() == 0
    assert host.errors == []
