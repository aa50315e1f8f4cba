"""SIM list, detail, settings toggles and blocking — widget to sandbox over real HTTP."""

from __future__ import annotations

import html
import re

import pytest
from flask import render_template
from markupsafe import escape

from selfcare_widget.platform.models import Sim, SimCard, SimSettings, Tariff
from selfcare_widget.services import services

CUST1_SIM2 = "prod-0001-2"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def pressed(body: str, setting: str) -> str:
    """aria-pressed of the switch of ``setting`` in a fragment."""
    form = re.search(rf'name="setting" value="{setting}".*?aria-pressed="(true|false)"', body, re.S)
    assert form, f"no switch for {setting}"
    return form.group(1)


def settings_of(app, customer_id: str, sim_product_id: str) -> SimSettings:
    platform = services(app).platform
    sim = next(s for s in platform.list_sims(customer_id) if s.product_id == sim_product_id)
    return next(s for s in platform.list_sim_settings(customer_id) if s.service_id == sim.service_id)


def test_list_shows_every_sim_of_the_customer(post, sign_in):
    response = post("/w/sims", sign_in("cust-0001"))
    assert response.status_code == 200
    body = text(response)
    assert "+420 601 234 567" in body and "+420 602 345 678" in body
    assert 'data-sc-section="sims"' in body


def test_detail_shows_msisdn_iccid_state_tariff_and_six_switches(app, post, sign_in):
    response = post("/w/sims", sign_in("cust-0001"), sim=CUST1_SIM2)
    assert response.status_code == 200
    body = text(response)
    assert "+420 602 345 678" in body
    assert "8942011000000000029" in body  # ICCID of the TMF639 SIM card
    assert "Pohoda" in body
    current = settings_of(app, "cust-0001", CUST1_SIM2)
    for name, attr in (
        ("data_enabled", "data_enabled"),
        ("premium_sms_barred", "premium_sms_barred"),
        ("international_calls_barred", "international_calls_barred"),
        ("voicemail_enabled", "voicemail_enabled"),
        ("roaming_eu_enabled", "roams_in_eu"),
        ("roaming_world_enabled", "roams_in_world"),
    ):
        assert pressed(body, name) == str(getattr(current, attr)).lower()
    assert 'value="roaming_enabled"' not in body  # the master switch goes with the zones
    assert "/w/sims/block" in body  # the block action is offered (behind its confirm step)
    assert "confirm(" not in body and "<script" not in body and "style=" not in body


def test_toggle_roaming_on_the_second_sim_and_back(app, post, sign_in, edrs):
    token = sign_in("cust-0001")
    before = settings_of(app, "cust-0001", CUST1_SIM2).roaming_enabled
    for wanted in (not before, before):
        response = post(
            "/w/sims/setting", token, sim=CUST1_SIM2, setting="roaming_enabled", value=str(wanted).lower()
        )
        assert response.status_code == 200
        assert response.headers["X-Selfcare-Action"] == "sim.setting.change"
        body = text(response)
        assert pressed(body, "roaming_enabled") == str(wanted).lower()
        assert 'role="status"' in body and "<section" not in body  # just the toggle
        assert (
            settings_of(app, "cust-0001", CUST1_SIM2).roaming_enabled is wanted
        )  # confirmed by the platform
    changes = edrs("sim.setting.change")[-2:]
    assert [(e["outcome"], e["sim"], e["details"]) for e in changes] == [
        ("success", CUST1_SIM2, {"setting": "roaming_enabled", "old": before, "new": not before}),
        ("success", CUST1_SIM2, {"setting": "roaming_enabled", "old": not before, "new": before}),
    ]
    assert all(e["customer"] == "cust-0001" and e["channel"] == "widget" for e in changes)


def test_rejected_change_shows_the_reason_and_the_real_state(app, post, sign_in, edrs):
    platform = services(app).platform
    blocked = next(s for s in platform.list_sims("cust-0004") if s.state == "suspended")
    real = settings_of(app, "cust-0004", blocked.product_id).roaming_enabled
    response = post(
        "/w/sims/setting",
        sign_in("cust-0004"),
        sim=blocked.product_id,
        setting="roaming_enabled",
        value=str(not real).lower(),
    )
    assert response.status_code == 422
    body = text(response)
    assert pressed(body, "roaming_enabled") == str(real).lower()  # unchanged
    assert "zablokovaná" in body  # the platform's reason in the customer's language (cs)
    assert 'role="alert"' in body
    assert settings_of(app, "cust-0004", blocked.product_id).roaming_enabled is real
    last = edrs("sim.setting.change")[-1]
    assert last["outcome"] == "rejected" and last["sim"] == blocked.product_id
    assert last["details"] == {
        "setting": "roaming_enabled",
        "old": real,
        "new": not real,
        "code": "simBlocked",
    }


@pytest.mark.parametrize(
    ("setting", "value"),
    [
        ("sim_blocked", "false"),
        ("teleport_enabled", "true"),
        ("roaming_enabled", "yes"),
        ("roaming_enabled", ""),
    ],
)
def test_unknown_setting_or_non_boolean_value_is_a_400_fragment(post, sign_in, setting, value):
    response = post("/w/sims/setting", sign_in("cust-0001"), sim=CUST1_SIM2, setting=setting, value=value)
    assert response.status_code == 400
    assert 'role="alert"' in response.get_data(as_text=True)


def test_block_asks_inline_then_blocks_and_records(app, post, sign_in, edrs, blockable_sim):
    customer_id, sim_id = blockable_sim
    token = sign_in(customer_id)
    step1 = post("/w/sims/block", token, sim=sim_id)
    assert step1.status_code == 200
    assert "/w/sims/block/confirm" in text(step1) and "data-sc-focus" in text(step1)
    assert settings_of(app, customer_id, sim_id).sim_blocked is False  # nothing happens before confirming
    cancel = post("/w/sims/block", token, sim=sim_id, step="cancel")
    assert cancel.status_code == 200 and "/w/sims/block/confirm" not in text(cancel)

    done = post("/w/sims/block/confirm", token, sim=sim_id)
    assert done.status_code == 200
    assert done.headers["X-Selfcare-Action"] == "sim.block"
    assert "sc-badge--suspended" in text(done)
    assert settings_of(app, customer_id, sim_id).sim_blocked is True
    last = edrs("sim.block")[-1]
    assert (last["customer"], last["sim"], last["outcome"]) == (customer_id, sim_id, "success")
    # every other change is now refused by the platform
    refused = post("/w/sims/setting", token, sim=sim_id, setting="data_enabled", value="false")
    assert refused.status_code == 422


OTHER_SIMS = [
    ("cust-0003", ("731 222 333", "731222333")),  # the other partner's customer
    ("cust-0004", ("604 555 666", "604555666", "605 777 888", "605777888")),  # same partner, other customer
]


@pytest.mark.parametrize(("owner", "secrets"), OTHER_SIMS)
@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/w/sims", {}),
        ("/w/sims/setting", {"setting": "roaming_enabled", "value": "true"}),
        ("/w/sims/block", {}),
        ("/w/sims/block", {"step": "cancel"}),
        ("/w/sims/block/confirm", {}),
    ],
)
def test_another_customers_sim_is_404_and_leaks_nothing(app, post, sign_in, owner, secrets, path, form):
    platform = services(app).platform
    foreign = platform.list_sims(owner)[0]
    before = settings_of(app, owner, foreign.product_id)
    response = post(path, sign_in("cust-0001"), sim=foreign.product_id, **form)
    assert response.status_code == 404
    body = text(response)
    assert not any(s in body for s in secrets) and foreign.iccid not in body
    assert settings_of(app, owner, foreign.product_id) == before


@pytest.mark.parametrize("path", ["/w/sims", "/w/sims/setting", "/w/sims/block", "/w/sims/block/confirm"])
def test_every_route_needs_a_session(post, path):
    assert post(path, sim=CUST1_SIM2).status_code == 401


PAYLOADS = ("<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "{{7*7}}")


@pytest.mark.parametrize("payload", PAYLOADS)
def test_platform_text_in_the_detail_is_inert(app, payload):
    sim = Sim(
        product_id="prod-x",
        msisdn="420601234567",
        iccid=payload,
        state="active",
        tariff=Tariff("tariff-x", payload),
        service_id="svc-x",
        resource_id="res-x",
    )
    settings = SimSettings("svc-x", "active", True, False, False, False, True, False, roaming_data_limit=500)
    from selfcare_widget.partners import Partner, SupportContact
    from selfcare_widget.views.sims import ROAMING_DATA_LIMITS, ROAMING_TOGGLES, TOGGLES

    # partner texts come from the operator's file: escaped all the same
    partner = Partner(
        "demo-mobil",
        payload,
        ("https://x.example",),
        None,
        ("sso",),
        roaming_notice=payload,
        support=SupportContact(phone="+420 800 123 456", email="a@example.cz"),
    )
    with app.test_request_context("/w/sims", method="POST"):
        body = render_template(
            "widget/sims/_detail.html",
            sim=sim,
            card=SimCard("res-x", payload, "available"),
            settings=settings,
            toggles=TOGGLES,
            roaming_toggles=ROAMING_TOGGLES,
            roaming_limits=ROAMING_DATA_LIMITS,
            partner=partner,
            status=payload,
            error=payload,
            replaced="",
        )
    if str(escape(payload)) != payload:  # markup payloads appear only escaped
        assert payload not in body
    assert str(escape(payload)) in body  # e.g. &lt;script&gt;…
    assert "49" not in body
