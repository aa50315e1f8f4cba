"""Memory: RSS of one widget worker after 10 000 mixed requests, and its growth up to 50 000.

The ``http_load`` / ``sizing`` stack (private ``redis-server``, the sandbox under gunicorn, their
helpers reused) with the widget under gunicorn with ``selfcare-widget serve``'s settings and ONE
worker (8 threads), so the RSS is one process's. ``serve`` recycles a worker after 5 000 requests
(+ up to 500 jitter, hard-coded in ``cli._serve``, no option or environment variable changes it),
which would hide a leak and make the 50 000-request figure meaningless; so the widget is started
with the ``gunicorn`` command and the same settings as ``serve`` sets them (gthread, keep-alive 5,
timeout 30, graceful timeout 15, the access log with serve's format, the app loaded in the master
as ``serve`` does = ``--preload``) plus ``--max-requests 0``.

16 signed-in customers view each of the six main fragments twice (cache warm), then ``wrk`` (native)
sends ``POST`` requests round-robin over the sections (overview, billing, packages, SIMs, contact,
call-log first page) and the customers with the loader's form body and ``Origin``, in five legs of
10 000. After each leg the worker's ``VmRSS`` is read from ``/proc/<worker pid>/status`` (the
gunicorn worker, not the master); the request count is the number of fragment lines in the
worker's access log (what the server really answered, warm-up included). The platform cache
expires during the run (TTLs 30 s - 10 min), so the mix includes refills from the sandbox, as
in production.

"MB" here is 10^6 bytes (the stricter reading of the target).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from bench import Result
from bench.fragment_cpu import VIEWS
from bench.fragment_load import (
    create_sessions,
    free_port,
    load_stack,
    process,
)
from bench.sizing import _children, warm
from bench.stack import ORIGIN, PARTNER

THREADS = 8  # serve's default
CONNECTIONS = 16  # enough to keep the worker's 8 threads busy (as in sizing)
LEG = 10_000
LEGS = 5
TARGET_RSS_MB = 80.0
TARGET_GROWTH_MB = 4.0  # "flat": growth 10 000 -> 50 000 within ~5 % of the 80 MB budget
LEG_TIMEOUT_S = 300.0
#: serve's access log format (cli._serve): no client address, referrer or user agent.
ACCESS_LOG_FORMAT = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms rid=%({x-request-id}o)s'
_FRAGMENT_LINE = re.compile(rb'"POST /w/')

#: Mixed POSTs round-robin over a list of (path, body); each wrk thread stops after ``limit``
#: responses (0: runs for the duration). Prints one RESULT line like http_load's script.
WRK_MIXED = """
local calls = {%(calls)s}
local limit = %(limit)d
local sent = 0
local received = 0
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Origin"] = "%(origin)s"

local threads = 0
setup = function(thread)
  thread:set("offset", threads * 7)
  threads = threads + 1
end

request = function()
  sent = sent + 1
  local call = calls[((sent + (offset or 0)) %% #calls) + 1]
  return wrk.format(nil, call[1], nil, call[2])
end

response = function(status, headers, body)
  received = received + 1
  if limit > 0 and received >= limit then wrk.thread:stop() end
end

done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format("RESULT requests=%%d seconds=%%f p50=%%f p99=%%f socket_errors=%%d status_errors=%%d\\n",
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    errors.connect + errors.read + errors.write + errors.timeout, errors.status))
end
"""

_RESULT = re.compile(
    r"RESULT requests=(\d+) seconds=([\d.]+) p50=([\d.]+) p99=([\d.]+) socket_errors=(\d+) status_errors=(\d+)"
)


# -- wrk over the mixed fragments ------------------------------------------------------------


def mixed_calls(tokens: list[str]) -> list[tuple[str, str]]:
    """(path, form body) pairs: the six main fragments in turn, every customer for each."""
    return [
        (VIEWS[i % len(VIEWS)].path, f"_st={tokens[(i // len(VIEWS)) % len(tokens)]}&_partner={PARTNER}")
        for i in range(len(VIEWS) * len(tokens))
    ]


def start_wrk(
    base: str,
    tokens: list[str],
    workdir: Path,
    connections: int,
    duration_s: int,
    limit_per_thread: int = 0,
    close: bool = False,
) -> subprocess.Popen:
    """Start ``wrk -t2`` with the mixed fragment requests; see :func:`finish_wrk`.

    ``close``: every request asks ``Connection: close``, so wrk opens a new connection for each."""
    calls = ", ".join(f'{{"{path}", "{body}"}}' for path, body in mixed_calls(tokens))
    script = workdir / "mixed.lua"
    text = WRK_MIXED % {"calls": calls, "limit": limit_per_thread, "origin": ORIGIN}
    if close:
        text += '\nwrk.headers["Connection"] = "close"\n'
    script.write_text(text, encoding="utf-8")
    args = ["wrk", "-t2", f"-c{connections}", f"-d{duration_s}s", "--timeout", "10s", "-s", str(script)]
    return subprocess.Popen([*args, base], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish_wrk(proc: subprocess.Popen, interrupt: bool = False) -> dict:
    """Wait for wrk (``interrupt``: stop it now with SIGINT, it still prints its summary).

    Returns requests/s, requests, seconds, p50/p99 ms and errors (socket + non-2xx/3xx)."""
    if interrupt and proc.poll() is None:
        proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    match = _RESULT.search(out)
    if not match:
        raise RuntimeError(f"wrk printed no result: {out} {err}")
    requests_, seconds, p50, p99, socket_errors, status_errors = match.groups()
    return {
        "rps": int(requests_) / float(seconds),
        "n": int(requests_),
        "seconds": float(seconds),
        "p50": float(p50),
        "p99": float(p99),
        "errors": int(socket_errors) + int(status_errors),
    }


def run_wrk(
    base: str, tokens: list[str], workdir: Path, connections: int, duration_s: int, close: bool = False
) -> dict:
    """One timed wrk run over the mixed fragments."""
    return finish_wrk(start_wrk(base, tokens, workdir, connections, duration_s, close=close))


# -- the widget's worker -----------------------------------------------------------------------


def serve_unrecycled(env: dict[str, str], port: int, log: Path):
    """The widget under gunicorn with ``cli._serve``'s settings, one worker, never recycled."""
    args = [str(Path(sys.executable).with_name("gunicorn")), "--bind", f"127.0.0.1:{port}"]
    args += ["--workers", "1", "--threads", str(THREADS), "--worker-class", "gthread"]
    args += ["--timeout", "30", "--graceful-timeout", "15", "--keep-alive", "5"]
    args += ["--access-logfile", "-", "--access-logformat", ACCESS_LOG_FORMAT]
    args += ["--max-requests", "0", "--preload", "wsgi:app"]
    return process(args, port, env={**os.environ, **env}, log=log)


def widget_master() -> int:
    """The widget's gunicorn master among this process's children (the sandbox runs another)."""
    for pid in _children(os.getpid()):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"wsgi:app" in cmdline:
            return pid
    raise RuntimeError("the widget's gunicorn master was not found among this process's children")


def only_worker(master: int) -> int:
    """The pid of the master's single worker (waits for the fork: the master listens first)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        workers = _children(master)
        if len(workers) == 1:
            return workers[0]
        time.sleep(0.1)
    raise RuntimeError(f"gunicorn master {master} has workers {_children(master)}, expected one")


def status_kb(pid: int) -> dict[str, int]:
    """The ``kB`` fields of ``/proc/<pid>/status`` (VmRSS, VmHWM, RssAnon, ...)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if value.strip().endswith(" kB"):
            fields[key] = int(value.split()[0])
    return fields


def private_kb(pid: int) -> tuple[int, int]:
    """(USS, PSS) of ``pid`` in kB from ``/proc/<pid>/smaps_rollup``: what the worker does not share
    with the master it was forked from (``serve`` builds the app before forking) and its share."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, _, value = line.partition(":")
        fields[key] = int(value.split()[0])
    return fields["Private_Clean"] + fields["Private_Dirty"], fields["Pss"]


def spaced(n: int) -> str:
    """``10014`` -> ``10 014`` (the README's thousands separator)."""
    return f"{n:,}".replace(",", " ")


def mb(kib: int) -> float:
    """kB of /proc (KiB) in MB (10^6 bytes)."""
    return kib * 1024 / 1e6


class AccessLog:
    """Counts the fragment requests the widget answered, from its access log (read incrementally)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.count = 0
        self.tail = b""

    def served(self) -> int:
        """Fragment lines logged so far."""
        with open(self.path, "rb") as log:
            log.seek(self.offset)
            chunk = log.read()
        self.offset += len(chunk)
        data = self.tail + chunk
        complete, _, self.tail = data.rpartition(b"\n")
        self.count += len(_FRAGMENT_LINE.findall(complete))
        return self.count


def leg(base: str, tokens: list[str], workdir: Path, log: AccessLog, until: int) -> dict:
    """wrk until the access log holds ``until`` fragment requests; wrk's figures for the leg."""
    before = log.served()
    remaining = until - before
    started = time.monotonic()
    proc = start_wrk(base, tokens, workdir, CONNECTIONS, int(LEG_TIMEOUT_S), -(-remaining // 2))
    deadline = time.monotonic() + LEG_TIMEOUT_S
    while log.served() < until and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(0.5)  # the last answers of the other connections are logged
    result = finish_wrk(proc, interrupt=True)
    result["served"] = log.served()
    # wrk's own rate counts the idle wait for the signal; the server's count over the leg does not
    result["rps"] = (result["served"] - before) / (time.monotonic() - started)
    return result


# -- the benchmark -----------------------------------------------------------------------------


def run() -> list[Result]:
    """RSS of one worker after 10 000 mixed fragment requests and its growth up to 50 000."""
    if shutil.which("wrk") is None or shutil.which("redis-server") is None:
        return [Result("memory: worker RSS", 0, 0.0, 0.0, note="skipped: wrk or redis-server missing")]
    with tempfile.TemporaryDirectory(prefix="selfcare-bench-memory-") as tmp, ExitStack() as stack:
        tmp_path = Path(tmp)
        loaded = load_stack(tmp_path, stack)
        customers, redis_url, env = loaded.customers, loaded.redis_url, loaded.env
        log_path = tmp_path / "widget.log"
        widget = stack.enter_context(serve_unrecycled(env, free_port(), log_path))
        master = widget_master()
        worker = only_worker(master)
        at_start = status_kb(worker)
        tokens = create_sessions(redis_url, customers)
        for view in VIEWS:
            warm(widget, view, tokens)
        log = AccessLog(log_path)
        after_warm_up = status_kb(worker)
        warm_up_served = log.served()
        started = time.monotonic()
        legs = []
        samples = []
        private: list[tuple[int, int]] = []
        for n in range(1, LEGS + 1):
            legs.append(leg(widget, tokens, tmp_path, log, n * LEG))
            samples.append(status_kb(worker))
            private.append(private_kb(worker))
        elapsed = time.monotonic() - started
        workers_now = _children(master)
        master_rss = status_kb(master)["VmRSS"]
        statuses = log_statuses(log_path)
    recycled = workers_now != [worker]
    errors = sum(x["errors"] for x in legs)
    first, last = samples[0], samples[-1]
    growth = mb(last["VmRSS"] - first["VmRSS"])
    curve = ", ".join(f"{x['served']}: {mb(s['VmRSS']):.1f}" for x, s in zip(legs, samples, strict=True))
    setup = (
        f"widget: gunicorn with serve's settings, 1 worker x {THREADS} threads, --max-requests 0 "
        "(serve hard-codes max_requests 5 000 + jitter 500; no knob turns it off); wrk -t2 "
        f"-c{CONNECTIONS} on the same 2 CPUs; 6 fragments x {len(tokens)} customers round-robin, cache warmed "
        f"({warm_up_served} warm-up requests, counted)"
    )
    validity = (
        "; WORKER REPLACED during the run, figures invalid" if recycled else "; the same worker throughout"
    )
    return [
        Result(
            f"memory: worker RSS after {spaced(legs[0]['served'])} mixed requests: {mb(first['VmRSS']):.1f} MB",
            legs[0]["served"],
            legs[0]["p50"],
            legs[0]["p99"],
            note=f"{setup}. VmRSS of the worker (pid {worker}): at start {mb(at_start['VmRSS']):.1f} MB, after "
            f"warm-up {mb(after_warm_up['VmRSS']):.1f} MB, after {legs[0]['served']} requests "
            f"{mb(first['VmRSS']):.1f} MB (RssAnon {mb(first['RssAnon']):.1f}, RssFile {mb(first['RssFile']):.1f}, "
            f"VmHWM {mb(first['VmHWM']):.1f}; not shared with the master: USS {mb(private[0][0]):.1f}, "
            f"PSS {mb(private[0][1]):.1f}); gunicorn master {mb(master_rss):.1f} MB; "
            f"{legs[0]['rps']:.0f} req/s; {legs[0]['errors']} errors{validity}. ms columns: wrk's p50 / p99 "
            "of the first leg",
            target_text=f"≤ {TARGET_RSS_MB:g} MB, 0 errors",
            ok=mb(first["VmRSS"]) <= TARGET_RSS_MB and legs[0]["errors"] == 0 and not recycled,
        ),
        Result(
            f"memory: worker RSS growth {spaced(legs[0]['served'])} → {spaced(legs[-1]['served'])} requests: "
            f"{growth:+.1f} MB ({mb(first['VmRSS']):.1f} → {mb(last['VmRSS']):.1f})",
            legs[-1]["served"],
            legs[-1]["p50"],
            legs[-1]["p99"],
            note=f"VmRSS (MB) after each leg, by requests served: {curve}; VmHWM at the end "
            f"{mb(last['VmHWM']):.1f} MB, RssAnon {mb(first['RssAnon']):.1f} → {mb(last['RssAnon']):.1f} MB, "
            f"USS {mb(private[0][0]):.1f} → {mb(private[-1][0]):.1f} MB; "
            f"{legs[-1]['served'] - warm_up_served} requests in {elapsed:.0f} s "
            f"({(legs[-1]['served'] - warm_up_served) / elapsed:.0f} req/s); {errors} wrk errors in all; "
            f"statuses in the access log: {statuses}{validity}. ms columns: wrk's p50 / p99 of the last leg",
            target_text=f"flat: ≤ {TARGET_GROWTH_MB:g} MB growth, 0 errors",
            ok=growth <= TARGET_GROWTH_MB and errors == 0 and not recycled,
        ),
    ]


def log_statuses(log_path: Path) -> str:
    """Fragment answers by HTTP status, from the access log (``200: 50012``)."""
    counts: dict[str, int] = {}
    for match in re.finditer(rb'"POST /w/[^"]*" (\d{3}) ', log_path.read_bytes()):
        status = match.group(1).decode()
        counts[status] = counts.get(status, 0) + 1
    return ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
