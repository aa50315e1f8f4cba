"""SELFCARE_REDIS_URL forms: one server, Sentinel, Cluster, memory — parsed once, used alike by
the widget's client and Flask-Limiter."""

from __future__ import annotations

import re

import pytest

from selfcare_widget.store import StoreUrlError, limiter_storage, parse_url


def test_sentinel_url_with_database_auth_and_tls():
    target = parse_url(
        "redis+sentinel://app:s%40cret@10.0.0.1:26379,10.0.0.2:26380,[::1]:26381/selfcare/2"
        "?sentinel_password=s3nt-pw&ssl=true&ssl_ca_certs=/etc/ca.pem"
    )
    assert target.kind == "sentinel"
    assert target.nodes == (("10.0.0.1", 26379), ("10.0.0.2", 26380), ("::1", 26381))
    assert (target.service, target.db) == ("selfcare", 2)
    assert (target.username, target.password, target.sentinel_password) == ("app", "s@cret", "s3nt-pw")
    assert target.connection_options() == {
        "decode_responses": True,
        "username": "app",
        "password": "s@cret",
        "ssl": True,
        "ssl_ca_certs": "/etc/ca.pem",
    }
    assert "cret" not in repr(target) and "s3nt" not in repr(target)  # passwords stay out of logs


def test_cluster_url():
    target = parse_url("redis+cluster://h1:7000,h2:7001?password=pw")
    assert (target.kind, target.nodes, target.password, target.db) == (
        "cluster",
        (("h1", 7000), ("h2", 7001)),
        "pw",
        0,
    )


@pytest.mark.parametrize("url", ["redis://localhost:6379/0", "rediss://h:6380", "unix:///run/redis.sock"])
def test_one_server_urls_stay_redis_py_urls(url):
    assert parse_url(url).kind == "single"
    assert limiter_storage(url) == (url, {})


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("mysql://x", "must start with"),
        ("redis+sentinel://h:26379", "SERVICE_NAME"),
        ("redis+sentinel://h:26379/svc/db0", "must be a number"),
        ("redis+sentinel://h/svc", "HOST:PORT"),
        ("redis+cluster://h:7000/2", "no path"),
        ("redis+cluster://h:7000?sentinel_password=x", "redis+sentinel:// only"),
        ("redis+cluster://h:7000?tls=1", "unknown query parameter"),
    ],
)
def test_bad_urls_say_what_is_wrong(url, says):
    with pytest.raises(StoreUrlError, match=re.escape(says)):
        parse_url(url)


def test_limiter_gets_the_primary_not_replicas_and_the_database():
    uri, options = limiter_storage("redis+sentinel://u:pw@h1:26379,h2:26379/selfcare/3?sentinel_password=sp")
    assert uri == "redis+sentinel://h1:26379,h2:26379/selfcare"  # limits would take /3 as the name
    assert options["db"] == 3 and options["use_replicas"] is False
    assert (options["username"], options["password"]) == ("u", "pw")
    assert options["sentinel_kwargs"]["password"] == "sp"
    assert limiter_storage("redis+cluster://h1:7000,h2:7001")[0] == "redis+cluster://h1:7000,h2:7001"


def test_errors_never_repeat_a_password():
    with pytest.raises(StoreUrlError) as refused:
        parse_url("redis+sentinel://app:hunter2@h1:26379?password=hunter3&sentinel_password=hunter4")
    message = str(refused.value)
    assert "hunter" not in message and "app:***@h1:26379" in message
