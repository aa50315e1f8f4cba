"""A blocked SIM's switches look and behave disabled, with the reason said once (issue 12 bug 7)."""

from __future__ import annotations

import re

from selfcare_widget.services import services


def test_a_blocked_sims_switches_are_disabled_and_described_by_the_reason(app, post, sign_in):
    platform = services(app).platform
    blocked = next(s for s in platform.list_sims("cust-0004") if s.state == "suspended")
    body = post("/w/sims", sign_in("cust-0004"), sim=blocked.product_id).get_data(as_text=True)
    switches = re.findall(r"<button[^>]*class=\"sc-switch\"[^>]*>", body)
    assert len(switches) == 6  # four settings and the two roaming zones
    for switch in switches:
        assert " disabled" in switch
        assert 'aria-describedby="sc-sim-locked ' in switch
    assert body.count('id="sc-sim-locked"') == 1
    assert "sims/setting" not in body  # nothing to post: the switches cannot be used
    assert "sims/roaming-limit" not in body and "sc-roaming-limit-value" in body  # shown, disabled


def test_an_active_sims_switches_stay_live(app, post, sign_in):
    platform = services(app).platform
    active = next(s for s in platform.list_sims("cust-0004") if s.state == "active")
    body = post("/w/sims", sign_in("cust-0004"), sim=active.product_id).get_data(as_text=True)
    switches = re.findall(r"<button[^>]*class=\"sc-switch\"[^>]*>", body)
    assert switches and not any(" disabled" in s for s in switches)
    assert "sc-sim-locked" not in body
