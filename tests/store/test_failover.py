"""Writes that matter survive the store: EDRs refused by Redis wait on disk and arrive later
(also those of a process killed meanwhile), sessions and EDRs acknowledged by a replica survive
a Sentinel failover, and the widget goes on with the new primary."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import redis

from selfcare_widget.edr.recorder import record, stream_key
from selfcare_widget.edr.spool import resume
from selfcare_widget.sandbox.seed import DEMO_PASSWORD
from selfcare_widget.services import services
from selfcare_widget.store import Durability, connect
from tests.store.servers import redis_sentinel
from tests.support import PORTAL_ORIGIN, free_port, make_widget_app, require, start_redis, wait_port

pytestmark = pytest.mark.redis


def _until(check, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def _metric(name: str, **labels: str) -> float:
    """A counter of the process's Prometheus registry (what ``/metrics`` serves), 0 before its first count."""
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name, labels) or 0.0


def _stream_ids(client: redis.Redis, partner: str = "demo-mobil") -> list[str]:
    return [json.loads(f["edr"])["id"] for _, f in client.xrange(stream_key(partner))]


def _form(client, path: str, **data):
    return client.post(path, data={"_partner": "demo-mobil", **data}, headers={"Origin": PORTAL_ORIGIN})


@pytest.fixture
def redis_binary() -> str:
    import shutil

    binary = shutil.which("redis-server")
    require(binary is not None, "redis-server")
    assert binary is not None
    return binary


def test_an_edr_the_store_refuses_is_spooled_and_arrives_when_the_store_is_back(
    sandbox_url, test_partners, redis_binary, tmp_path
):
    port, workdir = free_port(), tempfile.mkdtemp(prefix="selfcare-redis-")
    spool_dir = tmp_path / "spool"
    app = make_widget_app(
        sandbox_url, test_partners, redis_url=f"redis://127.0.0.1:{port}/0", edr_spool_dir=spool_dir
    )
    spooled_before = _metric("selfcare_edrs_not_stored_total", outcome="spooled")
    with app.test_request_context("/w/overview", method="POST"):
        edr_id = record("signin", "failure", partner_id="demo-mobil", reason="store-down")  # nothing listens
    assert edr_id is not None  # kept, not lost
    assert _metric("selfcare_edrs_not_stored_total", outcome="spooled") == spooled_before + 1
    (spooled,) = [p for p in spool_dir.iterdir() if p.stat().st_size]
    assert edr_id in spooled.read_text(encoding="utf-8")

    server = start_redis(redis_binary, workdir, port)
    try:
        wait_port(port)
        with redis.Redis(port=port, decode_responses=True) as client:
            assert _until(lambda: edr_id in _stream_ids(client))  # the spool's thread sent it
            assert _stream_ids(client).count(edr_id) == 1
        _until(lambda: not any(p.stat().st_size for p in spool_dir.iterdir()))
    finally:
        server.terminate()
        server.wait(5)


def test_an_edr_neither_the_store_nor_the_spool_keeps_is_counted_as_lost(
    sandbox_url, test_partners, tmp_path
):
    """The one way an EDR is lost (store down and the spool directory unusable) does not go
    unnoticed: it is logged and counted for alerting."""
    not_a_directory = tmp_path / "spool"
    not_a_directory.write_text("a file where the spool directory should be", encoding="utf-8")
    app = make_widget_app(
        sandbox_url,
        test_partners,
        redis_url=f"redis://127.0.0.1:{free_port()}/0",
        edr_spool_dir=not_a_directory,
    )
    lost_before = _metric("selfcare_edrs_not_stored_total", outcome="lost")
    with app.test_request_context("/w/overview", method="POST"):
        assert record("signin", "failure", partner_id="demo-mobil", reason="store-down") is None
    assert _metric("selfcare_edrs_not_stored_total", outcome="lost") == lost_before + 1


ORPHAN = """
import os, signal, sys
from pathlib import Path
import redis
from selfcare_widget.edr.spool import EdrSpool
from selfcare_widget.store import Durability, connect
spool = EdrSpool(Path(sys.argv[1]), redis.Redis(port=int(sys.argv[2])), Durability())
spool.start = lambda: None  # this process dies before it could send them itself
for n in range(3):
    spool.append(sys.argv[3], {"edr": '{"id": "orphan-%d"}' % n})
os.kill(os.getpid(), signal.SIGKILL)
"""


def test_a_killed_processs_spool_is_taken_over(redis_url, tmp_path):
    spool_dir = tmp_path / "spool"
    key = stream_key("orphan-partner")
    killed = subprocess.run(
        [sys.executable, "-c", ORPHAN, str(spool_dir), str(free_port()), key],
        cwd=Path(__file__).resolve().parents[2],
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        timeout=60,
    )
    assert killed.returncode == -9
    assert len(list(spool_dir.iterdir())) == 1

    store = redis.Redis.from_url(redis_url, decode_responses=True)
    store.delete(key)
    resume(spool_dir, store, Durability())  # what create_app does at start-up
    ids = _until(lambda: [json.loads(f["edr"])["id"] for _, f in store.xrange(key)])
    assert sorted(ids) == ["orphan-0", "orphan-1", "orphan-2"]
    _until(lambda: not list(spool_dir.iterdir()))  # emptied and removed
    store.delete(key)


def test_an_edr_no_replica_acknowledged_on_the_only_primary_stands_and_is_logged(
    sandbox_url, test_partners, redis_url, caplog, tmp_path
):
    app = make_widget_app(
        sandbox_url,
        test_partners,
        redis_url=redis_url,
        redis_wait_replicas=1,
        redis_wait_timeout_ms=50,
        edr_spool_dir=tmp_path / "spool",
    )
    unacknowledged_before = _metric("selfcare_store_writes_unacknowledged_total", kind="edr")
    with caplog.at_level(logging.WARNING), app.test_request_context("/", method="POST"):
        edr_id = record("signin", "failure", partner_id="demo-mobil", reason="no-replica")
    assert "acknowledged by 0 of 1 replica(s)" in caplog.text
    assert _metric("selfcare_store_writes_unacknowledged_total", kind="edr") == unacknowledged_before + 1
    assert _stream_ids(services(app).store).count(edr_id) == 1  # no Sentinels: it is the primary
    assert not list((tmp_path / "spool").glob("*"))


def test_writes_to_a_server_the_sentinels_do_not_name_are_not_kept(redis_url):
    """The old primary in the moment after a failover: it still takes writes, the Sentinels name
    another primary, and its writes vanish when it rejoins — kept() tells the two apart."""
    with redis_sentinel() as sentinel:
        store = connect(sentinel.url)
        wants_two = Durability(replicas=2, timeout_ms=50)  # one replica: never enough acknowledgements

        def replies(client: redis.Redis) -> list:
            with client.pipeline(transaction=False) as pipe:
                pipe.set("sc:test:kept", "1")
                assert wants_two.add_wait(pipe)
                return pipe.execute()

        assert wants_two.kept(store, replies(store), "a write to the primary", "edr")
        elsewhere = redis.Redis.from_url(redis_url, decode_responses=True)  # a primary of no Sentinel's
        assert not wants_two.kept(store, replies(elsewhere), "a write to another server", "edr")
        elsewhere.delete("sc:test:kept")


def test_sessions_and_edrs_survive_a_sentinel_failover(sandbox_url, test_partners, tmp_path):
    with redis_sentinel() as sentinel:
        app = make_widget_app(
            sandbox_url,
            test_partners,
            redis_url=sentinel.url,
            redis_wait_replicas=1,
            redis_wait_timeout_ms=1000,
            edr_spool_dir=tmp_path / "spool",
        )
        client = app.test_client()
        signed_in = _form(client, "/auth/password", login="jan.stastny@example.cz", password=DEMO_PASSWORD)
        assert signed_in.status_code == 200  # Flask-Limiter counts on the Sentinel's primary too
        token = signed_in.headers["X-Selfcare-Session"]
        with redis.Redis(port=sentinel.ports["replica"], decode_responses=True) as replica:
            recorded = _stream_ids(replica)  # WAIT: on the replica as soon as the request answered
            assert recorded, "the sign-in EDR is not on the replica"

        new_primary = sentinel.failover()
        assert new_primary == sentinel.ports["replica"]
        # the same client finds the new primary; the session written before is there
        assert _form(client, "/w/overview", _st=token).status_code == 200
        assert _form(client, "/auth/logout", _st=token).status_code == 200
        with redis.Redis(port=new_primary, decode_responses=True) as promoted:
            # the sign-out EDR: on the new primary at once, or — if it went to the old primary
            # in the moment before the Sentinels demoted it — from the spool a moment later
            after = _until(lambda: [i for i in _stream_ids(promoted) if i not in recorded])
            assert set(recorded) <= set(_stream_ids(promoted))
        assert len(set(after)) == 1


def test_a_store_away_for_longer_than_the_retries_gets_a_friendly_503(sandbox_url, test_partners, tmp_path):
    app = make_widget_app(
        sandbox_url, test_partners, redis_url=f"redis://127.0.0.1:{free_port()}/0", edr_spool_dir=tmp_path
    )
    response = _form(app.test_client(), "/w/overview", _st="some-session-token")
    body = response.get_data(as_text=True)
    assert response.status_code == 503 and response.headers["Retry-After"] == "5"
    assert "Služba je na okamžik nedostupná" in body
    assert "Traceback" not in body and "Redis" not in body
