"""Logging set-up: one JSON object per line in production, readable text for the demo.

Log records carry ids (request, partner, customer, SIM product), never MSISDNs, e-mails,
passwords or tokens; the code logs only those, and this formatter adds the request id of the
current request so a line can be matched with the platform's logs (``X-Request-ID``).
"""

from __future__ import annotations

import json
import logging
import os
from datetime import datetime, timezone

from flask import g, has_request_context


class JsonFormatter(logging.Formatter):
    """``{"time", "level", "logger", "message", "requestId"?, "error"?}`` per line."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if has_request_context() and g.get("request_id"):
            entry["requestId"] = g.request_id
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def configure(fmt: str | None = None, level: int = logging.INFO) -> None:
    """Configure the root logger; ``fmt`` (or ``SELFCARE_LOG_FORMAT``) is ``json`` or ``text``."""
    fmt = (fmt or os.environ.get("SELFCARE_LOG_FORMAT") or "text").lower()
    handler = logging.StreamHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
