"""Fixtures of the SIM tests: EDRs of the test app, a customer whose SIM the tests may block."""

from __future__ import annotations

import pytest

from selfcare_widget.services import services
from tests.sims.helpers import find_customer


@pytest.fixture
def blockable_sim(app) -> tuple[str, str]:
    """A generated customer's SIM the block test owns (blocking cannot be undone).

    Searched from cust-0030 downwards: the fixed demo customers are left alone and the
    package tests take theirs from the top of the range.
    """
    platform = services(app).platform
    return find_customer(platform, [f"cust-{n:04d}" for n in range(30, 5, -1)], tariff="tariff-datovy")
