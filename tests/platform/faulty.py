"""A deliberately faulty TMF server for failure-mapping tests, served over real HTTP.

Each test scripts the answers per path; the server records every request it gets so tests can
count hits (retries) and inspect headers, query strings and bodies.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Response, request

#: The credential the platform adapter tests configure for the faulty server.
FAULTY_CREDENTIAL = "faulty-credential"


@dataclass
class Answer:
    """One scripted response: status, body (dict/list -> JSON, str -> raw), headers, delay."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Seen:
    """A request the server received."""

    method: str
    path: str
    args: dict[str, str]
    headers: dict[str, str]
    json: Any


class FaultyServer:
    """Scripted answers per path (the last answer repeats) and a log of received requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.scripts: dict[str, list[Answer]] = {}
        self.seen: list[Seen] = []
        self.hits: Counter[str] = Counter()

    def script(self, path: str, *answers: Answer) -> None:
        """Answer requests to ``path`` with ``answers`` in order, repeating the last one."""
        with self._lock:
            self.scripts[path] = list(answers)

    def reset(self) -> None:
        with self._lock:
            self.scripts.clear()
            self.seen.clear()
            self.hits.clear()

    def next_answer(self, path: str) -> Answer:
        with self._lock:
            answers = self.scripts.get(path)
            if not answers:
                return Answer(404, {"code": "notFound", "reason": "no script", "status": "404"})
            return answers.pop(0) if len(answers) > 1 else answers[0]

    def record(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)
            self.hits[seen.path] += 1

    def requests_to(self, path: str) -> list[Seen]:
        """Requests received for ``path``, oldest first."""
        with self._lock:
            return [s for s in self.seen if s.path == path]

    def app(self) -> Flask:
        """The WSGI app answering by script."""
        app = Flask("faulty-tmf")

        @app.route("/<path:path>", methods=["GET", "POST", "PATCH", "PUT", "DELETE"])
        def any_path(path: str) -> Response:
            full = "/" + path
            self.record(
                Seen(
                    method=request.method,
                    path=full,
                    args=dict(request.args),
                    headers=dict(request.headers),
                    json=request.get_json(silent=True),
                )
            )
            answer = self.next_answer(full)
            if answer.delay:
                time.sleep(answer.delay)
            if isinstance(answer.body, str):
                payload, mimetype = answer.body, "application/json"
            elif answer.body is None:
                payload, mimetype = "", "application/json"
            else:
                payload, mimetype = json.dumps(answer.body), "application/json"
            return Response(payload, status=answer.status, headers=answer.headers, mimetype=mimetype)

        return app
