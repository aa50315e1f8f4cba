"""Tariff change over real HTTP: offers and comparison, confirmation with its date, the TMF622
modify order (at once and from the next billing period), idempotency, refusals and EDRs.

Each test that changes a tariff uses its own generated customer (cust-0007 ... cust-0020), so the
fixed demo customers and the other suites' customers keep their tariffs.
"""

from __future__ import annotations

import html
import re
import threading
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import requests

from selfcare_widget.services import services
from tests.support import PORTAL_ORIGIN, serve_wsgi


def text(response) -> str:
    """The body as text, entities resolved and no-break spaces plain."""
    return html.unescape(response.get_data(as_text=True)).replace("\xa0", " ")


def confirmation_of(body: str) -> str:
    match = re.search(r'name="confirmation" value="([^"]+)"', body)
    assert match, "no confirmation token in the fragment"
    return match.group(1)


def today() -> date:
    return datetime.now(ZoneInfo("Europe/Prague")).date()


def czech(day: date) -> str:
    return f"{day.day}.{day.month}.{day.year}"


def next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def sim_of(app, customer_id: str, sim_id: str):
    return next(s for s in services(app).platform.list_sims(customer_id) if s.product_id == sim_id)


def test_the_sim_detail_links_to_the_tariff_change(post, sign_in):
    body = text(post("/w/sims", sign_in("cust-0001"), sim="prod-0001-1"))
    assert "Změnit tarif" in body and "/w/tariff" in body


def test_offers_are_compared_with_the_current_tariff(post, sign_in):
    body = text(post("/w/tariff", sign_in("cust-0001"), sim="prod-0001-1"))
    assert "data-sc-tariff" in body and "Změnit tarif" in body
    rows = {m.group(1): m.group(0) for m in re.finditer(r'<tr data-tariff="([^"]+)".*?</tr>', body, re.S)}
    # the current tariff first, then what the catalogue offers for a line on Pohoda
    assert list(rows) == ["tariff-pohoda", "tariff-datovy", "tariff-neomezeny"]
    assert 'aria-current="true"' in rows["tariff-pohoda"] and "současný" in rows["tariff-pohoda"]
    assert "349,00 Kč" in rows["tariff-pohoda"] and "3 GB" in rows["tariff-pohoda"]
    assert "100 min" in rows["tariff-pohoda"] and "100 SMS" in rows["tariff-pohoda"]
    # unlimited shown as such, not as the fair-use cap
    assert "499,00 Kč" in rows["tariff-datovy"] and "Neomezeně" in rows["tariff-datovy"]
    assert "10 GB" in rows["tariff-datovy"] and "5 000" not in rows["tariff-datovy"]
    assert rows["tariff-neomezeny"].count("Neomezeně") == 2 and "30 GB" in rows["tariff-neomezeny"]
    # when each change would apply, as the offering says
    assert "ihned" in rows["tariff-datovy"]
    assert f"od {czech(next_month(today()))}" in rows["tariff-neomezeny"]
    assert "Vybrat" in rows["tariff-datovy"] and "Vybrat" not in rows["tariff-pohoda"]
    # prepaid tariffs are not offered to a postpaid line
    assert "tariff-start" not in rows


def test_a_prepaid_line_is_offered_prepaid_tariffs_only(post, sign_in):
    token = sign_in("cust-0005")
    body = text(post("/w/tariff", token, sim="prod-0005-1"))
    offered = re.findall(r'<tr data-tariff="([^"]+)"', body)
    assert offered == ["tariff-start", "tariff-start-plus"]
    assert "500 MB" in body and "0,00 Kč" in body
    refused = post("/w/tariff/confirm", token, sim="prod-0005-1", offering="tariff-pohoda")
    assert refused.status_code == 422
    assert "Na tento tarif tato SIM karta přejít nemůže." in text(refused)


def test_an_immediate_change_applies_at_once_and_only_once(app, post, sign_in, edrs):
    customer_id, sim_id = "cust-0007", "prod-0007-1"
    token = sign_in(customer_id)
    confirm = post("/w/tariff/confirm", token, sim=sim_id, offering="tariff-datovy")
    assert confirm.status_code == 200
    body = text(confirm)
    assert "Současný tarif" in body and "Pohoda (349,00 Kč měsíčně)" in body
    assert "Datový (499,00 Kč měsíčně)" in body
    assert f"ihned, dnes {czech(today())}" in body
    assert "hx-disable" in body and "/w/tariff/change" in body
    form = {"sim": sim_id, "offering": "tariff-datovy", "confirmation": confirmation_of(body)}

    first = post("/w/tariff/change", token, **form)
    assert first.status_code == 200, text(first)
    assert first.headers["X-Selfcare-Action"] == "tariff.change"
    assert "Váš tarif je teď Datový." in text(first)
    assert sim_of(app, customer_id, sim_id).tariff.offering_id == "tariff-datovy"
    # the page now compares from Datový: Pohoda and Neomezený are offered
    assert re.findall(r'<tr data-tariff="([^"]+)"', text(first)) == [
        "tariff-datovy",
        "tariff-pohoda",
        "tariff-neomezeny",
    ]  # the current one, then the offers cheapest first
    again = post("/w/tariff/change", token, **form)  # double click / retry of the same confirmation
    assert again.status_code == 200
    assert "Nic se nezměnilo dvakrát" in text(again)
    assert sim_of(app, customer_id, sim_id).tariff.offering_id == "tariff-datovy"

    changes = edrs("tariff.change")[-2:]
    assert changes[0]["details"]["order"] == changes[1]["details"]["order"]
    assert [e["details"]["duplicate"] for e in changes] == [False, True]
    edr = changes[0]
    assert (edr["customer"], edr["sim"], edr["outcome"]) == (customer_id, sim_id, "success")
    assert edr["details"]["offering"] == "tariff-datovy" and edr["details"]["from"] == "tariff-pohoda"
    assert edr["details"]["price"] == "499.00" and edr["details"]["currency"] == "CZK"
    assert edr["details"]["effective"] == today().isoformat() and edr["details"]["pending"] is False

    # the overview shows the new tariff and its allowances, afresh
    overview = text(post("/w/overview", token))
    assert "Datový" in overview and "Datový – data" in overview


def test_a_change_from_the_next_period_is_shown_pending_until_then(app, post, sign_in, edrs):
    customer_id, sim_id = "cust-0012", "prod-0012-1"
    token = sign_in(customer_id)
    body = text(post("/w/tariff/confirm", token, sim=sim_id, offering="tariff-neomezeny"))
    effective = next_month(today())
    assert f"od příštího zúčtovacího období, {czech(effective)}" in body
    assert "Do té doby vám zůstává současný tarif" in body
    done = post(
        "/w/tariff/change", token, sim=sim_id, offering="tariff-neomezeny", confirmation=confirmation_of(body)
    )
    assert done.status_code == 200
    assert f"Váš tarif se {czech(effective)} změní na Neomezený." in text(done)
    sim = sim_of(app, customer_id, sim_id)
    assert sim.tariff.offering_id == "tariff-pohoda"  # still Pohoda until then
    assert sim.pending_tariff is not None and sim.pending_tariff.effective == effective
    assert "/w/tariff/confirm" not in text(done)  # no second change offered while one waits
    edr = edrs("tariff.change")[-1]
    assert edr["details"]["pending"] is True and edr["details"]["effective"] == effective.isoformat()

    pending = f"Změna tarifu na Neomezený je naplánovaná od {czech(effective)}."
    assert pending in text(post("/w/sims", token, sim=sim_id))
    assert f"od {czech(effective)}: Neomezený" in text(post("/w/overview", token))

    # another change is refused while one waits, by the widget and by the platform
    refused = post("/w/tariff/confirm", token, sim=sim_id, offering="tariff-datovy")
    assert refused.status_code == 422 and "už je změna tarifu naplánovaná" in text(refused)


def test_two_concurrent_submits_of_one_confirmation_change_once(app, sign_in, edrs):
    customer_id, sim_id = "cust-0018", "prod-0018-1"
    token = sign_in(customer_id)
    with serve_wsgi(app) as url:
        base = {"_partner": "demo-mobil", "_st": token, "sim": sim_id, "offering": "tariff-datovy"}
        headers = {"Origin": PORTAL_ORIGIN}
        confirm = requests.post(url + "/w/tariff/confirm", data=base, headers=headers, timeout=10)
        assert confirm.status_code == 200
        form = {**base, "confirmation": confirmation_of(confirm.text)}
        barrier = threading.Barrier(2)
        statuses: list[int] = []

        def submit():
            barrier.wait()
            statuses.append(
                requests.post(url + "/w/tariff/change", data=form, headers=headers, timeout=30).status_code
            )

        threads = [threading.Thread(target=submit) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert statuses == [200, 200]
    changes = [e for e in edrs("tariff.change") if e["sim"] == sim_id]
    assert len({e["details"]["order"] for e in changes}) == 1
    assert sorted(e["details"]["duplicate"] for e in changes) == [False, True]
    assert sim_of(app, customer_id, sim_id).tariff.offering_id == "tariff-datovy"


def test_a_blocked_sim_cannot_change(post, sign_in, edrs):
    token = sign_in("cust-0004")
    page = text(post("/w/tariff", token, sim="prod-0004-1"))
    assert "Tarif zablokované SIM karty nelze změnit." in page and "/w/tariff/confirm" not in page
    assert "Změnit tarif</button>" not in text(post("/w/sims", token, sim="prod-0004-1"))
    refused = post("/w/tariff/confirm", token, sim="prod-0004-1", offering="tariff-datovy")
    assert refused.status_code == 422
    # a confirmation of the customer's other (active) SIM does not unlock the blocked one
    other = text(post("/w/tariff/confirm", token, sim="prod-0004-2", offering="tariff-datovy"))
    change = post(
        "/w/tariff/change",
        token,
        sim="prod-0004-1",
        offering="tariff-datovy",
        confirmation=confirmation_of(other),
    )
    assert change.status_code == 400
    assert edrs("tariff.change")[-1]["details"]["code"] == "invalidConfirmation"


def test_the_platform_refuses_a_blocked_sim_too(sandbox_url):
    from tests.support import PLATFORM_CREDENTIAL

    response = requests.post(
        sandbox_url + "/tmf-api/productOrderingManagement/v4/productOrder",
        json={
            "externalId": "tariff-test-blocked",
            "relatedParty": [{"id": "cust-0004", "role": "customer"}],
            "productOrderItem": [
                {
                    "id": "1",
                    "action": "modify",
                    "productOffering": {"id": "tariff-datovy"},
                    "product": {"id": "prod-0004-1"},
                }
            ],
        },
        headers={"Authorization": f"Bearer {PLATFORM_CREDENTIAL}"},
        timeout=10,
    )
    assert response.status_code == 422 and response.json()["code"] == "simBlocked"


def test_another_customers_sim_is_refused(post, sign_in):
    token = sign_in("cust-0007")
    for path in ("/w/tariff", "/w/tariff/confirm", "/w/tariff/change"):
        response = post(path, token, sim="prod-0009-1", offering="tariff-datovy", confirmation="x")
        assert response.status_code == 404, path
        assert "prod-0009-1" not in response.get_data(as_text=True)


def test_a_confirmation_is_bound_to_its_customer_sim_and_tariff(post, sign_in):
    token = sign_in("cust-0009")
    body = text(post("/w/tariff/confirm", token, sim="prod-0009-1", offering="tariff-datovy"))
    confirmation = confirmation_of(body)
    # another tariff, another SIM of the same customer, or another customer: not valid
    for customer, sim, offering in (
        ("cust-0009", "prod-0009-1", "tariff-neomezeny"),
        ("cust-0009", "prod-0009-2", "tariff-datovy"),
    ):
        response = post(
            "/w/tariff/change", sign_in(customer), sim=sim, offering=offering, confirmation=confirmation
        )
        assert response.status_code == 400
        assert "Toto potvrzení již neplatí" in text(response)
    forged = post(
        "/w/tariff/change",
        token,
        sim="prod-0009-1",
        offering="tariff-datovy",
        confirmation=confirmation + "x",
    )
    assert forged.status_code == 400


def test_a_tariff_not_offered_for_the_line_is_refused(post, sign_in):
    token = sign_in("cust-0009")
    for offering in ("tariff-start", "tariff-pohoda", "addon-data-1gb", "nonsense"):
        response = post("/w/tariff/confirm", token, sim="prod-0009-1", offering=offering)
        assert response.status_code == 422, offering
        assert "Na tento tarif tato SIM karta přejít nemůže." in text(response)
