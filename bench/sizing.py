"""Sizing: requests/s per core for the main fragments, Redis memory per 10 000 sessions and per
10 000 cached customers.

**Throughput per core.** The production shape on loopback, as ``http_load`` builds it (its helpers
and ``fragment_load``'s are reused): a private ``redis-server``, the sandbox under gunicorn and the
widget started exactly as ``selfcare-widget serve`` runs it, but with ONE gunicorn worker
(8 threads) — one Python process, so at most one core of widget work. For each main fragment
(overview, billing, packages, SIMs, contact, call-log first page) every one of 16 signed-in
customers views it twice (cache warm), then ``wrk`` sends ``POST`` requests with the loader's form
body and ``Origin`` round-robin over the customers for 10 s. Two numbers per fragment: wall-clock
requests/s of that worker, and requests per CPU-second of the widget's processes (gunicorn master
+ worker, from ``/proc``, dead recycled workers included) — the second does not depend on how
much of a core the worker got on a shared machine, so it is the "per core" figure. The note adds
the redis-server CPU per 1 000 requests (``INFO cpu``) for sizing Redis.

**Redis memory.** A fresh private ``redis-server`` (nothing else in it): ``used_memory`` of
``INFO memory`` before and after creating sessions through the real
``selfcare_widget.auth.sessions.SessionStore`` (three batches of 10 000, each for 10 000
different customers: the session hash and the customer's session set). Cached customers: the
cache keys the widget itself wrote (through ``platform/cached.py``) in the throughput stack for
the 16 customers, after each viewed all six sections, are copied with ``DUMP``/``RESTORE`` (same
TTLs) into the fresh server 10 000 times in all, round-robin over the 16 customers, under new key
names (``~<n>`` appended); keys not tied to one customer (the tariff catalog) are copied once and
reported apart.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

import redis
import requests

from bench import Result
from bench.fragment_cpu import VIEWS, View
from bench.fragment_load import (
    REQUEST_TIMEOUT_S,
    create_sessions,
    free_port,
    load_stack,
    process,
    redis_server,
)
from bench.http_load import DURATION_S, wrk
from bench.stack import ORIGIN, PARTNER

WORKERS = 1
THREADS = 8  # serve's default
CONNECTIONS = 16  # enough to keep the worker's 8 threads busy
SESSIONS_PER_BATCH = 10_000
SESSION_BATCHES = 3
CACHED_CUSTOMERS = 10_000
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# -- CPU accounting of the widget's processes --------------------------------------------------


def _stat(pid: int) -> list[str]:
    """Fields of ``/proc/<pid>/stat`` after the command name (index 0 is field 3, the state)."""
    raw = Path(f"/proc/{pid}/stat").read_text()
    return raw[raw.rindex(")") + 2 :].split()


def _children(pid: int) -> list[int]:
    """Live child processes of ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int(_stat(int(entry.name))[1]) == pid:
                    found.append(int(entry.name))
            except (OSError, ValueError, IndexError):
                continue  # the process ended while we looked
    return found


def _serve_master() -> int:
    """The ``selfcare-widget serve`` process this benchmark started (the gunicorn master)."""
    for pid in _children(os.getpid()):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"serve" in cmdline and any(part.endswith(b"selfcare-widget") for part in cmdline):
            return pid
    raise RuntimeError("the selfcare-widget serve process was not found among this process's children")


def widget_cpu_seconds(master: int) -> float:
    """CPU time (user + system) of the gunicorn master, its live workers and its reaped workers."""
    fields = _stat(master)
    # utime, stime, cutime, cstime: fields 14-17, i.e. 11-14 here; cutime/cstime hold workers the
    # master has reaped (gunicorn recycles a worker every ~5 000 requests).
    ticks = sum(int(v) for v in fields[11:15])
    for pid in _children(master):
        try:
            worker = _stat(pid)
        except OSError:
            continue
        ticks += int(worker[11]) + int(worker[12])
    return ticks / CLOCK_TICKS


def redis_cpu_seconds(client: redis.Redis) -> float:
    """CPU time redis-server has used (user + system, main thread and children)."""
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def used_memory(client: redis.Redis) -> int:
    """``used_memory`` of ``INFO memory`` in bytes."""
    return int(client.info("memory")["used_memory"])


# -- (a) throughput per core -------------------------------------------------------------------


def serve_one_worker(env: dict[str, str], port: int, log: Path):
    """The widget as ``selfcare-widget serve`` runs it, with one worker."""
    binary = str(Path(sys.executable).with_name("selfcare-widget"))
    args = [binary, "serve", "--host", "127.0.0.1", "--port", str(port)]
    args += ["--workers", str(WORKERS), "--threads", str(THREADS)]
    return process(args, port, env={**os.environ, **env}, log=log)


def warm(base: str, view: View, tokens: list[str]) -> None:
    """Every customer views the section twice: the platform cache holds everything it shows."""
    with requests.Session() as http:
        for token in tokens:
            for _ in range(2):
                answer = http.post(
                    base + view.path,
                    data={"_st": token, "_partner": PARTNER},
                    headers={"Origin": ORIGIN},
                    timeout=REQUEST_TIMEOUT_S,
                )
                if answer.status_code != 200 or view.marker not in answer.content:
                    raise RuntimeError(f"{view.path} answered {answer.status_code}: {answer.text[:200]}")


def throughput(
    base: str, view: View, tokens: list[str], workdir: Path, master: int, store: redis.Redis
) -> Result:
    """One fragment under wrk against the one-worker widget: req/s and req per CPU-second."""
    warm(base, view, tokens)
    bodies = [f"_st={t}&_partner={PARTNER}" for t in tokens]
    workers_before = set(_children(master))
    cpu_before, redis_before = widget_cpu_seconds(master), redis_cpu_seconds(store)
    run = wrk(base + view.path, bodies, workdir, CONNECTIONS)
    cpu = widget_cpu_seconds(master) - cpu_before
    recycled = set(_children(master)) != workers_before
    redis_cpu = redis_cpu_seconds(store) - redis_before
    per_cpu_second = run["n"] / cpu if cpu > 0 else float("nan")
    return Result(
        f"sizing: warm {view.label}, 1 worker: {run['rps']:.0f} req/s, {per_cpu_second:.0f} req per CPU-second",
        run["n"],
        run["p50"],
        run["p99"],
        note=f"wrk -t2 -c{CONNECTIONS} -d{DURATION_S}s; widget processes used {cpu:.1f} CPU-s "
        f"({cpu / run['n'] * 1000:.2f} ms per request, {cpu / DURATION_S:.0%} of one core on average); "
        f"redis-server {redis_cpu / run['n'] * 1000 * 1000:.0f} ms CPU per 1 000 requests; "
        f"{run['errors']} errors"
        + (
            "; gunicorn recycled the worker during this run (max_requests 5 000 + jitter)" if recycled else ""
        ),
        target_text="0 errors",
        ok=run["errors"] == 0,
    )


# -- (b) Redis memory --------------------------------------------------------------------------


def session_memory(url: str) -> Result:
    """``used_memory`` growth per 10 000 sessions created through the real SessionStore."""
    from selfcare_widget.auth.sessions import SessionStore
    from selfcare_widget.store import connect

    client = connect(url)
    sessions = SessionStore(client, 30 * 60, 12 * 3600)  # serve's default timeouts
    deltas = []
    for batch in range(SESSION_BATCHES):
        before = used_memory(client)
        for i in range(SESSIONS_PER_BATCH):
            # the sandbox's customer ids have this shape; every session for another customer
            sessions.create(PARTNER, f"cust-{batch * SESSIONS_PER_BATCH + i:05d}", "cs", "sso")
        deltas.append(used_memory(client) - before)
    keys = client.dbsize()
    mean = sum(deltas) / len(deltas)
    return Result(
        f"sizing: Redis used_memory per {SESSIONS_PER_BATCH:,} sessions: {mean / 2**20:.2f} MiB".replace(
            ",", " "
        ),
        SESSIONS_PER_BATCH * SESSION_BATCHES,
        0.0,
        0.0,
        note=f"{SESSION_BATCHES} batches of {SESSIONS_PER_BATCH} via SessionStore.create on a fresh redis-server "
        f"({redis_version(client)}), one session per customer (session hash + the customer's session set, both "
        f"with TTLs); deltas {', '.join(f'{d / 2**20:.2f}' for d in deltas)} MiB "
        f"({mean / SESSIONS_PER_BATCH:.0f} bytes per session); {keys} keys at the end. "
        "ms columns unused",
    )


def redis_version(client: redis.Redis) -> str:
    """``Redis <version>`` of the server."""
    return f"Redis {client.info('server')['redis_version']}"


def cached_customer_memory(source_url: str, target_url: str, customers: list[str]) -> Result:
    """``used_memory`` growth per 10 000 cached customers, copied from what the widget cached."""
    target = redis.Redis.from_url(target_url)
    raw_source = redis.Redis.from_url(source_url)  # bytes: DUMP payloads are binary
    per_customer: list[bytes] = []
    shared: list[bytes] = []
    for key in raw_source.scan_iter(match="sc:cache:*", count=1000):
        name = key.decode()
        if any(c in name for c in customers):
            per_customer.append(key)  # snapshot, generation
        elif name.startswith("sc:cache:owner:"):
            per_customer.append(key)  # which customer an account / SIM id belongs to
        else:
            shared.append(key)  # the catalog of a tariff, shared by its customers
    # Group the per-customer keys by customer, so a copy is one customer's whole cache.
    groups: dict[str, list[bytes]] = {c: [] for c in customers}
    for key in per_customer:
        name = key.decode()
        owner = next((c for c in customers if c in name), None)
        if owner is None:  # an owner key: its value names the customer
            owner = (raw_source.get(key) or b"").decode()
        if owner in groups:
            groups[owner].append(key)
    dumps = {
        c: [(k, raw_source.dump(k), max(0, raw_source.pttl(k))) for k in keys] for c, keys in groups.items()
    }
    filled = [c for c in customers if dumps[c]]
    if not filled:
        raise RuntimeError("the widget cached nothing for the benchmark's customers")
    base = used_memory(target)
    for key in shared:
        target.restore(key, max(0, raw_source.pttl(key)), raw_source.dump(key), replace=True)
    after_shared = used_memory(target)
    with target.pipeline(transaction=False) as pipe:
        for n in range(CACHED_CUSTOMERS):
            for key, value, ttl in dumps[filled[n % len(filled)]]:
                pipe.restore(key + f"~{n}".encode(), ttl, value, replace=True)
            if n % 500 == 499:
                pipe.execute()
        pipe.execute()
    delta = used_memory(target) - after_shared
    keys_per_customer = sum(len(dumps[c]) for c in filled) / len(filled)
    snapshot_bytes = [
        raw_source.memory_usage(k) or 0 for c in filled for k, _, _ in dumps[c] if b"snapshot" in k
    ]
    snapshot_note = (
        f"a snapshot hash alone {sum(snapshot_bytes) / len(snapshot_bytes) / 1024:.1f} KiB on average (MEMORY USAGE); "
        if snapshot_bytes
        else ""
    )
    target.close()
    raw_source.close()
    return Result(
        f"sizing: Redis used_memory per {CACHED_CUSTOMERS:,} cached customers (all six sections viewed): "
        f"{delta / 2**20:.1f} MiB".replace(",", " "),
        CACHED_CUSTOMERS,
        0.0,
        0.0,
        note=f"the cache keys the widget wrote for {len(filled)} customers after each viewed overview, billing, "
        f"packages, SIMs, contact and the call log ({keys_per_customer:.1f} keys per customer: snapshot hash, "
        f"id-to-customer keys), copied with DUMP/RESTORE and their TTLs {CACHED_CUSTOMERS} times round-robin into a "
        f"fresh redis-server ({delta / CACHED_CUSTOMERS / 1024:.1f} KiB per customer; {snapshot_note}"
        f"shared catalog keys {len(shared)}, {(after_shared - base) / 1024:.0f} KiB, counted once and not in "
        "the figure). ms columns unused",
    )


# -- the benchmark -----------------------------------------------------------------------------


def run() -> list[Result]:
    """Req/s per core for each main fragment, then Redis memory per 10 000 sessions and customers."""
    if shutil.which("wrk") is None or shutil.which("redis-server") is None:
        return [Result("sizing", 0, 0.0, 0.0, note="skipped: wrk or redis-server missing")]
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="selfcare-bench-sizing-") as tmp, ExitStack() as stack:
        tmp_path = Path(tmp)
        loaded = load_stack(tmp_path, stack)
        customers, redis_url, env = loaded.customers, loaded.redis_url, loaded.env
        widget = stack.enter_context(serve_one_worker(env, free_port(), tmp_path / "widget.log"))
        master = _serve_master()
        store = redis.Redis.from_url(redis_url, decode_responses=True)
        tokens = create_sessions(redis_url, customers)
        for view in VIEWS:
            results.append(throughput(widget, view, tokens, tmp_path, master, store))

        memory_dir = tmp_path / "memory"
        memory_dir.mkdir()
        with redis_server(memory_dir) as sessions_url:
            results.append(session_memory(sessions_url))
        with redis_server(memory_dir) as cache_url:
            results.append(cached_customer_memory(redis_url, cache_url, customers))
        store.close()
    return results
