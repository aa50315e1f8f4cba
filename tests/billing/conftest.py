"""Fixtures of the billing tests: bill ids of the demo customers, read from the sandbox."""

from __future__ import annotations

import pytest

from tests.support import PLATFORM_CREDENTIAL


@pytest.fixture(scope="session")
def bills(sandbox_url):
    """``bills(customer_id) -> [Invoice]`` newest first, straight from the platform (not the widget)."""
    from selfcare_widget.platform.tmf import TmfPlatform, TmfSettings

    with TmfPlatform(TmfSettings(base_url=sandbox_url, credential=PLATFORM_CREDENTIAL)) as port:

        def _bills(customer_id: str):
            return [i for a in port.list_billing_accounts(customer_id) for i in port.list_invoices(a.id)]

        yield _bills
