"""The sandbox's demo CRM receiver over real HTTP: verification, idempotency, listing."""

from __future__ import annotations

import json
import time
import uuid

import requests

from selfcare_widget.edr.signing import webhook_headers
from tests.edr.helpers import CRM_SECRETS


def _edr(partner="demo-mobil"):
    return {
        "id": str(uuid.uuid4()),
        "partner": partner,
        "customer": "cust-0001",
        "action": "usage.view",
        "outcome": "success",
        "details": {"page": 1},
    }


def _send(crm_url, edr, secret=None, timestamp=None, partner=None):
    partner = partner or edr["partner"]
    body = json.dumps(edr).encode()
    headers = webhook_headers(secret or CRM_SECRETS[partner], edr["id"], body, timestamp=timestamp)
    headers["Content-Type"] = "application/json"
    return requests.post(f"{crm_url}/crm/{partner}/webhook", data=body, headers=headers, timeout=5)


def _listed(crm_url, partner, edr_id):
    listing = requests.get(f"{crm_url}/crm/{partner}/edrs", params={"format": "json"}, timeout=5).json()
    return [row for row in listing["edrs"] if row["edr"]["id"] == edr_id]


def test_valid_delivery_is_stored_once_even_when_repeated(crm_url):
    edr = _edr()
    first = _send(crm_url, edr)
    again = _send(crm_url, edr)
    assert (first.status_code, first.json()["stored"]) == (200, True)
    assert (again.status_code, again.json()["stored"]) == (200, False)  # acknowledged, not stored twice
    rows = _listed(crm_url, "demo-mobil", edr["id"])
    assert len(rows) == 1
    assert rows[0]["deliveries"] == 2
    assert rows[0]["edr"] == edr


def test_raw_secret_partner(crm_url):
    edr = _edr("zelena-mobil")
    assert _send(crm_url, edr).status_code == 200
    assert len(_listed(crm_url, "zelena-mobil", edr["id"])) == 1


def test_bad_signature_is_rejected_and_not_stored(crm_url):
    edr = _edr()
    response = _send(crm_url, edr, secret="whsec_d3Jvbmc=")
    assert response.status_code == 401
    assert response.json()["error"] == "bad_signature"
    assert _listed(crm_url, "demo-mobil", edr["id"]) == []


def test_another_partners_secret_is_rejected(crm_url):
    edr = _edr()
    assert _send(crm_url, edr, secret=CRM_SECRETS["zelena-mobil"]).status_code == 401


def test_old_timestamp_is_rejected(crm_url):
    edr = _edr()
    response = _send(crm_url, edr, timestamp=int(time.time()) - 6 * 60)
    assert response.status_code == 401
    assert response.json()["error"] == "timestamp_too_old"
    assert _listed(crm_url, "demo-mobil", edr["id"]) == []


def test_body_must_match_webhook_id_and_partner(crm_url):
    edr = _edr()
    body = json.dumps(edr).encode()
    headers = webhook_headers(CRM_SECRETS["demo-mobil"], "some-other-id", body)
    response = requests.post(f"{crm_url}/crm/demo-mobil/webhook", data=body, headers=headers, timeout=5)
    assert response.status_code == 400
    foreign = _edr("zelena-mobil")
    assert _send(crm_url, foreign, partner="demo-mobil").status_code == 400


def test_unknown_partner_is_404(crm_url):
    edr = _edr("nobody")
    body = json.dumps(edr).encode()
    headers = webhook_headers("x", edr["id"], body)
    assert (
        requests.post(f"{crm_url}/crm/nobody/webhook", data=body, headers=headers, timeout=5).status_code
        == 404
    )
    assert requests.get(f"{crm_url}/crm/nobody/edrs", timeout=5).status_code == 404


def test_html_listing(crm_url):
    edr = _edr()
    assert _send(crm_url, edr).status_code == 200
    page = requests.get(f"{crm_url}/crm/demo-mobil/edrs", headers={"Accept": "text/html"}, timeout=5)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "usage.view" in page.text and "cust-0001" in page.text


def test_platform_routes_still_need_the_bearer_credential(crm_url):
    response = requests.get(f"{crm_url}/tmf-api/customerManagement/v4/customer/cust-0001", timeout=5)
    assert response.status_code == 401
