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
