"""Recording EDRs: one ``XADD`` to the partner's stream in the same request.

Delivery to the partner's CRM is the worker's job (``edr/worker.py``); recording must never
fail the customer's action, and must not lose it either: with ``SELFCARE_REDIS_WAIT_REPLICAS``
the write waits for replicas (it survives a failover), and an entry the store refuses goes to
the local spool (``edr/spool.py``) and reaches the stream later.
"""

from __future__ import annotations

import json
import logging
import uuid
from datetime import datetime, timezone
from typing import Any

from blinker import Namespace
from flask import current_app, g, request
from flask_login import current_user

from ..services import services
from ..store import tag
from .actions import ACTIONS, Outcome
from .spool import spool_for

log = logging.getLogger(__name__)

STREAM_PREFIX = "sc:edr:"
STREAM_MAXLEN = 1_000_000  # approximate cap; the worker keeps up long before this

#: Sent for every EDR (stored or not) with ``action``, ``outcome``, ``partner_id`` and ``details``
#: keyword arguments; ``ops`` counts them for metrics. Receivers must not raise.
edr_recorded = Namespace().signal("edr-recorded")
#: Sent with ``outcome`` when the store did not keep an EDR: ``spooled`` (on disk, sent later) or
#: ``lost`` (the spool failed too); ``ops`` counts them. Receivers must not raise.
edr_not_stored = Namespace().signal("edr-not-stored")


class _Unreplicated(Exception):
    """The EDR reached a server that is not the primary any more."""


def stream_key(partner_id: str) -> str:
    """The Redis stream holding a partner's undelivered EDRs (hash-tagged like its other EDR keys)."""
    return STREAM_PREFIX + tag(partner_id)


def record(
    action: str,
    outcome: Outcome = "success",
    *,
    partner_id: str | None = None,
    customer_id: str | None = None,
    sim: str | None = None,
    **details: Any,
) -> str | None:
    """Append one EDR for the current request; returns its id (None if it could not be stored).

    ``partner_id``/``customer_id`` default to the signed-in user's; pass them explicitly for
    actions before sign-in (e.g. a failed SSO exchange). ``action`` is one of
    ``edr.actions.ACTIONS`` with one of its outcomes; anything else is a programming error.
    """
    if outcome not in ACTIONS.get(action, ()):
        raise ValueError(f"EDR action {action!r} with outcome {outcome!r} is not in edr.actions")
    user = current_user if current_user and current_user.is_authenticated else None
    partner_id = partner_id or (user.partner_id if user else None) or "unknown"
    customer_id = customer_id or (user.customer_id if user else "") or ""
    partner = services().partners.get(partner_id)
    edr_id = str(uuid.uuid4())
    edr = {
        "id": edr_id,
        "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "partner": partner_id,
        "customer": customer_id,
        "sim": sim or "",
        "action": action,
        "outcome": outcome,
        "channel": "widget",
        "requestId": getattr(g, "request_id", ""),
        "clientIp": (request.remote_addr or "") if partner and partner.record_client_ip else "",
        "details": details,
    }
    edr_recorded.send(
        current_app._get_current_object(),
        action=action,
        outcome=outcome,
        partner_id=partner_id,
        details=details,
    )
    key = stream_key(partner_id)
    fields: dict[Any, Any] = {"edr": json.dumps(edr, ensure_ascii=False, default=str)}
    shared = services()
    try:
        with shared.store.pipeline(transaction=False) as pipe:
            pipe.xadd(key, fields, maxlen=STREAM_MAXLEN, approximate=True)
            waited = shared.durability.add_wait(pipe)  # same connection as the XADD
            replies = pipe.execute()
        if waited and not shared.durability.kept(shared.store, replies, f"EDR {edr_id}", "edr"):
            # the old primary after a failover (its writes are dropped when it rejoins as a
            # replica): keep the EDR on disk for the new one — a duplicate at worst
            raise _Unreplicated
    except Exception as exc:  # noqa: BLE001 - the customer's action must not fail because of the EDR store
        try:
            spool_for(shared.settings.edr_spool_dir, shared.store, shared.durability).append(key, fields)
        except OSError:
            edr_not_stored.send(current_app._get_current_object(), outcome="lost")
            log.exception("EDR %s lost: the store failed and the spool could not keep it", edr_id)
            return None
        edr_not_stored.send(current_app._get_current_object(), outcome="spooled")
        log.warning("EDR %s spooled: %s", edr_id, type(exc).__name__)
    g.setdefault("edr_actions", []).append(action)
    return edr_id
