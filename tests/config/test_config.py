"""Settings and the partners file are validated at start-up; errors name the bad setting."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from selfcare_widget.config import ConfigError, load_settings
from selfcare_widget.partners import load_partners

DOCS = Path(__file__).resolve().parents[2] / "docs"
BASE_ENV = {"SELFCARE_PLATFORM_URL": "http://127.0.0.1:8002", "SELFCARE_PLATFORM_CREDENTIAL": "x"}


def test_defaults():
    settings = load_settings(BASE_ENV)
    assert settings.uses_memory_store
    assert (settings.session_idle_seconds, settings.session_absolute_seconds) == (1800, 43200)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"SELFCARE_PLATFORM_URL": ""}, "SELFCARE_PLATFORM_URL"),
        ({"SELFCARE_PLATFORM_URL": "ftp://x"}, "SELFCARE_PLATFORM_URL"),
        ({"SELFCARE_PLATFORM_CREDENTIAL": ""}, "SELFCARE_PLATFORM_CREDENTIAL"),
        ({"SELFCARE_REDIS_URL": "mysql://x"}, "SELFCARE_REDIS_URL"),
        ({"SELFCARE_REDIS_URL": "redis+sentinel://h1:26379,h2:26379"}, "SELFCARE_REDIS_URL"),
        ({"SELFCARE_REDIS_URL": "redis+sentinel://h1:26379/selfcare/zero"}, "SELFCARE_REDIS_URL"),
        ({"SELFCARE_REDIS_URL": "redis+cluster://h1"}, "SELFCARE_REDIS_URL"),
        ({"SELFCARE_REDIS_URL": "redis+cluster://h1:7000/1"}, "SELFCARE_REDIS_URL"),
        ({"SELFCARE_REDIS_URL": "redis+cluster://h1:7000?tls=1"}, "SELFCARE_REDIS_URL"),
        ({"SELFCARE_REDIS_WAIT_REPLICAS": "-1"}, "SELFCARE_REDIS_WAIT_REPLICAS"),
        ({"SELFCARE_REDIS_WAIT_TIMEOUT_MS": "0"}, "SELFCARE_REDIS_WAIT_TIMEOUT_MS"),
        ({"SELFCARE_SESSION_IDLE": "soon"}, "SELFCARE_SESSION_IDLE"),
        ({"SELFCARE_SESSION_IDLE": "7200", "SELFCARE_SESSION_ABSOLUTE": "3600"}, "SELFCARE_SESSION_ABSOLUTE"),
        ({"SELFCARE_PLATFORM_READ_TIMEOUT": "-1"}, "SELFCARE_PLATFORM_READ_TIMEOUT"),
        ({"SELFCARE_SECRET_KEY": "short"}, "SELFCARE_SECRET_KEY"),
        ({"SELFCARE_PARTNERS_FILE": "/nonexistent.toml"}, "SELFCARE_PARTNERS_FILE"),
    ],
)
def test_bad_settings_are_named(env, named):
    with pytest.raises(ConfigError, match=named):
        load_settings({**BASE_ENV, **env})


def test_example_partners_file_loads():
    env = {
        "DEMO_MOBIL_EDR_SECRET": "s" * 32,
        "ZELENA_SSO_SECRET": "z" * 40,
        "DEMO_MOBIL_PAYMENT_SECRET": "p" * 32,
    }
    partners = load_partners(DOCS / "partners.example.toml", env)
    assert set(partners) == {"demo-mobil", "zelena-mobil"}
    demo = partners["demo-mobil"]
    assert demo.supplier is not None and demo.supplier.dic == "CZ12345678"
    assert demo.payment_gateway is not None and demo.payment_gateway.mode == "url"
    assert demo.topup.presets == (Decimal(200), Decimal(300), Decimal(500))
    assert demo.sms_daily_budget == 2000
    assert partners["zelena-mobil"].payment_gateway is None
    assert partners["demo-mobil"].sso.jwks_url.endswith("/jwks.json")
    assert partners["zelena-mobil"].sso.algorithm == "HS256"
    assert partners["demo-mobil"].allows_origin("https://muj.demo-mobil.cz")
    assert not partners["demo-mobil"].allows_origin("https://zelena-mobil.example.cz")


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ('id = "Demo Mobil!"', "id"),
        ('origins = ["not a url"]', "origins"),
        ('login_methods = ["sso", "magic"]', "login_methods"),
        ('default_locale = "de"', "default_locale"),
        ('ico = "1234"', "supplier.ico"),
        ('dic = "12345678"', "supplier.dic"),
        ('mode = "post"', "payment_gateway.mode"),
        ('url_template = "http://platby.demo-mobil.cz/pay"', "payment_gateway.url_template"),
        ("maximum = 300", "topup"),
        ("minimum = 0", "topup.minimum"),
        ("sms_daily_budget = 0", "sms_daily_budget"),
    ],
)
def test_bad_partner_entries_are_named(tmp_path, change, named):
    key = change.split(" = ")[0]
    lines = [
        ln if not ln.startswith(key + " ") else change
        for ln in (DOCS / "partners.example.toml").read_text().splitlines()
    ]
    path = tmp_path / "partners.toml"
    path.write_text("\n".join(lines))
    env = {
        "DEMO_MOBIL_EDR_SECRET": "s" * 32,
        "ZELENA_SSO_SECRET": "z" * 40,
        "DEMO_MOBIL_PAYMENT_SECRET": "p" * 32,
    }
    with pytest.raises(ConfigError, match=named):
        load_partners(path, env)


def test_missing_secret_variable_is_named():
    with pytest.raises(ConfigError, match="ZELENA_SSO_SECRET"):
        load_partners(
            DOCS / "partners.example.toml",
            {"DEMO_MOBIL_EDR_SECRET": "s" * 32, "DEMO_MOBIL_PAYMENT_SECRET": "p" * 32},
        )


def test_pinned_algorithm_must_be_known(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('[[partner]]\nid = "p1"\norigins = ["https://a.cz"]\n[partner.sso]\nalgorithm = "none"\n')
    with pytest.raises(ConfigError, match="algorithm"):
        load_partners(path, {})


def _partner_file(tmp_path, sso: str = "", top: str = "") -> Path:
    path = tmp_path / "partners.toml"
    path.write_text(
        f'[[partner]]\nid = "p1"\norigins = ["https://a.cz"]\n{top}\n[partner.sso]\nalgorithm = "RS256"\n{sso}\n'
    )
    return path


@pytest.mark.parametrize(
    "url",
    [
        "http://keys.partner.cz/jwks.json",
        "http://10.0.0.5/jwks.json",
        "http://127.0.0.1.evil.example/jwks.json",
        "http://localhost.evil.example/jwks.json",
        "ftp://keys.partner.cz/jwks.json",
        "https:///jwks.json",
    ],
)
def test_jwks_url_must_be_https_except_on_loopback(tmp_path, url):
    path = _partner_file(tmp_path, f'jwks_url = "{url}"')
    with pytest.raises(ConfigError, match=r"partners\.p1\.sso\.jwks_url") as refused:
        load_partners(path, {})
    assert "https://" in str(refused.value)


@pytest.mark.parametrize(
    "url",
    [
        "https://keys.partner.cz/jwks.json",
        "http://127.0.0.1:8000/.well-known/jwks.json",
        "http://[::1]:8000/jwks.json",
        "http://localhost:8000/jwks.json",
    ],
)
def test_https_or_loopback_jwks_url_loads(tmp_path, url):
    assert load_partners(_partner_file(tmp_path, f'jwks_url = "{url}"'), {})["p1"].sso.jwks_url == url


def test_edr_webhook_url_must_be_https_except_on_loopback(tmp_path):
    env = {"P1_EDR": "e" * 32}
    jwks = 'jwks_url = "https://keys.partner.cz/jwks.json"'
    for url in ("http://crm.partner.cz/hook", "http://192.168.1.10/hook"):
        top = f'edr_webhook_url = "{url}"\nedr_webhook_secret_env = "P1_EDR"'
        with pytest.raises(ConfigError, match=r"partners\.p1\.edr_webhook_url"):
            load_partners(_partner_file(tmp_path, jwks, top), env)
    for url in ("https://crm.partner.cz/hook", "http://127.0.0.1:8002/crm/p1/webhook"):
        top = f'edr_webhook_url = "{url}"\nedr_webhook_secret_env = "P1_EDR"'
        assert load_partners(_partner_file(tmp_path, jwks, top), env)["p1"].edr_webhook_url == url


def test_sso_typ_is_optional_and_must_be_a_media_type(tmp_path):
    jwks = 'jwks_url = "https://keys.partner.cz/jwks.json"'
    assert load_partners(_partner_file(tmp_path, jwks), {})["p1"].sso.typ == ""
    loaded = load_partners(_partner_file(tmp_path, jwks + '\ntyp = "selfcare+jwt"'), {})
    assert loaded["p1"].sso.typ == "selfcare+jwt"
    for bad in ('"two words"', '"a/b/c"', "3", '" "', '"jwt;v=1"'):
        with pytest.raises(ConfigError, match=r"partners\.p1\.sso\.typ"):
            load_partners(_partner_file(tmp_path, f"{jwks}\ntyp = {bad}"), {})
