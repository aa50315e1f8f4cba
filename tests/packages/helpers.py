"""Helpers of the package tests."""

from __future__ import annotations

import re


def confirmation_of(body: str) -> str:
    """The signed confirmation token of a confirm fragment."""
    match = re.search(r'name="confirmation" value="([^"]+)"', body)
    assert match, "no confirmation token in the fragment"
    return match.group(1)


def find_buyer(platform) -> tuple[str, str]:
    """(customer id, SIM product id): a generated demo-mobil customer with an active Pohoda SIM.

    Taken from the top of the generated range so the fixed demo customers keep the product
    sheet's packages; tests assert relative changes only.
    """
    for n in range(64, 30, -1):
        customer_id = f"cust-{n:04d}"
        if platform.get_customer(customer_id).partner_id != "demo-mobil":
            continue
        for sim in platform.list_sims(customer_id):
            if sim.state == "active" and sim.tariff.offering_id == "tariff-pohoda":
                return customer_id, sim.product_id
    raise AssertionError("no generated demo-mobil customer with an active Pohoda SIM")
