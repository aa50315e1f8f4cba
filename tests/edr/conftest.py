"""Fixtures for EDR delivery: a real Redis, the sandbox CRM receiver, the widget delivering to it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.edr.helpers import CRM_SECRETS, partner_with_webhook
from tests.support import PLATFORM_CREDENTIAL, make_widget_app, serve_wsgi


@pytest.fixture(scope="session")
def crm_url(sandbox_db) -> Iterator[str]:
    """Base URL of a sandbox app with the demo CRM receiver enabled for both test partners."""
    from selfcare_widget.sandbox import create_sandbox_app

    app = create_sandbox_app(db_path=sandbox_db, credential=PLATFORM_CREDENTIAL, crm_secrets=CRM_SECRETS)
    with serve_wsgi(app) as url:
        yield url


@pytest.fixture
def store(redis_url):
    """A client of the real Redis with every EDR key removed (tests share the server)."""
    import redis

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    for pattern in ("sc:edr:*", "sc:edr-dead:*", "sc:edr-retry:*", "sc:edr-disabled:*"):
        for key in client.scan_iter(match=pattern):
            client.delete(key)
    yield client
    client.close()


@pytest.fixture
def crm_partners(test_partners, crm_url):
    """The test partners, delivering to the sandbox CRM receiver."""
    return {
        pid: partner_with_webhook(p, f"{crm_url}/crm/{pid}/webhook", CRM_SECRETS[pid])
        for pid, p in test_partners.items()
    }


@pytest.fixture
def app(sandbox_url, crm_partners, redis_url, store):
    """Overrides the shared ``app``: the widget on the REAL Redis, partners with CRM webhooks."""
    return make_widget_app(sandbox_url, crm_partners, redis_url=redis_url)
