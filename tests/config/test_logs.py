"""Structured logs: JSON lines with the request id, no personal data from the sign-in path."""

from __future__ import annotations

import io
import json
import logging

from selfcare_widget.logs import JsonFormatter
from selfcare_widget.sandbox.seed import DEMO_PASSWORD
from tests.support import PORTAL_ORIGIN


def capture(app, action):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.DEBUG)
    try:
        action()
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_log_lines_are_json_with_the_request_id_and_no_personal_data(app, client):
    def sign_in_badly_and_well():
        for password in ("wrong-password", DEMO_PASSWORD):
            client.post(
                "/auth/password",
                data={"_partner": "demo-mobil", "login": "jan.stastny@example.cz", "password": password},
                headers={"Origin": PORTAL_ORIGIN, "X-Request-ID": "req-12345678"},
            )

    lines = capture(app, sign_in_badly_and_well)
    assert lines, "sign-in logs something"
    assert all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    assert any(line.get("requestId") == "req-12345678" for line in lines)
    text = json.dumps(lines, ensure_ascii=False)
    for secret in ("jan.stastny@example.cz", "wrong-password", DEMO_PASSWORD, "420601234567"):
        assert secret not in text
