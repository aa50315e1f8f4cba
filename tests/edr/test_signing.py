"""Standard Webhooks signing and verification (pure functions)."""

from __future__ import annotations

import pytest

from selfcare_widget.edr.signing import WebhookVerificationError, secret_key, sign, verify, webhook_headers


def test_matches_the_standard_webhooks_reference_vector():
    # the example from the Standard Webhooks reference libraries (whsec_ secret, base64-decoded key)
    signature = sign(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        1614265330,
        b'{"test": 2432232314}',
    )
    assert signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_raw_secrets_are_used_as_their_bytes():
    assert secret_key("plain-secret") == b"plain-secret"
    assert secret_key("whsec_cGxhaW4=") == b"plain"
    with pytest.raises(ValueError):
        secret_key("whsec_not base64!")


@pytest.mark.parametrize("secret", ["whsec_c2VjcmV0", "raw secret"])
def test_round_trip(secret):
    body = b'{"id":"e1","action":"sim.block"}'
    headers = webhook_headers(secret, "e1", body, timestamp=1_700_000_000)
    assert verify(secret, headers, body, now=1_700_000_010) == "e1"


def _reason(secret, headers, body, now):
    with pytest.raises(WebhookVerificationError) as info:
        verify(secret, headers, body, now=now)
    return info.value.reason


def test_rejections():
    body = b'{"id":"e1"}'
    headers = webhook_headers("s", "e1", body, timestamp=1_700_000_000)
    assert _reason("s", headers, body + b" ", 1_700_000_000) == "bad_signature"
    assert _reason("other", headers, body, 1_700_000_000) == "bad_signature"
    assert _reason("s", {**headers, "webhook-id": "e2"}, body, 1_700_000_000) == "bad_signature"
    assert _reason("s", headers, body, 1_700_000_000 + 301) == "timestamp_too_old"
    assert _reason("s", headers, body, 1_700_000_000 - 301) == "timestamp_too_new"
    assert _reason("s", {**headers, "webhook-timestamp": "soon"}, body, 1_700_000_000) == "bad_timestamp"
    assert _reason("s", {"webhook-id": "e1"}, body, 1_700_000_000) == "missing_headers"


def test_any_of_several_signatures_may_match_during_rotation():
    body = b"{}"
    good = webhook_headers("new", "e1", body, timestamp=100)
    old = webhook_headers("old", "e1", body, timestamp=100)["webhook-signature"]
    headers = {**good, "webhook-signature": f"{old} {good['webhook-signature']}"}
    assert verify("new", headers, body, now=100) == "e1"
