"""Fixtures of the package tests: EDRs of the test app, a customer whose SIM the tests order for."""

from __future__ import annotations

import pytest

from selfcare_widget.services import services


@pytest.fixture
def buyer(app) -> tuple[str, str]:
    """(customer id, SIM product id): a generated demo-mobil customer with an active Pohoda SIM.

    Taken from the top of the generated range so the fixed demo customers keep the product
    sheet's packages; tests assert relative changes only.
    """
    platform = services(app).platform
    for n in range(64, 30, -1):
        customer_id = f"cust-{n:04d}"
        if platform.get_customer(customer_id).partner_id != "demo-mobil":
            continue
        for sim in platform.list_sims(customer_id):
            if sim.state == "active" and sim.tariff.offering_id == "tariff-pohoda":
                return customer_id, sim.product_id
    pytest.fail("no generated demo-mobil customer with an active Pohoda SIM")


@pytest.fixture
def packages_of(app):
    """``packages_of(customer, sim) -> [Package]`` straight from the platform."""
    platform = services(app).platform

    def _packages(customer_id: str, sim_product_id: str):
        return [p for p in platform.list_packages(customer_id) if p.sim_product_id == sim_product_id]

    return _packages
