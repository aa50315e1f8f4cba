"""The shared-state store: Redis in production, an in-process stand-in for the demo.

Everything shared between workers (sessions, SSO replay set, OTP codes, rate limits, the
platform cache, EDR streams) goes through one ``redis.Redis`` client. ``memory://`` gives a
fakeredis client that speaks the same commands inside this process only.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import redis

if TYPE_CHECKING:
    import fakeredis  # at run time imported by connect(), only for memory://

log = logging.getLogger(__name__)

_memory_servers: dict[str, fakeredis.FakeServer] = {}


def connect(url: str) -> redis.Redis:
    """A Redis client for ``url`` (``redis://``, ``rediss://``, ``unix://`` or ``memory://``)."""
    if url.startswith("memory://"):
        import fakeredis

        server = _memory_servers.setdefault(url, fakeredis.FakeServer())
        log.warning(
            "Using the in-process memory store (%s): state is lost on restart and NOT shared "
            "between processes. Set SELFCARE_REDIS_URL=redis://... for production.",
            url,
        )
        return fakeredis.FakeRedis(server=server, decode_responses=True)
    return redis.Redis.from_url(url, decode_responses=True, socket_timeout=2, socket_connect_timeout=2)
