"""EDRs that could not be written to the store, kept on local disk until they can be.

A Redis failover (or outage) must not lose the record of what a customer did: the recorder
appends such an entry to this process's spool file (flushed and fsynced), and a background
thread moves spooled entries into their streams as soon as the store answers again.

Each process holds an exclusive ``flock`` on its own file for as long as it lives, so a file
that can be locked belongs to a process that died (SIGKILL, crash, restart): any process using
the same directory takes it over. Delivery stays at least once — an entry already added to the
stream whose file was not yet emptied is added again; the CRM deduplicates by the EDR id
(``webhook-id``, docs/edr.md).
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import threading
import uuid
from pathlib import Path
from typing import IO, Any

import redis

from ..store import Durability

log = logging.getLogger(__name__)

SUFFIX = ".jsonl"
ORPHAN_CHECK_INTERVAL = 30.0  # seconds between looks for files of processes that died
_spools: dict[Path, EdrSpool] = {}
_spools_lock = threading.Lock()
_watcher: threading.Thread | None = None


class _StalePrimary(redis.ConnectionError):
    """The writes reached a server that is no longer the primary (just after a failover)."""


class EdrSpool:
    """One process's spool in ``directory`` and the thread that empties every spool file there."""

    def __init__(self, directory: Path, store: redis.Redis, durability: Durability, interval: float = 1.0):
        self.directory = directory
        self.store = store
        self.durability = durability
        self.interval = interval
        self._lock = threading.Lock()  # own file: appends vs. draining
        self._own: IO[str] | None = None
        self._own_path: Path | None = None
        self._own_pid = 0
        self._thread: threading.Thread | None = None

    def append(self, stream: str, fields: dict[Any, Any]) -> None:
        """Keep one stream entry on disk (raises OSError if even that fails) and schedule its sending."""
        line = json.dumps({"stream": stream, "fields": fields}, ensure_ascii=False) + "\n"
        with self._lock:
            own = self._own_file()
            own.write(line)
            own.flush()
            os.fsync(own.fileno())
        self.start()

    def pending(self) -> bool:
        """Whether any spool file in the directory holds entries."""
        try:
            return any(path.stat().st_size > 0 for path in self.directory.glob("*" + SUFFIX))
        except OSError:
            return False

    def drain(self) -> int:
        """Add every spooled entry to its stream; returns how many. Raises RedisError if the store is away."""
        moved = 0
        with self._lock:
            if self._own is not None and self._own_pid == os.getpid():
                moved += self._send(self._own)
        for path in sorted(self.directory.glob("*" + SUFFIX)):
            if path == self._own_path:
                continue
            try:
                orphan = path.open("r+", encoding="utf-8")
            except FileNotFoundError:
                continue
            with orphan:
                try:
                    fcntl.flock(orphan, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    continue  # a live process owns it
                moved += self._send(orphan)
                path.unlink(missing_ok=True)  # emptied first: a process that opened it too reads nothing
        return moved

    def start(self) -> None:
        """Run the sending thread unless it runs already (it stops when every file is empty)."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._run, name="selfcare-edr-spool", daemon=True)
            self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                moved = self.drain()
                if moved:
                    log.info("%d spooled EDR(s) added to their streams", moved)
            except redis.RedisError as exc:
                log.warning("spooled EDRs wait for the store (%s)", type(exc).__name__)
            except OSError:
                log.exception("EDR spool in %s unreadable", self.directory)
            with self._lock:  # an append after this check starts a new thread
                if not self.pending():
                    self._thread = None
                    return
            threading.Event().wait(self.interval)

    def _own_file(self) -> IO[str]:
        if self._own is None or self._own_pid != os.getpid():  # a forked child starts its own file
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            name = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}{SUFFIX}"
            path = self.directory / name
            own = path.open("a+", encoding="utf-8")
            fcntl.flock(own, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self._own, self._own_path, self._own_pid = own, path, os.getpid()
        return self._own

    def _send(self, spool: IO[str]) -> int:
        """Add the file's entries to their streams, then empty the file (caller holds its lock)."""
        spool.seek(0)
        entries: list[dict[str, Any]] = []
        for line in spool:
            try:
                entries.append(json.loads(line))
            except ValueError:  # the last line of a process killed while writing it
                log.warning("EDR spool: skipped an incomplete line in %s", spool.name)
        if entries:
            from .recorder import STREAM_MAXLEN

            with self.store.pipeline(transaction=False) as pipe:
                for entry in entries:
                    pipe.xadd(entry["stream"], entry["fields"], maxlen=STREAM_MAXLEN, approximate=True)
                waited = self.durability.add_wait(pipe)
                replies = pipe.execute()
            if waited and not self.durability.kept(
                self.store, replies, f"{len(entries)} spooled EDR(s)", "edr"
            ):
                raise _StalePrimary("spooled EDRs went to the old primary; kept for the next pass")
        spool.seek(0)
        spool.truncate()
        spool.flush()
        os.fsync(spool.fileno())
        return len(entries)


def resume(directory: Path, store: redis.Redis, durability: Durability) -> None:
    """At start-up: send what dead processes left in ``directory``, and keep looking for such
    files (:data:`ORPHAN_CHECK_INTERVAL`) — a process on the same host may die at any time."""
    global _watcher
    spool = spool_for(directory, store, durability)
    if spool.pending():
        spool.start()
    with _spools_lock:
        if _watcher is None or not _watcher.is_alive():  # none yet, or this is a forked child
            _watcher = threading.Thread(
                target=_watch_for_orphans, name="selfcare-edr-spool-watch", daemon=True
            )
            _watcher.start()


def _watch_for_orphans() -> None:
    """One thread per process: start the sending thread of any spool whose directory has entries."""
    while True:
        threading.Event().wait(ORPHAN_CHECK_INTERVAL)
        with _spools_lock:
            spools = list(_spools.values())
        for spool in spools:
            if spool.pending():
                spool.start()


def spool_for(directory: Path, store: redis.Redis, durability: Durability) -> EdrSpool:
    """The process's spool for ``directory`` (one per directory, created on first use)."""
    with _spools_lock:
        spool = _spools.get(directory)
        if spool is None or spool.store is not store:
            spool = _spools[directory] = EdrSpool(directory, store, durability)
        return spool
