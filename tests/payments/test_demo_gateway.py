"""The demo portal's fake gateway signs its result as docs/payments.md says, and is no open redirect."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

from flask import Flask

from selfcare_widget.config import PROJECT_ROOT
from selfcare_widget.demo.gateway import create_demo_gateway, demo_url_template
from selfcare_widget.views.payments import gateway_signature

SECRET = "demo-gateway-secret-with-at-least-32-characters"
WIDGET = "http://127.0.0.1:8001"


def _client():
    app = Flask("demo-gateway-test", template_folder=str(PROJECT_ROOT / "templates"), static_folder=None)
    app.add_url_rule("/static/<path:filename>", "static", lambda filename: "")
    app.register_blueprint(create_demo_gateway(SECRET, WIDGET))
    return app.test_client()


PAYMENT = {
    "amount": "200.00",
    "currency": "CZK",
    "vs": "776100200",
    "invoice": "",
    "ref": "a" * 32,
    "return": WIDGET + "/pay/return?kind=topup&ref=" + "a" * 32 + "&sig=x",
}


def test_the_demo_gateway_is_labelled_and_signs_its_result():
    client = _client()
    page = client.get("/demo-gateway/pay", query_string=PAYMENT).get_data(as_text=True)
    assert "DEMO" in page and "200.00 CZK" in page
    done = client.post("/demo-gateway/complete", data={**PAYMENT, "action": "pay"})
    assert done.status_code == 303
    location = done.headers["Location"]
    assert location.startswith(PAYMENT["return"] + "&")
    result = dict(parse_qsl(urlsplit(location).query))
    assert result["status"] == "paid" and result["paid_amount"] == "200.00"
    expected = gateway_signature(SECRET, "a" * 32, "paid", result["transaction"], "200.00", "CZK")
    assert result["gateway_signature"] == expected
    cancelled = dict(
        parse_qsl(urlsplit(client.post("/demo-gateway/complete", data=PAYMENT).headers["Location"]).query)
    )
    assert cancelled["status"] == "cancelled" and cancelled["paid_amount"] == "0.00"


def test_the_demo_gateway_returns_only_to_the_widget():
    client = _client()
    for bad in ("https://evil.example/pay/return?x=1", WIDGET + "/elsewhere?x=1"):
        assert client.get("/demo-gateway/pay", query_string={**PAYMENT, "return": bad}).status_code == 400
        assert (
            client.post(
                "/demo-gateway/complete", data={**PAYMENT, "return": bad, "action": "pay"}
            ).status_code
            == 400
        )


def test_the_demo_partners_template_points_at_the_portal():
    template = demo_url_template("http://127.0.0.1:8000")
    assert template.startswith("http://127.0.0.1:8000/demo-gateway/pay?amount={amount}")
    assert "{return_url}" in template and "{reference}" in template
