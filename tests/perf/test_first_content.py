"""The SSO exchange answers the first content itself when the loader asks (issue 15: one round trip)."""

from __future__ import annotations

import pytest

from tests.support import PORTAL_ORIGIN

WITH_SHELL = {"shell": "1"}  # what the loader adds to ask for the first content


def exchange(client, **form):
    return client.post(
        "/sso/exchange", data={"partner": "demo-mobil", **form}, headers={"Origin": PORTAL_ORIGIN}
    )


def test_asked_for_the_shell_the_exchange_answers_it_with_the_section_and_the_session(
    client, sso_token, edrs
):
    response = exchange(client, token=sso_token(locale="en"), **WITH_SHELL, section="billing")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "sc-shell" in page and 'data-sc-section="billing"' in page
    assert "Billing overview" in page  # the token's locale
    session = response.headers["X-Selfcare-Session"]
    # readable by the portal's page: its origin, and the header exposed to its script
    assert response.headers["Access-Control-Allow-Origin"] == PORTAL_ORIGIN
    assert "X-Selfcare-Session" in response.headers["Access-Control-Expose-Headers"]
    assert response.headers["Cache-Control"] == "no-store"
    assert session not in page  # the token travels in the header only
    contact = client.post(
        "/w/contact", data={"_st": session, "_partner": "demo-mobil"}, headers={"Origin": PORTAL_ORIGIN}
    )
    assert contact.status_code == 200 and 'data-sc-section="contact"' in contact.get_data(as_text=True)
    signins = [e for e in edrs("signin") if e["outcome"] == "success"]
    assert len(signins) == 1 and signins[0]["customer"] == "cust-0001"


def test_an_unknown_section_opens_the_overview(client, sso_token):
    response = exchange(client, token=sso_token(), **WITH_SHELL, section="nonsense")
    assert 'data-sc-section="overview"' in response.get_data(as_text=True)


def test_without_the_shell_field_the_answer_stays_json(client, sso_token):
    response = exchange(client, token=sso_token())
    assert response.status_code == 200 and response.get_json()["session"]
    assert "X-Selfcare-Session" not in response.headers


def test_a_refused_token_gets_the_same_json_refusal_with_or_without_the_shell(client, sso_token):
    token = sso_token()
    assert exchange(client, token=token, **WITH_SHELL).status_code == 200
    replayed = exchange(client, token=token, **WITH_SHELL)
    assert replayed.status_code == 401
    assert replayed.get_json() == {"error": "sso_rejected", "reason": "replayed"}
    assert "X-Selfcare-Session" not in replayed.headers
    other_partner = exchange(client, token=sso_token("cust-0003"), **WITH_SHELL)  # not demo-mobil's
    assert other_partner.status_code == 401 and "X-Selfcare-Session" not in other_partner.headers


@pytest.mark.browser
@pytest.mark.parametrize("rendered_token", [True, False], ids=["token", "token-url"])
def test_in_the_browser_the_first_content_needs_the_exchange_only(portal, demo_stack, rendered_token):
    page = portal("cust-0001")  # the portal's own account page: its widget is done loading
    page.goto(demo_stack.urls.portal + "/spa/")  # a page without a widget, nothing in flight
    page.locator("#home").wait_for()
    query = ""
    if rendered_token:  # minted by the portal's backend and rendered into the page
        token = page.evaluate("fetch('/selfcare-token').then((r) => r.json()).then((j) => j.token)")
        query = "?token=" + token
    seen: list[tuple[str, str]] = []
    page.on("request", lambda r: seen.append((r.method, r.url)))
    page.goto(demo_stack.urls.portal + "/spa/account" + query)
    page.locator("#selfcare-0 #sc-main [data-sc-section=overview]").wait_for()
    page.locator("#selfcare-0 #sc-app:not([aria-busy])").wait_for()
    page.wait_for_timeout(300)
    sign_on = [u.split("/", 3)[-1] for m, u in seen if m == "POST" or u.endswith("/selfcare-token")]
    expected = ["sso/exchange"] if rendered_token else ["selfcare-token", "sso/exchange"]
    assert sign_on == expected
    # the session the exchange handed over in its header serves the next click
    page.locator("#selfcare-0 [data-sc-nav=contact]").click()
    page.locator("#selfcare-0 #sc-main [data-sc-section=contact]").wait_for()
