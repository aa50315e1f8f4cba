"""Fixtures of the contact tests: a customer these tests own, a platform client of their own."""

from __future__ import annotations

import json

import pytest

from selfcare_widget.platform.tmf import TmfPlatform, TmfSettings
from selfcare_widget.services import services
from selfcare_widget.views.contact_validation import FIELDS
from tests.contact.helpers import OWNED_CUSTOMER, http_session
from tests.support import PLATFORM_CREDENTIAL


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


@pytest.fixture
def platform_calls(app):
    """Every HTTP call the widget makes to the platform: ``[(method, path, json body)]``."""
    calls: list[tuple[str, str, object]] = []
    session = http_session(services(app).platform)
    original = session.request

    def recording(method, url, *args, **kwargs):
        data = kwargs.get("data")
        calls.append((method, url.split("/v4", 1)[-1].split("?")[0], json.loads(data) if data else None))
        return original(method, url, *args, **kwargs)

    session.request = recording
    yield calls
    session.request = original
