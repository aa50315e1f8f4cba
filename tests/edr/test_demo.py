"""The one-command demo delivers EDRs to its sandbox CRM (in-process worker, memory store)."""

from __future__ import annotations

import time

import requests

from selfcare_widget.sandbox.seed import DEMO_CUSTOMERS, DEMO_PASSWORD


def test_demo_signin_arrives_in_the_sandbox_crm(demo_stack):
    customer = DEMO_CUSTOMERS["cust-0001"]
    response = requests.post(
        demo_stack.urls.widget + "/auth/password",
        data={"_partner": "demo-mobil", "login": customer.email, "password": DEMO_PASSWORD},
        headers={"Origin": demo_stack.urls.portal},
        timeout=10,
    )
    assert response.status_code == 200
    assert demo_stack.urls.crm.endswith("/crm/demo-mobil/edrs")
    deadline = time.monotonic() + 20  # the demo worker polls every 0.5 s; this only bounds the wait
    found = []
    while not found and time.monotonic() < deadline:
        listing = requests.get(
            demo_stack.urls.crm, params={"format": "json", "action": "signin"}, timeout=5
        ).json()
        found = [
            row["edr"]
            for row in listing["edrs"]
            if row["edr"]["customer"] == "cust-0001" and row["edr"]["details"].get("method") == "password"
        ]
        if not found:
            time.sleep(0.2)
    assert found, "the demo's sign-in EDR never reached the sandbox CRM"
    assert found[0]["outcome"] == "success"
    page = requests.get(demo_stack.urls.crm, timeout=5)
    assert page.status_code == 200 and "signin" in page.text


def test_zelena_customers_portal_sign_in_arrives_in_zelenas_crm(demo_stack):
    """The portal signs a Zelená mobil customer's SSO token with that partner's HS256 secret;
    the sign-in is Zelená mobil's EDR, delivered to its own CRM (linked from its portal page)."""
    portal = requests.Session()
    portal.post(demo_stack.urls.portal + "/login", data={"customer": "cust-0003"}, timeout=10)
    account = portal.get(demo_stack.urls.portal + "/account", timeout=10).text
    crm = demo_stack.urls.platform + "/crm/zelena-mobil/edrs"
    assert 'data-partner="zelena-mobil"' in account and crm in account
    token = portal.get(demo_stack.urls.portal + "/selfcare-token", timeout=10).json()["token"]
    exchanged = requests.post(
        demo_stack.urls.widget + "/sso/exchange",
        data={"_partner": "zelena-mobil", "token": token},
        headers={"Origin": demo_stack.urls.portal},
        timeout=10,
    )
    assert exchanged.status_code == 200
    deadline = time.monotonic() + 20  # the demo worker polls every 0.5 s; this only bounds the wait
    found = []
    while not found and time.monotonic() < deadline:
        listing = requests.get(crm, params={"format": "json", "action": "signin"}, timeout=5).json()
        found = [row["edr"] for row in listing["edrs"] if row["edr"]["customer"] == "cust-0003"]
        if not found:
            time.sleep(0.2)
    assert found, "Zelená mobil's sign-in EDR never reached its CRM"
    assert found[0]["details"].get("method") == "sso" and found[0]["outcome"] == "success"
