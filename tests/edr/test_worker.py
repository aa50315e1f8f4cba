"""The delivery worker on a REAL Redis with real HTTP endpoints: at least once, never lost."""

from __future__ import annotations

import json
import threading
import time
import uuid

import pytest
import requests

from selfcare_widget.edr import stream_key
from selfcare_widget.edr.signing import verify
from selfcare_widget.edr.worker import (
    GROUP,
    EdrWorker,
    WorkerConfig,
    dead_letters,
    delivery_status,
    replay_dead_letters,
    retry_key,
)
from tests.edr.helpers import CRM_SECRETS, add_edr, partner_with_webhook, scripted_endpoint

pytestmark = pytest.mark.redis

# three attempts, retried at once
FAST = WorkerConfig(retry_schedule=(0.0, 0.0), backoff_jitter=0.0, connect_timeout=2, read_timeout=5)


def _crm_rows(crm_url: str, partner: str = "demo-mobil") -> dict[str, dict]:
    listing = requests.get(f"{crm_url}/crm/{partner}/edrs", params={"format": "json"}, timeout=5).json()
    return {row["edr"]["id"]: row for row in listing["edrs"]}


def _one_partner(test_partners, url: str, secret: str = CRM_SECRETS["demo-mobil"]):
    return {"demo-mobil": partner_with_webhook(test_partners["demo-mobil"], url, secret)}


# --- end to end: recorded by the widget, delivered to the CRM --------------------------------


def test_widget_edrs_reach_the_crm_signed(app, post, sign_in, store, crm_partners, crm_url):
    token = sign_in("cust-0001")
    assert post("/auth/logout", token).status_code == 200
    bad = post("/auth/password", login="nobody@example.cz", password="wrong-password")
    assert bad.status_code == 401
    recorded = [json.loads(fields["edr"]) for _id, fields in store.xrange(stream_key("demo-mobil"))]
    assert [(e["action"], e["outcome"]) for e in recorded] == [("signout", "success"), ("signin", "failure")]

    stats = EdrWorker(store, crm_partners, "w1", FAST).run_once()

    assert stats.delivered == 2
    assert delivery_status(store, "demo-mobil") == {"stream": 0, "pending": 0, "dead": 0}
    rows = _crm_rows(crm_url)
    for edr in recorded:
        assert rows[edr["id"]]["edr"] == edr  # the exact record, as the widget wrote it
    signout = rows[recorded[0]["id"]]["edr"]
    assert (signout["customer"], signout["channel"], signout["partner"]) == (
        "cust-0001",
        "widget",
        "demo-mobil",
    )
    assert signout["requestId"]
    assert rows[recorded[1]["id"]]["edr"]["details"] == {
        "method": "password",
        "reason": "invalid_credentials",
    }


def test_signature_seen_by_the_endpoint_verifies(store, test_partners):
    edr_id = add_edr(store, action="invoice.view", invoice="inv-1")
    with scripted_endpoint(204) as endpoint:
        EdrWorker(store, _one_partner(test_partners, endpoint.url), "w1", FAST).run_once()
    ((headers, body),) = endpoint.calls
    lowered = {k.lower(): v for k, v in headers.items()}
    assert verify(CRM_SECRETS["demo-mobil"], lowered, body) == edr_id
    assert lowered["content-type"] == "application/json"
    assert json.loads(body)["details"] == {"invoice": "inv-1"}


# --- failures: retried, later delivered, nothing lost ------------------------------------------


def test_failing_endpoint_is_retried_and_delivered_later(store, test_partners):
    edr_id = add_edr(store)
    with scripted_endpoint(500, 200) as endpoint:
        worker = EdrWorker(store, _one_partner(test_partners, endpoint.url), "w1", FAST)
        first = worker.run_once()
        assert (first.delivered, first.failed) == (0, 1)
        assert delivery_status(store, "demo-mobil") == {"stream": 1, "pending": 1, "dead": 0}
        assert store.hget(
            retry_key("demo-mobil"), f"{store.xrange(stream_key('demo-mobil'))[0][0]}:error"
        ) == ("HTTP 500")
        second = worker.run_once()
    assert second.delivered == 1
    assert endpoint.ids() == [edr_id, edr_id]  # same webhook-id on the retry
    assert delivery_status(store, "demo-mobil") == {"stream": 0, "pending": 0, "dead": 0}
    assert store.exists(retry_key("demo-mobil")) == 0


def test_exponential_backoff_of_the_demo_is_honoured(store, test_partners):
    now = [1_000.0]
    add_edr(store)
    config = WorkerConfig(backoff_base=10.0, backoff_jitter=0.0)  # 10, 20, 40 … s instead of the schedule
    assert config.retry_schedule[:3] == (10.0, 20.0, 40.0) and config.max_attempts == 8
    with scripted_endpoint(503, 503, 200) as endpoint:
        worker = EdrWorker(
            store, _one_partner(test_partners, endpoint.url), "w1", config, clock=lambda: now[0]
        )
        assert worker.run_once().failed == 1  # attempt 1; next in 10 s
        now[0] += 9
        assert worker.run_once().deferred == 1
        assert len(endpoint.calls) == 1
        now[0] += 1
        assert worker.run_once().failed == 1  # attempt 2; next in 20 s
        now[0] += 19
        assert worker.run_once().deferred == 1
        now[0] += 1
        assert worker.run_once().delivered == 1
    assert len(endpoint.calls) == 3


def test_retry_after_header_and_429_are_retryable(store, test_partners):
    now = [5_000.0]
    add_edr(store)
    with scripted_endpoint((429, {"Retry-After": "30"}), 200) as endpoint:
        worker = EdrWorker(store, _one_partner(test_partners, endpoint.url), "w1", FAST, clock=lambda: now[0])
        assert worker.run_once().failed == 1
        now[0] += 29
        assert worker.run_once().deferred == 1  # the CRM asked for 30 s
        now[0] += 1
        assert worker.run_once().delivered == 1
    assert len(endpoint.calls) == 2


def test_unreachable_endpoint_is_a_retryable_failure(store, test_partners):
    from tests.support import free_port

    add_edr(store)
    partners = _one_partner(test_partners, f"http://127.0.0.1:{free_port()}/hook")
    stats = EdrWorker(store, partners, "w1", FAST).run_once()
    assert stats.failed == 1
    assert delivery_status(store, "demo-mobil")["stream"] == 1


# --- dead letters --------------------------------------------------------------------------------


def test_permanently_failing_endpoint_dead_letters_after_max_attempts(store, test_partners):
    edr_id = add_edr(store)
    original = store.xrange(stream_key("demo-mobil"))[0][1]["edr"]
    with scripted_endpoint(503) as endpoint:
        worker = EdrWorker(store, _one_partner(test_partners, endpoint.url), "w1", FAST)
        assert worker.run_once().failed == 1
        assert worker.run_once().failed == 1
        assert worker.run_once().dead == 1  # the 3rd attempt is the last (two delays scheduled)
        assert worker.run_once().busy is False
    assert len(endpoint.calls) == 3
    assert delivery_status(store, "demo-mobil") == {"stream": 0, "pending": 0, "dead": 1}
    ((_dead_id, letter),) = dead_letters(store, "demo-mobil")
    assert letter["edr"] == original
    assert (letter["attempts"], letter["error"], letter["status"]) == ("3", "HTTP 503", "503")
    assert store.exists(retry_key("demo-mobil")) == 0

    # the operator fixes the CRM and replays: delivered with the same id
    assert replay_dead_letters(store, "demo-mobil") == 1
    assert delivery_status(store, "demo-mobil") == {"stream": 1, "pending": 0, "dead": 0}
    with scripted_endpoint(200) as endpoint:
        worker = EdrWorker(store, _one_partner(test_partners, endpoint.url), "w1", FAST)
        assert worker.run_once().delivered == 1
    assert endpoint.ids() == [edr_id]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_4xx_other_than_410_is_retried_like_5xx(store, test_partners, status):
    edr_id = add_edr(store)
    with scripted_endpoint(status, 200) as endpoint:  # a misconfigured CRM that gets fixed
        worker = EdrWorker(store, _one_partner(test_partners, endpoint.url), "w1", FAST)
        assert worker.run_once().failed == 1
        assert worker.run_once().delivered == 1
    assert endpoint.ids() == [edr_id, edr_id]
    assert delivery_status(store, "demo-mobil") == {"stream": 0, "pending": 0, "dead": 0}


def test_wrong_secret_at_the_crm_ends_in_dead_letters_not_lost(store, test_partners, crm_url):
    edr_id = add_edr(store)
    partners = _one_partner(test_partners, f"{crm_url}/crm/demo-mobil/webhook", secret="whsec_d3Jvbmc=")
    worker = EdrWorker(store, partners, "w1", FAST)
    assert [worker.run_once().dead for _ in range(3)] == [0, 0, 1]  # 401 from the receiver, 3 times
    ((_id, letter),) = dead_letters(store, "demo-mobil")
    assert json.loads(letter["edr"])["id"] == edr_id
    assert letter["error"] == "HTTP 401"


def test_malformed_entry_is_dead_lettered(store, test_partners):
    store.xadd(stream_key("demo-mobil"), {"edr": "not json"})
    with scripted_endpoint(200) as endpoint:
        assert EdrWorker(store, _one_partner(test_partners, endpoint.url), "w1", FAST).run_once().dead == 1
    assert endpoint.calls == []
    assert dead_letters(store, "demo-mobil")[0][1]["error"] == "malformed EDR"


def test_partner_without_webhook_keeps_its_edrs(store, test_partners):
    add_edr(store)
    stats = EdrWorker(store, {"demo-mobil": test_partners["demo-mobil"]}, "w1", FAST).run_once()
    assert stats.busy is False
    assert store.xlen(stream_key("demo-mobil")) == 1


# --- dead consumers and concurrency ------------------------------------------------------------


def test_messages_of_a_dead_consumer_are_reclaimed_and_delivered(store, test_partners):
    ids = {add_edr(store) for _ in range(3)}
    key = stream_key("demo-mobil")
    store.xgroup_create(key, GROUP, id="0", mkstream=True)
    read = store.xreadgroup(GROUP, "crashed", {key: ">"}, count=10)  # read, then "died" before any ack
    assert len(read[0][1]) == 3
    with scripted_endpoint(200) as endpoint:
        partners = _one_partner(test_partners, endpoint.url)
        patient = EdrWorker(store, partners, "w-patient", WorkerConfig(claim_idle_ms=60_000))
        assert patient.run_once().busy is False  # not idle long enough: still the other's
        assert store.xpending(key, GROUP)["consumers"] == [{"name": "crashed", "pending": 3}]
        rescuer = EdrWorker(store, partners, "w-rescuer", WorkerConfig(claim_idle_ms=0))
        stats = rescuer.run_once()
    assert (stats.claimed, stats.delivered) == (3, 3)
    assert set(endpoint.ids()) == ids
    assert delivery_status(store, "demo-mobil") == {"stream": 0, "pending": 0, "dead": 0}


def test_two_workers_deliver_everything_and_the_crm_stores_each_once(store, crm_partners, crm_url):
    ids = {add_edr(store, action="usage.view", page=n) for n in range(40)}
    # claim_idle_ms=0 makes the workers steal from each other: duplicates are possible, losses not
    config = WorkerConfig(batch_size=5, claim_idle_ms=0, retry_schedule=(0.0,) * 7, backoff_jitter=0.0)
    errors: list[BaseException] = []

    def work(name: str) -> None:
        try:
            worker = EdrWorker(store, {"demo-mobil": crm_partners["demo-mobil"]}, name, config)
            for _ in range(200):  # bounded: a pass either delivers something or the queue is empty
                worker.run_once()
                if delivery_status(store, "demo-mobil")["stream"] == 0:
                    return
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"w{n}",)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert delivery_status(store, "demo-mobil") == {"stream": 0, "pending": 0, "dead": 0}
    rows = _crm_rows(crm_url)
    assert ids <= set(rows)  # every EDR arrived ...
    assert all(rows[i]["deliveries"] >= 1 for i in ids)  # ... and is stored once (one row per id)


def test_a_consumer_group_lost_in_a_failover_is_created_again(store, test_partners):
    # A replica promoted before it saw XGROUP CREATE has the stream's entries but no group.
    config = WorkerConfig(retry_schedule=(0.0,), backoff_jitter=0.0, poll_interval=0.05)
    with scripted_endpoint(200) as endpoint:
        worker = EdrWorker(store, _one_partner(test_partners, endpoint.url), "w1", config)
        worker.run_once()  # the group exists and the worker remembers it
        store.delete(stream_key("demo-mobil"))
        edr_id = add_edr(store)
        stop = threading.Event()
        loop = threading.Thread(target=worker.run_forever, args=(stop,), daemon=True)
        loop.start()
        try:
            deadline = time.monotonic() + 10
            while not endpoint.calls and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            stop.set()
            loop.join(5)
    assert [json.loads(body)["id"] for _headers, body in endpoint.calls] == [edr_id]


def test_an_idle_worker_sends_a_new_edr_without_waiting_for_its_next_pass(store, test_partners):
    # poll_interval 60 s: only the blocking read on the streams can deliver it within the test
    config = WorkerConfig(retry_schedule=(0.0,), backoff_jitter=0.0, poll_interval=60.0)
    with scripted_endpoint(200) as endpoint:
        worker = EdrWorker(store, _one_partner(test_partners, endpoint.url), "w1", config)
        stop = threading.Event()
        loop = threading.Thread(target=worker.run_forever, args=(stop,), daemon=True)
        loop.start()
        try:
            time.sleep(0.5)  # the first pass found nothing; the worker is idle
            edr_id = add_edr(store)
            deadline = time.monotonic() + 10
            while not endpoint.calls and time.monotonic() < deadline:
                time.sleep(0.02)
        finally:
            stop.set()
            loop.join(5)
    assert [json.loads(body)["id"] for _headers, body in endpoint.calls] == [edr_id]


def test_a_worker_slowed_by_its_crm_keeps_its_batch_from_another_worker(store, test_partners):
    # Another worker takes over entries idle for claim_idle (their worker died); a batch sent to a
    # slow CRM takes longer than that here, and must still be delivered once, not twice.
    config = WorkerConfig(retry_schedule=(0.0,), backoff_jitter=0.0, claim_idle_ms=300)
    ids = [add_edr(store) for _ in range(8)]
    first_call = threading.Event()

    def slow() -> int:
        first_call.set()
        time.sleep(0.1)
        return 200

    with scripted_endpoint(slow) as endpoint:
        partners = _one_partner(test_partners, endpoint.url)
        busy, other = EdrWorker(store, partners, "busy", config), EdrWorker(store, partners, "other", config)
        done = threading.Event()

        def take_over() -> None:
            first_call.wait(10)  # the busy worker has read all 8
            while not done.is_set():
                other.run_once()
                time.sleep(0.02)

        rival = threading.Thread(target=take_over, daemon=True)
        rival.start()
        try:
            busy.run_once()  # about 0.8 s for the batch
        finally:
            done.set()
            rival.join(10)
    assert sorted(endpoint.ids()) == sorted(ids)  # each once


def test_edr_keys_from_before_the_hash_tags_are_adopted_with_their_pending_entries(store, test_partners):
    from selfcare_widget.edr.worker import adopt_legacy_keys

    legacy, legacy_dead = "sc:edr:demo-mobil", "sc:edr-dead:demo-mobil"
    store.delete(legacy, legacy_dead)
    pending_id = str(uuid.uuid4())
    store.xadd(legacy, {"edr": json.dumps({"id": pending_id})})
    store.xgroup_create(legacy, GROUP, id="0")
    store.xreadgroup(GROUP, "old-worker", {legacy: ">"})  # read before the upgrade, never acknowledged
    store.xadd(legacy_dead, {"edr": json.dumps({"id": "dead-one"}), "error": "HTTP 500"})

    assert sorted(adopt_legacy_keys(store, ["demo-mobil", "zelena-mobil"])) == [legacy_dead, legacy]
    assert not store.exists(legacy, legacy_dead)
    assert json.loads(dead_letters(store, "demo-mobil")[0][1]["edr"])["id"] == "dead-one"
    config = WorkerConfig(retry_schedule=(0.0,), backoff_jitter=0.0, claim_idle_ms=0)
    with scripted_endpoint(200) as endpoint:
        EdrWorker(store, _one_partner(test_partners, endpoint.url), "new-worker", config).run_once()
    assert endpoint.ids() == [pending_id]  # the old worker's pending entry, taken over
