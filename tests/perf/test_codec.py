"""Reading cached entries: the same values as before, built once per distinct entry."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timezone
from decimal import Decimal

from selfcare_widget.platform import codec
from selfcare_widget.platform.models import (
    Sim,
    SmsMessage,
    Tariff,
    UsageKind,
    UsagePage,
    UsageRecord,
)


def sim(n: int) -> Sim:
    return Sim(
        product_id=f"prod-{n}",
        msisdn=f"42060000000{n}",
        iccid=f"8942000000000000{n}",
        state="active",
        tariff=Tariff(offering_id="tariff-pohoda", name="Pohoda", prepaid=False),
        service_id=f"svc-{n}",
        resource_id=f"res-{n}",
        billing_account_id="ba-1",
    )


def test_a_list_of_frozen_values_is_shared_but_the_list_is_the_callers_own():
    text = codec.dumps([sim(1), sim(2)])
    first = codec.loads(list[Sim], text)
    first.reverse()  # a caller reordering its list
    second = codec.loads(list[Sim], text)
    assert [s.product_id for s in second] == ["prod-1", "prod-2"]
    assert second[0] is first[1]  # the (immutable) SIM itself was built once


def test_values_with_mutable_parts_are_built_afresh_every_time():
    record = UsageRecord(
        id="u1",
        time=datetime(2026, 11, 2, 8, 30, tzinfo=timezone.utc),
        kind=UsageKind.VOICE,
        description="Volání",
        network="mobile_cz",
        b_number="731458447",
        duration_seconds=913,
        charge=Decimal("2.50"),
    )
    page = UsagePage(records=[record], total=1, offset=0, limit=50)
    text = codec.dumps(page)
    first = codec.loads(UsagePage, text)
    first.records.clear()
    assert codec.loads(UsagePage, text) == page


def test_every_field_kind_round_trips():
    message = SmsMessage(id="sms-1", to="420601000001", content="Kód 1234", extra={"a": "b"})
    first = codec.loads(SmsMessage, codec.dumps(message))
    first.extra["a"] = "changed"
    assert codec.loads(SmsMessage, codec.dumps(message)) == message
    assert codec.loads(Sim, codec.dumps(replace(sim(1), start_date=date(2026, 1, 2)))).start_date == date(
        2026, 1, 2
    )
    assert codec.loads(list[date], codec.dumps([date(2026, 1, 2)])) == [date(2026, 1, 2)]
    assert codec.loads(Sim | None, "null") is None
