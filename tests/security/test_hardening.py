"""Small doors closed (issue 11, item 7): CSV formulas, download names, platform reasons, oversized
bodies, crafted page numbers, and EDRs without third parties' numbers."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from selfcare_widget.platform import Rejected
from selfcare_widget.platform.models import UsageKind, UsageRecord
from selfcare_widget.views.usage import _safe_filename, csv_row


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_text_cell_of_the_csv_is_kept_from_being_a_formula(app, start):
    record = UsageRecord(
        id="u1",
        time=datetime(2026, 3, 2, 10, 0),
        kind=UsageKind.VOICE,
        description=f'{start}HYPERLINK("http://evil")',
        network=f"{start}cmd|' /C calc'!A0",
        b_number=f"{start}1234",
        duration_seconds=61,
        charge=Decimal("1.5"),
    )
    with app.test_request_context():
        cells = csv_row(record)
    for text in (cells[2], cells[3], cells[4]):
        assert text.startswith("'" + start), cells


def test_download_names_keep_only_a_safe_alphabet():
    name = _safe_filename("vypis", "420601\r\nSet-Cookie: x=1", "2026-03-01")
    assert name == "vypis-420601Set-Cookiex1-2026-03-01"


def test_an_unknown_platform_reason_never_reaches_the_customer(app, caplog):
    from flask import g

    from selfcare_widget.views.common import rejection_message

    with app.test_request_context():
        g.locale = "cs"
        text = rejection_message(Rejected("ORA-00942", "ORA-00942: table or view does not exist"))
    assert "ORA" not in text and text == "Požadavek byl odmítnut."
    assert "ORA-00942" in caplog.text  # for the operator, with the request id


def test_an_oversized_body_is_413_even_with_a_valid_session(post, sign_in):
    response = post("/w/overview", sign_in("cust-0001"), padding="x" * 70_000)
    assert response.status_code == 413
    assert "Požadavek nelze zpracovat" in response.get_data(as_text=True)


def test_a_crafted_page_number_shows_the_first_page(post, sign_in):
    response = post("/w/usage/results", sign_in("cust-0001"), sim="prod-0001-2", page="9" * 30)
    assert response.status_code == 200


def test_the_call_log_edr_says_a_number_was_searched_not_which(post, sign_in, edrs):
    assert (
        post("/w/usage/results", sign_in("cust-0001"), sim="prod-0001-2", b="+420 731 45").status_code == 200
    )
    (view,) = edrs("usage.view")[-1:]
    assert view["details"]["filters"]["numberSearch"] is True
    assert "73145" not in str(view) and "731" not in str(view["details"])
