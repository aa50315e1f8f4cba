"""Helpers of the EDR delivery tests: CRM webhook secrets, EDRs written straight to the stream,
scripted webhook endpoints."""

from __future__ import annotations

import dataclasses
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, request

from tests.support import serve_wsgi

DEMO_SECRET = "whsec_" + "c2VjcmV0LWtleS1vZi1kZW1vLW1vYmlsLWZvci10ZXN0cw=="  # noqa: S105 - test secret
ZELENA_RAW_SECRET = "zelena-raw-webhook-secret"  # noqa: S105 - a raw (non-whsec_) secret, test only
CRM_SECRETS = {"demo-mobil": DEMO_SECRET, "zelena-mobil": ZELENA_RAW_SECRET}


def partner_with_webhook(partner, url: str, secret: str):
    """``partner`` delivering its EDRs to ``url`` signed with ``secret``."""
    return dataclasses.replace(partner, edr_webhook_url=url, edr_webhook_secret=secret)


def add_edr(store, partner_id: str = "demo-mobil", action: str = "invoice.view", **details) -> str:
    """Append an EDR in the recorder's format directly (for worker tests); returns its id."""
    from selfcare_widget.edr import stream_key

    edr_id = str(uuid.uuid4())
    edr = {
        "id": edr_id,
        "time": "2026-01-01T10:00:00.000Z",
        "partner": partner_id,
        "customer": "cust-0001",
        "sim": "",
        "action": action,
        "outcome": "success",
        "channel": "widget",
        "requestId": uuid.uuid4().hex,
        "clientIp": "",
        "details": details,
    }
    store.xadd(stream_key(partner_id), {"edr": json.dumps(edr, ensure_ascii=False)})
    return edr_id


class ScriptedEndpoint:
    """A webhook endpoint answering with scripted statuses (the last one repeats); records calls.

    A status may also be a callable returning one (e.g. deciding by a test's fake clock).
    """

    def __init__(self, statuses: list) -> None:
        self.statuses = list(statuses)
        self.calls: list[tuple[dict[str, str], bytes]] = []
        self._lock = threading.Lock()
        self.app = Flask(__name__)
        self.app.add_url_rule("/hook", "hook", self._hook, methods=["POST"])
        self.url = ""

    def _hook(self):
        with self._lock:
            self.calls.append((dict(request.headers), request.get_data()))
            status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
            if callable(status):
                status = status()
        if isinstance(status, tuple):  # (status, headers)
            return "", *status
        return "", status

    def ids(self) -> list[str]:
        return [headers["Webhook-Id"] for headers, _body in self.calls]


@contextmanager
def scripted_endpoint(*statuses) -> Iterator[ScriptedEndpoint]:
    """Serve a ScriptedEndpoint over real HTTP; ``endpoint.url`` is its webhook URL.

    Each status is an int, ``(status, headers)`` or a callable returning one of them.
    """
    endpoint = ScriptedEndpoint(list(statuses))
    with serve_wsgi(endpoint.app) as base:
        endpoint.url = f"{base}/hook"
        yield endpoint
