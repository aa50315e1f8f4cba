"""Forgotten password and password change — widget to sandbox over real HTTP (issue 14, item 1).

Reset: a code sent by SMS to the customer's line, then a new password that passes the rules; the
code cannot be skipped or guessed, a weak password does not use it up, other sessions end, the
customer gets a notice and is signed in. Change: the current password (checked by the platform)
or a code; guessing is limited per session; other sessions end, this one stays.
"""

from __future__ import annotations

import json

import pytest

from selfcare_widget.auth.password_policy import password_problem
from selfcare_widget.edr.recorder import stream_key
from selfcare_widget.platform import NotFound, Rejected
from selfcare_widget.platform.tmf import TmfPlatform, TmfSettings
from selfcare_widget.sandbox.seed import DEMO_PASSWORD
from selfcare_widget.services import services
from tests.support import PLATFORM_CREDENTIAL, PORTAL_ORIGIN, new_sms_code, sms_codes, sms_messages

RESET_CUSTOMER = "cust-0013"  # only these tests change its password, and they put it back
CHANGE_CUSTOMER = "cust-0014"
STRONG = "modrý kopec pod lipou"
ANOTHER_STRONG = "žlutý vlak jede k moři"


def form(client, path, **data):
    return client.post(path, data={"_partner": "demo-mobil", **data}, headers={"Origin": PORTAL_ORIGIN})


def edrs(app, action):
    entries = services(app).store.xrange(stream_key("demo-mobil"))
    return [e for e in (json.loads(f["edr"]) for _, f in entries) if e["action"] == action]


@pytest.fixture
def tmf(sandbox_url):
    """A platform client of the test's own: the read-back proof, and to put passwords back."""
    with TmfPlatform(TmfSettings(base_url=sandbox_url, credential=PLATFORM_CREDENTIAL)) as client:
        yield client


@pytest.fixture
def line(tmf):
    """(customer id, MSISDN, e-mail) of the reset customer; its password is put back afterwards."""
    customer = tmf.get_customer(RESET_CUSTOMER)
    assert customer.partner_id == "demo-mobil"
    msisdn = tmf.list_sims(RESET_CUSTOMER)[0].msisdn
    yield RESET_CUSTOMER, msisdn, customer.contact.email
    tmf.set_password("demo-mobil", RESET_CUSTOMER, DEMO_PASSWORD)


@pytest.fixture
def changer(tmf, sign_in):
    """A session of the change customer; its password is put back afterwards."""
    yield sign_in(CHANGE_CUSTOMER), tmf.get_customer(CHANGE_CUSTOMER)
    tmf.set_password("demo-mobil", CHANGE_CUSTOMER, DEMO_PASSWORD)


# --- the rules -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("kratke", "alespoň 12"),
        ("           a", "alespoň 12"),  # runs of spaces count as one (ASVS 2.1.1)
        ("x" * 129, "nejvýše 128"),
        ("passwordpassword", "snadné uhodnout"),
        ("123456789012", "snadné uhodnout"),
        ("qwertyuiopasdf", "snadné uhodnout"),
        ("1qaz2wsx3edc", "uniklých"),  # in the list of the most common leaked passwords
        ("novak.jan@example.cz", "snadné uhodnout"),  # the customer's own e-mail
    ],
)
def test_weak_passwords_are_refused_with_the_reason(app, password, why):
    with app.test_request_context(), app.app_context():
        from flask import g

        g.locale = "cs"
        problem = password_problem(password, personal=("novak.jan@example.cz",))
    assert problem and why in problem, problem


@pytest.mark.parametrize(
    "password", [STRONG, ANOTHER_STRONG, "Tr0ub4dor&3-vcera-vecer", "x" * 12 + "Qz7#kLm9!pW"]
)
def test_long_unguessable_passwords_pass_without_composition_rules(app, password):
    with app.test_request_context():
        assert password_problem(password) is None


# --- the platform extension -----------------------------------------------------------------------


def test_platform_changes_the_password_only_with_the_right_current_one(tmf, line):
    customer_id, msisdn, _ = line
    with pytest.raises(Rejected) as refused:
        tmf.set_password("demo-mobil", customer_id, STRONG, current_password="not it")
    assert refused.value.code == "invalidCredentials"
    tmf.set_password("demo-mobil", customer_id, STRONG, current_password=DEMO_PASSWORD)
    assert tmf.authenticate("demo-mobil", msisdn, STRONG) == customer_id
    with pytest.raises(Rejected):
        tmf.authenticate("demo-mobil", msisdn, DEMO_PASSWORD)


def test_platform_keeps_partners_apart(tmf):
    with pytest.raises(NotFound):  # cust-0003 is Zelená mobil's
        tmf.set_password("demo-mobil", "cust-0003", STRONG)


# --- forgotten password ------------------------------------------------------------------------------


def test_reset_sends_a_code_and_sets_the_password_ending_other_sessions(
    client, app, line, sandbox_url, sign_in
):
    customer_id, msisdn, _ = line
    elsewhere = sign_in(customer_id)  # signed in on another device
    before = len(sms_codes(sandbox_url, msisdn))
    start = form(client, "/auth/reset")
    assert start.status_code == 200 and 'id="sc-reset-msisdn"' in start.get_data(as_text=True)
    sent = form(client, "/auth/reset/send", msisdn=msisdn[3:])
    body = sent.get_data(as_text=True)
    assert sent.status_code == 200 and f"+420 {msisdn[3:6]} ••• {msisdn[-3:]}" in body
    assert 'autocomplete="one-time-code"' in body and 'inputmode="numeric"' in body
    code = new_sms_code(sandbox_url, msisdn, before)

    done = form(client, "/auth/reset/confirm", msisdn=msisdn, code=code, password=STRONG)
    assert done.status_code == 200 and done.headers.get("X-Selfcare-Session")
    assert "sc-shell" in done.get_data(as_text=True)  # signed in
    assert form(client, "/w/overview", _st=elsewhere).status_code == 401  # the other session ended
    assert form(client, "/w/overview", _st=done.headers["X-Selfcare-Session"]).status_code == 200
    assert services(app).platform.authenticate("demo-mobil", msisdn, STRONG) == customer_id
    (edr,) = edrs(app, "password.reset")[-1:]
    assert (edr["outcome"], edr["customer"], edr["details"]["sessions_ended"]) == ("success", customer_id, 1)
    assert "password" not in json.dumps(edr["details"]).replace("password.reset", "")


def test_reset_cannot_be_driven_without_the_code(client, app, line, sandbox_url):
    customer_id, msisdn, _ = line
    assert form(client, "/auth/reset/send", msisdn=msisdn).status_code == 200
    for typed in ("", "000000", "12345"):
        refused = form(client, "/auth/reset/confirm", msisdn=msisdn, code=typed, password=STRONG)
        assert refused.status_code == 401 and "není správný" in refused.get_data(as_text=True)
        assert "X-Selfcare-Session" not in refused.headers
    assert services(app).platform.authenticate("demo-mobil", msisdn, DEMO_PASSWORD) == customer_id


def test_a_sign_in_code_does_not_reset_the_password(client, app, line, sandbox_url):
    customer_id, msisdn, _ = line
    before = len(sms_codes(sandbox_url, msisdn))
    assert form(client, "/auth/sms/send", msisdn=msisdn).status_code == 200
    signin_code = new_sms_code(sandbox_url, msisdn, before)
    refused = form(client, "/auth/reset/confirm", msisdn=msisdn, code=signin_code, password=STRONG)
    assert refused.status_code == 401


def test_a_weak_password_keeps_the_code_and_what_was_typed(client, app, line, sandbox_url):
    customer_id, msisdn, _ = line
    before = len(sms_codes(sandbox_url, msisdn))
    form(client, "/auth/reset/send", msisdn=msisdn)
    code = new_sms_code(sandbox_url, msisdn, before)
    weak = form(client, "/auth/reset/confirm", msisdn=msisdn, code=code, password="heslo12345")
    body = weak.get_data(as_text=True)
    assert weak.status_code == 422 and "alespoň 12" in body and f'value="{code}"' in body
    assert 'aria-invalid="true"' in body and "heslo12345" not in body  # a password is never echoed
    assert form(client, "/auth/reset/confirm", msisdn=msisdn, code=code, password=STRONG).status_code == 200


def test_the_customer_is_told_on_the_phone(client, line, sandbox_url):
    customer_id, msisdn, _ = line
    before = len(sms_codes(sandbox_url, msisdn))
    form(client, "/auth/reset/send", msisdn=msisdn)
    code = new_sms_code(sandbox_url, msisdn, before)
    assert form(client, "/auth/reset/confirm", msisdn=msisdn, code=code, password=STRONG).status_code == 200
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(
        "bylo změněno" in t for t in sms_messages(sandbox_url, msisdn)
    ):
        time.sleep(0.05)
    assert "bylo změněno" in sms_messages(sandbox_url, msisdn)[0]


def test_an_unknown_number_gets_the_same_answer_and_no_sms(client, sandbox_url):
    known = form(client, "/auth/reset/send", msisdn="420776100200")
    unknown = form(client, "/auth/reset/send", msisdn="420777000998")
    assert known.status_code == unknown.status_code == 200
    assert unknown.get_data(as_text=True).replace("420777000998", "X").replace("777 ••• 998", "Y") == (
        known.get_data(as_text=True).replace("420776100200", "X").replace("776 ••• 200", "Y")
    )
    assert sms_codes(sandbox_url, "420777000998") == []


def test_reset_codes_are_limited_per_number_whatever_the_spelling(client, line):
    _, msisdn, _ = line
    national = msisdn[3:]
    spellings = [national, f"+{msisdn}", f"{national[:3]} {national[3:6]} {national[6:]}", f"00{msisdn}"]
    codes = [form(client, "/auth/reset/send", msisdn=s).status_code for s in spellings]
    assert codes == [200, 200, 200, 429]


# --- change in a session ----------------------------------------------------------------------------


def test_change_needs_the_current_password_and_keeps_this_session_only(client, app, changer, sign_in, tmf):
    token, customer = changer
    other = sign_in(CHANGE_CUSTOMER)
    page = form(client, "/w/contact", _st=token).get_data(as_text=True)
    assert "Změnit heslo" in page
    wrong = form(client, "/w/password/save", _st=token, current_password="nope", new_password=STRONG)
    assert wrong.status_code == 422 and "Současné heslo není správné" in wrong.get_data(as_text=True)
    done = form(client, "/w/password/save", _st=token, current_password=DEMO_PASSWORD, new_password=STRONG)
    assert done.status_code == 200 and "data-sc-password-changed" in done.get_data(as_text=True)
    assert form(client, "/w/overview", _st=token).status_code == 200  # this session stays
    assert form(client, "/w/overview", _st=other).status_code == 401  # the other one ended
    assert tmf.authenticate("demo-mobil", customer.contact.email, STRONG) == CHANGE_CUSTOMER
    outcomes = [(e["outcome"], e["details"].get("reason")) for e in edrs(app, "password.change")]
    assert outcomes[-2:] == [("rejected", "reauthentication"), ("success", None)]


def test_change_refuses_a_weak_password_before_asking_the_platform(client, changer, tmf):
    token, customer = changer
    weak = form(
        client, "/w/password/save", _st=token, current_password=DEMO_PASSWORD, new_password="Password1234"
    )
    body = weak.get_data(as_text=True)
    assert weak.status_code == 422 and ("uhodnout" in body or "uniklých" in body)
    assert tmf.authenticate("demo-mobil", customer.contact.email, DEMO_PASSWORD) == CHANGE_CUSTOMER


def test_guessing_the_current_password_is_limited_per_session(client, changer):
    token, _ = changer
    codes = [
        form(
            client, "/w/password/save", _st=token, current_password=f"hadam-{i}", new_password=STRONG
        ).status_code
        for i in range(6)
    ]
    assert codes == [422] * 5 + [429]


def test_change_with_a_code_instead_of_the_password(client, changer, sandbox_url, tmf):
    token, customer = changer
    msisdn = tmf.list_sims(CHANGE_CUSTOMER)[0].msisdn
    before = len(sms_codes(sandbox_url, msisdn))
    asked = form(client, "/w/password/code", _st=token)
    assert asked.status_code == 200 and 'name="reauth_code"' in asked.get_data(as_text=True)
    code = new_sms_code(sandbox_url, msisdn, before)
    done = form(client, "/w/password/save", _st=token, reauth_code=code, new_password=ANOTHER_STRONG)
    assert done.status_code == 200
    assert tmf.authenticate("demo-mobil", customer.contact.email, ANOTHER_STRONG) == CHANGE_CUSTOMER


def test_every_password_route_requires_a_session(client):
    for path in ("/w/password", "/w/password/code", "/w/password/save"):
        assert form(client, path).status_code == 401
