"""Errors: a friendly fragment in the customer's language, never a stack trace."""

from __future__ import annotations

from selfcare_widget.services import services


def test_an_unexpected_bug_gives_a_friendly_500_without_a_trace(app, post, sign_in):
    def broken(*_args, **_kwargs):
        raise RuntimeError("secret internal detail /srv/app.py line 42")

    # a programming error deep inside a view (the error handler is what is under test)
    services(app).platform.list_sims = broken
    response = post("/w/overview", sign_in("cust-0001"))
    body = response.get_data(as_text=True)
    assert response.status_code == 500
    assert 'role="alert"' in body and "Na naší straně se něco pokazilo" in body
    assert "Traceback" not in body and "secret internal detail" not in body and "RuntimeError" not in body


def test_unknown_url_and_wrong_method_are_friendly(client):
    missing = client.get("/w/nothing-here")
    assert missing.status_code == 404 and 'role="alert"' in missing.get_data(as_text=True)
    wrong = client.get("/w/overview")
    assert wrong.status_code == 405 and "Traceback" not in wrong.get_data(as_text=True)


def test_oversized_request_is_refused_cleanly(client):
    response = client.post("/auth/password", data={"_partner": "demo-mobil", "login": "x" * 100_000})
    assert response.status_code == 413 and "Traceback" not in response.get_data(as_text=True)


def test_english_session_gets_english_errors(app, post, sign_in):
    services(app).platform.list_sims = lambda *_: (_ for _ in ()).throw(RuntimeError("x"))
    body = post("/w/overview", sign_in("cust-0001", locale="en")).get_data(as_text=True)
    assert "Something went wrong on our side" in body
