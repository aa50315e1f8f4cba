"""Shared fixtures: the sandbox platform over real HTTP, a real Redis, the widget app."""

from __future__ import annotations

from pathlib import Path

import pytest

from selfcare_widget.edr.recorder import stream_key
from selfcare_widget.services import services
from tests.support import (
    PLATFORM_CREDENTIAL,
    PORTAL_ORIGIN,
    ZELENA_ORIGIN,
    ZELENA_SECRET,
    make_widget_app,
    redis_server,
    serve_wsgi,
)


@pytest.fixture(scope="session")
def sandbox_db(tmp_path_factory) -> Path:
    """A sandbox database generated once per test session (deterministic demo data)."""
    from selfcare_widget.sandbox.seed import generate

    path = tmp_path_factory.mktemp("sandbox") / "platform.sqlite3"
    generate(path)
    return path


@pytest.fixture(scope="session")
def sandbox_url(sandbox_db) -> str:
    """Base URL of a sandbox platform served over real HTTP on a free loopback port."""
    from selfcare_widget.sandbox import create_sandbox_app

    app = create_sandbox_app(db_path=sandbox_db, credential=PLATFORM_CREDENTIAL)
    with serve_wsgi(app) as url:
        yield url


@pytest.fixture(scope="session")
def redis_url() -> str:
    """A real Redis (``REDIS_URL`` or a private redis-server); skipped locally if missing."""
    with redis_server() as url:
        yield url


# --- the widget app (talks to the sandbox over real HTTP) -------------------------------------


@pytest.fixture(scope="session")
def partner_rsa_key() -> str:
    """PEM private key of the test partner demo-mobil (its public half is configured)."""
    import tempfile

    from selfcare_widget.demo.keys import load_or_create_rsa_key

    return load_or_create_rsa_key(Path(tempfile.mkdtemp()) / "partner.pem")


@pytest.fixture(scope="session")
def test_partners(partner_rsa_key):
    """demo-mobil (RS256, static public key) and zelena-mobil (HS256), as in production config."""
    from selfcare_widget.demo.keys import public_pem
    from selfcare_widget.partners import Partner, PaymentGateway, SsoVerification, Supplier, SupportContact

    return {
        "demo-mobil": Partner(
            id="demo-mobil",
            name="Demo Mobil",
            origins=(PORTAL_ORIGIN,),
            sso=SsoVerification(algorithm="RS256", public_key_pem=public_pem(partner_rsa_key)),
            login_methods=("sso", "password", "sms"),
            payee_iban="CZ6508000000192000145399",
            # a card gateway hook (docs/payments.md); zelena-mobil has none (QR / bank transfer only)
            payment_gateway=PaymentGateway(
                mode="url",
                url_template=(
                    "https://platby.demo-mobil.test/pay?amount={amount}&currency={currency}"
                    "&vs={variable_symbol}&invoice={invoice_id}&ref={reference}&return={return_url}"
                ),
                secret="test-gateway-secret-with-at-least-32-chars",
            ),
            supplier=Supplier(
                name="Demo Mobil s.r.o.",
                address=("Vinohradská 2828/151", "130 00 Praha 3"),
                ico="12345679",
                dic="CZ12345679",
            ),
            support=SupportContact(
                phone="+420 800 123 456", email="pece@demo-mobil.cz", url="https://www.demo-mobil.cz/podpora"
            ),
            roaming_notice="Mimo EU: data 99 Kč/MB.",
            roaming_notice_url="https://www.demo-mobil.cz/roaming",
        ),
        "zelena-mobil": Partner(
            id="zelena-mobil",
            name="Zelená mobil",
            origins=(ZELENA_ORIGIN,),
            sso=SsoVerification(algorithm="HS256", shared_secret=ZELENA_SECRET),
            login_methods=("sso", "password"),
            theme="zelena",
            payee_iban="CZ6907101781240000004159",
            supplier=Supplier(
                name="Zelená mobil a.s.",
                address=("Náměstí Svobody 1", "602 00 Brno"),
                ico="87654326",
                dic="CZ87654326",
            ),
        ),
    }


@pytest.fixture
def app(sandbox_url, test_partners):
    """A fresh widget app with its own in-process store."""
    return make_widget_app(sandbox_url, test_partners)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def sign_in(app):
    """``sign_in(customer_id, partner_id='demo-mobil', locale='cs') -> session token``.

    Creates the server-side session directly; the sign-on routes have their own tests.
    """

    def _sign_in(customer_id: str, partner_id: str = "demo-mobil", locale: str = "cs") -> str:
        return services(app).sessions.create(partner_id, customer_id, locale, "sso")

    return _sign_in


@pytest.fixture
def edrs(app):
    """``edrs(action=None, partner="demo-mobil") -> [EDR dict]``: what the app recorded, oldest first."""
    import json

    def _edrs(action: str | None = None, partner: str = "demo-mobil") -> list[dict]:
        entries = services(app).store.xrange(stream_key(partner))
        records = [json.loads(fields["edr"]) for _, fields in entries]
        return [r for r in records if action is None or r["action"] == action]

    return _edrs


@pytest.fixture
def post(client):
    """``post(path, token, **form)``: a widget request as the loader sends it (form body + Origin)."""

    def _post(
        path: str, token: str | None = None, origin: str = PORTAL_ORIGIN, partner: str = "demo-mobil", **form
    ):
        data = {"_partner": partner, **form}
        if token:
            data["_st"] = token
        return client.post(path, data=data, headers={"Origin": origin})

    return _post


# --- the demo stack and a real browser ----------------------------------------------------------


@pytest.fixture(scope="session")
def demo_stack(tmp_path_factory):
    """``selfcare-widget demo`` on free loopback ports: sandbox, widget and partner portal."""
    from selfcare_widget.demo import DemoStack

    stack = DemoStack(tmp_path_factory.mktemp("demo"), portal_port=0, widget_port=0, platform_port=0)
    stack.start()
    yield stack
    stack.stop()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright (never downloaded)."""
    import os

    from tests.support import require

    require(os.path.exists("/usr/bin/chromium"), "/usr/bin/chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover
        require(False, "playwright")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def portal(browser, demo_stack):
    """``portal(customer_id, section=None, query="", wait=True, init_script=None, before=None,
    **context_options) -> page``: a new browser context signed in to the demo portal.

    ``init_script`` runs in every page before the portal's own scripts; ``before(page)`` runs
    before the customer signs in (register routes and request listeners there); ``wait`` waits
    for the widget's shell inside the shadow root. Contexts are closed after the test."""
    # Every browser test is the same client (127.0.0.1) of one demo stack: a suite running fast
    # would otherwise meet the per-client limits (60 SSO exchanges a minute) meant for one person.
    for limiter in demo_stack.widget_app.extensions.get("limiter", ()):
        limiter.reset()
    contexts = []

    def _open(
        customer_id: str = "cust-0001",
        section: str | None = None,
        query: str = "",
        wait: bool = True,
        init_script: str | None = None,
        before=None,
        **context_options,
    ):
        options = {"viewport": {"width": 1200, "height": 900}, "locale": "cs-CZ", **context_options}
        context = browser.new_context(**options)
        contexts.append(context)
        if init_script:
            context.add_init_script(init_script)
        page = context.new_page()
        page.goto(demo_stack.urls.portal + "/")
        if before:
            before(page)
        page.select_option("#customer", customer_id)
        page.click("button[type=submit]")
        page.wait_for_url("**/account**")
        if section or query:
            page.goto(
                demo_stack.urls.portal
                + "/account?"
                + "&".join(p for p in (f"section={section}" if section else "", query) if p)
            )
        if wait:
            page.locator(".sc-shell").first.wait_for(timeout=15000)
        return page

    yield _open
    for context in contexts:
        context.close()
