"""What the widget tolerates in a platform's tariff offerings and change orders (pure mapping)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from selfcare_widget.platform import tmf_mapping as tmf
from selfcare_widget.platform.models import BucketKind, ChangeTiming
from selfcare_widget.sandbox.resources import OFFERINGS, offering_doc


def test_the_sandbox_offering_maps_to_price_allowances_and_timing():
    offer = tmf.tariff_offer(offering_doc(OFFERINGS["tariff-datovy"]))
    assert offer is not None
    assert offer.monthly_price == Decimal("499.0")
    assert offer.timing is ChangeTiming.IMMEDIATE
    assert set(offer.change_from) == {"tariff-pohoda", "tariff-neomezeny"}
    voice = offer.allowance(BucketKind.VOICE)
    assert voice is not None and voice.unlimited and voice.amount == 5000
    data = offer.allowance(BucketKind.DATA)
    assert data is not None and not data.unlimited and data.amount == 10240


def test_an_offering_without_characteristics_has_no_allowances_and_waits_for_the_next_period():
    minimal = {
        "id": "t-x",
        "name": "X",
        "category": [{"id": "Tariff"}],
        "lifecycleStatus": "launched",
        "productOfferingPrice": [
            {"priceType": "Recurring", "price": {"taxIncludedAmount": {"unit": "CZK", "value": "199.00"}}}
        ],
        "productOfferingRelationship": [{"id": "tariff-pohoda", "relationshipType": "ChangeFrom"}],
    }
    assert tmf.is_launched_tariff(minimal)
    offer = tmf.tariff_offer(minimal)
    assert offer is not None and offer.allowances == () and offer.monthly_price == Decimal("199.00")
    # unknown or missing timing: the later one, never a surprise change today
    assert offer.timing is ChangeTiming.NEXT_PERIOD
    assert offer.change_from == ("tariff-pohoda",)


def test_an_offering_without_a_monthly_price_is_not_offered():
    assert tmf.tariff_offer({"id": "t", "productOfferingPrice": [{"priceType": "oneTime"}]}) is None


def test_a_pending_order_carries_its_date_and_a_completed_one_none():
    item = [{"id": "1", "action": "modify", "productOffering": {"id": "t"}, "product": {"id": "p"}}]
    waiting = tmf.tariff_change(
        {
            "id": "o",
            "state": "inProgress",
            "expectedCompletionDate": "2027-01-01T00:00:00+01:00",
            "productOrderItem": item,
        },
        created=True,
    )
    assert waiting.pending and waiting.effective == date(2027, 1, 1)
    done = tmf.tariff_change({"id": "o", "state": "completed", "productOrderItem": item}, created=False)
    assert not done.pending and done.effective is None and not done.created
