"""Fixtures of the SIM tests: EDRs of the test app, a customer whose SIM the tests may block."""

from __future__ import annotations

import pytest


def find_customer(platform, candidates, tariff: str = "tariff-pohoda") -> tuple[str, str]:
    """(customer id, SIM product id) of a generated demo-mobil customer with an active SIM."""
    for customer_id in candidates:
        if platform.get_customer(customer_id).partner_id != "demo-mobil":
            continue
        for sim in platform.list_sims(customer_id):
            if sim.state == "active" and sim.tariff.offering_id == tariff:
                return customer_id, sim.product_id
    pytest.fail("no generated demo-mobil customer with an active SIM")


@pytest.fixture
def blockable_sim(app) -> tuple[str, str]:
    """A generated customer's SIM the block test owns (blocking cannot be undone).

    Searched from cust-0030 downwards: the fixed demo customers are left alone and the
    package tests take theirs from the top of the range.
    """
    platform = app.extensions["selfcare"].platform
    return find_customer(platform, [f"cust-{n:04d}" for n in range(30, 5, -1)], tariff="tariff-datovy")
