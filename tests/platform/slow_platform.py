"""A TMF platform gone wrong, served over real TCP on loopback (issue 11).

Raw sockets rather than a WSGI app, so every byte is under the test's control: the server can
trickle its headers or body one byte at a time, hang before or inside an answer, send bytes that
are not HTTP, or lie about totals while handing out full pages forever. Every handler ends as
soon as the client goes away (or the server stops), so no test leaves a thread behind for long.

Modes (``SlowPlatform.mode``, for every path; each answer comes ``delay`` seconds late):

- ``ok``: a well-formed customer ``c1`` (or an empty list for list resources), at once;
- ``trickle_body``: status and headers at once, then the body one byte per ``interval``;
- ``trickle_headers``: the status line and headers one byte per ``interval``;
- ``hang``: reads the request and never answers;
- ``hang_body``: headers promising a body, then nothing;
- ``garbage``: bytes that are not HTTP, then close;
- ``garbage_json``: ``200`` with a body that is not JSON;
- ``unavailable``: ``503``, at once;
- ``liar``: ``X-Total-Count: 100000000`` and a full page of fresh items whatever the offset.

With ``passthrough`` (a platform's base URL) and ``victim`` (a regular expression), only requests
whose target matches ``victim`` go wrong; every other request is relayed to ``passthrough``, so
one customer's data can misbehave while the rest of the platform is healthy.
"""

from __future__ import annotations

import http.client
import json
import re
import select
import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from urllib.parse import parse_qs, urlsplit

CUSTOMER = {
    "id": "c1",
    "name": "Jan Novák",
    "status": "approved",
    "relatedParty": [{"id": "demo-mobil", "role": "mvno", "@referredType": "Organization"}],
    "account": [{"id": "ba1", "@referredType": "BillingAccount"}],
    "contactMedium": [{"mediumType": "email", "characteristic": {"emailAddress": "jan@example.cz"}}],
}
CLAIMED_TOTAL = 100_000_000
#: Longest a handler waits for a client that neither reads nor goes away (bounded loops only).
MAX_HANDLER_SECONDS = 20.0


class SlowPlatform:
    """The server's script and what it saw; ``url`` once started with :func:`serve_slow_platform`."""

    def __init__(self, mode: str = "ok", interval: float = 0.1, page_size: int = 1000) -> None:
        self.mode = mode
        self.interval = interval  # seconds between trickled bytes
        self.delay = 0.0  # seconds before any answer starts
        self.page_size = page_size
        self.passthrough = ""  # base URL the requests not matching ``victim`` are relayed to
        self.victim = ""  # regular expression over the request target
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self.paths: list[str] = []
        self.url = ""

    @property
    def hits(self) -> int:
        """Requests received so far."""
        with self._lock:
            return len(self.paths)

    def record(self, path: str) -> None:
        with self._lock:
            self.paths.append(path)


class _Handler(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        platform = self.server.platform
        sock: socket.socket = self.request
        sock.settimeout(5)
        try:
            request = _read_request(sock)
        except OSError:
            return
        if request is None:
            return
        method, target, headers, body = request
        if platform.passthrough and not re.search(platform.victim, target):
            with suppress(OSError):
                sock.sendall(_relay(platform.passthrough, method, target, headers, body))
            return
        parts = urlsplit(target)
        platform.record(parts.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        with suppress(OSError):  # the client gave up: exactly what these tests want it to do
            self._answer(platform, sock, parts.path, query)

    def _answer(self, platform: SlowPlatform, sock: socket.socket, path: str, query: dict[str, str]) -> None:
        mode = platform.mode
        if platform.delay and platform.stop.wait(platform.delay):
            return
        if mode == "hang":
            _wait_for_close(platform, sock)
        elif mode == "garbage":
            sock.sendall(b"\x16\x03\x01 this is not HTTP \xff\xfe\r\n\r\n")
        elif mode == "garbage_json":
            sock.sendall(_response(200, b"<html>{not json"))
        elif mode == "unavailable":
            sock.sendall(_response(503, b'{"code": "unavailable", "status": "503"}'))
        elif mode == "liar":
            offset = int(query.get("offset", 0))
            page = [
                {"id": f"ba-{offset + i}", "relatedParty": [{"id": "c1", "role": "customer"}]}
                for i in range(platform.page_size)
            ]
            sock.sendall(_response(200, json.dumps(page).encode(), {"X-Total-Count": str(CLAIMED_TOTAL)}))
        elif mode == "ok":
            body = json.dumps(CUSTOMER if "/customer/" in path else []).encode()
            sock.sendall(_response(200, body))
        else:
            answer = _response(200, json.dumps(CUSTOMER).encode())
            head, body = answer.split(b"\r\n\r\n", 1)
            head += b"\r\n\r\n"
            if mode == "trickle_headers":
                _trickle(platform, sock, head)
                sock.sendall(body)
            elif mode == "trickle_body":
                sock.sendall(head)
                _trickle(platform, sock, body)
            elif mode == "hang_body":
                sock.sendall(head + body[:5])
                _wait_for_close(platform, sock)
            else:
                raise AssertionError(f"unknown mode {mode!r}")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False

    def __init__(self, platform: SlowPlatform) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.platform = platform


@contextmanager
def serve_slow_platform(platform: SlowPlatform) -> Iterator[SlowPlatform]:
    """Serve ``platform`` on a free loopback port (``platform.url``) for the block."""
    server = _Server(platform)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    platform.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield platform
    finally:
        platform.stop.set()  # every handler still waiting or trickling ends now
        server.shutdown()
        server.server_close()
        thread.join(5)


def _read_request(sock: socket.socket) -> tuple[str, str, dict[str, str], bytes] | None:
    """Method, target, headers and body of the request (the body by its Content-Length)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk or len(data) > 1 << 20:
            return None
        data += chunk
    head, rest = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", 0))
    while len(rest) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        rest += chunk
    method, target = lines[0].split(" ")[:2]
    return method, target, headers, rest


def _relay(base_url: str, method: str, target: str, headers: dict[str, str], body: bytes) -> bytes:
    """The healthy platform's answer to the request, as bytes to send back."""
    parts = urlsplit(base_url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        kept = {k: v for k, v in headers.items() if k not in ("host", "connection", "content-length")}
        connection.request(method, target, body=body or None, headers=kept)
        answer = connection.getresponse()
        content = answer.read()
        extra = {
            k: v
            for k, v in answer.getheaders()
            if k.lower() not in ("content-length", "connection", "content-type", "transfer-encoding")
        }
        status_line = f"HTTP/1.1 {answer.status} {answer.reason}"
        content_type = answer.getheader("Content-Type", "application/json")
    finally:
        connection.close()
    lines = [
        status_line,
        f"Content-Type: {content_type}",
        f"Content-Length: {len(content)}",
        "Connection: close",
        *(f"{k}: {v}" for k, v in extra.items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + content


def _response(status: int, body: bytes, headers: dict[str, str] | None = None) -> bytes:
    reason = {200: "OK", 503: "Service Unavailable"}[status]
    lines = [
        f"HTTP/1.1 {status} {reason}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        "Connection: close",
        *(f"{k}: {v}" for k, v in (headers or {}).items()),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _trickle(platform: SlowPlatform, sock: socket.socket, data: bytes) -> None:
    """Send ``data`` a byte per interval until done, the client leaves or the server stops."""
    for i in range(len(data)):
        if _client_gone(sock) or platform.stop.wait(platform.interval):
            return
        sock.sendall(data[i : i + 1])


def _wait_for_close(platform: SlowPlatform, sock: socket.socket) -> None:
    """Answer nothing until the client closes the connection (or the server stops)."""
    for _ in range(int(MAX_HANDLER_SECONDS / 0.05)):
        if _client_gone(sock) or platform.stop.wait(0.05):
            return


def _client_gone(sock: socket.socket) -> bool:
    readable, _, _ = select.select([sock], [], [], 0)
    if not readable:
        return False
    try:
        return sock.recv(1, socket.MSG_PEEK) == b""
    except OSError:
        return True
