"""Every widget route, enumerated from the URL map: no session → 401; another customer's or
another partner's ids → nothing of theirs leaks; hostile text input renders inert."""

from __future__ import annotations

import pytest

WIDGET_PREFIX = "/w/"
# what must never appear in a response to cust-0001 (other customers' identifying data)
FOREIGN_MARKERS = (
    "420731222333",  # cust-0003 (other partner) MSISDN
    "731 222 333",
    "Tomáš Dvořák",
    "420603111222",  # cust-0002 (same partner, another customer)
    "603 111 222",
    "Petra Nováková",
)
XSS = ('<script>alert("x")</script>', '"><img src=x onerror=alert(1)>', "{{7*7}}")


def widget_routes(app) -> list[str]:
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith(WIDGET_PREFIX) and "POST" in rule.methods and not rule.arguments
    )


@pytest.fixture(scope="module")
def foreign_ids(sandbox_url):
    from selfcare_widget.platform.tmf import TmfPlatform, TmfSettings
    from tests.support import PLATFORM_CREDENTIAL

    platform = TmfPlatform(TmfSettings(base_url=sandbox_url, credential=PLATFORM_CREDENTIAL))
    ids = {}
    for customer in ("cust-0002", "cust-0003"):
        sims = platform.list_sims(customer)
        account = platform.list_billing_accounts(customer)[0]
        bills = platform.list_invoices(account.id)
        ids[customer] = {
            "sim": sims[0].product_id,
            "service": sims[0].service_id,
            "invoice": bills[0].id,
            "package": (platform.list_packages(customer) or [None])[0],
        }
    return ids


def test_the_widget_has_the_expected_routes(app):
    routes = widget_routes(app)
    for section in ("overview", "sims", "packages", "billing", "usage", "contact", "shell"):
        assert f"/w/{section}" in routes


def test_every_route_requires_a_session(app, post):
    for path in widget_routes(app):
        response = post(path)
        assert response.status_code == 401, path
        assert "Traceback" not in response.get_data(as_text=True)


@pytest.mark.parametrize("victim", ["cust-0002", "cust-0003"])
def test_foreign_ids_on_every_route_leak_nothing(app, post, sign_in, foreign_ids, victim):
    token = sign_in("cust-0001")
    ids = foreign_ids[victim]
    form = {
        "sim": ids["sim"],
        "service": ids["service"],
        "invoice": ids["invoice"],
        "customer": victim,
        "customer_id": victim,
        "setting": "roaming_enabled",
        "value": "true",
    }
    for path in widget_routes(app):
        if path.endswith(("/block/confirm", "/order", "/save")):
            continue  # writes: covered per feature with their own foreign-id tests
        response = post(path, token, **form)
        body = response.get_data(as_text=True)
        assert response.status_code in (200, 400, 404, 422), (path, response.status_code)
        leaked = [m for m in FOREIGN_MARKERS if m in body]
        assert leaked == [], (path, leaked)


def test_hostile_text_on_every_route_renders_inert(app, post, sign_in):
    token = sign_in("cust-0001")
    for payload in XSS:
        form = {
            name: payload
            for name in (
                "sim",
                "invoice",
                "from",
                "to",
                "type",
                "b",
                "page",
                "email",
                "phone",
                "street",
                "city",
                "postal_code",
                "country",
                "section",
                "offering",
                "setting",
                "value",
                "step",
            )
        }
        for path in widget_routes(app):
            if path.endswith(("/block/confirm", "/order")):
                continue
            response = post(path, token, **form)
            body = response.get_data(as_text=True)
            assert response.status_code < 500, (path, payload, response.status_code)
            assert "<script>alert" not in body, path
            assert "<img src=x" not in body, path


def test_customer_input_is_never_rendered_as_a_template():
    """Template injection ({{7*7}}) needs input compiled as a template; the code never does that."""
    from pathlib import Path

    package = Path(__file__).resolve().parents[2] / "selfcare_widget"
    offenders = [
        str(p)
        for p in package.rglob("*.py")
        if "sandbox" not in p.parts  # the sandbox platform is not the widget customers use
        and ("render_template_string" in p.read_text() or "from_string(" in p.read_text())
    ]
    assert offenders == []
