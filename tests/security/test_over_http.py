"""Issue 11's defences as a browser or an attacker meets them: real HTTP, a real Redis.

The feature folders test each rule in depth through the test client; here each one is checked once
more on the wire, against a served widget whose counters, sessions and EDRs live in Redis:
``X-Forwarded-For`` ignored without trusted proxies, JWT ``crit``/``typ`` refused, the e-mail login
not changed without re-authentication (and guessing that password limited in Redis), invented HTTP
methods bucketed in ``/metrics``, and the pinned loader served immutable.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict

import pytest
import requests
from jose import jwt

from selfcare_widget.edr.recorder import stream_key
from selfcare_widget.platform.tmf import TmfPlatform, TmfSettings
from selfcare_widget.services import services
from selfcare_widget.version import __version__
from selfcare_widget.views.contact_validation import display_phone
from tests.support import PLATFORM_CREDENTIAL, PORTAL_ORIGIN, make_widget_app, serve_wsgi

pytestmark = pytest.mark.redis

#: A generated demo-mobil customer no other test changes (contact tests own cust-0010).
CUSTOMER = "cust-0011"


@pytest.fixture(scope="module")
def served(sandbox_url, test_partners, redis_url) -> Iterator[tuple[object, str]]:
    """A widget with a real Redis and no trusted proxy, over real HTTP: (app, url)."""
    app = make_widget_app(sandbox_url, test_partners, redis_url=redis_url)
    with serve_wsgi(app) as url:
        yield app, url


def post(url: str, path: str, **form) -> requests.Response:
    return requests.post(url + path, data=form, headers={"Origin": PORTAL_ORIGIN}, timeout=30)


def sso_token(key: str, headers: dict | None = None) -> str:
    now = int(time.time())
    claims = {
        "iss": "demo-mobil",
        "aud": "selfcare-widget",
        "sub": CUSTOMER,
        "iat": now,
        "exp": now + 120,
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers=headers)


def last_edr(app, action: str) -> dict:
    entries = services(app).store.xrange(stream_key("demo-mobil"))
    return [e for e in (json.loads(f["edr"]) for _, f in entries) if e["action"] == action][-1]


def test_forwarded_for_is_ignored_without_trusted_proxies(served):
    _, url = served
    codes = [
        requests.post(
            url + "/auth/password",
            data={"_partner": "demo-mobil", "login": "nikdo@example.cz", "password": "x"},
            headers={"Origin": PORTAL_ORIGIN, "X-Forwarded-For": f"198.51.100.{i}"},
            timeout=30,
        ).status_code
        for i in range(11)
    ]
    assert codes == [401] * 10 + [429]  # one client, however it names itself


@pytest.mark.parametrize(
    ("headers", "reason"),
    [({"crit": ["x-selfcare-ext"], "x-selfcare-ext": True}, "crit"), ({"typ": "at+jwt"}, "type")],
)
def test_sso_tokens_with_unknown_critical_headers_or_types_are_refused(
    served, partner_rsa_key, headers, reason
):
    app, url = served
    answer = post(url, "/sso/exchange", partner="demo-mobil", token=sso_token(partner_rsa_key, headers))
    assert answer.status_code == 401 and "session" not in answer.text
    assert last_edr(app, "signin")["details"]["reason"] == reason
    good = post(url, "/sso/exchange", partner="demo-mobil", token=sso_token(partner_rsa_key))
    assert good.status_code == 200  # the same key and claims without the header sign on


def test_the_email_login_changes_only_with_reauthentication_and_guessing_is_limited(served, sandbox_url):
    app, url = served
    token = services(app).sessions.create("demo-mobil", CUSTOMER, "cs", "sso")
    with TmfPlatform(TmfSettings(base_url=sandbox_url, credential=PLATFORM_CREDENTIAL)) as platform:
        before = platform.get_customer(CUSTOMER)
        form = asdict(before.contact) | {
            "phone": display_phone(before.contact.phone),
            "email": f"unos-{uuid.uuid4().hex[:8]}@example.cz",
            "current_password": "hadam",
        }
        codes = [
            post(url, "/w/contact/save", _partner="demo-mobil", _st=token, **form).status_code
            for _ in range(6)
        ]
        assert codes == [422] * 5 + [429]
        assert platform.get_customer(CUSTOMER).contact == before.contact
    assert any(services(app).store.scan_iter("*sc:rl*"))  # the counter lives in Redis


def test_invented_methods_share_one_metrics_label(served):
    _, url = served
    for method in ("FOO", "SCANNER" + "Q" * 33):
        requests.request(method, url + "/healthz", timeout=10)
    metrics = requests.get(url + "/metrics", timeout=10).text
    assert 'method="other"' in metrics and 'method="FOO"' not in metrics


def test_the_pinned_loader_is_immutable_and_the_same_bytes(served):
    _, url = served
    pinned = requests.get(f"{url}/embed/v{__version__}.js", timeout=10)
    moving = requests.get(url + "/embed.js", timeout=10)
    assert pinned.status_code == 200 and pinned.content == moving.content
    assert pinned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
