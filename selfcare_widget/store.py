"""The shared-state store: Redis (one server, Sentinel or Cluster) in production, an in-process
stand-in for the demo.

Everything shared between workers (sessions, SSO replay set, OTP codes, rate limits, the
platform cache, EDR streams) goes through one client built here from ``SELFCARE_REDIS_URL``:

- ``redis://``, ``rediss://``, ``unix://`` — one server (redis-py's own URL syntax);
- ``redis+sentinel://[user:password@]HOST:PORT[,HOST:PORT…]/SERVICE[/DB][?…]`` — the primary
  of ``SERVICE`` as the Sentinels name it, found again after a failover;
- ``redis+cluster://[user:password@]HOST:PORT[,HOST:PORT…][?…]`` — a Redis Cluster; keys carry
  hash tags (:func:`tag`) so that each multi-key operation stays in one slot;
- ``memory://NAME`` — fakeredis inside this process only (demo, tests).

Query parameters of the Sentinel and Cluster forms: ``password`` (instead of the userinfo),
``sentinel_password`` (the Sentinels' own ``requirepass``), ``ssl=true`` and ``ssl_ca_certs=PATH``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, cast
from urllib.parse import parse_qs, unquote, urlsplit

import redis
from blinker import Namespace
from redis.backoff import ExponentialWithJitterBackoff
from redis.retry import Retry

if TYPE_CHECKING:
    import fakeredis  # at run time imported by connect(), only for memory://

log = logging.getLogger(__name__)

SENTINEL_SCHEME = "redis+sentinel"
CLUSTER_SCHEME = "redis+cluster"
SCHEMES = ("redis", "rediss", "unix", "memory", SENTINEL_SCHEME, CLUSTER_SCHEME)
SOCKET_TIMEOUT = 2.0
#: A Sentinel failover takes down-after-milliseconds plus an election (2–4 s on a LAN with the
#: settings in docs/operations.md): a command retries for up to about 5 s before it fails.
#: Flags of a primary in ``SENTINEL MASTER`` while it is being replaced.
FAILOVER_FLAGS = frozenset({"failover_in_progress", "s_down", "o_down"})
PRIMARY_CHECK_INTERVAL = 0.5  # seconds between asking the Sentinels which server is the primary
FAILOVER_RETRY = Retry(ExponentialWithJitterBackoff(cap=0.5, base=0.05), retries=12)

_memory_servers: dict[str, fakeredis.FakeServer] = {}


class StoreUrlError(ValueError):
    """``SELFCARE_REDIS_URL`` cannot be used; the message says what is wrong."""


@dataclass(frozen=True)
class StoreUrl:
    """A parsed ``SELFCARE_REDIS_URL``."""

    kind: Literal["single", "sentinel", "cluster", "memory"]
    url: str = field(repr=False)  # may hold a password
    nodes: tuple[tuple[str, int], ...] = ()
    service: str = ""
    db: int = 0
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    sentinel_password: str | None = field(default=None, repr=False)
    ssl: bool = False
    ssl_ca_certs: str | None = None

    def connection_options(self) -> dict[str, Any]:
        """Keyword arguments for the data connections (not the Sentinels')."""
        options: dict[str, Any] = {"decode_responses": True}
        if self.username:
            options["username"] = self.username
        if self.password:
            options["password"] = self.password
        if self.ssl:
            options["ssl"] = True
            if self.ssl_ca_certs:
                options["ssl_ca_certs"] = self.ssl_ca_certs
        return options


def parse_url(url: str) -> StoreUrl:
    """Check and split a store URL; raises :class:`StoreUrlError` naming what is wrong."""
    scheme = url.split("://", 1)[0] if "://" in url else ""
    if scheme not in SCHEMES:
        raise StoreUrlError(
            f"must start with one of {', '.join(s + '://' for s in SCHEMES)}, got {masked(url)!r}"
        )
    if scheme == "memory":
        return StoreUrl("memory", url)
    if scheme not in (SENTINEL_SCHEME, CLUSTER_SCHEME):
        return StoreUrl("single", url)
    parts = urlsplit(url)
    userinfo, _, hosts = parts.netloc.rpartition("@")
    username, _, password = userinfo.partition(":")
    nodes = tuple(_node(item, url) for item in hosts.split(",") if item)
    if not nodes:
        raise StoreUrlError(f"names no HOST:PORT, got {masked(url)!r}")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    unknown = set(query) - {"password", "sentinel_password", "ssl", "ssl_ca_certs"}
    if unknown:
        raise StoreUrlError(f"has unknown query parameter(s) {', '.join(sorted(unknown))}")
    common: dict[str, Any] = {
        "url": url,
        "nodes": nodes,
        "username": unquote(username) or None,
        "password": query.get("password") or unquote(password) or None,
        "ssl": query.get("ssl", "").lower() in ("1", "true", "yes"),
        "ssl_ca_certs": query.get("ssl_ca_certs"),
    }
    path = [segment for segment in parts.path.split("/") if segment]
    if scheme == CLUSTER_SCHEME:
        if path:
            raise StoreUrlError("redis+cluster:// takes no path (a cluster has only database 0)")
        if "sentinel_password" in query:
            raise StoreUrlError("sentinel_password is for redis+sentinel:// only")
        return StoreUrl("cluster", **common)
    if not path or len(path) > 2:
        raise StoreUrlError(
            f"redis+sentinel:// needs /SERVICE_NAME[/DB] after the hosts, got {masked(url)!r}"
        )
    db = 0
    if len(path) == 2:
        if not path[1].isdigit():
            raise StoreUrlError(f"the database after the service name must be a number, got {path[1]!r}")
        db = int(path[1])
    return StoreUrl(
        "sentinel", service=path[0], db=db, sentinel_password=query.get("sentinel_password"), **common
    )


def masked(url: str) -> str:
    """``url`` with its passwords (userinfo and query) replaced by ``***``, for messages and logs."""
    url = re.sub(r"(://[^/@:]*:)[^/@]*@", r"\1***@", url)
    return re.sub(r"((?:sentinel_)?password=)[^&]*", r"\1***", url)


def _node(item: str, url: str) -> tuple[str, int]:
    host, _, port = item.rpartition(":")
    if not host or not port.isdigit():
        raise StoreUrlError(f"each node must be HOST:PORT, got {item!r} in {masked(url)!r}")
    return host.strip("[]"), int(port)


def connect(url: str) -> redis.Redis:
    """A Redis client for ``url`` (any form of the module docstring), decoding replies to str.

    A Cluster client is typed as ``redis.Redis`` for the callers: it answers the same commands
    for keys in one slot, which is all the widget sends (see :func:`tag`).
    """
    target = parse_url(url)
    if target.kind == "memory":
        import fakeredis

        server = _memory_servers.setdefault(url, fakeredis.FakeServer())
        log.warning(
            "Using the in-process memory store (%s): state is lost on restart and NOT shared "
            "between processes. Set SELFCARE_REDIS_URL=redis://... for production.",
            url,
        )
        return fakeredis.FakeRedis(server=server, decode_responses=True)
    timeouts: dict[str, Any] = {"socket_timeout": SOCKET_TIMEOUT, "socket_connect_timeout": SOCKET_TIMEOUT}
    if target.kind == "single":
        return redis.Redis.from_url(url, decode_responses=True, **timeouts)
    if target.kind == "sentinel":
        from redis.sentinel import Sentinel

        sentinel_auth: dict[str, Any] = (
            {"password": target.sentinel_password} if target.sentinel_password else {}
        )
        if target.ssl:
            sentinel_auth["ssl"] = True
            if target.ssl_ca_certs:
                sentinel_auth["ssl_ca_certs"] = target.ssl_ca_certs
        sentinel = Sentinel(list(target.nodes), sentinel_kwargs={**timeouts, **sentinel_auth}, **timeouts)
        client = sentinel.master_for(
            target.service, db=target.db, retry=FAILOVER_RETRY, **timeouts, **target.connection_options()
        )
        watch_primary(client)
        return client
    from redis.cluster import ClusterNode, RedisCluster

    cluster = RedisCluster(
        startup_nodes=[ClusterNode(host, port) for host, port in target.nodes],
        retry=FAILOVER_RETRY,
        **timeouts,
        **target.connection_options(),
    )
    return cast("redis.Redis", cluster)


def watch_primary(client: redis.Redis) -> None:
    """Ask the Sentinels for the primary every :data:`PRIMARY_CHECK_INTERVAL` in this process.

    redis-py asks only when it opens a connection, and after a planned failover the old primary
    takes writes for seconds more (until the Sentinels make it a replica, which drops them):
    pooled connections to it must go as soon as the Sentinels name another. Idempotent per process;
    call it again in a forked worker (threads do not survive a fork).
    """
    pool = getattr(client, "connection_pool", None)  # a Cluster client has one per node
    if getattr(pool, "sentinel_manager", None) is None or getattr(pool, "_watched_by_pid", 0) == os.getpid():
        return
    pool._watched_by_pid = os.getpid()  # type: ignore[union-attr]
    threading.Thread(
        target=_watch, args=(weakref.ref(pool),), name="selfcare-redis-primary", daemon=True
    ).start()


def _watch(pool_ref: weakref.ref[Any]) -> None:
    while True:
        time.sleep(PRIMARY_CHECK_INTERVAL)
        pool = pool_ref()
        if pool is None:  # the client is gone
            return
        # No Sentinel answering or no primary yet: commands retry meanwhile. A new address
        # disconnects the pool's idle connections; busy ones are closed when released.
        with contextlib.suppress(redis.RedisError):
            pool.get_master_address()
        del pool


def is_cluster(store: object) -> bool:
    """Whether ``store`` is a Redis Cluster client (no cross-slot commands, no ``WAIT``)."""
    from redis.cluster import RedisCluster

    return isinstance(store, RedisCluster)


def tag(identifier: str) -> str:
    """``{identifier}``: a Cluster hash tag — keys with the same tag live in the same slot.

    Every key that a multi-key command, a transaction or a pipeline uses together with another
    carries the tag of what they belong to (a partner's EDR keys, a customer's cache).
    """
    return "{" + identifier + "}"


def limiter_storage(url: str) -> tuple[str, dict[str, Any]]:
    """Flask-Limiter's ``storage_uri`` and ``storage_options`` for the same store."""
    target = parse_url(url)
    if target.kind in ("single", "memory"):
        return url, {}
    hosts = ",".join(f"{host}:{port}" for host, port in target.nodes)
    options: dict[str, Any] = {"socket_timeout": SOCKET_TIMEOUT, "socket_connect_timeout": SOCKET_TIMEOUT}
    options.update(target.connection_options())
    del options["decode_responses"]  # limits reads its own replies
    if target.kind == "cluster":
        return f"{CLUSTER_SCHEME}://{hosts}", options
    sentinel_kwargs: dict[str, Any] = {"socket_timeout": SOCKET_TIMEOUT}
    if target.sentinel_password:
        sentinel_kwargs["password"] = target.sentinel_password
    # limits reads from replicas by default: a counter read there lags the primary
    options.update(db=target.db, use_replicas=False, sentinel_kwargs=sentinel_kwargs)
    return f"{SENTINEL_SCHEME}://{hosts}/{target.service}", options


#: Sent with ``kind`` (``edr``, ``session``) when no replica acknowledged a write in time;
#: ``ops`` counts them. Receivers must not raise.
write_unacknowledged = Namespace().signal("store-write-unacknowledged")


@dataclass(frozen=True)
class Durability:
    """``WAIT`` after writes that must survive a failover (EDRs, sessions, order keys).

    ``replicas`` 0 (one box) waits for nothing. On a Cluster client ``WAIT`` cannot be routed
    with the write; use ``min-replicas-to-write`` on the cluster's masters instead.
    """

    replicas: int = 0
    timeout_ms: int = 500

    def add_wait(self, pipe: Any) -> bool:
        """Append ``WAIT`` and ``INFO server`` to ``pipe`` after its writes (same connection);
        True if added — pass the pipeline's replies to :meth:`kept` then."""
        if self.replicas <= 0 or is_cluster(pipe):
            return False
        pipe.wait(self.replicas, self.timeout_ms)
        pipe.client_info()  # which server took the writes (``laddr``), for kept()
        return True

    def kept(self, store: redis.Redis, replies: list[Any], what: str, kind: str) -> bool:
        """Whether the writes before :meth:`add_wait` survive a failover (``what`` names them in
        the log, ``kind`` — ``edr`` or ``session`` — in :data:`write_unacknowledged`).

        They do when enough replicas acknowledged them. If not, the server may be a primary that
        merely has no replica at the moment (the write stands; logged), or — just after a
        failover — the old primary, whose writes are dropped when it rejoins as a replica: with
        Sentinel, the server's address must be the primary every Sentinel names (addresses switch
        at once; the primary's run id the Sentinels learn only seconds later).
        """
        acknowledged, server = replies[-2], replies[-1]
        if isinstance(acknowledged, int) and acknowledged >= self.replicas:
            return True
        write_unacknowledged.send(self, kind=kind)
        log.warning(
            "%s acknowledged by %s of %d replica(s) within %d ms: it survives only if this primary does",
            what,
            acknowledged,
            self.replicas,
            self.timeout_ms,
        )
        primaries = _sentinel_primaries(store)
        return primaries is None or primaries == {server.get("laddr")}


def _sentinel_primaries(store: redis.Redis) -> set[str] | None:
    """``ip:port`` of the primary as each Sentinel that answers names it (right after a failover
    they may disagree for a moment; ``""`` from one that is failing it over); None for a store
    without Sentinels."""
    pool = store.connection_pool
    manager = getattr(pool, "sentinel_manager", None)
    if manager is None:
        return None
    named = set()
    for sentinel in manager.sentinels:
        try:
            primary = sentinel.sentinel_master(getattr(pool, "service_name", ""))
        except redis.RedisError:
            continue
        flags = primary.get("flags", "")
        flags = flags if isinstance(flags, set) else set(str(flags).split(","))
        # While a failover runs, the replica may have left the primary they still name.
        named.add("" if flags & FAILOVER_FLAGS else f"{primary['ip']}:{primary['port']}")
    if not named:
        raise redis.ConnectionError("no Sentinel answered")
    return named
