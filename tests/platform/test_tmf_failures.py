"""Failure mapping of TmfPlatform against a deliberately faulty server over real HTTP.

No mocks of ``requests``: every case is an actual HTTP exchange on loopback.
"""

from __future__ import annotations

import logging
import time

import pytest

from selfcare_widget.platform.errors import NotFound, Rejected, Unavailable
from selfcare_widget.platform.tmf import CUSTOMER, ORDERING, SERVICE_INVENTORY, TmfPlatform, TmfSettings
from tests.platform.faulty import Answer
from tests.support import free_port

CUSTOMER_PATH = f"{CUSTOMER}/customer/c1"
ORDER_PATH = f"{ORDERING}/productOrder"
SERVICE_PATH = f"{SERVICE_INVENTORY}/service/svc1"

GOOD_CUSTOMER = {
    "id": "c1",
    "name": "Jan Novák",
    "status": "approved",
    "relatedParty": [{"id": "partner-a", "role": "mvno", "@referredType": "Organization"}],
    "account": [{"id": "ba1", "@referredType": "BillingAccount"}],
    "contactMedium": [
        {"mediumType": "email", "characteristic": {"emailAddress": "jan@example.cz"}},
    ],
}
TMF_503 = Answer(503, {"code": "unavailable", "reason": "maintenance", "status": "503"})


def test_500_is_unavailable_and_not_retried(tmf, faulty):
    faulty.script(CUSTOMER_PATH, Answer(500, "<html>Internal Server Error</html>"))
    with pytest.raises(Unavailable) as caught:
        tmf.get_customer("c1")
    assert "Internal Server Error" not in str(caught.value)  # raw platform text never escapes
    assert faulty.hits[CUSTOMER_PATH] == 1


def test_get_is_retried_after_503_then_succeeds(tmf, faulty):
    faulty.script(CUSTOMER_PATH, TMF_503, Answer(200, GOOD_CUSTOMER))
    customer = tmf.get_customer("c1")
    assert customer.id == "c1"
    assert faulty.hits[CUSTOMER_PATH] == 2


@pytest.mark.parametrize("status", [502, 504])
def test_get_is_retried_on_gateway_errors(tmf, faulty, status):
    faulty.script(CUSTOMER_PATH, Answer(status, ""), Answer(200, GOOD_CUSTOMER))
    assert tmf.get_customer("c1").name == "Jan Novák"
    assert faulty.hits[CUSTOMER_PATH] == 2


def test_get_retries_are_bounded(tmf, faulty):
    faulty.script(CUSTOMER_PATH, TMF_503)
    with pytest.raises(Unavailable):
        tmf.get_customer("c1")
    assert faulty.hits[CUSTOMER_PATH] == 1 + tmf.settings.get_retries


def test_post_is_not_retried_on_503(tmf, faulty):
    faulty.script(ORDER_PATH, TMF_503, Answer(201, {}))
    with pytest.raises(Unavailable):
        tmf.order_package("c1", "sim1", "addon-50sms", "key-1")
    assert faulty.hits[ORDER_PATH] == 1


def test_patch_is_not_retried_on_503(tmf, faulty):
    service = {"id": "svc1", "serviceCharacteristic": [{"name": "roamingEnabled", "value": False}]}
    faulty.script(SERVICE_PATH, Answer(200, service), TMF_503, Answer(200, {}))
    with pytest.raises(Unavailable):
        tmf.update_sim_settings("svc1", {"roaming_enabled": True})
    assert [s.method for s in faulty.requests_to(SERVICE_PATH)] == ["GET", "PATCH"]  # one PATCH only


def test_slow_answer_beyond_read_timeout_is_unavailable(tmf, faulty):
    faulty.script(CUSTOMER_PATH, Answer(200, GOOD_CUSTOMER, delay=1.5))
    started = time.monotonic()
    with pytest.raises(Unavailable):
        tmf.get_customer("c1")
    # read_timeout is 0.5 s and read timeouts are not retried, so this ends well before the delay.
    assert time.monotonic() - started < 1.4
    assert faulty.hits[CUSTOMER_PATH] == 1


def test_connection_refused_is_unavailable():
    settings = TmfSettings(base_url=f"http://127.0.0.1:{free_port()}", credential="x", retry_backoff=0.0)
    with TmfPlatform(settings) as platform:
        with pytest.raises(Unavailable):
            platform.get_customer("c1")
        with pytest.raises(Unavailable):
            platform.order_package("c1", "sim1", "addon-50sms", "key-1")


@pytest.mark.parametrize("body", ["{not json", "", "<html>oops</html>", '{"id": "c1"'])
def test_malformed_json_is_unavailable(tmf, faulty, body):
    faulty.script(CUSTOMER_PATH, Answer(200, body))
    with pytest.raises(Unavailable):
        tmf.get_customer("c1")


@pytest.mark.parametrize(
    "body",
    [
        [],
        "[1, 2]",
        {"name": "no id"},
        {**GOOD_CUSTOMER, "contactMedium": "email"},
        {**GOOD_CUSTOMER, "contactMedium": [{"mediumType": "email", "characteristic": {"emailAddress": 5}}]},
        {**GOOD_CUSTOMER, "account": [{"noid": 1}]},
        None,
        "null",
    ],
)
def test_wrong_shape_is_unavailable(tmf, faulty, body):
    faulty.script(CUSTOMER_PATH, Answer(200, body))
    with pytest.raises(Unavailable):
        tmf.get_customer("c1")


def test_wrong_shape_money_in_invoice_is_unavailable(tmf, faulty):
    path = "/tmf-api/customerBillManagement/v4/customerBill/b1"
    faulty.script(path, Answer(200, {"id": "b1", "taxIncludedAmount": "lots"}))
    with pytest.raises(Unavailable):
        tmf.get_invoice("b1")


def test_401_is_unavailable_and_logged_as_error(tmf, faulty, caplog):
    faulty.script(
        CUSTOMER_PATH, Answer(401, {"code": "unauthorized", "reason": "bad token", "status": "401"})
    )
    with caplog.at_level(logging.ERROR, logger="selfcare_widget.platform"), pytest.raises(Unavailable):
        tmf.get_customer("c1")
    assert any(r.levelno == logging.ERROR and "credential" in r.getMessage() for r in caplog.records)


def test_403_is_unavailable(tmf, faulty):
    faulty.script(CUSTOMER_PATH, Answer(403, {"code": "forbidden", "reason": "no", "status": "403"}))
    with pytest.raises(Unavailable):
        tmf.get_customer("c1")


def test_404_is_not_found(tmf, faulty):
    faulty.script(CUSTOMER_PATH, Answer(404, {"code": "notFound", "reason": "Nenalezeno", "status": "404"}))
    with pytest.raises(NotFound):
        tmf.get_customer("c1")
    assert faulty.hits[CUSTOMER_PATH] == 1


def test_422_is_rejected_with_code_and_reason(tmf, faulty):
    faulty.script(
        SERVICE_PATH,
        Answer(422, {"code": "simBlocked", "reason": "SIM je zablokovaná", "message": "x", "status": "422"}),
    )
    with pytest.raises(Rejected) as caught:
        tmf.update_sim_settings("svc1", {"data_enabled": False})
    assert caught.value.code == "simBlocked"
    assert caught.value.reason == "SIM je zablokovaná"


def test_409_is_rejected(tmf, faulty):
    faulty.script(ORDER_PATH, Answer(409, {"code": "conflict", "reason": "Konflikt", "status": "409"}))
    with pytest.raises(Rejected) as caught:
        tmf.order_package("c1", "sim1", "addon-50sms", "key-1")
    assert caught.value.code == "conflict"


def test_422_without_tmf_body_is_still_rejected(tmf, faulty):
    faulty.script(SERVICE_PATH, Answer(422, "<html>nope</html>"))
    with pytest.raises(Rejected) as caught:
        tmf.update_sim_settings("svc1", {"data_enabled": False})
    assert caught.value.code == "rejected"
    assert "html" not in caught.value.reason


def test_400_is_rejected_bad_request(tmf, faulty):
    faulty.script(
        SERVICE_PATH, Answer(400, {"code": "badValue", "reason": "Neplatná hodnota", "status": "400"})
    )
    with pytest.raises(Rejected) as caught:
        tmf.update_sim_settings("svc1", {"data_enabled": False})
    assert caught.value.code == "badRequest"


def test_unknown_setting_is_rejected_without_a_call(tmf, faulty):
    with pytest.raises(Rejected) as caught:
        tmf.update_sim_settings("svc1", {"teleport_enabled": True})
    assert caught.value.code == "badRequest"
    assert faulty.hits[SERVICE_PATH] == 0


def test_list_usage_without_total_count_still_pages(tmf, faulty):
    """X-Total-Count is a SHOULD in TMF630: without it the page comes, with no total."""
    from datetime import date

    from selfcare_widget.platform.models import UsageFilter

    faulty.script("/tmf-api/usageManagement/v4/usage", Answer(200, []))
    page = tmf.list_usage("c1", UsageFilter("sim1", date(2026, 1, 1), date(2026, 1, 31)), 0, 50)
    assert (page.records, page.total) == ([], None)


def test_authenticate_401_is_invalid_credentials(tmf, faulty):
    faulty.script("/selfcare/v1/authenticate", Answer(401, {"code": "unauthorized", "status": "401"}))
    with pytest.raises(Rejected) as caught:
        tmf.authenticate("partner-a", "jan@example.cz", "wrong")
    assert caught.value.code == "invalidCredentials"
    assert faulty.hits["/selfcare/v1/authenticate"] == 1


def test_authenticate_503_is_unavailable_and_not_retried(tmf, faulty):
    faulty.script("/selfcare/v1/authenticate", TMF_503)
    with pytest.raises(Unavailable):
        tmf.authenticate("partner-a", "jan@example.cz", "pw")
    assert faulty.hits["/selfcare/v1/authenticate"] == 1
