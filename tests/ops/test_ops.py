"""Health, readiness and Prometheus metrics over the widget app (real HTTP to the sandbox)."""

from __future__ import annotations

import re

import pytest
from prometheus_client.parser import text_string_to_metric_families

from selfcare_widget import ops
from selfcare_widget.services import services
from tests.support import PORTAL_ORIGIN, free_port, make_widget_app

_NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
_LABELS = r'\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\}'
_NUMBER = r"(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?Inf|NaN)"
SAMPLE_LINE = re.compile(rf"^{_NAME}(?:{_LABELS})? {_NUMBER}(?: -?\d+)?$")
META_LINE = re.compile(rf"^# (?:HELP {_NAME} .*|TYPE {_NAME} (?:counter|gauge|histogram|summary|untyped))$")


def scrape(client) -> dict[tuple[str, tuple], float]:
    """``{(sample name, sorted labels): value}`` from ``GET /metrics``, after checking every line."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    text = response.get_data(as_text=True)
    assert text.endswith("\n")
    for line in text.splitlines():
        assert SAMPLE_LINE.match(line) or META_LINE.match(line), f"not Prometheus text format: {line!r}"
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(samples, name: str, **labels) -> float:
    """Sum of the samples called ``name`` whose labels include ``labels``."""
    return sum(v for (n, ls), v in samples.items() if n == name and labels.items() <= dict(ls).items())


@pytest.fixture
def closed_platform_app(test_partners):
    """A widget app whose platform URL points to a port nobody listens on."""
    return make_widget_app(f"http://127.0.0.1:{free_port()}", test_partners)


def test_healthz_is_plain_ok_with_the_release_without_auth(client):
    from selfcare_widget import __version__

    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    assert response.get_data(as_text=True) == f"ok {__version__}\n"


def test_readyz_ok_with_store_and_sandbox_up(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"store": "ok", "platform": "ok"}


def test_readyz_names_the_unreachable_platform(closed_platform_app):
    response = closed_platform_app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"store": "ok", "platform": "unavailable"}


def test_readyz_names_the_unreachable_store(sandbox_url, test_partners):
    app = make_widget_app(sandbox_url, test_partners, redis_url=f"redis://127.0.0.1:{free_port()}/0")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.get_json() == {"store": "unavailable", "platform": "ok"}


def test_request_counter_and_histogram_grow_with_a_fragment(client, post, sign_in):
    token = sign_in("cust-0001")
    labels = {"endpoint": "overview.index", "method": "POST", "status": "200"}
    before = scrape(client)
    assert post("/w/overview", token).status_code == 200
    after = scrape(client)
    assert (
        value(after, "selfcare_http_requests_total", **labels)
        == value(before, "selfcare_http_requests_total", **labels) + 1
    )
    count = "selfcare_http_request_duration_seconds_count"
    assert (
        value(after, count, endpoint="overview.index") == value(before, count, endpoint="overview.index") + 1
    )
    inf_bucket = value(
        after, "selfcare_http_request_duration_seconds_bucket", endpoint="overview.index", le="+Inf"
    )
    assert inf_bucket == value(after, count, endpoint="overview.index")


def test_status_codes_and_unknown_urls_are_labelled_without_the_path(client, post):
    before = scrape(client)
    assert post("/w/overview").status_code == 401
    assert client.get("/no/such/path/123").status_code == 404
    after = scrape(client)
    for labels in (
        {"endpoint": "overview.index", "status": "401"},
        {"endpoint": "unmatched", "method": "GET", "status": "404"},
    ):
        grew = value(after, "selfcare_http_requests_total", **labels) - value(
            before, "selfcare_http_requests_total", **labels
        )
        assert grew == 1, labels
    assert not any("/no/such/path" in str(key) for key in after)


def test_platform_calls_are_counted_by_api_and_outcome(client, post, sign_in):
    """A fresh app has a cold cache, so the overview calls the platform; ids never become labels."""
    token = sign_in("cust-0005")
    before = scrape(client)
    assert post("/w/overview", token).status_code == 200
    after = scrape(client)
    name = "selfcare_platform_calls_total"
    for api in ("customerManagement/customer", "productInventory/product"):
        assert value(after, name, api=api, method="GET", outcome="ok") > value(
            before, name, api=api, method="GET", outcome="ok"
        ), api
    duration = "selfcare_platform_call_duration_seconds_count"
    assert value(after, duration, api="customerManagement/customer") > value(
        before, duration, api="customerManagement/customer"
    )
    assert not any("cust-0005" in str(key) for key in after)


def test_platform_outage_is_counted_as_unavailable(closed_platform_app):
    client = closed_platform_app.test_client()
    token = services(closed_platform_app).sessions.create("demo-mobil", "cust-0001", "cs", "sso")
    before = scrape(client)
    response = client.post(
        "/w/overview", data={"_st": token, "_partner": "demo-mobil"}, headers={"Origin": PORTAL_ORIGIN}
    )
    assert response.status_code >= 500 or "sc-error" in response.get_data(as_text=True)
    after = scrape(client)
    name = "selfcare_platform_calls_total"
    assert value(after, name, outcome="unavailable") > value(before, name, outcome="unavailable")


def test_sessions_and_sso_failures_are_counted(client, partner_rsa_key):
    from selfcare_widget.demo.keys import mint_sso_token

    def exchange(token: str):
        return client.post(
            "/sso/exchange", data={"partner": "demo-mobil", "token": token}, headers={"Origin": PORTAL_ORIGIN}
        )

    before = scrape(client)
    assert exchange("not-a-jwt").status_code == 401
    good = mint_sso_token(partner_id="demo-mobil", customer_id="cust-0001", key=partner_rsa_key)
    assert exchange(good).status_code == 200
    after = scrape(client)
    failures = "selfcare_signin_failures_total"
    assert (
        value(after, failures, partner="demo-mobil", method="sso")
        == value(before, failures, partner="demo-mobil", method="sso") + 1
    )
    assert any(n == failures and dict(ls).get("reason") not in ("", "unknown") for n, ls in after)
    sessions = "selfcare_sessions_created_total"
    assert (
        value(after, sessions, partner="demo-mobil", method="sso")
        == value(before, sessions, partner="demo-mobil", method="sso") + 1
    )
    edrs = "selfcare_edrs_total"
    assert (
        value(after, edrs, action="signin", outcome="failure")
        == value(before, edrs, action="signin", outcome="failure") + 1
    )


@pytest.mark.parametrize(
    ("path", "label"),
    [
        ("/tmf-api/customerManagement/v4/customer/cust-0001", "customerManagement/customer"),
        ("/tmf-api/usageManagement/v4/usage?relatedParty.id=x", "usageManagement/usage"),
        ("/tmf-api/productOrderingManagement/v4/productOrder", "productOrderingManagement/productOrder"),
        ("/selfcare/v1/authenticate", "selfcare/authenticate"),
        ("/", "root"),
    ],
)
def test_api_label_keeps_api_and_resource_only(path, label):
    assert ops.api_label(path) == label


def test_invented_methods_share_one_metrics_label(client):
    invented = ("FOO", "BAR", "SCANNER" + "Q" * 33)  # what a scanner sends
    for method in invented:
        client.open("/healthz", method=method)
    body = client.get("/metrics").get_data(as_text=True)
    assert 'method="other"' in body
    assert not any(f'method="{method}"' in body for method in invented)


def test_a_separate_ops_port_serves_metrics_and_readiness_and_nothing_else(sandbox_url, test_partners):
    from tests.support import make_widget_app

    app = make_widget_app(sandbox_url, test_partners, ops_port=9101)
    client = app.test_client()
    widget_port, ops_port = "http://localhost:8001", "http://localhost:9101"
    assert client.get("/metrics", base_url=widget_port).status_code == 404
    assert client.get("/readyz", base_url=widget_port).status_code == 404
    assert client.get("/metrics", base_url=ops_port).status_code == 200
    assert client.get("/readyz", base_url=ops_port).status_code == 200
    assert client.get("/embed.js", base_url=ops_port).status_code == 404
    assert client.get("/embed.js", base_url=widget_port).status_code == 200
    for base in (widget_port, ops_port):
        assert client.get("/healthz", base_url=base).status_code == 200
