"""Settings and the partners file are validated at start-up; errors name the bad setting."""

from __future__ import annotations

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
    env = {"DEMO_MOBIL_EDR_SECRET": "s" * 32, "ZELENA_SSO_SECRET": "z" * 40}
    partners = load_partners(DOCS / "partners.example.toml", env)
    assert set(partners) == {"demo-mobil", "zelena-mobil"}
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
    env = {"DEMO_MOBIL_EDR_SECRET": "s" * 32, "ZELENA_SSO_SECRET": "z" * 40}
    with pytest.raises(ConfigError, match=named):
        load_partners(path, env)


def test_missing_secret_variable_is_named():
    with pytest.raises(ConfigError, match="ZELENA_SSO_SECRET"):
        load_partners(DOCS / "partners.example.toml", {"DEMO_MOBIL_EDR_SECRET": "s" * 32})


def test_pinned_algorithm_must_be_known(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text('[[partner]]\nid = "p1"\norigins = ["https://a.cz"]\n[partner.sso]\nalgorithm = "none"\n')
    with pytest.raises(ConfigError, match="algorithm"):
        load_partners(path, {})
