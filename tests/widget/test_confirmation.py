"""Signed confirmations (views/confirmation.py): bound to one customer, one kind and one change,
and only for a while."""

from __future__ import annotations

import pytest
from flask_login import login_user

from selfcare_widget.auth.sessions import WidgetSession
from selfcare_widget.auth.user import WidgetUser
from selfcare_widget.views.confirmation import Confirmation

ORDER = Confirmation("test.order.v1")


def _as(app, customer_id: str, partner_id: str = "demo-mobil"):
    context = app.test_request_context("/", method="POST")
    context.push()
    login_user(WidgetUser(WidgetSession("h", partner_id, customer_id, "cs", "sso", 0.0), "token"))
    return context


@pytest.fixture
def issued(app):
    context = _as(app, "cust-0001")
    token = ORDER.issue(s="prod-1", o="addon-data-1gb")
    context.pop()
    return token


def test_the_same_customer_and_change_get_the_nonce(app, issued):
    context = _as(app, "cust-0001")
    try:
        nonce = ORDER.verify(issued, s="prod-1", o="addon-data-1gb")
        assert nonce is not None and len(nonce) == 32
        assert ORDER.verify(issued, s="prod-1", o="addon-data-1gb") == nonce  # the same order key again
    finally:
        context.pop()


@pytest.mark.parametrize(
    ("customer", "partner", "bound", "kind"),
    [
        ("cust-0004", "demo-mobil", {"s": "prod-1", "o": "addon-data-1gb"}, ORDER),  # another customer
        ("cust-0001", "zelena-mobil", {"s": "prod-1", "o": "addon-data-1gb"}, ORDER),  # another partner
        ("cust-0001", "demo-mobil", {"s": "prod-2", "o": "addon-data-1gb"}, ORDER),  # another SIM
        ("cust-0001", "demo-mobil", {"s": "prod-1", "o": "addon-50min"}, ORDER),  # another offering
        ("cust-0001", "demo-mobil", {"s": "prod-1", "o": "addon-data-1gb"}, Confirmation("test.other.v1")),
        (
            "cust-0001",
            "demo-mobil",
            {"s": "prod-1", "o": "addon-data-1gb"},
            Confirmation("test.order.v1", -1),
        ),
    ],
    ids=["customer", "partner", "sim", "offering", "kind", "expired"],
)
def test_anything_else_is_refused(app, issued, customer, partner, bound, kind):
    context = _as(app, customer, partner)
    try:
        assert kind.verify(issued, **bound) is None
        assert kind.verify(issued[:-2] + "xx", s="prod-1", o="addon-data-1gb") is None  # tampered
    finally:
        context.pop()
