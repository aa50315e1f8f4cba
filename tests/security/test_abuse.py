"""Sign-in under abuse: limits count the account however it is spelled and whichever client asks,
nothing personal is kept in counter keys, SMS codes are stored keyed (issue 11, items 1, 2, 7).

Real HTTP to a widget behind one trusted proxy (SELFCARE_PROXY_HOPS=1, so X-Forwarded-For names
the client), a real Redis, the sandbox platform.
"""

from __future__ import annotations

import hashlib
import time

import pytest
import redis
import requests

from selfcare_widget.platform.tmf import TmfPlatform, TmfSettings
from selfcare_widget.sandbox.seed import DEMO_PASSWORD
from selfcare_widget.services import services
from tests.support import PLATFORM_CREDENTIAL, PORTAL_ORIGIN, make_widget_app, serve_wsgi, sms_codes

pytestmark = pytest.mark.redis


@pytest.fixture
def widget(sandbox_url, test_partners, redis_url):
    app = make_widget_app(sandbox_url, test_partners, redis_url=redis_url, proxy_hops=1)
    with serve_wsgi(app) as url:
        yield app, url


@pytest.fixture(scope="module")
def account(sandbox_url) -> dict:
    """A generated demo-mobil customer of its own: e-mail and the national digits of a SIM."""
    with TmfPlatform(TmfSettings(base_url=sandbox_url, credential=PLATFORM_CREDENTIAL)) as platform:
        customer = platform.get_customer("cust-0021")
        sim = platform.list_sims("cust-0021")[0]
    assert customer.partner_id == "demo-mobil"
    return {"id": customer.id, "email": customer.contact.email, "msisdn": sim.msisdn}


def send(url: str, path: str, client_ip: str, **form) -> requests.Response:
    return requests.post(
        url + path,
        data={"_partner": "demo-mobil", **form},
        headers={"Origin": PORTAL_ORIGIN, "X-Forwarded-For": client_ip},
        timeout=10,
    )


def spellings(msisdn: str) -> list[str]:
    national = msisdn[3:]
    return [
        national,
        f"{national[:3]} {national[3:6]} {national[6:]}",
        f"{national[:3]}-{national[3:6]}-{national[6:]}",
        "+" + msisdn,
        "00" + msisdn,
        f"+{msisdn[:3]} {national}",
    ]


@pytest.mark.parametrize("login_kind", ["msisdn", "email"])
def test_twenty_failed_passwords_lock_the_login_whatever_the_spelling_or_client(widget, account, login_kind):
    """Each login (the number, the e-mail) of an account: at most 20 failures an hour."""
    app, url = widget
    if login_kind == "msisdn":
        logins = spellings(account["msisdn"])
    else:
        logins = [account["email"], account["email"].upper(), f"  {account['email'].title()} "]
    for attempt in range(20):
        login = logins[attempt % len(logins)]
        wrong = send(url, "/auth/password", f"198.51.100.{attempt}", login=login, password=f"guess-{attempt}")
        assert wrong.status_code == 401, (attempt, login)
    right = send(url, "/auth/password", "203.0.113.9", login=logins[0], password=DEMO_PASSWORD)
    assert right.status_code == 429  # the right password from a fresh client is throttled too
    assert "Příliš mnoho pokusů" in right.text


@pytest.fixture(scope="module")
def account_with_two_lines(sandbox_url) -> dict:
    """A generated demo-mobil customer with at least two SIMs (none of the other tests use it)."""
    with TmfPlatform(TmfSettings(base_url=sandbox_url, credential=PLATFORM_CREDENTIAL)) as platform:
        for number in range(30, 60):
            customer_id = f"cust-{number:04d}"
            customer = platform.get_customer(customer_id)
            sims = platform.list_sims(customer_id)
            if customer.partner_id == "demo-mobil" and len(sims) >= 2:
                return {"email": customer.contact.email, "numbers": [s.msisdn for s in sims[:2]]}
    raise AssertionError("the seed has no demo-mobil customer with two SIMs among cust-0030..0059")


def test_failed_passwords_on_any_number_of_one_account_share_one_counter(
    widget, account_with_two_lines, redis_url
):
    """Once the widget knows whose numbers they are, they count together: 20 in all, not 20 each."""
    app, url = widget
    first, second = account_with_two_lines["numbers"]
    for i, number in enumerate((first, second)):  # each number's first failure: its own counter
        assert send(url, "/auth/password", f"198.51.100.{i}", login=number, password="x").status_code == 401
    store = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + 10  # whose numbers they are is looked up off the request path
    with app.app_context():
        from selfcare_widget.auth.identifiers import known_account

        while time.monotonic() < deadline and not all(
            known_account(store, "demo-mobil", n) for n in (first, second)
        ):
            time.sleep(0.05)
        accounts = {known_account(store, "demo-mobil", n) for n in (first, second)}
    assert len(accounts) == 1 and None not in accounts
    for attempt in range(20):
        login = spellings((first, second)[attempt % 2])[attempt % 6]
        wrong = send(url, "/auth/password", f"198.51.100.{50 + attempt}", login=login, password=f"g{attempt}")
        assert wrong.status_code == 401, attempt
    for number in (first, second):
        right = send(url, "/auth/password", "203.0.113.10", login=number, password=DEMO_PASSWORD)
        assert right.status_code == 429


def test_a_sign_in_teaches_the_widget_whose_e_mail_it_is(widget, account_with_two_lines, redis_url):
    app, url = widget
    email = account_with_two_lines["email"]
    assert send(url, "/auth/password", "192.0.2.200", login=email, password=DEMO_PASSWORD).status_code == 200
    store = redis.Redis.from_url(redis_url)
    with app.app_context():
        from selfcare_widget.auth.identifiers import known_account

        assert known_account(store, "demo-mobil", email.upper().lower())
        assert known_account(store, "demo-mobil", "nobody@example.cz") is None


def test_successful_sign_ins_do_not_count_against_the_account(widget, account):
    app, url = widget
    for attempt in range(25):
        ok = send(url, "/auth/password", f"192.0.2.{attempt}", login=account["email"], password=DEMO_PASSWORD)
        assert ok.status_code == 200, attempt


def test_per_client_limits_see_the_client_behind_the_trusted_proxy(widget, account):
    app, url = widget
    codes = [
        send(url, "/auth/password", "198.51.100.77", login="nobody@example.cz", password="x").status_code
        for _ in range(11)
    ]
    assert codes[:10] == [401] * 10 and codes[10] == 429
    other = send(url, "/auth/password", "198.51.100.78", login="nobody@example.cz", password="x")
    assert other.status_code == 401  # another client is not locked out with the first


def test_three_sms_codes_per_number_whatever_the_spelling(widget, account, sandbox_url):
    app, url = widget

    def sent() -> int:
        return len(sms_codes(sandbox_url, account["msisdn"]))

    before = sent()
    answers = [
        send(url, "/auth/sms/send", f"198.51.100.{100 + i}", msisdn=spelling).status_code
        for i, spelling in enumerate(spellings(account["msisdn"]))
    ]
    assert answers[:3] == [200, 200, 200] and set(answers[3:]) == {429}
    deadline = time.monotonic() + 10  # codes are sent off the request path
    while sent() < before + 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    assert sent() == before + 3


def test_counter_and_code_keys_hold_no_number_email_or_address(widget, account, redis_url):
    app, url = widget
    send(url, "/auth/password", "198.51.100.201", login=account["email"], password="wrong")
    send(url, "/auth/sms/send", "198.51.100.202", msisdn=account["msisdn"])
    store = redis.Redis.from_url(redis_url, decode_responses=True)
    keys = list(store.scan_iter("*"))
    assert any("sc:rl/" in k for k in keys) and any(k.startswith("sc:otp:") for k in keys)
    national = account["msisdn"][3:]
    for key in keys:
        assert national not in key and "@" not in key and "198.51.100" not in key, key


def test_sms_codes_are_stored_keyed_not_as_a_bare_hash(widget, account, sandbox_url):
    app, url = widget
    assert send(url, "/auth/sms/send", "198.51.100.210", msisdn=account["msisdn"]).status_code == 200
    from selfcare_widget.auth.identifiers import digest

    with app.app_context():
        key = f"sc:otp:demo-mobil:{digest('msisdn', account['msisdn'])}"
    store = services(app).store
    deadline = time.monotonic() + 10
    entry = {}
    while not entry and time.monotonic() < deadline:
        entry = store.hgetall(key)
        time.sleep(0.05)
    assert entry["customer"] == account["id"]
    code = sms_codes(sandbox_url, account["msisdn"])[0]
    assert entry["digest"] != hashlib.sha256(f"{account['id']}:{code}".encode()).hexdigest()
    assert code not in str(entry)


def test_the_partners_daily_sms_budget_caps_codes_sent(sandbox_url, test_partners, redis_url):
    """Beyond the partner's ``sms_daily_budget`` no code is sent, whoever asks for one."""
    import dataclasses

    partners = dict(test_partners)
    partners["demo-mobil"] = dataclasses.replace(partners["demo-mobil"], sms_daily_budget=2)
    app = make_widget_app(sandbox_url, partners, redis_url=redis_url, proxy_hops=1)
    with TmfPlatform(TmfSettings(base_url=sandbox_url, credential=PLATFORM_CREDENTIAL)) as platform:
        customers = [f"cust-{n:04d}" for n in range(40, 64)]
        ours = [c for c in customers if platform.get_customer(c).partner_id == "demo-mobil"][:3]
        numbers = [platform.list_sims(c)[0].msisdn for c in ours]
    before = [len(sms_codes(sandbox_url, n)) for n in numbers]
    # A new day for the partner: other tests of this session have sent codes today.
    today = time.strftime("%Y%m%d", time.gmtime())
    redis.Redis.from_url(redis_url).delete(f"sc:sms-budget:demo-mobil:{today}")
    with serve_wsgi(app) as url:
        for i, number in enumerate(numbers):
            assert send(url, "/auth/sms/send", f"198.51.100.{220 + i}", msisdn=number).status_code == 200
            deadline = time.monotonic() + 10  # sent off the request path, one after the other
            while i < 2 and len(sms_codes(sandbox_url, number)) == before[i] and time.monotonic() < deadline:
                time.sleep(0.05)
        time.sleep(0.5)
    after = [len(sms_codes(sandbox_url, n)) for n in numbers]
    assert [a - b for a, b in zip(after, before, strict=True)] == [1, 1, 0]
