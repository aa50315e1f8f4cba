"""A total deadline for one platform call: connecting, the status line, headers and whole body.

Socket timeouts bound each socket operation, not a call: a server trickling its answer one byte
at a time, each byte just within the read timeout, holds a thread for as long as it likes (issue
11). Inside :func:`deadline_scope`, an HTTP exchange made through a :class:`DeadlineAdapter` is
bounded by one monotonic deadline, with no extra thread:

- connecting: each attempt's connect timeout is capped by the time left (:class:`DeadlineTimeout`);
- reading: every ``recv`` — status line, headers, body — runs with the socket timeout capped by the
  time left, and none starts once the deadline has passed (the response's reader is replaced);
- retries: the retry policy asks :func:`remaining` before retrying and caps its backoff by it.

The deadline is a ``ContextVar``: requests and urllib3 do a whole exchange in the calling thread.
"""

from __future__ import annotations

import http.client
import io
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util.timeout import Timeout

if TYPE_CHECKING:
    from _typeshed import WriteableBuffer

#: The shortest connect timeout handed to a socket (0 would make it non-blocking).
_MIN_CONNECT = 0.001

_deadline: ContextVar[float | None] = ContextVar("selfcare_platform_deadline", default=None)


class DeadlineExceeded(TimeoutError):
    """The call's deadline passed (a socket timeout, so urllib3 maps it like one)."""


@contextmanager
def deadline_scope(at: float) -> Iterator[None]:
    """HTTP exchanges in this block (this thread) end by ``at`` (``time.monotonic()`` seconds)."""
    token = _deadline.set(at)
    try:
        yield
    finally:
        _deadline.reset(token)


def remaining() -> float | None:
    """Seconds left before the current deadline (negative once passed); None outside a scope."""
    at = _deadline.get()
    return None if at is None else at - time.monotonic()


class DeadlineTimeout(Timeout):
    """urllib3 ``Timeout`` whose connect and read timeouts never reach past ``at``.

    urllib3 reads both properties afresh for every attempt (a retry included), so a retry late in
    the call gets only the time that is left.
    """

    def __init__(self, connect: float, read: float, at: float) -> None:
        super().__init__(connect=connect, read=read)
        self.connect_seconds = connect
        self.read_seconds = read
        self.at = at

    def clone(self) -> DeadlineTimeout:
        return DeadlineTimeout(self.connect_seconds, self.read_seconds, self.at)

    @property
    def connect_timeout(self) -> float:
        return max(_MIN_CONNECT, min(self.connect_seconds, self.at - time.monotonic()))

    @property
    def read_timeout(self) -> float:
        # 0 once the deadline has passed: urllib3 then raises ReadTimeoutError without reading.
        return max(0.0, min(self.read_seconds, self.at - time.monotonic()))


class _DeadlineReader(io.RawIOBase):
    """Raw socket reader whose every ``recv`` ends by the deadline."""

    def __init__(self, sock: socket.socket, at: float) -> None:
        super().__init__()
        self._sock = sock
        self._raw = sock.makefile("rb", buffering=0)  # counted as a reference to the socket
        self._at = at

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: WriteableBuffer) -> int | None:
        left = self._at - time.monotonic()
        if left <= 0:
            raise DeadlineExceeded("platform call deadline passed")
        before = self._sock.gettimeout()
        self._sock.settimeout(left if before is None else min(before, left))
        try:
            return self._raw.readinto(buffer)
        finally:
            with suppress(OSError):  # closed meanwhile: nothing to restore
                self._sock.settimeout(before)

    def fileno(self) -> int:
        return self._raw.fileno()

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


class _DeadlineHTTPResponse(http.client.HTTPResponse):
    """``http.client`` response reading through a :class:`_DeadlineReader` inside a scope."""

    def __init__(
        self, sock: socket.socket, debuglevel: int = 0, method: str | None = None, url: str | None = None
    ) -> None:
        super().__init__(sock, debuglevel, method, url)
        at = _deadline.get()
        if at is not None:
            self.fp.close()  # the plain reader made by http.client; nothing has been read yet
            self.fp = io.BufferedReader(_DeadlineReader(sock, at))


class _HTTPConnection(HTTPConnection):
    response_class = _DeadlineHTTPResponse


class _HTTPSConnection(HTTPSConnection):
    response_class = _DeadlineHTTPResponse


class _HTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class DeadlineAdapter(HTTPAdapter):
    """``HTTPAdapter`` whose connections read every response within the current deadline."""

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _HTTPConnectionPool,
            "https": _HTTPSConnectionPool,
        }
