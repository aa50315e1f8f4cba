"""Delivering EDRs to each partner's CRM: signed webhooks, at least once, never lost.

One consumer group (``crm-delivery``) per partner stream ``sc:edr:<partner>``; any number of
workers (``selfcare-widget edr-worker``) share it. For each message a worker:

1. POSTs the EDR JSON exactly as recorded, signed per Standard Webhooks (``edr/signing.py``);
2. on a 2xx: ``XACK`` + ``XDEL`` (the stream holds undelivered EDRs only);
3. on any other answer or none: leaves it pending and retries on the Standard Webhooks schedule
   (immediately, then 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h after the previous attempt, each
   lengthened by a random up-to-10 %); attempts, next due time and last error live in the hash
   ``sc:edr-retry:<partner>`` so that they survive a worker's death and are shared by all workers;
4. when the last attempt of the schedule fails: moves it to the dead-letter stream
   ``sc:edr-dead:<partner>`` with the last error, in one ``MULTI`` with the ``XACK``;
5. on ``410 Gone``: disables delivery to the partner (``sc:edr-disabled:<partner>``) — every
   worker skips the partner, its EDRs wait in the stream — until an operator re-enables it
   (``selfcare-widget edr-replay --partner <id> --enable-endpoint``).

Messages a dead worker read but never acknowledged are taken over with ``XAUTOCLAIM`` once
they have been idle for ``claim_idle_ms``. Logs carry ids and status codes only.
"""

from __future__ import annotations

import heapq
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, cast

import redis
import requests
from prometheus_client import Counter, Gauge
from redis.typing import EncodableT, FieldT

from ..partners import Partner
from ..store import is_cluster, tag
from .recorder import STREAM_PREFIX, stream_key
from .signing import webhook_headers

log = logging.getLogger(__name__)

GROUP = "crm-delivery"
DEAD_PREFIX = "sc:edr-dead:"
RETRY_PREFIX = "sc:edr-retry:"
DISABLED_PREFIX = "sc:edr-disabled:"
USER_AGENT = "selfcare-widget-edr/1"
GONE = 410
BLOCK_MAX = 1.0  # seconds a blocking read may wait: below the store's socket timeout (store.py)

#: The Standard Webhooks retry schedule: after the first attempt (immediately), each retry
#: waits this long after the previous attempt — 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
#: Eight attempts over about 27 h 35 min; the EDR is dead-lettered when the eighth fails.
STANDARD_WEBHOOKS_SCHEDULE: tuple[float, ...] = (
    5.0,
    5 * 60.0,
    30 * 60.0,
    2 * 3600.0,
    5 * 3600.0,
    10 * 3600.0,
    10 * 3600.0,
)

# Metrics of this process (the widget's /metrics in the demo, `edr-worker --metrics-port` else).
ENDPOINT_DISABLEMENTS = Counter(
    "selfcare_edr_endpoint_disablements",
    "Times a partner's EDR webhook endpoint answered 410 Gone and this worker disabled delivery to it.",
    ["partner"],
)
ENDPOINT_DISABLED = Gauge(
    "selfcare_edr_endpoint_disabled",
    "1 while delivery to the partner's EDR webhook endpoint is disabled (it answered 410 Gone), else 0.",
    ["partner"],
)

# The store is built with decode_responses=True and speaks RESP2 (store.connect): stream replies
# carry str, and XREADGROUP answers [[stream, [(id, fields), ...]], ...] (RESP3 would be a dict).
# An entry deleted from the stream while pending comes back with empty (or None) fields.
_Entry = tuple[str, dict[str, str] | None]


def dead_key(partner_id: str) -> str:
    """The dead-letter stream of a partner (EDRs that could not be delivered)."""
    return DEAD_PREFIX + tag(partner_id)


def retry_key(partner_id: str) -> str:
    """The hash with attempt counts and next due times of a partner's failing EDRs."""
    return RETRY_PREFIX + tag(partner_id)


def disabled_key(partner_id: str) -> str:
    """Present (a JSON record) while delivery to the partner is disabled after a 410 Gone."""
    return DISABLED_PREFIX + tag(partner_id)


@dataclass(frozen=True)
class WorkerConfig:
    """Tuning of the delivery worker; the defaults suit production."""

    group: str = GROUP
    batch_size: int = 50
    connect_timeout: float = 3.0
    read_timeout: float = 10.0
    #: Delay (s) before attempt 2, 3, … counted from the previous attempt; one attempt more
    #: than delays, then the dead letter.
    retry_schedule: tuple[float, ...] = STANDARD_WEBHOOKS_SCHEDULE
    #: Each delay is lengthened by a random 0 … this fraction, so that failing messages spread
    #: out; never shortened, so the schedule's total is a minimum.
    backoff_jitter: float = 0.1
    #: No delay is longer than this (a ``Retry-After`` included).
    backoff_max: float = 10 * 3600.0
    #: Instead of the schedule: base, 2·base, 4·base … (capped at ``backoff_max``) with as
    #: many attempts — quick retries for a demo. None: the schedule.
    backoff_base: float | None = None
    claim_idle_ms: int = 5 * 60 * 1000  # longer than any single delivery can take
    poll_interval: float = 1.0  # run_forever: pause when there was nothing to do

    def __post_init__(self) -> None:
        if self.backoff_jitter < 0 or any(delay < 0 for delay in self.retry_schedule):
            raise ValueError("retry delays and jitter must not be negative")
        if self.backoff_base is not None:
            exponential = tuple(
                min(self.backoff_max, self.backoff_base * 2**n) for n in range(len(self.retry_schedule))
            )
            object.__setattr__(self, "retry_schedule", exponential)

    @property
    def max_attempts(self) -> int:
        """Attempts before the dead letter: the first one plus one per scheduled delay."""
        return len(self.retry_schedule) + 1


@dataclass(frozen=True)
class Outcome:
    """The result of one delivery attempt."""

    delivered: bool
    error: str = ""
    status: int | None = None
    retry_after: float | None = None


@dataclass
class RunStats:
    """What one ``run_once`` did (for logs and tests)."""

    delivered: int = 0
    failed: int = 0
    dead: int = 0
    deferred: int = 0
    claimed: int = 0
    disabled: int = 0  # partners skipped because delivery to them is disabled

    @property
    def busy(self) -> bool:
        return bool(self.delivered or self.failed or self.dead or self.claimed)


class _EndpointGone(Exception):
    """The partner's endpoint answered 410 Gone: stop delivering to it in this pass."""


class EdrWorker:
    """One delivery consumer; run several (threads or processes) for throughput and failover.

    ``clock`` (unix seconds) and ``rng`` (the jitter) can be injected: a test runs the whole
    27-hour schedule in moments, deterministically.
    """

    def __init__(
        self,
        store: redis.Redis,
        partners: Mapping[str, Partner],
        consumer_name: str,
        config: WorkerConfig | None = None,
        *,
        clock: Callable[[], float] = time.time,
        session: requests.Session | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.partners = partners
        self.consumer = consumer_name
        self.config = config or WorkerConfig()
        self.clock = clock
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not crypto
        self.http = session or requests.Session()
        self.http.headers["User-Agent"] = USER_AGENT
        self._groups_ready: set[str] = set()
        self._warned_no_webhook: set[str] = set()
        self._known_disabled: set[str] = set()

    # --- the loop -------------------------------------------------------------------------

    def run_forever(self, stop_event: threading.Event) -> None:
        """Deliver until ``stop_event`` is set.

        When a pass found nothing to do, the worker waits up to ``poll_interval`` in a blocking
        ``XREADGROUP`` on every partner's stream, so a new EDR is sent as soon as it is written;
        the next pass then retries what has become due.
        """
        log.info("EDR worker %s started for %d partner(s)", self.consumer, len(self.partners))
        while not stop_event.is_set():
            try:
                if not self.run_once().busy and not self._wait_for_new():
                    stop_event.wait(self.config.poll_interval)
            except redis.RedisError as exc:
                # Redis away: nothing is lost (messages stay in the stream); try again later
                log.warning("EDR worker %s: store unavailable (%s)", self.consumer, type(exc).__name__)
                if "NOGROUP" in str(exc):  # a failover lost the group's creation: create it again
                    self._groups_ready.clear()
                stop_event.wait(self.config.poll_interval)
        log.info("EDR worker %s stopped", self.consumer)

    def _wait_for_new(self) -> bool:
        """Block up to ``poll_interval`` for new EDRs and deliver them; False if it cannot block.

        A Redis Cluster cannot read streams of several slots in one command: there the worker
        polls (``poll_interval``) instead.
        """
        partners = {
            stream_key(p.id): p
            for p in self.partners.values()
            if p.edr_webhook_url
            and stream_key(p.id) in self._groups_ready
            and p.id not in self._known_disabled
        }
        if not partners or (len(partners) > 1 and is_cluster(self.store)):
            return False
        reply = cast(
            "list[list[Any]]",  # RESP2 (see _Entry)
            self.store.xreadgroup(
                self.config.group,
                self.consumer,
                dict.fromkeys(partners, ">"),
                count=self.config.batch_size,
                block=max(1, int(min(self.config.poll_interval, BLOCK_MAX) * 1000)),
            ),
        )
        read_at = time.monotonic()
        stats = RunStats()
        for stream, entries in reply or []:
            partner = partners[stream]
            try:
                for entry_id, fields in self._still_ours(stream, entries, read_at):
                    self._handle(partner, entry_id, fields, stats)
            except _EndpointGone:
                continue
        return True

    def run_once(self) -> RunStats:
        """One pass over every partner: reclaim, retry what is due, deliver new messages."""
        stats = RunStats()
        for partner in self.partners.values():
            if not partner.edr_webhook_url:
                if partner.id not in self._warned_no_webhook:
                    self._warned_no_webhook.add(partner.id)
                    log.warning("partner %s has no EDR webhook URL: its EDRs stay in the stream", partner.id)
                continue
            if self._delivery_disabled(partner.id):
                stats.disabled += 1
                continue
            try:
                self._run_partner(partner, stats)
            except _EndpointGone:
                stats.disabled += 1
        return stats

    def _run_partner(self, partner: Partner, stats: RunStats) -> None:
        key = stream_key(partner.id)
        self._ensure_group(key)
        stats.claimed += self._reclaim(partner.id)
        # own pending first (retries and reclaimed ones), then new messages
        for entry_id, fields in self._due_pending(partner.id, stats):
            self._handle(partner, entry_id, fields, stats)
        read_at = time.monotonic()
        reply = cast(
            "list[list[Any]]",  # RESP2 (see _Entry)
            self.store.xreadgroup(self.config.group, self.consumer, {key: ">"}, count=self.config.batch_size),
        )
        for _stream, entries in reply or []:
            for entry_id, fields in self._still_ours(key, entries, read_at):
                self._handle(partner, entry_id, fields, stats)

    def _still_ours(self, key: str, entries: list[_Entry], read_at: float) -> Iterator[_Entry]:
        """``entries`` (read at ``read_at``, monotonic) minus those another worker took over since.

        Another worker takes over entries idle for ``claim_idle_ms`` (their worker died), and a
        batch sent to a slow CRM can take longer than that. So once a third of it has passed, this
        worker claims the rest of the batch again — only entries nobody claimed since it read them
        (idle for nearly the whole time) — which also makes them fresh for the other workers.
        """
        remaining = list(entries)
        while remaining:
            elapsed_ms = (time.monotonic() - read_at) * 1000
            if elapsed_ms > self.config.claim_idle_ms / 3:
                kept = set(
                    self.store.xclaim(
                        key,
                        self.config.group,
                        self.consumer,
                        # an entry another worker claimed has been idle at most elapsed - claim_idle
                        min_idle_time=max(0, int(elapsed_ms - self.config.claim_idle_ms / 2)),
                        message_ids=[entry_id for entry_id, _ in remaining],
                        justid=True,
                    )
                )
                read_at = time.monotonic()
                remaining = [entry for entry in remaining if entry[0] in kept]
                if not remaining:
                    return
            yield remaining.pop(0)

    def _ensure_group(self, key: str) -> None:
        if key in self._groups_ready:
            return
        try:
            self.store.xgroup_create(key, self.config.group, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._groups_ready.add(key)

    def _reclaim(self, partner_id: str) -> int:
        """Take over messages another consumer has left idle for ``claim_idle_ms``."""
        key = stream_key(partner_id)
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
                self.store.hdel(retry_key(partner_id), *(f for d in deleted for f in _retry_fields(d)))
            for entry_id, _fields in entries:
                if entry_id:
                    claimed += 1
                    log.info("EDR entry %s reclaimed by %s", entry_id, self.consumer)
            if cursor in ("0-0", b"0-0"):
                return claimed

    def _due_pending(self, partner_id: str, stats: RunStats) -> Iterator[_Entry]:
        """This consumer's pending entries (read, not yet acknowledged) that are due, oldest first.

        Reading them (``XREADGROUP`` from id 0) also resets their idle time, so that other
        workers do not take over entries that merely wait for their next attempt.
        """
        key = stream_key(partner_id)
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
            read_at = time.monotonic()
            nexts = self.store.hmget(retry_key(partner_id), [f"{entry_id}:next" for entry_id, _ in entries])
            now = self.clock()
            due: list[_Entry] = []
            for (entry_id, fields), next_at in zip(entries, cast("list[str | None]", nexts), strict=True):
                if fields and next_at is not None and float(next_at) > now:
                    stats.deferred += 1
                    continue
                due.append((entry_id, fields))
            yield from self._still_ours(key, due, read_at)
            last = entries[-1][0]

    # --- one message ----------------------------------------------------------------------

    def _handle(
        self, partner: Partner, entry_id: str, fields: dict[str, str] | None, stats: RunStats
    ) -> None:
        key = stream_key(partner.id)
        if not fields:  # deleted from the stream while pending
            self.store.xack(key, self.config.group, entry_id)
            self.store.hdel(retry_key(partner.id), *_retry_fields(entry_id))
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
        if outcome.status == GONE:
            # Not an attempt of this EDR: the endpoint is gone. The EDR stays pending, due.
            self._disable(partner.id, entry_id, edr_id)
            raise _EndpointGone
        attempts = int(self.store.hincrby(retry_key(partner.id), f"{entry_id}:attempts", 1))
        if attempts >= self.config.max_attempts:
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
        delay = self._delay(attempts, outcome.retry_after)
        self.store.hset(
            retry_key(partner.id),
            mapping={f"{entry_id}:next": repr(self.clock() + delay), f"{entry_id}:error": outcome.error},
        )
        stats.failed += 1
        log.info(
            "EDR %s for %s failed (attempt %d of %d: %s); retry in %.1fs",
            edr_id,
            partner.id,
            attempts,
            self.config.max_attempts,
            outcome.error,
            delay,
        )

    def _delay(self, attempts: int, retry_after: float | None) -> float:
        """Seconds from the failed attempt number ``attempts`` to the next one."""
        cfg = self.config
        delay = min(cfg.backoff_max, cfg.retry_schedule[attempts - 1])
        if cfg.backoff_jitter:
            delay *= 1 + self.rng.uniform(0.0, cfg.backoff_jitter)
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
        return Outcome(
            False,
            error=f"HTTP {status}",
            status=status,
            retry_after=_retry_after(response.headers.get("Retry-After")),
        )

    # --- a disabled endpoint ---------------------------------------------------------------

    def _delivery_disabled(self, partner_id: str) -> bool:
        """Whether delivery to the partner is disabled (checked every pass: re-enabling is live)."""
        disabled = endpoint_disabled(self.store, partner_id)
        ENDPOINT_DISABLED.labels(partner_id).set(0 if disabled is None else 1)
        if disabled is not None and partner_id not in self._known_disabled:
            self._known_disabled.add(partner_id)
            log.error(
                "EDR delivery to partner %s is disabled since %s (its endpoint answered %s to EDR %s); "
                "its EDRs wait in the stream until re-enabled: "
                "selfcare-widget edr-replay --partner %s --enable-endpoint",
                partner_id,
                disabled.get("since"),
                disabled.get("status"),
                disabled.get("edr"),
                partner_id,
            )
        elif disabled is None and partner_id in self._known_disabled:
            self._known_disabled.discard(partner_id)
            log.info("EDR delivery to partner %s re-enabled", partner_id)
        return disabled is not None

    def _disable(self, partner_id: str, entry_id: str, edr_id: str) -> None:
        record = {
            "status": GONE,
            "since": _iso(self.clock()),
            "edr": edr_id,
            "entry": entry_id,
            "consumer": self.consumer,
        }
        ENDPOINT_DISABLED.labels(partner_id).set(1)
        if not self.store.set(disabled_key(partner_id), json.dumps(record), nx=True):
            log.info("EDR %s for %s: HTTP 410, delivery already disabled", edr_id, partner_id)
            self._known_disabled.add(partner_id)
            return
        ENDPOINT_DISABLEMENTS.labels(partner_id).inc()
        self._known_disabled.add(partner_id)
        log.error(
            "EDR webhook endpoint of partner %s answered 410 Gone to EDR %s: delivery to it is "
            "DISABLED; its EDRs wait in the stream until re-enabled: "
            "selfcare-widget edr-replay --partner %s --enable-endpoint",
            partner_id,
            edr_id,
            partner_id,
        )

    # --- done with a message ----------------------------------------------------------------

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
            "failedAt": _iso(self.clock()),
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


def _iso(unix_seconds: float) -> str:
    """``2026-04-01T09:30:12Z`` (UTC)."""
    return (
        datetime.fromtimestamp(unix_seconds, timezone.utc)
        .isoformat(timespec="seconds")
        .replace("+00:00", "Z")
    )


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header in its delta-seconds form (dates are ignored)."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


# --- operator tools -----------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduledRetry:
    """A pending EDR whose last attempt failed, waiting for its next one."""

    entry: str  # the stream entry id
    edr: str  # the EDR id ("" if the entry is gone from the stream)
    attempts: int  # failed attempts so far
    next_at: float  # unix time of the next attempt
    error: str  # of the last attempt


def adopt_legacy_keys(store: redis.Redis, partner_ids: Iterable[str]) -> list[str]:
    """Rename a partner's EDR keys from before the hash tags (``sc:edr:<partner>`` …) to the
    current names, with their consumer groups and pending entries; returns the keys renamed.

    Run by ``edr-worker`` at start, so an upgrade loses no undelivered EDR. A key whose new name
    exists already is left for the operator (logged): the two cannot be merged safely.
    """
    renamed = []
    for partner_id in partner_ids:
        for prefix, current in (
            (STREAM_PREFIX, stream_key(partner_id)),
            (DEAD_PREFIX, dead_key(partner_id)),
            (RETRY_PREFIX, retry_key(partner_id)),
            (DISABLED_PREFIX, disabled_key(partner_id)),
        ):
            legacy = prefix + partner_id
            if not store.exists(legacy):
                continue
            if store.renamenx(legacy, current):
                renamed.append(legacy)
                log.info("EDR key %s renamed to %s", legacy, current)
            else:
                log.error("EDR key %s left as it is: %s exists too (merge them by hand)", legacy, current)
    return renamed


def scheduled_retries(store: redis.Redis, partner_id: str, count: int = 10) -> list[ScheduledRetry]:
    """The ``count`` pending EDRs of a partner whose next attempt comes soonest, soonest first."""
    if count <= 0:
        return []
    key = retry_key(partner_id)
    nexts = (
        (float(value), field.rsplit(":", 1)[0])
        for field, value in cast("Iterator[tuple[str, str]]", store.hscan_iter(key, match="*:next"))
    )
    soonest = heapq.nsmallest(count, nexts)
    if not soonest:
        return []
    pipe = store.pipeline(transaction=False)
    for _next_at, entry_id in soonest:
        pipe.hmget(key, [f"{entry_id}:attempts", f"{entry_id}:error"])
        pipe.xrange(stream_key(partner_id), min=entry_id, max=entry_id)
    replies = pipe.execute()
    retries = []
    for n, (next_at, entry_id) in enumerate(soonest):
        attempts, error = replies[2 * n]
        rows = cast("list[tuple[str, dict[str, str]]]", replies[2 * n + 1])
        edr = ""
        if rows:
            try:
                edr = str(json.loads(rows[0][1].get("edr", ""))["id"])
            except (ValueError, KeyError, TypeError):
                edr = ""
        retries.append(ScheduledRetry(entry_id, edr, int(attempts or 0), next_at, error or ""))
    return retries


def endpoint_disabled(store: redis.Redis, partner_id: str) -> dict[str, Any] | None:
    """Why and since when delivery to the partner is disabled (``status``, ``since``, ``edr``,
    ``entry``, ``consumer``), or None if it is not."""
    return _disabled_record(cast("str | None", store.get(disabled_key(partner_id))))


def _disabled_record(raw: str | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        record = json.loads(raw)
    except ValueError:
        record = None
    return record if isinstance(record, dict) else {"status": GONE}  # set by hand: still disabled


def enable_endpoint(store: redis.Redis, partner_id: str) -> dict[str, Any] | None:
    """Re-enable delivery to a partner disabled after a 410; returns what was disabled (or None).

    Workers see it on their next pass; the waiting EDRs are delivered in stream order.
    """
    pipe = store.pipeline(transaction=True)
    pipe.get(disabled_key(partner_id))
    pipe.delete(disabled_key(partner_id))
    raw, _deleted = pipe.execute()
    return _disabled_record(raw)


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
