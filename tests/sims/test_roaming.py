"""Roaming by zone (EU, rest of the world) with the partner's price notice and the data limit
outside the EU — widget to sandbox over real HTTP."""

from __future__ import annotations

import html
import re

from selfcare_widget.services import services
from tests.sims.helpers import find_customer


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def pressed(body: str, setting: str) -> str:
    form = re.search(rf'name="setting" value="{setting}".*?aria-pressed="(true|false)"', body, re.S)
    assert form, f"no switch for {setting}"
    return form.group(1)


def _roamer(app):
    """A generated demo-mobil customer's SIM (datový tariff, from the bottom of the range)."""
    return find_customer(
        services(app).platform, [f"cust-{n:04d}" for n in range(6, 31) if n != 10], "tariff-start"
    )


def _settings(app, customer_id: str, sim_id: str):
    platform = services(app).platform
    sim = next(s for s in platform.list_sims(customer_id) if s.product_id == sim_id)
    return next(s for s in platform.list_sim_settings(customer_id) if s.service_id == sim.service_id)


def test_the_detail_shows_both_zones_the_price_notice_and_the_limit(app, post, sign_in):
    customer_id, sim_id = _roamer(app)
    body = text(post("/w/sims", sign_in(customer_id), sim=sim_id))
    current = _settings(app, customer_id, sim_id)
    assert pressed(body, "roaming_eu_enabled") == str(current.roams_in_eu).lower()
    assert pressed(body, "roaming_world_enabled") == str(current.roams_in_world).lower()
    assert "Mimo EU: data 99 Kč/MB." in body  # the partner's notice (partners file)
    assert 'href="https://www.demo-mobil.cz/roaming"' in body and 'rel="noopener noreferrer"' in body
    assert re.search(rf'<option value="{current.roaming_data_limit}" selected>', body)
    assert "Žádná mobilní data mimo EU" in body and "1\xa0500,00\xa0Kč" in body


def test_zones_switch_separately_and_the_master_switch_follows(app, post, sign_in, edrs):
    customer_id, sim_id = _roamer(app)
    token = sign_in(customer_id)
    before = _settings(app, customer_id, sim_id)

    def switch(name: str, wanted: bool) -> str:
        response = post("/w/sims/setting", token, sim=sim_id, setting=name, value=str(wanted).lower())
        assert response.status_code == 200
        return text(response)

    try:
        assert pressed(switch("roaming_eu_enabled", False), "roaming_eu_enabled") == "false"
        assert pressed(switch("roaming_world_enabled", False), "roaming_world_enabled") == "false"
        off = _settings(app, customer_id, sim_id)
        assert not off.roaming_enabled and not off.roams_in_eu and not off.roams_in_world
        assert pressed(switch("roaming_world_enabled", True), "roaming_world_enabled") == "true"
        world = _settings(app, customer_id, sim_id)
        # the world on, the EU stays off: the master switch is on, the EU zone is not
        assert world.roaming_enabled and world.roams_in_world and not world.roams_in_eu
        switch("roaming_eu_enabled", True)
        both = _settings(app, customer_id, sim_id)
        assert both.roams_in_eu and both.roams_in_world
        last = edrs("sim.setting.change")[-1]
        assert last["details"] == {"setting": "roaming_eu_enabled", "old": False, "new": True}
    finally:  # put the customer's roaming back as it was
        switch("roaming_eu_enabled", before.roams_in_eu)
        switch("roaming_world_enabled", before.roams_in_world)
    after = _settings(app, customer_id, sim_id)
    assert (after.roams_in_eu, after.roams_in_world) == (before.roams_in_eu, before.roams_in_world)


def test_the_roaming_data_limit_takes_the_offered_values(app, post, sign_in, edrs):
    customer_id, sim_id = _roamer(app)
    token = sign_in(customer_id)
    before = _settings(app, customer_id, sim_id).roaming_data_limit
    wanted = 500 if before != 500 else 5000
    try:
        response = post("/w/sims/roaming-limit", token, sim=sim_id, limit=str(wanted))
        assert response.status_code == 200
        assert response.headers["X-Selfcare-Action"] == "sim.setting.change"
        body = text(response)
        assert f'<option value="{wanted}" selected>' in body and "Limit dat v roamingu je uložen." in body
        assert _settings(app, customer_id, sim_id).roaming_data_limit == wanted
        assert edrs("sim.setting.change")[-1]["details"] == {
            "setting": "roaming_data_limit",
            "old": before,
            "new": wanted,
        }
        for bad in ("42", "", "-500", "1e3", "500.0"):
            assert post("/w/sims/roaming-limit", token, sim=sim_id, limit=bad).status_code == 400
        assert _settings(app, customer_id, sim_id).roaming_data_limit == wanted
    finally:
        post("/w/sims/roaming-limit", token, sim=sim_id, limit=str(before))
    assert _settings(app, customer_id, sim_id).roaming_data_limit == before


def test_another_customers_roaming_cannot_be_changed(app, post, sign_in):
    customer_id, sim_id = _roamer(app)
    before = _settings(app, customer_id, sim_id)
    token = sign_in("cust-0001")
    assert post("/w/sims/roaming-limit", token, sim=sim_id, limit="0").status_code == 404
    assert (
        post("/w/sims/setting", token, sim=sim_id, setting="roaming_world_enabled", value="true").status_code
        == 404
    )
    assert _settings(app, customer_id, sim_id) == before
