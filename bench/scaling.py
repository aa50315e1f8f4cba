"""Cost as work grows: the call log and its CSV export at 2 000, 20 000 and 200 000 records, and
1 vs 2 workers on the machine's 2 cores.

**Sizes.** A generated sandbox database, then (bench code only, the seed is untouched) three
single-SIM demo-mobil customers get 2 000, 20 000 and 200 000 usage records in a 91-day period
that ends 120 days ago — before the seed's own 3 months, so each period holds exactly that many
records. The records are made by the seed's own record builder (``_Builder.usage_record``: the
same kinds, networks, numbers and TMF bodies) and inserted into the ``usage`` table; ``ANALYZE``
afterwards. The stack is ``http_load``'s (private ``redis-server``, the sandbox under gunicorn,
helpers reused); for each size a fresh widget as ``selfcare-widget serve --workers 1`` (one
process, so its memory is the export's), and:

- the call log's first page for the period (``POST /w/usage`` with ``from``/``to``, 50 records),
  after 10 warm-up requests, 100 times; the widget's 30 s cache of the last page and totals is
  emptied before each request (as in ``calllog_fragment``), so every request costs what the
  platform must answer for that many records;
- the CSV export of the period (``POST /w/usage/export``), read to the last byte over loopback:
  wall time, rows checked; and the worker's peak RSS during it: ``VmHWM`` is reset
  (``/proc/<pid>/clear_refs`` = 5) right before, and the peak minus ``VmRSS`` before is the
  export's memory. A warm-up export of a seeded customer (~100 records) runs first.

**Workers.** ``selfcare-widget serve --workers 1`` and ``--workers 2`` (8 threads each), warm
cache, ``wrk -t2 -c32 -d10s`` over the six main fragments round-robin (``memory``'s wrk script),
alternately 1, 2, 1, 2; the ratio of the mean throughputs. wrk, redis-server and the sandbox run
on the same 2 cores; the note gives each one's CPU seconds during the runs, the rest of the
machine's (``/proc/stat``), and each worker's CPU and the client connections it held. A gthread
worker keeps a keep-alive connection for good, and whichever worker wakes first may accept all of
wrk's connections at once; so the same widgets are also measured with ``Connection: close`` on
every request (an info row): there the kernel spreads the connections over the workers.
"""

from __future__ import annotations

import os
import random
import resource
import shutil
import sqlite3
import tempfile
import time
from contextlib import ExitStack
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import redis
import requests

from bench import Result, percentile, time_calls
from bench.fragment_cpu import VIEWS
from bench.fragment_load import (
    CUSTOMERS,
    create_sessions,
    free_port,
    load_stack,
)
from bench.http_load import serve_widget
from bench.memory import finish_wrk, mb, only_worker, run_wrk, spaced, start_wrk, status_kb
from bench.sizing import (
    _children,
    _serve_master,
    _stat,
    redis_cpu_seconds,
    serve_one_worker,
    warm,
    widget_cpu_seconds,
)
from bench.stack import CREDENTIAL, ORIGIN, PARTNER

SIZES = (2_000, 20_000, 200_000)
PERIOD_DAYS = 91
PERIOD_ENDS_DAYS_AGO = 120  # before the seed's 3 months of usage: the period holds only ours
PAGE_WARMUP = 10
PAGE_RUNS = 100
PLATFORM_RUNS = 10
INSERT_BATCH = 10_000
EXPORT_TIMEOUT_S = 600
FLAT_PAGE_RATIO = 1.5  # largest size's p50 ≤ 1.5 × the smallest's
LINEAR_RATIO = 1.5  # time per record at 200 000 ≤ 1.5 × at 20 000
FLAT_MEMORY_FACTOR = 2.0  # peak increase ≤ 2 × the smallest size's + a few MB
FLAT_MEMORY_SLACK_MB = 4.0
WORKER_CONNECTIONS = 32
WORKER_SECONDS = 10
WORKER_ROUNDS = 2
TARGET_WORKER_RATIO = 1.8
PRAGUE = ZoneInfo("Europe/Prague")


def machine_cpu_seconds() -> tuple[float, float]:
    """(busy, stolen) CPU seconds of the whole machine so far, from ``/proc/stat``."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    ticks = os.sysconf("SC_CLK_TCK")
    return (user + nice + system + irq + softirq) / ticks, steal / ticks


# -- the subscribers ---------------------------------------------------------------------------


def single_sim_customers(db_path: Path, count: int, exclude: list[str]) -> list[tuple[str, str]]:
    """(customer, SIM product) of ``count`` demo-mobil customers with one active SIM, last ids first."""
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute(
            "SELECT c.id, min(p.id) FROM customer c JOIN product p ON p.customer_id = c.id "
            "AND p.spec_id = 'spec-mobile-line' WHERE c.partner_id = ? GROUP BY c.id "
            "HAVING count(p.id) = 1 AND min(p.status) = 'active' ORDER BY c.id DESC",
            (PARTNER,),
        ).fetchall()
    return [(c, p) for c, p in rows if c not in exclude][:count]


def period(today: date) -> tuple[date, date]:
    """The (inclusive) period the added records fall in."""
    last = today - timedelta(days=PERIOD_ENDS_DAYS_AGO)
    return last - timedelta(days=PERIOD_DAYS - 1), last


def add_usage(db_path: Path, subscribers: list[tuple[str, str, int]], first: date, last: date) -> None:
    """``n`` usage records per (customer, SIM, n), spread over ``first``..``last``, built as the seed builds them."""
    from selfcare_widget.sandbox.seed import INSERTS, DemoCustomer, _Builder

    builder = _Builder(random.Random(15), date.today())
    builder.usage_seq = 9_000_000  # ids past the seed's (usg-0000001 ... ~usg-0033000)
    rng = builder.rng
    t0 = int(datetime.combine(first, datetime.min.time(), tzinfo=PRAGUE).timestamp())
    t1 = int(datetime.combine(last + timedelta(days=1), datetime.min.time(), tzinfo=PRAGUE).timestamp())
    conn = sqlite3.connect(db_path)
    try:
        for customer, product, n in subscribers:
            owner = DemoCustomer(customer, "", PARTNER, "", (), "")
            for done in range(0, n, INSERT_BATCH):
                builder.rows["usage"] = []
                for _ in range(min(INSERT_BATCH, n - done)):
                    r = rng.random()  # the seed's mix of kinds (seed._Builder.usage)
                    kind = "voice" if r < 0.45 else "sms" if r < 0.7 else "data" if r < 0.97 else "fee"
                    builder.usage_record(owner, product, rng.randint(t0, t1 - 1), kind)
                with conn:
                    conn.executemany(INSERTS["usage"], builder.rows["usage"])
        conn.execute("ANALYZE")
    finally:
        conn.close()


# -- one size ----------------------------------------------------------------------------------


def post(
    http: requests.Session, base: str, path: str, token: str, form: dict[str, str], **kw
) -> requests.Response:
    """A widget POST as the loader sends it."""
    return http.post(
        base + path,
        data={"_st": token, "_partner": PARTNER, **form},
        headers={"Origin": ORIGIN},
        timeout=EXPORT_TIMEOUT_S,
        **kw,
    )


def page_latencies(
    http: requests.Session, base: str, token: str, customer: str, form: dict, store: redis.Redis
) -> list[float]:
    """First call-log page of the period, uncached, ``PAGE_RUNS`` times (ms)."""
    from selfcare_widget.platform.cached import PREFIX

    samples = []
    for n in range(PAGE_WARMUP + PAGE_RUNS):
        store.hdel(f"{PREFIX}snapshot:{{{customer}}}", "usage:page", "usage:summary")
        started = time.perf_counter()
        answer = post(http, base, "/w/usage", token, form)
        elapsed = (time.perf_counter() - started) * 1000
        if answer.status_code != 200 or b"data-usage-id" not in answer.content:
            raise RuntimeError(f"/w/usage answered {answer.status_code}: {answer.text[:200]}")
        if n >= PAGE_WARMUP:
            samples.append(elapsed)
    return samples


def export(http: requests.Session, base: str, token: str, form: dict) -> tuple[float, int]:
    """The period's CSV read to the last byte: (seconds, data rows)."""
    started = time.perf_counter()
    with post(http, base, "/w/usage/export", token, form, stream=True) as answer:
        if answer.status_code != 200 or not answer.headers.get("Content-Type", "").startswith("text/csv"):
            raise RuntimeError(f"/w/usage/export answered {answer.status_code}: {answer.text[:200]}")
        # "\n" alone: a "\r\n" can straddle two chunks
        lines = sum(chunk.count(b"\n") for chunk in answer.iter_content(64 * 1024))
    return time.perf_counter() - started, lines - 1  # the header


def measure_size(
    base: str,
    worker: int,
    sandbox_master: int,
    store: redis.Redis,
    token: str,
    customer: str,
    form: dict,
    warm_token: str,
    warm_form: dict,
) -> dict:
    """Page latencies, export time and the export's peak RSS increase, on a fresh one-worker widget."""
    with requests.Session() as http:
        pages = page_latencies(http, base, token, customer, form, store)
        export(http, base, warm_token, warm_form)  # code paths, pools, small caches off the record
        before = status_kb(worker)["VmRSS"]
        cpu_before = worker_seconds(worker), widget_cpu_seconds(sandbox_master)
        Path(f"/proc/{worker}/clear_refs").write_text("5")  # VmHWM := VmRSS
        seconds, rows = export(http, base, token, form)
        after = status_kb(worker)
        cpu_after = worker_seconds(worker), widget_cpu_seconds(sandbox_master)
    return {
        "pages": pages,
        "seconds": seconds,
        "rows": rows,
        "rss_before": before,
        "peak": after["VmHWM"],
        "rss_after": after["VmRSS"],
        "widget_cpu": cpu_after[0] - cpu_before[0],
        "sandbox_cpu": cpu_after[1] - cpu_before[1],
    }


def platform_timings(platform_url: str, customer: str, product: str, first: date, last: date, n: int) -> dict:
    """What the sandbox alone takes for the calls a page and an export make (p50 ms, TMF client).

    The page: the period's totals and the first 50 records; the export: its first and its last
    1000-record page (OFFSET paging: the last one skips all the others)."""
    from selfcare_widget.platform.models import UsageFilter
    from selfcare_widget.platform.tmf import TmfPlatform, TmfSettings

    flt = UsageFilter(product, first, last)
    calls = {
        "summary": lambda p: p.usage_summary(customer, flt),
        "page of 50": lambda p: p.list_usage(customer, flt, 0, 50),
        "first 1000": lambda p: p.list_usage(customer, flt, 0, 1000),
        "last 1000": lambda p: p.list_usage(customer, flt, max(0, n - 1000), 1000),
    }
    with TmfPlatform(TmfSettings(base_url=platform_url, credential=CREDENTIAL)) as platform:
        for call in calls.values():
            call(platform)  # pool, SQLite page cache
        return {
            name: percentile(time_calls(lambda call=call: call(platform) for _ in range(PLATFORM_RUNS)), 50)
            for name, call in calls.items()
        }


def worker_seconds(pid: int) -> float:
    """CPU seconds (user + system) of one process."""
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- 1 vs 2 workers ----------------------------------------------------------------------------


def master_of(needle: bytes) -> int:
    """A gunicorn master among this process's children whose command line contains ``needle``."""
    for pid in _children(os.getpid()):
        try:
            if needle in Path(f"/proc/{pid}/cmdline").read_bytes():
                return pid
        except OSError:
            continue
    raise RuntimeError(f"no child process with {needle!r} in its command line")


def worker_cpu(master: int) -> dict[int, float]:
    """CPU seconds (user + system) of each live worker of a gunicorn master."""
    seconds = {}
    for pid in _children(master):
        try:
            seconds[pid] = worker_seconds(pid)
        except OSError:
            continue
    return seconds


def connections_per_worker(master: int, port: int) -> list[int]:
    """Established client connections to ``port`` held by each worker (most first).

    gthread workers keep a keep-alive connection for its whole life; which worker accepted it
    decides where all of its requests run."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            parts = line.split()
            if parts[3] == "01" and int(parts[1].rsplit(":", 1)[1], 16) == port:  # ESTABLISHED, local port
                inodes.add(parts[9])
    counts = []
    for pid in _children(master):
        held = 0
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            held += target.startswith("socket:[") and target[8:-1] in inodes
        counts.append(held)
    return sorted(counts, reverse=True)


def worker_run(
    serve, env: dict[str, str], tokens: list[str], workdir: Path, store: redis.Redis, sandbox_master: int
) -> dict[bool, dict]:
    """One widget (``serve`` = a one- or two-worker starter), warm, then timed wrk runs with CPU
    accounting: keep-alive connections (``False``) and a new connection per request (``True``)."""
    results = {}
    with serve(env, free_port(), workdir / "widget-workers.log") as base:
        master = _serve_master()
        for view in VIEWS:
            warm(base, view, tokens)
        run_wrk(base, tokens, workdir, WORKER_CONNECTIONS, 3)  # keep-alive, caches: off the record
        for close in (False, True):
            widget0, redis0, sandbox0 = (
                widget_cpu_seconds(master),
                redis_cpu_seconds(store),
                widget_cpu_seconds(sandbox_master),
            )
            per_worker0 = worker_cpu(master)
            children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            machine0 = machine_cpu_seconds()
            proc = start_wrk(base, tokens, workdir, WORKER_CONNECTIONS, WORKER_SECONDS, close=close)
            time.sleep(WORKER_SECONDS / 2)
            connections = connections_per_worker(master, int(base.rsplit(":", 1)[1]))
            result = finish_wrk(proc)
            machine1 = machine_cpu_seconds()
            children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
            per_worker1 = worker_cpu(master)
            result["cpu"] = {
                "widget": widget_cpu_seconds(master) - widget0,
                "wrk": (children1.ru_utime + children1.ru_stime) - (children0.ru_utime + children0.ru_stime),
                "redis": redis_cpu_seconds(store) - redis0,
                "sandbox": widget_cpu_seconds(sandbox_master) - sandbox0,
            }
            # Everything else on the machine (other users' work, this bench's own Python) in the
            # same interval, and what the hypervisor took away.
            result["cpu"]["rest of the machine"] = machine1[0] - machine0[0] - sum(result["cpu"].values())
            result["stolen"] = machine1[1] - machine0[1]
            result["per_worker"] = sorted(
                (per_worker1[pid] - per_worker0.get(pid, 0.0) for pid in per_worker1), reverse=True
            )
            result["connections"] = connections
            results[close] = result
    return results


def workers_row(runs: dict[int, list[dict]], close: bool) -> Result:
    """A 1 vs 2 workers row from alternating runs (``close``: a new connection per request)."""
    rps = {w: sum(r["rps"] for r in rs) / len(rs) for w, rs in runs.items()}
    ratio = rps[2] / rps[1]
    errors = sum(r["errors"] for rs in runs.values() for r in rs)

    def cpu(w: int) -> str:
        rs = runs[w]
        parts = {k: sum(r["cpu"][k] for r in rs) / len(rs) for k in rs[0]["cpu"]}
        total = sum(parts.values())
        stolen = sum(r["stolen"] for r in rs) / len(rs)
        return (
            f"{w} worker(s): "
            + ", ".join(f"{k} {v:.1f}" for k, v in parts.items())
            + f" = {total:.1f} of {(os.cpu_count() or 2) * WORKER_SECONDS} CPU-s busy, {stolen:.1f} stolen"
        )

    each = "; ".join(f"{w}: " + ", ".join(f"{r['rps']:.0f}" for r in rs) + " req/s" for w, rs in runs.items())
    split = "; ".join(
        "CPU-s "
        + " / ".join(f"{c:.1f}" for c in r["per_worker"])
        + ("" if close else ", connections " + " / ".join(str(c) for c in r["connections"]))
        for r in runs[2]
    )
    last = runs[2][-1]
    how = "a new connection per request (Connection: close)" if close else "keep-alive connections"
    common = (
        f"selfcare-widget serve --workers 1 / 2, 8 threads each; wrk -t2 -c{WORKER_CONNECTIONS} "
        f"-d{WORKER_SECONDS}s over the six main fragments x {CUSTOMERS} customers, {how}, cache warm, runs "
        f"alternating 1, 2, ... ({each}); {errors} errors. CPU seconds per run (widget = master + workers, wrk, "
        f"redis-server, sandbox, the rest of the machine from /proc/stat): {cpu(1)}; {cpu(2)}. The two workers of "
        f"each 2-worker run (CPU-s during the run"
        + ("" if close else ", client connections held at half time")
        + f"): {split}. ms columns: wrk's p50 / p99 of the last 2-worker run"
    )
    if close:
        return Result(
            f"scaling: 1 vs 2 workers, a new connection per request: {rps[1]:.0f} vs {rps[2]:.0f} req/s = "
            f"{ratio:.2f}×",
            sum(r["n"] for rs in runs.values() for r in rs),
            last["p50"],
            last["p99"],
            note=common + "; shows how the workers scale when the kernel spreads connections between them",
        )
    return Result(
        f"scaling: 1 vs 2 workers on 2 cores, warm fragments: {rps[1]:.0f} vs {rps[2]:.0f} req/s = {ratio:.2f}×",
        sum(r["n"] for rs in runs.values() for r in rs),
        last["p50"],
        last["p99"],
        note=common,
        target_text=f"≥ {TARGET_WORKER_RATIO:g}×, 0 errors",
        ok=ratio >= TARGET_WORKER_RATIO and errors == 0,
    )


# -- the benchmark -----------------------------------------------------------------------------


def size_rows(sizes: dict[int, dict], first: date, last: date) -> list[Result]:
    """Page latency, export time and export memory per size, each judged against a smaller size."""
    small, middle, large = SIZES
    rows = []
    base_p50 = percentile(sizes[small]["pages"], 50)
    for n in SIZES:
        s = sizes[n]
        p50 = percentile(s["pages"], 50)
        judged = n != small
        rows.append(
            Result(
                f"scaling: call-log first page, {spaced(n)} records in the period (uncached): "
                f"p50 {p50 / base_p50:.2f}× the {spaced(small)} row's",
                len(s["pages"]),
                p50,
                percentile(s["pages"], 99),
                note=(
                    f"POST /w/usage, {first}..{last}, 50 records a page; page and totals cache emptied before "
                    f"each request; {PAGE_WARMUP} warm-up requests; a fresh `serve --workers 1` per size. "
                    if n == small
                    else ""
                )
                + f"The sandbox alone (TMF client, p50 of {PLATFORM_RUNS}): totals "
                f"{s['platform']['summary']:.1f} ms, page of 50 {s['platform']['page of 50']:.1f} ms",
                target_text=f"flat: p50 ≤ {FLAT_PAGE_RATIO:g}× the {spaced(small)} row's" if judged else "",
                ok=p50 <= FLAT_PAGE_RATIO * base_p50 if judged else None,
            )
        )
    per_record = {n: sizes[n]["seconds"] / sizes[n]["rows"] * 1e6 for n in SIZES}
    for n in SIZES:
        s = sizes[n]
        complete = s["rows"] == n
        judged = n == large
        rows.append(
            Result(
                f"scaling: CSV export, {spaced(n)} records: {s['seconds']:.2f} s, "
                f"{per_record[n]:.1f} µs per record",
                s["rows"],
                s["seconds"] * 1000,
                s["seconds"] * 1000,
                note=f"POST /w/usage/export of the period read to the last byte over loopback; {s['rows']} data "
                f"rows (expected {n}); one export, after a warm-up export of a seeded customer. CPU during it: "
                f"widget worker {s['widget_cpu']:.1f} s ({s['widget_cpu'] / n * 1e6:.0f} µs per record), sandbox "
                f"{s['sandbox_cpu']:.1f} s; the sandbox alone (TMF client, p50) for the export's first / last "
                f"1000-record page: {s['platform']['first 1000']:.0f} / {s['platform']['last 1000']:.0f} ms. "
                "ms columns: the export's wall time",
                target_text=f"linear: µs per record ≤ {LINEAR_RATIO:g}× the {spaced(middle)} row's, every row"
                if judged
                else ("every row" if not complete else ""),
                ok=(per_record[n] <= LINEAR_RATIO * per_record[middle] and complete)
                if judged
                else (None if complete else False),
            )
        )
    base_delta = mb(sizes[small]["peak"] - sizes[small]["rss_before"])
    bound = FLAT_MEMORY_FACTOR * base_delta + FLAT_MEMORY_SLACK_MB
    for n in SIZES:
        s = sizes[n]
        delta = mb(s["peak"] - s["rss_before"])
        judged = n != small
        rows.append(
            Result(
                f"scaling: CSV export, {spaced(n)} records: worker peak RSS +{delta:.1f} MB",
                s["rows"],
                0.0,
                0.0,
                note=f"VmRSS before {mb(s['rss_before']):.1f} MB, VmHWM during the export {mb(s['peak']):.1f} MB "
                f"(reset right before), VmRSS after {mb(s['rss_after']):.1f} MB; ms columns unused",
                target_text=f"flat: ≤ {FLAT_MEMORY_FACTOR:g}× the {spaced(small)} row's + "
                f"{FLAT_MEMORY_SLACK_MB:g} MB (≤ {bound:.1f} MB)"
                if judged
                else "",
                ok=delta <= bound if judged else None,
            )
        )
    return rows


def run() -> list[Result]:
    """Page, export and export memory at three sizes; throughput with 1 and 2 workers."""
    if shutil.which("wrk") is None or shutil.which("redis-server") is None:
        return [Result("scaling", 0, 0.0, 0.0, note="skipped: wrk or redis-server missing")]
    with tempfile.TemporaryDirectory(prefix="selfcare-bench-scaling-") as tmp, ExitStack() as stack:
        tmp_path = Path(tmp)
        loaded = load_stack(tmp_path, stack)
        customers, redis_url, platform_url, env = (
            loaded.customers,
            loaded.redis_url,
            loaded.platform_url,
            loaded.env,
        )
        sandbox_master = master_of(b"create_sandbox_app")
        subscribers = single_sim_customers(loaded.db_path, len(SIZES) + 1, customers)
        first, last = period(date.today())
        started = time.monotonic()
        # into the database the sandbox serves (WAL: it reads each request with a new connection)
        records_per_subscriber = [(c, p, n) for (c, p), n in zip(subscribers, SIZES, strict=False)]
        add_usage(loaded.db_path, records_per_subscriber, first, last)
        insert_seconds = time.monotonic() - started
        store = redis.Redis.from_url(redis_url)
        # the extra, fourth subscriber keeps its seeded ~100 records: the warm-up export
        size_tokens = create_sessions(redis_url, [c for c, _ in subscribers])
        form = {"from": first.isoformat(), "to": last.isoformat(), "type": "all"}
        today = date.today()
        warm_form = {
            "from": (today - timedelta(days=PERIOD_DAYS)).isoformat(),
            "to": today.isoformat(),
            "type": "all",
        }
        sizes: dict[int, dict] = {}
        for (customer, product), token, n in zip(subscribers, size_tokens, SIZES, strict=False):
            with serve_one_worker(env, free_port(), tmp_path / f"widget-{n}.log") as base:
                worker = only_worker(_serve_master())
                sizes[n] = measure_size(
                    base, worker, sandbox_master, store, token, customer, form, size_tokens[-1], warm_form
                )
            sizes[n]["platform"] = platform_timings(platform_url, customer, product, first, last, n)

        tokens = create_sessions(redis_url, customers)
        runs: dict[bool, dict[int, list[dict]]] = {False: {1: [], 2: []}, True: {1: [], 2: []}}
        for _ in range(WORKER_ROUNDS):
            for workers, starter in ((1, serve_one_worker), (2, serve_widget)):
                for close, result in worker_run(
                    starter, env, tokens, tmp_path, store, sandbox_master
                ).items():
                    runs[close][workers].append(result)
        store.close()
    rows = size_rows(sizes, first, last)
    rows[0] = replace(rows[0], note=f"{rows[0].note}; {sum(SIZES)} records added in {insert_seconds:.0f} s")
    rows += [workers_row(runs[False], close=False), workers_row(runs[True], close=True)]
    return rows
