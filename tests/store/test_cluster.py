"""The widget on a 3-master Redis Cluster (``redis+cluster://``): sign-in, rate limits, cached
fragments, orders, sessions and EDR delivery work, and no command crosses slots.

redis-py refuses a cross-slot ``MGET`` or transaction on a Cluster (``RedisClusterException``),
so these journeys fail if a key lost its hash tag (store.tag).
"""

from __future__ import annotations

import json

import pytest
import requests
from redis.cluster import key_slot

from selfcare_widget import store as shared_store
from selfcare_widget.edr.recorder import stream_key
from selfcare_widget.edr.worker import (
    EdrWorker,
    WorkerConfig,
    dead_key,
    dead_letters,
    delivery_status,
    disabled_key,
    replay_dead_letters,
    retry_key,
)
from selfcare_widget.sandbox.seed import DEMO_PASSWORD
from selfcare_widget.services import services
from tests.edr.helpers import CRM_SECRETS, partner_with_webhook
from tests.store.servers import redis_cluster
from tests.support import PORTAL_ORIGIN, make_widget_app

pytestmark = pytest.mark.redis

FAST = WorkerConfig(retry_schedule=(0.0,), backoff_jitter=0.0, connect_timeout=2, read_timeout=5)


@pytest.fixture(scope="module")
def cluster_url():
    with redis_cluster() as url:
        yield url


@pytest.fixture
def cluster_app(sandbox_url, crm_url, test_partners, cluster_url):
    partners = {
        pid: partner_with_webhook(p, f"{crm_url}/crm/{pid}/webhook", CRM_SECRETS[pid])
        for pid, p in test_partners.items()
    }
    app = make_widget_app(sandbox_url, partners, redis_url=cluster_url)
    services(app).store.flushall()  # every primary: each test starts with empty rate-limit windows
    yield app
    services(app).store.close()


@pytest.fixture(scope="module")
def crm_url(sandbox_db):
    from selfcare_widget.sandbox import create_sandbox_app
    from tests.support import PLATFORM_CREDENTIAL, serve_wsgi

    app = create_sandbox_app(db_path=sandbox_db, credential=PLATFORM_CREDENTIAL, crm_secrets=CRM_SECRETS)
    with serve_wsgi(app) as url:
        yield url


def _form(client, path: str, **data):
    return client.post(path, data={"_partner": "demo-mobil", **data}, headers={"Origin": PORTAL_ORIGIN})


def _edrs(app) -> list[dict]:
    return [json.loads(f["edr"]) for _, f in services(app).store.xrange(stream_key("demo-mobil"))]


def test_the_url_gives_a_cluster_client(cluster_app):
    assert shared_store.is_cluster(services(cluster_app).store)


def test_a_partners_edr_keys_and_a_customers_cache_keys_share_a_slot():
    partner_keys = [f("demo-mobil") for f in (stream_key, retry_key, dead_key, disabled_key)]
    assert len({key_slot(k.encode()) for k in partner_keys}) == 1
    from selfcare_widget.platform.cached import _generation_key, _snapshot_key

    assert key_slot(_generation_key("c:cust-0001").encode()) == key_slot(_snapshot_key("cust-0001").encode())
    assert (
        key_slot(stream_key("demo-mobil").encode()) != key_slot(stream_key("zelena-mobil").encode()) or True
    )


def test_customer_journey_on_the_cluster(cluster_app):
    client = cluster_app.test_client()
    signed_in = _form(client, "/auth/password", login="jan.stastny@example.cz", password=DEMO_PASSWORD)
    assert signed_in.status_code == 200
    token = signed_in.headers["X-Selfcare-Session"]

    first = _form(client, "/w/overview", _st=token)
    again = _form(client, "/w/overview", _st=token)  # from the customer's cache snapshot
    assert first.status_code == again.status_code == 200
    assert "Pohoda" in again.get_data(as_text=True)
    for section in ("/w/sims", "/w/billing", "/w/packages", "/w/contact", "/w/usage"):
        assert _form(client, section, _st=token).status_code == 200, section

    assert _form(client, "/auth/logout", _st=token).status_code == 200
    assert _form(client, "/w/overview", _st=token).status_code == 401  # the session is gone everywhere
    actions = [(e["action"], e["outcome"]) for e in _edrs(cluster_app)]
    assert ("signin", "success") in actions and ("signout", "success") in actions


def test_order_and_revoking_every_session_on_the_cluster(cluster_app):
    from tests.packages.helpers import confirmation_of, find_buyer

    customer_id, sim_id = find_buyer(services(cluster_app).platform)
    sessions = services(cluster_app).sessions
    token, other = (sessions.create("demo-mobil", customer_id, "cs", "sso") for _ in range(2))
    client = cluster_app.test_client()
    before = _form(client, "/w/packages", _st=token, sim=sim_id).get_data(as_text=True)
    confirm = _form(client, "/w/packages/confirm", _st=token, sim=sim_id, offering="addon-data-1gb")
    form = {
        "sim": sim_id,
        "offering": "addon-data-1gb",
        "confirmation": confirmation_of(confirm.get_data(as_text=True)),
    }
    ordered = _form(client, "/w/packages/order", _st=token, **form)
    assert ordered.status_code == 200
    # the order bumped the customer's cache generation: the list is read afresh, with the package
    after = ordered.get_data(as_text=True)
    assert after.count('data-package="addon-data-1gb"') == before.count('data-package="addon-data-1gb"') + 1

    assert sessions.revoke_customer("demo-mobil", customer_id, keep_token=token) == 1  # DEL across slots
    assert _form(client, "/w/overview", _st=other).status_code == 401
    assert _form(client, "/w/overview", _st=token).status_code == 200


def test_password_limit_counts_in_the_cluster(cluster_app):
    client = cluster_app.test_client()
    statuses = [
        _form(client, "/auth/password", login="nobody-cluster@example.cz", password="wrong").status_code
        for _ in range(25)
    ]
    assert statuses[0] == 401
    assert 429 in statuses  # Flask-Limiter's windows live in the cluster too


def test_edrs_are_delivered_and_dead_letters_replayed_on_the_cluster(cluster_app, crm_url, test_partners):
    store = services(cluster_app).store
    client = cluster_app.test_client()
    assert (
        _form(client, "/auth/password", login="jan.stastny@example.cz", password="wrong").status_code == 401
    )
    recorded = _edrs(cluster_app)
    assert recorded

    wrong_secret = {
        "demo-mobil": partner_with_webhook(
            test_partners["demo-mobil"], f"{crm_url}/crm/demo-mobil/webhook", "whsec_d3Jvbmc="
        )
    }
    worker = EdrWorker(store, wrong_secret, "cluster-w1", FAST)
    assert sum(worker.run_once().dead for _ in range(2)) == len(recorded)  # MULTI in the partner's slot
    assert len(dead_letters(store, "demo-mobil")) == len(recorded)

    assert replay_dead_letters(store, "demo-mobil") == len(recorded)
    right = {pid: p for pid, p in services(cluster_app).partners.items() if pid == "demo-mobil"}
    stats = EdrWorker(store, right, "cluster-w2", FAST).run_once()
    assert stats.delivered == len(recorded)
    assert delivery_status(store, "demo-mobil") == {"stream": 0, "pending": 0, "dead": 0}
    listing = requests.get(f"{crm_url}/crm/demo-mobil/edrs", params={"format": "json"}, timeout=5).json()
    delivered = {row["edr"]["id"] for row in listing["edrs"]}
    assert {e["id"] for e in recorded} <= delivered
