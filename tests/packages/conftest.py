"""Fixtures of the package tests: EDRs of the test app, a customer whose SIM the tests order for."""

from __future__ import annotations

import pytest

from selfcare_widget.services import services
from tests.packages.helpers import find_buyer


@pytest.fixture
def buyer(app) -> tuple[str, str]:
    """(customer id, SIM product id) that the tests order for (helpers.find_buyer)."""
    return find_buyer(services(app).platform)


@pytest.fixture
def packages_of(app):
    """``packages_of(customer, sim) -> [Package]`` straight from the platform."""
    platform = services(app).platform

    def _packages(customer_id: str, sim_product_id: str):
        return [p for p in platform.list_packages(customer_id) if p.sim_product_id == sim_product_id]

    return _packages
