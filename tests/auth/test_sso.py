"""SSO exchange: a valid token signs on; the JWT attack matrix is refused with 401 and an EDR."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid

import pytest
from jose import jwt

from selfcare_widget.demo.keys import load_or_create_rsa_key, public_pem
from tests.support import PORTAL_ORIGIN, ZELENA_SECRET

AUD = "selfcare-widget"


def claims(**overrides):
    now = int(time.time())
    base = {
        "iss": "demo-mobil",
        "aud": AUD,
        "sub": "cust-0001",
        "iat": now,
        "exp": now + 120,
        "jti": uuid.uuid4().hex,
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


@pytest.fixture
def sign(partner_rsa_key):
    def _sign(payload=None, key=None, algorithm="RS256", headers=None):
        return jwt.encode(payload or claims(), key or partner_rsa_key, algorithm=algorithm, headers=headers)

    return _sign


def exchange(client, token, partner="demo-mobil", origin=PORTAL_ORIGIN):
    return client.post("/sso/exchange", data={"token": token, "partner": partner}, headers={"Origin": origin})


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_valid_token_creates_a_session_that_reads_the_overview(client, sign, edrs):
    response = exchange(client, sign(claims(locale="en")))
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == PORTAL_ORIGIN
    session = response.get_json()["session"]
    assert len(session) >= 40 and response.get_json()["locale"] == "en"
    overview = client.post(
        "/w/overview", data={"_st": session, "_partner": "demo-mobil"}, headers={"Origin": PORTAL_ORIGIN}
    )
    assert overview.status_code == 200 and "Jan" in overview.get_data(as_text=True)
    assert edrs()[-1]["action"] == "signin" and edrs()[-1]["outcome"] == "success"


def test_hs256_partner_signs_on(client):
    token = jwt.encode(claims(iss="zelena-mobil", sub="cust-0003"), ZELENA_SECRET, algorithm="HS256")
    assert (
        exchange(client, token, partner="zelena-mobil", origin="https://zelena-mobil.example.cz").status_code
        == 200
    )


def hs256_forged(secret: str) -> str:
    """The classic key-confusion forgery: HMAC with the partner's *public* key as the secret."""
    signing_input = f"{b64({'alg': 'HS256', 'typ': 'JWT'})}.{b64(claims())}"
    mac = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def _attacks(sign, partner_rsa_key):
    now = int(time.time())
    header_none = b64({"alg": "none", "typ": "JWT"})
    other_key = load_or_create_rsa_key(__import__("pathlib").Path(__import__("tempfile").mkdtemp()) / "k.pem")
    valid = sign()
    head, body, signature = valid.split(".")
    tampered_body = b64({**claims(), "sub": "cust-0002"})
    return {
        "alg_none": f"{header_none}.{b64(claims())}.",
        "hs256_with_rsa_public_key": hs256_forged(public_pem(partner_rsa_key)),
        "wrong_key": sign(key=other_key),
        "wrong_kid_unknown_key": sign(key=other_key, headers={"kid": "rotated-away"}),
        "expired": sign(claims(iat=now - 600, exp=now - 300)),
        "nbf_in_future": sign(claims(nbf=now + 600, exp=now + 900, iat=now)),
        "iat_far_in_future": sign(claims(iat=now + 3600, exp=now + 3700)),
        "lifetime_over_5_min": sign(claims(exp=now + 3600)),
        "wrong_aud": sign(claims(aud="another-widget")),
        "wrong_iss": sign(claims(iss="zelena-mobil")),
        "customer_of_other_partner": sign(claims(sub="cust-0003")),
        "unknown_customer": sign(claims(sub="cust-9999")),
        "missing_jti": sign(claims(jti=None)),
        "tampered_payload": f"{head}.{tampered_body}.{signature}",
        "oversized": sign(claims(pad="x" * 9000)),
        "garbage": "not-a-jwt",
        "empty": "",
    }


ATTACKS = [
    "alg_none",
    "hs256_with_rsa_public_key",
    "wrong_key",
    "wrong_kid_unknown_key",
    "expired",
    "nbf_in_future",
    "iat_far_in_future",
    "lifetime_over_5_min",
    "wrong_aud",
    "wrong_iss",
    "customer_of_other_partner",
    "unknown_customer",
    "missing_jti",
    "tampered_payload",
    "oversized",
    "garbage",
    "empty",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_attack_is_rejected_with_401_and_recorded(client, sign, partner_rsa_key, attack, edrs):
    token = _attacks(sign, partner_rsa_key)[attack]
    response = exchange(client, token)
    assert response.status_code == 401, attack
    assert "session" not in (response.get_json() or {})
    failure = edrs()[-1]
    assert (failure["action"], failure["outcome"]) == ("signin", "failure")
    assert failure["details"]["method"] == "sso" and failure["details"]["reason"]


def test_replayed_jti_is_rejected(client, sign, edrs):
    token = sign()
    assert exchange(client, token).status_code == 200
    assert exchange(client, token).status_code == 401
    assert edrs()[-1]["details"]["reason"] == "replayed"


def test_token_of_partner_a_presented_as_partner_b_is_rejected(client, sign):
    # demo-mobil's token sent to zelena-mobil's exchange: HS256 pinned there, RS256 token refused.
    response = exchange(client, sign(), partner="zelena-mobil", origin="https://zelena-mobil.example.cz")
    assert response.status_code == 401


def test_exchange_from_a_foreign_origin_is_refused(client, sign):
    response = exchange(client, sign(), origin="https://evil.example")
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response.headers


def test_unknown_partner_is_404(client, sign):
    assert exchange(client, sign(), partner="nobody").status_code == 404


def test_jwks_partner_kid_selection_and_key_rotation(sandbox_url, test_partners, tmp_path):
    """RS256 via a JWKS served over HTTP: right kid accepted, unknown kid refused, a rotated-in
    key is picked up without restarting the widget."""
    from dataclasses import replace

    from flask import Flask, jsonify

    from selfcare_widget.auth import sso
    from selfcare_widget.demo.keys import public_jwk
    from selfcare_widget.partners import SsoVerification
    from tests.support import make_widget_app, serve_wsgi

    old_key = load_or_create_rsa_key(tmp_path / "old.pem")
    new_key = load_or_create_rsa_key(tmp_path / "new.pem")
    published = [public_jwk(old_key)]
    jwks_app = Flask("jwks")
    jwks_app.add_url_rule("/jwks.json", "jwks", lambda: jsonify(keys=published))
    with serve_wsgi(jwks_app) as jwks_base:
        partners = dict(test_partners)
        partners["demo-mobil"] = replace(
            partners["demo-mobil"], sso=SsoVerification(algorithm="RS256", jwks_url=jwks_base + "/jwks.json")
        )
        app = make_widget_app(sandbox_url, partners)
        client = app.test_client()

        def token(key, kid):
            return jwt.encode(claims(), key, algorithm="RS256", headers={"kid": kid})

        assert exchange(client, token(old_key, public_jwk(old_key)["kid"])).status_code == 200
        assert exchange(client, token(old_key, "no-such-kid")).status_code == 401
        # the partner rotates: publishes the new key; the cache refetches for an unknown kid
        published.append(public_jwk(new_key))
        original = sso.JWKS_MIN_REFRESH_SECONDS
        sso.JWKS_MIN_REFRESH_SECONDS = 0
        try:
            assert exchange(client, token(new_key, public_jwk(new_key)["kid"])).status_code == 200
        finally:
            sso.JWKS_MIN_REFRESH_SECONDS = original
        # a token signed by the new key but claiming the old kid fails the signature check
        assert exchange(client, token(new_key, public_jwk(old_key)["kid"])).status_code == 401


# --- the JOSE header (RFC 8725 §3.11, RFC 7515 §4.1.11) ----------------------------------------


def test_token_with_a_crit_header_is_refused(client, sign, edrs):
    # A critical extension we do not understand: the token must be refused, signature or not.
    token = sign(headers={"crit": ["x-selfcare-ext"], "x-selfcare-ext": True})
    assert jwt.get_unverified_header(token)["crit"] == ["x-selfcare-ext"]
    response = exchange(client, token)
    assert response.status_code == 401 and "session" not in (response.get_json() or {})
    assert edrs()[-1]["details"]["reason"] == "crit"


@pytest.mark.parametrize("typ", ["JWT", "jwt", "application/jwt", None])
def test_typ_jwt_in_any_case_or_no_typ_is_accepted(client, partner_rsa_key, typ):
    header = {"alg": "RS256", **({"typ": typ} if typ else {})}
    token = jws_compact(header, claims(), partner_rsa_key)
    assert jwt.get_unverified_header(token).get("typ") == typ
    assert exchange(client, token).status_code == 200


@pytest.mark.parametrize("typ", ["at+jwt", "JOSE", "application/selfcare+jwt", 1])
def test_typ_other_than_jwt_is_refused(client, sign, edrs, typ):
    response = exchange(client, sign(headers={"typ": typ}))
    assert response.status_code == 401
    assert edrs()[-1]["details"]["reason"] == "type"


def test_typ_configured_for_the_partner_is_accepted(sandbox_url, test_partners, partner_rsa_key, tmp_path):
    """A partner whose tokens say ``typ: selfcare+jwt`` (set in the partners file) signs on; the
    type is compared as a media type, case-insensitively; other types stay refused."""
    from selfcare_widget.partners import load_partners
    from tests.support import make_widget_app

    (tmp_path / "demo-mobil.pem").write_text(public_pem(partner_rsa_key))
    (tmp_path / "partners.toml").write_text(
        "[[partner]]\n"
        'id = "demo-mobil"\n'
        f'origins = ["{PORTAL_ORIGIN}"]\n'
        'login_methods = ["sso"]\n'
        "[partner.sso]\n"
        'algorithm = "RS256"\n'
        'public_key_file = "demo-mobil.pem"\n'
        'typ = "selfcare+jwt"\n'
    )
    loaded = load_partners(tmp_path / "partners.toml", {})
    assert loaded["demo-mobil"].sso.typ == "selfcare+jwt"
    app = make_widget_app(sandbox_url, {**test_partners, **loaded})
    client = app.test_client()
    for typ in ("selfcare+jwt", "Selfcare+JWT", "application/selfcare+jwt", "JWT"):
        token = jwt.encode(claims(), partner_rsa_key, algorithm="RS256", headers={"typ": typ})
        assert exchange(client, token).status_code == 200, typ
    refused = jwt.encode(claims(), partner_rsa_key, algorithm="RS256", headers={"typ": "at+jwt"})
    assert exchange(client, refused).status_code == 401


def jws_compact(header: dict, payload: dict, private_key_pem: str) -> str:
    """An RS256 JWS with exactly ``header`` (python-jose always adds ``typ: JWT`` on its own)."""
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import padding

    key = serialization.load_pem_private_key(private_key_pem.encode(), password=None)
    signing_input = f"{b64(header)}.{b64(payload)}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{base64.urlsafe_b64encode(signature).rstrip(b'=').decode()}"
