"""Fixtures of the contact tests: a customer these tests own, a platform client of their own."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from selfcare_widget.views.contact_validation import FIELDS, display_phone
from selfcare_widget.platform.models import Customer
from selfcare_widget.platform.tmf import TmfPlatform, TmfSettings
from tests.conftest import PLATFORM_CREDENTIAL

#: demo-mobil customer beyond the fixed demo ones; only the contact tests change its details.
OWNED_CUSTOMER = "cust-0010"


@pytest.fixture(scope="session")
def tmf(sandbox_url):
    """A platform client separate from the widget's (no cache in between): the read-back proof."""
    with TmfPlatform(TmfSettings(base_url=sandbox_url, credential=PLATFORM_CREDENTIAL)) as client:
        yield client


@pytest.fixture
def owned(tmf, sign_in):
    """``(session token, customer before the test)`` for :data:`OWNED_CUSTOMER`.

    Restores the customer's contact details afterwards so tests stay independent.
    """
    before = tmf.get_customer(OWNED_CUSTOMER)
    assert before.partner_id == "demo-mobil"
    yield sign_in(OWNED_CUSTOMER), before
    if tmf.get_customer(OWNED_CUSTOMER).contact != before.contact:
        tmf.update_contact(OWNED_CUSTOMER, before.contact, fields=set(FIELDS))


def form_of(customer: Customer, **changes: str) -> dict[str, str]:
    """The edit form as the customer would submit it unchanged, with ``changes`` applied."""
    form = asdict(customer.contact)
    form["phone"] = display_phone(customer.contact.phone)
    form.update(changes)
    return form


def edrs(app, partner: str = "demo-mobil") -> list[dict]:
    """Every EDR recorded for the partner so far (this app's store)."""
    return [json.loads(f["edr"]) for _, f in app.extensions["selfcare"].store.xrange(f"sc:edr:{partner}")]


@pytest.fixture
def platform_calls(app):
    """Every HTTP call the widget makes to the platform: ``[(method, path, json body)]``."""
    calls: list[tuple[str, str, object]] = []
    session = _http_session(app.extensions["selfcare"].platform)
    original = session.request

    def recording(method, url, *args, **kwargs):
        calls.append((method, url.split("/v4", 1)[-1].split("?")[0], kwargs.get("json")))
        return original(method, url, *args, **kwargs)

    session.request = recording
    yield calls
    session.request = original


def _http_session(platform):
    """The requests.Session under the app's platform (through any wrapping adapter, e.g. a cache)."""
    seen = set()
    while id(platform) not in seen:
        seen.add(id(platform))
        if hasattr(platform, "_session"):
            return platform._session
        inner = next((v for v in vars(platform).values() if hasattr(v, "get_customer")), None)
        if inner is None:
            break
        platform = inner
    raise AssertionError("no HTTP session found under the app's platform")
