"""TMF676 payments and TMF654 top-ups in the sandbox: what they change, idempotency, refusals."""

from __future__ import annotations

from decimal import Decimal

import pytest


def _pay(client, key, bill_id, value, account="ba-0001"):
    return client.post(
        "676",
        "/payment",
        json={
            "correlatorId": key,
            "account": {"id": account},
            "paymentMethod": {"id": "partnerCardGateway"},
            "totalAmount": {"unit": "CZK", "value": value},
            "paymentItem": [{"item": {"id": bill_id}}],
        },
    )


def _bill(client, bill_id):
    return client.get("678", f"/customerBill/{bill_id}").json()


def _unpaid(client, account):
    bills = client.get("678", "/customerBill", params={"billingAccount.id": account}).json()
    return [b for b in bills if b["state"] != "settled"]


def test_a_payment_settles_the_bill_and_a_repeated_key_pays_nothing_more(private_client):
    bill = _unpaid(private_client, "ba-0001")[0]
    amount = bill["remainingAmount"]["value"]
    first = _pay(private_client, "pay-idem-1", bill["id"], amount)
    assert first.status_code == 201 and first.headers["Location"].endswith(first.json()["id"])
    assert _bill(private_client, bill["id"])["state"] == "settled"
    again = _pay(private_client, "pay-idem-1", bill["id"], amount)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    listed = private_client.get("676", "/payment", params={"paymentItem.item.id": bill["id"]}).json()
    assert len(listed) == 1


def test_a_partial_payment_leaves_the_rest_due(private_client):
    bill = _unpaid(private_client, "ba-0001")[0]
    before = Decimal(str(bill["remainingAmount"]["value"]))
    assert _pay(private_client, "pay-part-1", bill["id"], 100).status_code == 201
    after = _bill(private_client, bill["id"])
    assert after["state"] == "partiallyPaid"
    assert Decimal(str(after["remainingAmount"]["value"])) == before - 100


@pytest.mark.parametrize(
    ("change", "status"),
    [
        ({"account": "ba-0003"}, 422),  # the bill is not of that account
        ({"value": -5}, 400),
        ({"value": "1.234"}, 400),
        ({"bill": "bill-nobody"}, 422),
    ],
)
def test_wrong_payments_are_refused_and_change_nothing(private_client, change, status):
    bill = _unpaid(private_client, "ba-0002")[0]
    response = _pay(
        private_client,
        f"pay-bad-{status}-{sorted(change)[0]}",
        change.get("bill", bill["id"]),
        change.get("value", 10),
        account=change.get("account", "ba-0002"),
    )
    assert response.status_code == status, response.text
    assert set(response.json()) == {"code", "reason", "message", "status"}
    assert _bill(private_client, bill["id"])["remainingAmount"] == bill["remainingAmount"]


def _credit(client, customer="cust-0005"):
    bucket = client.get(
        "654", "/bucket", params={"relatedParty.id": customer, "usageType": "monetary"}
    ).json()[0]
    return bucket["id"], Decimal(str(bucket["remainingValue"]["amount"]))


def _topup(client, key, bucket_id, amount, account="ba-0005"):
    return client.post(
        "654",
        "/topupBalance",
        json={
            "correlatorId": key,
            "amount": {"amount": amount, "units": "CZK"},
            "usageType": "monetary",
            "bucket": {"id": bucket_id},
            "partyAccount": {"id": account},
        },
    )


def test_a_top_up_raises_the_credit_once_per_key(private_client):
    bucket_id, before = _credit(private_client)
    first = _topup(private_client, "top-idem-1", bucket_id, 200)
    assert first.status_code == 201 and first.json()["status"] == "completed"
    assert _credit(private_client)[1] == before + 200
    again = _topup(private_client, "top-idem-1", bucket_id, 200)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert _credit(private_client)[1] == before + 200


def test_a_top_up_of_someone_elses_credit_or_units_is_refused(private_client):
    bucket_id, before = _credit(private_client)
    assert _topup(private_client, "top-bad-1", bucket_id, 200, account="ba-0001").status_code == 422
    units = private_client.get(
        "654", "/bucket", params={"relatedParty.id": "cust-0005", "usageType": "voice"}
    ).json()
    if units:
        assert _topup(private_client, "top-bad-2", units[0]["id"], 200).status_code == 422
    assert _credit(private_client)[1] == before
