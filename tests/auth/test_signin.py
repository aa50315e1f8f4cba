"""Password and SMS-code sign-in, sign-out, rate limits — widget to sandbox over real HTTP."""

from __future__ import annotations

import json
import time

from selfcare_widget.edr.recorder import stream_key
from selfcare_widget.sandbox.seed import DEMO_PASSWORD
from selfcare_widget.services import services
from tests.support import PORTAL_ORIGIN, new_sms_code, sms_codes

COMM = "/tmf-api/communicationManagement/v4/communicationMessage"


def form(client, path, **data):
    return client.post(path, data={"_partner": "demo-mobil", **data}, headers={"Origin": PORTAL_ORIGIN})


def last_edr(app):
    _, fields = services(app).store.xrevrange(stream_key("demo-mobil"), count=1)[0]
    return json.loads(fields["edr"])


def test_password_sign_in_returns_session_and_shell(client, app):
    response = form(client, "/auth/password", login="+420 601 234 567", password=DEMO_PASSWORD)
    assert response.status_code == 200
    token = response.headers["X-Selfcare-Session"]
    body = response.get_data(as_text=True)
    assert "sc-shell" in body
    assert 'data-sc-section="overview"' in body  # the first section comes inline, no second request
    assert "Set-Cookie" not in response.headers  # signing in never sets a cookie
    assert "X-Selfcare-Session" in response.headers["Access-Control-Expose-Headers"]
    assert form(client, "/w/overview", _st=token).status_code == 200
    edr = last_edr(app)
    assert (edr["action"], edr["customer"], edr["details"]["method"]) == ("signin", "cust-0001", "password")


def test_password_sign_in_with_email(client):
    response = form(client, "/auth/password", login="jan.stastny@example.cz", password=DEMO_PASSWORD)
    assert response.status_code == 200 and response.headers.get("X-Selfcare-Session")


def test_wrong_password_is_refused_keeps_login_and_is_recorded(client, app):
    response = form(client, "/auth/password", login="601234567", password="wrong")
    assert response.status_code == 401
    assert "X-Selfcare-Session" not in response.headers
    assert 'value="601234567"' in response.get_data(as_text=True)  # nothing the customer typed is lost
    edr = last_edr(app)
    assert (edr["action"], edr["outcome"]) == ("signin", "failure")


def test_customer_of_another_partner_cannot_sign_in_here(client):
    # cust-0003 belongs to zelena-mobil; its valid password must not open demo-mobil's widget.
    response = form(client, "/auth/password", login="420731222333", password=DEMO_PASSWORD)
    assert response.status_code == 401


def test_empty_input_gets_a_message_not_an_error(client):
    response = form(client, "/auth/password", login="", password="")
    assert response.status_code == 422
    assert "sc-error" in response.get_data(as_text=True)


def test_password_attempts_are_rate_limited(client):
    responses = [form(client, "/auth/password", login="420605777888", password=f"x{i}") for i in range(12)]
    assert [r.status_code for r in responses[:10]] == [401] * 10
    assert [r.status_code for r in responses[10:]] == [429, 429]
    refused = responses[-1].get_data(as_text=True)
    assert "Příliš mnoho pokusů" in refused and 'value="420605777888"' in refused  # the login is kept


def test_sms_code_sign_in(client, app, sandbox_url):
    msisdn = "420776100201"
    before = len(sms_codes(sandbox_url, msisdn))
    response = form(client, "/auth/sms/send", msisdn="776 100 201")
    assert response.status_code == 200
    code = new_sms_code(sandbox_url, msisdn, before)
    time.sleep(0.2)
    assert len(sms_codes(sandbox_url, msisdn)) == before + 1  # one code, once
    wrong = form(client, "/auth/sms/verify", msisdn=msisdn, code="000000" if code != "000000" else "111111")
    assert wrong.status_code == 401
    ok = form(client, "/auth/sms/verify", msisdn=msisdn, code=code)
    assert ok.status_code == 200 and ok.headers.get("X-Selfcare-Session")
    assert last_edr(app)["details"]["method"] == "sms"
    # single use
    assert form(client, "/auth/sms/verify", msisdn=msisdn, code=code).status_code == 401


def test_sms_code_is_void_after_five_wrong_attempts(client, sandbox_url):
    msisdn = "420776100202"
    before = len(sms_codes(sandbox_url, msisdn))
    form(client, "/auth/sms/send", msisdn=msisdn)
    code = new_sms_code(sandbox_url, msisdn, before)
    wrong = "123456" if code != "123456" else "654321"
    for _ in range(5):
        assert form(client, "/auth/sms/verify", msisdn=msisdn, code=wrong).status_code == 401
    assert form(client, "/auth/sms/verify", msisdn=msisdn, code=code).status_code == 401


def test_unknown_number_gets_the_same_answer_and_no_sms(client, sandbox_url):
    before = len(sms_codes(sandbox_url, "420776100200"))
    known = form(client, "/auth/sms/send", msisdn="420776100200")
    unknown = form(client, "/auth/sms/send", msisdn="420777000999")
    assert known.status_code == unknown.status_code == 200
    masked_known, masked_unknown = "+420 776 ••• 200".encode(), "+420 777 ••• 999".encode()
    assert masked_known in known.get_data()  # says where the code went, without the whole number
    assert known.get_data() == unknown.get_data().replace(b"420777000999", b"420776100200").replace(
        masked_unknown, masked_known
    )
    new_sms_code(sandbox_url, "420776100200", before)  # the known number got its code
    assert sms_codes(sandbox_url, "420777000999") == []


def test_sign_out_revokes_the_session(client, app, sign_in):
    token = sign_in("cust-0001")
    response = form(client, "/auth/logout", _st=token)
    assert response.status_code == 200 and response.headers["X-Selfcare-Signed-Out"] == "1"
    assert form(client, "/w/overview", _st=token).status_code == 401
    assert last_edr(app)["action"] == "signout"
