"""Delivering EDRs to each partner's CRM: signed webhooks, at least once, never lost.

One consumer group (``crm-delivery``) per partner stream ``sc:edr:<partner>``; any number of
workers (``selfcare-widget edr-worker``) share it. For each message a worker:

1. POSTs the EDR JSON exactly as recorded, signed per Standard Webhooks (``edr/signing.py``);
2. on a 2xx: ``XACK`` + ``XDEL`` (the stream holds undelivered EDRs only);
3. on a failure: leaves it pending and schedules a retry with exponential backoff; attempts
   and the next due time live in the hash ``sc:edr-retry:<partner>`` so that they survive a
   worker's death and are shared by all workers;
4. after ``max_attempts`` or on a permanent 4xx (not 408/429): moves it to the dead-letter
   stream ``sc:edr-dead:<partner>`` with the last error, in one ``MULTI`` with the ``XACK``.

Messages a dead worker read but never acknowledged are taken over with ``XAUTOCLAIM`` once
they have been idle for ``claim_idle_ms``. Logs carry ids and status codes only.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, cast

import redis
import requests
from redis.typing import EncodableT, FieldT

from ..partners import Partner
from .recorder import stream_key
from .signing import webhook_headers

log = logging.getLogger(__name__)

GROUP = "crm-delivery"
DEAD_PREFIX = "sc:edr-dead:"
RETRY_PREFIX = "sc:edr-retry:"
USER_AGENT = "selfcare-widget-edr/1"
_RETRYABLE_4XX = (408, 429)

# The store is built with decode_responses=True and speaks RESP2 (store.connect): stream replies
# carry str, and XREADGROUP answers [[stream, [(id, fields), ...]], ...] (RESP3 would be a dict).
# An entry deleted from the stream while pending comes back with empty (or None) fields.
_Entry = tuple[str, dict[str, str] | None]


def dead_key(partner_id: str) -> str:
    """The dead-letter stream of a partner (EDRs that could not be delivered)."""
    return DEAD_PREFIX + partner_id


def retry_key(partner_id: str) -> str:
    """The hash with attempt counts and next due times of a partner's failing EDRs."""
    return RETRY_PREFIX + partner_id


@dataclass(frozen=True)
class WorkerConfig:
    """Tuning of the delivery worker; the defaults suit production."""

    group: str = GROUP
    batch_size: int = 50
    connect_timeout: float = 3.0
    read_timeout: float = 10.0
    max_attempts: int = 8
    backoff_base: float = 2.0  # seconds before the 2nd attempt; doubles per attempt
    backoff_max: float = 15 * 60.0
    backoff_jitter: float = 0.1  # +- fraction, so that many failing messages spread out
    claim_idle_ms: int = 5 * 60 * 1000  # longer than any single delivery can take
    poll_interval: float = 1.0  # run_forever: pause when there was nothing to do


@dataclass(frozen=True)
class Outcome:
    """The result of one delivery attempt."""

    delivered: bool
    error: str = ""
    status: int | None = None
    permanent: bool = False
    retry_after: float | None = None


@dataclass
class RunStats:
    """What one ``run_once`` did (for logs and tests)."""

    delivered: int = 0
    failed: int = 0
    dead: int = 0
    deferred: int = 0
    claimed: int = 0

    @property
    def busy(self) -> bool:
        return bool(self.delivered or self.failed or self.dead or self.claimed)


class EdrWorker:
    """One delivery consumer; run several (threads or processes) for throughput and failover."""

    def __init__(
        self,
        store: redis.Redis,
        partners: Mapping[str, Partner],
        consumer_name: str,
        config: WorkerConfig | None = None,
        *,
        clock: Callable[[], float] = time.time,
        session: requests.Session | None = None,
    ) -> None:
        self.store = store
        self.partners = partners
        self.consumer = consumer_name
        self.config = config or WorkerConfig()
        self.clock = clock
        self.http = session or requests.Session()
        self.http.headers["User-Agent"] = USER_AGENT
        self._groups_ready: set[str] = set()
        self._warned_no_webhook: set[str] = set()

    # --- the loop -------------------------------------------------------------------------

    def run_forever(self, stop_event: threading.Event) -> None:
        """Deliver until ``stop_event`` is set; pauses ``poll_interval`` when idle."""
        log.info("EDR worker %s started for %d partner(s)", self.consumer, len(self.partners))
        while not stop_event.is_set():
            try:
                stats = self.run_once()
            except redis.RedisError as exc:
                # Redis away: nothing is lost (messages stay in the stream); try again later
                log.warning("EDR worker %s: store unavailable (%s)", self.consumer, type(exc).__name__)
                stats = RunStats()
            if not stats.busy:
                stop_event.wait(self.config.poll_interval)
        log.info("EDR worker %s stopped", self.consumer)

    def run_once(self) -> RunStats:
        """One pass over every partner: reclaim, retry what is due, deliver new messages."""
        stats = RunStats()
        for partner in self.partners.values():
            if not partner.edr_webhook_url:
                if partner.id not in self._warned_no_webhook:
                    self._warned_no_webhook.add(partner.id)
                    log.warning("partner %s has no EDR webhook URL: its EDRs stay in the stream", partner.id)
                continue
            self._run_partner(partner, stats)
        return stats

    def _run_partner(self, partner: Partner, stats: RunStats) -> None:
        key = stream_key(partner.id)
        self._ensure_group(key)
        stats.claimed += self._reclaim(key)
        # own pending first (retries and reclaimed ones), then new messages
        for entry_id, fields in self._own_pending(key):
            self._handle(partner, entry_id, fields, stats, retry=True)
        reply = cast(
            "list[list[Any]]",  # RESP2 (see _Entry)
            self.store.xreadgroup(self.config.group, self.consumer, {key: ">"}, count=self.config.batch_size),
        )
        for _stream, entries in reply or []:
            for entry_id, fields in entries:
                self._handle(partner, entry_id, fields, stats, retry=False)

    def _ensure_group(self, key: str) -> None:
        if key in self._groups_ready:
            return
        try:
            self.store.xgroup_create(key, self.config.group, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._groups_ready.add(key)

    def _reclaim(self, key: str) -> int:
        """Take over messages another consumer has left idle for ``claim_idle_ms``."""
        claimed = 0
        cursor = "0-0"
        while True:
            reply = self.store.xautoclaim(
                key,
                self.config.group,
                self.consumer,
                min_idle_time=self.config.claim_idle_ms,
                start_id=cursor,
                count=self.config.batch_size,
            )
            cursor, entries = reply[0], reply[1]
            deleted = reply[2] if len(reply) > 2 else []
            if deleted:
                # entries trimmed away while pending: nothing left to deliver
                self.store.xack(key, self.config.group, *deleted)
            for entry_id, _fields in entries:
                if entry_id:
                    claimed += 1
                    log.info("EDR entry %s reclaimed by %s", entry_id, self.consumer)
            if cursor in ("0-0", b"0-0"):
                return claimed

    def _own_pending(self, key: str) -> Iterator[_Entry]:
        """This consumer's pending entries (already read, not yet acknowledged), oldest first."""
        last = "0"
        while True:
            reply = cast(
                "list[list[Any]]",  # RESP2 (see _Entry)
                self.store.xreadgroup(
                    self.config.group, self.consumer, {key: last}, count=self.config.batch_size
                ),
            )
            entries: list[_Entry] = reply[0][1] if reply else []
            if not entries:
                return
            yield from entries
            last = entries[-1][0]

    # --- one message ----------------------------------------------------------------------

    def _handle(
        self, partner: Partner, entry_id: str, fields: dict[str, str] | None, stats: RunStats, *, retry: bool
    ) -> None:
        key = stream_key(partner.id)
        if not fields:  # deleted from the stream while pending
            self.store.xack(key, self.config.group, entry_id)
            self.store.hdel(retry_key(partner.id), *_retry_fields(entry_id))
            return
        if retry and not self._due(partner.id, entry_id):
            stats.deferred += 1
            return
        raw = fields.get("edr", "")
        try:
            edr_id = str(json.loads(raw)["id"])
        except (ValueError, KeyError, TypeError):
            self._dead_letter(partner.id, entry_id, fields, "malformed EDR", None, attempts=0)
            stats.dead += 1
            return
        outcome = self._post(partner, edr_id, raw.encode("utf-8"))
        if outcome.delivered:
            self._acknowledge(partner.id, entry_id)
            stats.delivered += 1
            log.info("EDR %s delivered to %s (HTTP %s)", edr_id, partner.id, outcome.status)
            return
        attempts = int(self.store.hincrby(retry_key(partner.id), f"{entry_id}:attempts", 1))
        if outcome.permanent or attempts >= self.config.max_attempts:
            self._dead_letter(partner.id, entry_id, fields, outcome.error, outcome.status, attempts)
            stats.dead += 1
            log.warning(
                "EDR %s for %s dead-lettered after %d attempt(s): %s",
                edr_id,
                partner.id,
                attempts,
                outcome.error,
            )
            return
        delay = self._backoff(attempts, outcome.retry_after)
        self.store.hset(
            retry_key(partner.id),
            mapping={f"{entry_id}:next": repr(self.clock() + delay), f"{entry_id}:error": outcome.error},
        )
        stats.failed += 1
        log.info(
            "EDR %s for %s failed (attempt %d: %s); retry in %.1fs",
            edr_id,
            partner.id,
            attempts,
            outcome.error,
            delay,
        )

    def _due(self, partner_id: str, entry_id: str) -> bool:
        raw = self.store.hget(retry_key(partner_id), f"{entry_id}:next")
        return raw is None or float(raw) <= self.clock()

    def _backoff(self, attempts: int, retry_after: float | None) -> float:
        cfg = self.config
        delay = min(cfg.backoff_max, cfg.backoff_base * (2 ** (attempts - 1)))
        if cfg.backoff_jitter:
            delay *= 1 + random.uniform(-cfg.backoff_jitter, cfg.backoff_jitter)  # noqa: S311 - not crypto
        if retry_after is not None:
            delay = max(delay, min(retry_after, cfg.backoff_max))
        return max(0.0, delay)

    def _post(self, partner: Partner, edr_id: str, body: bytes) -> Outcome:
        """One signed POST; never raises for network trouble (that is a retryable failure)."""
        headers = {
            "Content-Type": "application/json",
            **webhook_headers(partner.edr_webhook_secret, edr_id, body, timestamp=int(self.clock())),
        }
        try:
            response = self.http.post(
                partner.edr_webhook_url,
                data=body,
                headers=headers,
                timeout=(self.config.connect_timeout, self.config.read_timeout),
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            return Outcome(False, error=type(exc).__name__)
        status = response.status_code
        response.close()
        if 200 <= status < 300:
            return Outcome(True, status=status)
        permanent = 400 <= status < 500 and status not in _RETRYABLE_4XX
        return Outcome(
            False,
            error=f"HTTP {status}",
            status=status,
            permanent=permanent,
            retry_after=_retry_after(response.headers.get("Retry-After")),
        )

    def _acknowledge(self, partner_id: str, entry_id: str) -> None:
        pipe = self.store.pipeline(transaction=True)
        pipe.xack(stream_key(partner_id), self.config.group, entry_id)
        pipe.xdel(stream_key(partner_id), entry_id)
        pipe.hdel(retry_key(partner_id), *_retry_fields(entry_id))
        pipe.execute()

    def _dead_letter(
        self,
        partner_id: str,
        entry_id: str,
        fields: dict[str, str],
        error: str,
        status: int | None,
        attempts: int,
    ) -> None:
        """Park the message in the dead-letter stream and acknowledge it, atomically."""
        letter: dict[FieldT, EncodableT] = {
            "edr": fields.get("edr", json.dumps(fields)),
            "entry": entry_id,
            "attempts": attempts,
            "error": error,
            "status": status if status is not None else "",
            "failedAt": datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z"),
            "consumer": self.consumer,
        }
        pipe = self.store.pipeline(transaction=True)
        pipe.xadd(dead_key(partner_id), letter)
        pipe.xack(stream_key(partner_id), self.config.group, entry_id)
        pipe.xdel(stream_key(partner_id), entry_id)
        pipe.hdel(retry_key(partner_id), *_retry_fields(entry_id))
        pipe.execute()


def _retry_fields(entry_id: str) -> tuple[str, str, str]:
    return (f"{entry_id}:attempts", f"{entry_id}:next", f"{entry_id}:error")


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header in its delta-seconds form (dates are ignored)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


# --- operator tools -----------------------------------------------------------------------


def dead_letters(store: redis.Redis, partner_id: str, count: int = 100) -> list[tuple[str, dict[str, str]]]:
    """The oldest ``count`` dead letters of a partner: (dead-letter id, fields)."""
    # decode_responses=True (see _Entry); XRANGE lists existing entries, each with its fields.
    return list(cast("list[tuple[str, dict[str, str]]]", store.xrange(dead_key(partner_id), count=count)))


def replay_dead_letters(store: redis.Redis, partner_id: str, ids: list[str] | None = None) -> int:
    """Move dead letters (all, or those ``ids``) back to the partner's stream for delivery.

    Each move is one ``MULTI`` (``XADD`` to the stream + ``XDEL`` from the dead letters), so an
    EDR is never in neither. The EDR keeps its id, so the CRM's ``webhook-id`` idempotency holds.
    """
    moved = 0
    wanted = set(ids) if ids else None
    # decode_responses=True (see _Entry); XRANGE lists existing entries, each with its fields.
    for dead_id, fields in cast("list[tuple[str, dict[str, str]]]", store.xrange(dead_key(partner_id))):
        if wanted is not None and dead_id not in wanted:
            continue
        if "edr" not in fields:
            continue
        pipe = store.pipeline(transaction=True)
        pipe.xadd(stream_key(partner_id), {"edr": fields["edr"]})
        pipe.xdel(dead_key(partner_id), dead_id)
        pipe.execute()
        moved += 1
    return moved


def delivery_status(store: redis.Redis, partner_id: str, group: str = GROUP) -> dict[str, int]:
    """Counts for the operator: undelivered in the stream, pending in the group, dead letters."""
    key = stream_key(partner_id)
    pending = 0
    try:
        pending = int(store.xpending(key, group)["pending"])
    except redis.ResponseError:  # no group yet: nothing was ever read
        pending = 0
    return {
        "stream": int(store.xlen(key)),
        "pending": pending,
        "dead": int(store.xlen(dead_key(partner_id))),
    }
