"""Fragment latency and throughput under concurrent load, warm platform cache vs cold.

The deployment shape of production, on loopback: a private ``redis-server`` (sessions and the
platform cache, shared by the workers), the sandbox platform under gunicorn (1 worker, 8 threads)
and the widget under gunicorn (2 workers x 4 threads, ``wsgi:app``), each a separate process
started here and stopped at the end. Sessions for demo-mobil customers are created directly in
the shared store (as ``/sso/exchange`` would); clients then ``POST /w/overview``, ``/w/packages``
and ``/w/billing`` exactly as the loader does (form body ``_st`` + ``_partner``, the partner's
``Origin``), round-robin over customers and sections, from 1, 8 and 32 threads of this process.

Cold vs warm: the cold server runs with ``SELFCARE_PLATFORM_CACHE=off``, so every view reads
everything from the platform (what a view costs on a cache miss); the warm server has the cache
on and every (customer, section) was viewed once before the clock starts.

Without ``redis-server`` or gunicorn on this machine it falls back to werkzeug's threaded server
in this process with the in-memory store (the note says so).
"""

from __future__ import annotations

import itertools
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import requests

from bench import Result, summarize
from bench.stack import CREDENTIAL, ORIGIN, PARTNER, SSO_SECRET, serve, widget_app

REPO_ROOT = Path(__file__).resolve().parent.parent
SSO_SECRET_ENV = "BENCH_SSO_SECRET"
SECTIONS = ("/w/overview", "/w/packages", "/w/billing")
LEVELS = (1, 8, 32)
REQUESTS_PER_LEVEL = 400
CUSTOMERS = 16
WARMUP = 30
TARGET_WARM_8_P99_MS = 100.0
START_TIMEOUT_S = 30.0
REQUEST_TIMEOUT_S = 30.0

PARTNERS_TOML = f"""
[[partner]]
id = "{PARTNER}"
name = "Demo Mobil"
origins = ["{ORIGIN}"]
login_methods = ["sso"]
theme = "default"
default_locale = "cs"

[partner.sso]
algorithm = "HS256"
secret_env = "{SSO_SECRET_ENV}"
"""


# -- servers -----------------------------------------------------------------------------------


def free_port() -> int:
    """A currently free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen | None = None) -> None:
    """Block until something accepts on ``port`` (bounded; fails if ``proc`` died)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with status {proc.returncode}: {proc.args}")
        try:
            with socket.create_connection(("127.0.0.1", port), 0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {START_TIMEOUT_S:g} s")


@contextmanager
def process(args: list[str], port: int, env: dict[str, str] | None = None, log: Path | None = None):
    """Run a server process until the block ends; yields its base URL once it listens."""
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        args, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT if log else subprocess.DEVNULL
    )
    try:
        wait_for_port(port, proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        if log:
            out.close()


@contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    """A private, non-persistent redis-server on a free loopback port; yields its URL."""
    port = free_port()
    args = [shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind", "127.0.0.1"]
    args += ["--save", "", "--appendonly", "no", "--dir", str(workdir)]
    with process(args, port):
        yield f"redis://127.0.0.1:{port}/0"


def gunicorn(app_spec: str, workers: int, threads: int, env: dict[str, str], log: Path):
    """Context manager: ``app_spec`` under gunicorn (gthread) on a free loopback port."""
    port = free_port()
    args = [str(Path(sys.executable).with_name("gunicorn")), "--bind", f"127.0.0.1:{port}"]
    args += ["--workers", str(workers), "--threads", str(threads), "--worker-class", "gthread"]
    args += ["--log-level", "warning", app_spec]
    return process(args, port, env={**os.environ, **env}, log=log)


def gunicorn_available() -> bool:
    """Both gunicorn (next to this Python) and redis-server are installed."""
    return Path(sys.executable).with_name("gunicorn").exists() and shutil.which("redis-server") is not None


def generate_sandbox_db(directory: Path) -> Path:
    """A freshly generated sandbox database (the seed is deterministic)."""
    from selfcare_widget.sandbox.seed import generate

    return generate(directory / "platform.sqlite3")


def partner_customers(db_path: Path, count: int) -> list[str]:
    """The first ``count`` customers of the bench partner, in id order."""
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute(
            "SELECT id FROM customer WHERE partner_id = ? ORDER BY id LIMIT ?", (PARTNER, count)
        ).fetchall()
    return [r[0] for r in rows]


def widget_env(platform_url: str, redis_url: str, partners_file: Path, cache: bool) -> dict[str, str]:
    """``SELFCARE_*`` settings of a bench widget deployment."""
    return {
        "SELFCARE_PLATFORM_URL": platform_url,
        "SELFCARE_PLATFORM_CREDENTIAL": CREDENTIAL,
        "SELFCARE_PARTNERS_FILE": str(partners_file),
        "SELFCARE_REDIS_URL": redis_url,
        "SELFCARE_SECRET_KEY": "bench-secret-key-" + "y" * 32,
        "SELFCARE_PLATFORM_CACHE": "on" if cache else "off",
        SSO_SECRET_ENV: SSO_SECRET,
    }


@dataclass(frozen=True)
class LoadStack:
    """What the HTTP benchmarks run a widget against: a generated sandbox database served by
    gunicorn (1 worker, 8 threads), a private ``redis-server``, and a partners file."""

    db_path: Path
    customers: list[str]  # the first CUSTOMERS customers of the bench partner
    redis_url: str
    platform_url: str
    env: dict[str, str]  # SELFCARE_* of a widget on this stack, platform cache on


def load_stack(tmp_path: Path, stack: ExitStack) -> LoadStack:
    """Start a :class:`LoadStack` in ``tmp_path``; ``stack`` stops its processes."""
    db_path = generate_sandbox_db(tmp_path)
    redis_url = stack.enter_context(redis_server(tmp_path))
    sandbox_spec = (
        f"selfcare_widget.sandbox:create_sandbox_app(db_path={str(db_path)!r}, credential={CREDENTIAL!r})"
    )
    platform_url = stack.enter_context(gunicorn(sandbox_spec, 1, 8, {}, tmp_path / "sandbox.log"))
    partners_file = tmp_path / "partners.toml"
    partners_file.write_text(PARTNERS_TOML, encoding="utf-8")
    return LoadStack(
        db_path=db_path,
        customers=partner_customers(db_path, CUSTOMERS),
        redis_url=redis_url,
        platform_url=platform_url,
        env=widget_env(platform_url, redis_url, partners_file, cache=True),
    )


@contextmanager
def inprocess_widget(platform_url: str, cache: bool) -> Iterator[tuple[str, str]]:
    """Fallback: the widget on werkzeug's threaded server in this process; yields (url, store url)."""
    import uuid

    store_url = f"memory://bench-load-{uuid.uuid4().hex}"
    with serve(widget_app(platform_url, store_url=store_url, cache=cache)) as url:
        yield url, store_url


def create_sessions(store_url: str, customers: list[str]) -> list[str]:
    """One widget session per customer, written to the shared store as sign-on would."""
    from selfcare_widget.auth.sessions import SessionStore
    from selfcare_widget.store import connect

    sessions = SessionStore(connect(store_url), 1800, 3600)
    return [sessions.create(PARTNER, customer, "cs", "sso") for customer in customers]


# -- load --------------------------------------------------------------------------------------


def post_fragment(http: requests.Session, base: str, path: str, token: str) -> None:
    """One fragment request as the loader sends it; raises unless it is a 200 section."""
    response = http.post(
        base + path,
        data={"_st": token, "_partner": PARTNER},
        headers={"Origin": ORIGIN},
        timeout=REQUEST_TIMEOUT_S,
    )
    if response.status_code != 200 or b"data-sc-section" not in response.content:
        raise RuntimeError(f"{path} answered {response.status_code}: {response.text[:200]}")


def drive(base: str, tokens: list[str], clients: int, total: int) -> tuple[list[float], float]:
    """``total`` requests from ``clients`` threads (round-robin over sections and sessions).

    Returns the latencies (ms) and the wall time (s) of the whole level.
    """
    work = [(SECTIONS[i % len(SECTIONS)], tokens[i % len(tokens)]) for i in range(total)]
    shares = [work[i::clients] for i in range(clients)]
    start_line = threading.Barrier(clients + 1)

    def client(share: list[tuple[str, str]]) -> list[float]:
        samples = []
        with requests.Session() as http:
            post_fragment(http, base, *share[0])  # open the keep-alive connection off the clock
            start_line.wait()
            for path, token in share:
                started = time.perf_counter()
                post_fragment(http, base, path, token)
                samples.append((time.perf_counter() - started) * 1000)
        return samples

    with ThreadPoolExecutor(clients) as pool:
        futures = [pool.submit(client, share) for share in shares]
        start_line.wait(timeout=START_TIMEOUT_S)
        started = time.perf_counter()
        samples = list(itertools.chain.from_iterable(f.result() for f in futures))
        wall = time.perf_counter() - started
    return samples, wall


def warm_up(base: str, tokens: list[str], every_view: bool) -> None:
    """Connection pools, templates; with ``every_view`` also fill the cache for every view."""
    with requests.Session() as http:
        pairs = itertools.product(SECTIONS, tokens) if every_view else []
        for path, token in pairs:
            post_fragment(http, base, path, token)
        for i in range(WARMUP):
            post_fragment(http, base, SECTIONS[i % len(SECTIONS)], tokens[i % len(tokens)])


def measure(base: str, tokens: list[str], label: str, warm: bool) -> list[Result]:
    """Every concurrency level against one widget server."""
    warm_up(base, tokens, every_view=warm)
    results = []
    for clients in LEVELS:
        samples, wall = drive(base, tokens, clients, REQUESTS_PER_LEVEL)
        rps = len(samples) / wall
        target = TARGET_WARM_8_P99_MS if warm and clients == 8 else None
        results.append(
            summarize(
                f"fragments, {label}, {clients} concurrent",
                samples,
                target,
                f"{rps:.0f} req/s; {len(samples)} POSTs round-robin over {', '.join(SECTIONS)} "
                f"and {len(tokens)} customers, {clients} client threads",
            )
        )
    return results


def ratio_note(cold: list[Result], warm: list[Result]) -> list[str]:
    """Warm vs cold p50 and throughput per level: the within-run comparison."""
    parts = []
    for c, w in zip(cold, warm, strict=True):
        c_rps = float(c.note.split(" req/s")[0])
        w_rps = float(w.note.split(" req/s")[0])
        level = c.name.rsplit(", ", 1)[1]
        parts.append(
            f"{level}: p50 cold/warm {c.p50_ms / w.p50_ms:.1f}x, throughput warm/cold {w_rps / c_rps:.1f}x"
        )
    return parts


# -- the benchmark -----------------------------------------------------------------------------


def run() -> list[Result]:
    """Cold (no platform cache) and warm fragment load at 1, 8 and 32 concurrent clients."""
    with tempfile.TemporaryDirectory(prefix="selfcare-bench-load-") as tmp, ExitStack() as stack:
        tmp_path = Path(tmp)
        db_path = generate_sandbox_db(tmp_path)
        customers = partner_customers(db_path, CUSTOMERS)
        if gunicorn_available():
            setup = "gunicorn (widget 2 workers x 4 threads, sandbox 1 x 8) + private redis-server"
            redis_url = stack.enter_context(redis_server(tmp_path))
            sandbox_spec = f"selfcare_widget.sandbox:create_sandbox_app(db_path={str(db_path)!r}, credential={CREDENTIAL!r})"
            platform_url = stack.enter_context(gunicorn(sandbox_spec, 1, 8, {}, tmp_path / "sandbox.log"))
            partners_file = tmp_path / "partners.toml"
            partners_file.write_text(PARTNERS_TOML, encoding="utf-8")
            results: dict[bool, list[Result]] = {}
            for warm in (False, True):
                env = widget_env(platform_url, redis_url, partners_file, cache=warm)
                log = tmp_path / f"widget-{'warm' if warm else 'cold'}.log"
                with gunicorn("wsgi:app", 2, 4, env, log) as base:
                    tokens = create_sessions(redis_url, customers)
                    label = "warm cache" if warm else "cold (platform cache off)"
                    results[warm] = measure(base, tokens, label, warm)
        else:
            setup = "FALLBACK werkzeug threaded server in-process, in-memory store (no gunicorn/redis-server)"
            from bench.calllog_client import sandbox

            platform_url = stack.enter_context(sandbox())
            results = {}
            for warm in (False, True):
                with inprocess_widget(platform_url, cache=warm) as (base, store_url):
                    tokens = create_sessions(store_url, customers)
                    label = "warm cache" if warm else "cold (platform cache off)"
                    results[warm] = measure(base, tokens, label, warm)
    rows = results[False] + results[True]
    rows[0] = replace(
        rows[0],
        note=f"{rows[0].note}. Setup: {setup}; clients are threads of the bench process on the same "
        "CPUs. " + "; ".join(ratio_note(results[False], results[True])),
    )
    return rows
