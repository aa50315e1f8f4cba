"""Warm overview over HTTP with ``wrk``: throughput against a bare Flask route, and the tail at half load.

The production shape on loopback: a private ``redis-server``, the sandbox under gunicorn, and the
widget started exactly as ``selfcare-widget serve`` runs it (gunicorn, 2 workers x 8 threads,
access log on). The bare route is a one-route Flask app returning the overview's bytes, under the
same gunicorn settings (workers, threads, access log), so the ratio compares the widget's work
with the floor of Flask + gunicorn on this machine in the same run. ``wrk`` (a native load
generator, Debian package) sends ``POST /w/overview`` with the form body and ``Origin`` the loader
sends, round-robin over 16 signed-in customers whose cache is warm.

Rows: saturation throughput (32 connections, 10 s) of the bare route and of the overview, with
the ratio and errors; then the overview at half of its measured saturation throughput (paced by
wrk's ``delay()``), with p50/p99 latency.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

import requests

from bench import Result
from bench.fragment_load import (
    create_sessions,
    free_port,
    load_stack,
    process,
)
from bench.stack import ORIGIN, PARTNER

CONNECTIONS = 32
DURATION_S = 10
PACED_CONNECTIONS = 8
TARGET_RATIO = 0.30
TARGET_P99_MS = 25.0

#: The same gunicorn settings as ``selfcare-widget serve`` (cli._serve) for the bare route.
BARE_APP = """
from flask import Flask, request
from pathlib import Path

BODY = Path(__file__).with_name("body.html").read_bytes()
app = Flask("bare")


@app.post("/bare")
def bare():
    request.form.get("_st")
    return BODY, 200, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}
"""

WRK_SCRIPT = """
local bodies = {%(bodies)s}
local counter = 0
local pause = %(pause)s
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Origin"] = "%(origin)s"

request = function()
  counter = counter + 1
  return wrk.format(nil, nil, nil, bodies[(counter %% #bodies) + 1])
end

if pause > 0 then
  delay = function() return pause end
end

response = function(status, headers, body)
  if status ~= 200 then wrk.thread:set("bad", (wrk.thread:get("bad") or 0) + 1) end
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


def wrk(url: str, bodies: list[str], workdir: Path, connections: int, pause_ms: int = 0) -> dict:
    """One wrk run; returns requests/s, p50/p99 ms and errors (socket + non-2xx/3xx)."""
    script = workdir / "post.lua"
    script.write_text(
        WRK_SCRIPT % {"bodies": ", ".join(f'"{b}"' for b in bodies), "pause": pause_ms, "origin": ORIGIN},
        encoding="utf-8",
    )
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{DURATION_S}s", "--timeout", "5s", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = _RESULT.search(out)
    if not match:
        raise RuntimeError(f"wrk printed no result: {out}")
    requests_, seconds, p50, p99, socket_errors, status_errors = match.groups()
    return {
        "rps": int(requests_) / float(seconds),
        "n": int(requests_),
        "p50": float(p50),
        "p99": float(p99),
        "errors": int(socket_errors) + int(status_errors),
    }


def serve_widget(env: dict[str, str], port: int, log: Path):
    """The widget as ``selfcare-widget serve`` runs it, on ``port``."""
    binary = str(Path(sys.executable).with_name("selfcare-widget"))
    args = [binary, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2", "--threads", "8"]
    return process(args, port, env={**os.environ, **env}, log=log)


def serve_bare(workdir: Path, body: bytes, port: int, log: Path):
    """The bare route under gunicorn with serve's worker, thread and access-log settings."""
    (workdir / "bare_app.py").write_text(BARE_APP, encoding="utf-8")
    (workdir / "body.html").write_bytes(body)
    args = [str(Path(sys.executable).with_name("gunicorn")), "--bind", f"127.0.0.1:{port}"]
    args += ["--workers", "2", "--threads", "8", "--keep-alive", "5", "--access-logfile", "-"]
    args += ["--worker-class", "selfcare_widget.serving.CapacityThreadWorker"]
    args += ["--chdir", str(workdir), "bare_app:app"]
    return process(args, port, env=dict(os.environ), log=log)


def run() -> list[Result]:
    """Saturation throughput (overview vs bare) and the overview's tail at half of it."""
    if shutil.which("wrk") is None or shutil.which("redis-server") is None:
        return [Result("HTTP load (wrk)", 0, 0.0, 0.0, note="skipped: wrk or redis-server missing")]
    with tempfile.TemporaryDirectory(prefix="selfcare-bench-wrk-") as tmp, ExitStack() as stack:
        tmp_path = Path(tmp)
        loaded = load_stack(tmp_path, stack)
        customers, redis_url, env = loaded.customers, loaded.redis_url, loaded.env
        widget = stack.enter_context(serve_widget(env, free_port(), tmp_path / "widget.log"))
        tokens = create_sessions(redis_url, customers)
        bodies = [f"_st={t}&_partner={PARTNER}" for t in tokens]
        with requests.Session() as http:  # every customer's overview once: the cache is warm
            for token in tokens:
                for _ in range(2):
                    answer = http.post(
                        widget + "/w/overview",
                        data={"_st": token, "_partner": PARTNER},
                        headers={"Origin": ORIGIN},
                        timeout=30,
                    )
                    answer.raise_for_status()
            body = answer.content
        bare = stack.enter_context(serve_bare(tmp_path, body, free_port(), tmp_path / "bare.log"))
        wrk(bare + "/bare", bodies, tmp_path, CONNECTIONS)  # warm-up of both, off the record
        wrk(widget + "/w/overview", bodies, tmp_path, CONNECTIONS)
        bare_run = wrk(bare + "/bare", bodies, tmp_path, CONNECTIONS)
        overview = wrk(widget + "/w/overview", bodies, tmp_path, CONNECTIONS)
        # Paced by a pause per connection between a response and its next request: a first run
        # measures the latency added to the pause, the second corrects the pause for it.
        half_rate = overview["rps"] / 2
        pause_ms = max(1, round(PACED_CONNECTIONS * 1000 / half_rate))
        trial = wrk(widget + "/w/overview", bodies, tmp_path, PACED_CONNECTIONS, pause_ms)
        latency_ms = max(0.0, PACED_CONNECTIONS * 1000 / trial["rps"] - pause_ms)
        pause_ms = max(1, round(PACED_CONNECTIONS * 1000 / half_rate - latency_ms))
        paced = wrk(widget + "/w/overview", bodies, tmp_path, PACED_CONNECTIONS, pause_ms)
    ratio = overview["rps"] / bare_run["rps"]
    setup = (
        f"{CONNECTIONS} connections, {DURATION_S} s, wrk -t2 on the same 2 CPUs; widget as `selfcare-widget serve` "
        "(gunicorn 2 workers x 8 threads, access log) + private redis-server + sandbox under gunicorn"
    )
    return [
        Result(
            f"HTTP bare Flask route, same bytes: {bare_run['rps']:.0f} req/s",
            bare_run["n"],
            bare_run["p50"],
            bare_run["p99"],
            note=f"{setup}; {bare_run['errors']} errors",
        ),
        Result(
            f"HTTP warm overview, saturation: {overview['rps']:.0f} req/s = {ratio:.2f} of the bare route",
            overview["n"],
            overview["p50"],
            overview["p99"],
            note=f"{setup}; {overview['errors']} errors; 16 customers round-robin, cache warm",
            target_text=f"≥ {TARGET_RATIO:.0%} of the bare route, 0 errors",
            ok=ratio >= TARGET_RATIO and overview["errors"] == 0,
        ),
        Result(
            f"HTTP warm overview at half saturation ({paced['rps']:.0f} of {half_rate:.0f} req/s aimed)",
            paced["n"],
            paced["p50"],
            paced["p99"],
            note=f"{PACED_CONNECTIONS} connections paced by wrk delay() of {pause_ms} ms; "
            f"{paced['errors']} errors",
            target_text=f"p99 ≤ {TARGET_P99_MS:g} ms, 0 errors",
            ok=paced["p99"] <= TARGET_P99_MS and paced["errors"] == 0,
        ),
    ]
