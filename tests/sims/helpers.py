"""Helpers of the SIM tests."""

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
