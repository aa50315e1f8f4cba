"""Platform calls per widget view, cold cache vs warm, counted on the wire.

The widget app (default wiring: ``CachedPlatform`` over ``TmfPlatform``) is served by werkzeug's
threaded server on loopback and asked over real HTTP, like the loader asks it; the sandbox is a
second loopback server. Every HTTP request the TMF client sends is counted by wrapping its
``requests.Session.request`` (the same hook ``tests/widget/test_overview.py`` uses). For each
section view of a two-SIM customer: ``COLD_RUNS`` requests each right after the platform cache
was emptied (the customer's session stays), then ``WARM_RUNS`` requests on the filled cache.

The ms columns of a row are the *warm* view's latency (widget + cache + whatever platform calls
remain); the note gives the cold latency and the ratio.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

import requests

from bench import Result, percentile, summarize
from bench.stack import ORIGIN, PARTNER, sandbox, widget
from selfcare_widget.services import services

CUSTOMER = "cust-0001"  # two SIMs on tariff-pohoda with packages, several invoices
COLD_RUNS = 5
WARM_RUNS = 20
_VERSION = re.compile(r"^v\d+$")


@dataclass(frozen=True)
class View:
    """One section view as the loader requests it."""

    label: str
    path: str
    form: dict[str, str]
    marker: bytes  # present in a successful fragment


def call_kind(url: str) -> str:
    """The platform resource an HTTP call reads, e.g. ``customer``, ``usage``, ``usageSummary``."""
    parts = [p for p in urlsplit(url).path.split("/") if p]
    for i, part in enumerate(parts[:-1]):
        if _VERSION.match(part):
            return parts[i + 1]
    return parts[-1] if parts else "?"


@contextmanager
def counting(app) -> Iterator[list[str]]:
    """Record the kind of every HTTP request the widget's TMF client sends, while the block runs."""
    session = services(app).platform.inner._session
    original = session.request
    calls: list[str] = []

    def counted(method: str, url: str, *args, **kwargs):
        calls.append(call_kind(url))
        return original(method, url, *args, **kwargs)

    session.request = counted
    try:
        yield calls
    finally:
        session.request = original


def empty_cache(app) -> None:
    """Drop every platform cache entry (sessions and rate-limit counters stay)."""
    from selfcare_widget.platform.cached import PREFIX

    store = services(app).store
    keys = list(store.scan_iter(match=PREFIX + "*"))
    if keys:
        store.delete(*keys)


def section_views(app) -> list[View]:
    """Every section view; the invoice detail opens the customer's newest bill."""
    tmf = services(app).platform.inner  # uncached, outside the counted window
    account = tmf.list_billing_accounts(CUSTOMER)[0]
    newest = max(tmf.list_invoices(account.id), key=lambda i: i.issue_date)
    return [
        View("overview", "/w/overview", {}, b'data-sc-section="overview"'),
        View("SIMs", "/w/sims", {}, b'data-sc-section="sims"'),
        View("packages", "/w/packages", {}, b'data-sc-section="packages"'),
        View("billing list", "/w/billing", {}, b'data-sc-section="billing"'),
        View("invoice detail", "/w/billing/invoice", {"invoice": newest.id}, b'data-sc-section="billing"'),
        View("call log, first page", "/w/usage", {}, b"data-usage-id"),
        View("contact", "/w/contact", {}, b'data-sc-section="contact"'),
    ]


def requester(base: str, token: str) -> Callable[[View], None]:
    """A function that requests a view over HTTP and checks it answered with the section."""
    http = requests.Session()

    def get(view: View) -> None:
        response = http.post(
            base + view.path,
            data={"_st": token, "_partner": PARTNER, **view.form},
            headers={"Origin": ORIGIN},
            timeout=30,
        )
        if response.status_code != 200 or view.marker not in response.content:
            raise RuntimeError(f"{view.path} answered {response.status_code}: {response.text[:200]}")

    return get


def measure_view(app, get: Callable[[View], None], view: View) -> dict:
    """Cold and warm call counts (by kind) and latencies of one view."""
    cold_counts, cold_ms, warm_counts, warm_ms = [], [], [], []
    for _ in range(COLD_RUNS):
        empty_cache(app)
        with counting(app) as calls:
            started = time.perf_counter()
            get(view)
            cold_ms.append((time.perf_counter() - started) * 1000)
        cold_counts.append(Counter(calls))
    for _ in range(WARM_RUNS):
        with counting(app) as calls:
            started = time.perf_counter()
            get(view)
            warm_ms.append((time.perf_counter() - started) * 1000)
        warm_counts.append(Counter(calls))
    return {"cold": cold_counts, "cold_ms": cold_ms, "warm": warm_counts, "warm_ms": warm_ms}


def _span(counts: list[Counter]) -> str:
    totals = sorted({sum(c.values()) for c in counts})
    return str(totals[0]) if len(totals) == 1 else f"{totals[0]}–{totals[-1]}"


def _kinds(counts: list[Counter]) -> str:
    merged = max(counts, key=lambda c: sum(c.values()))
    return ", ".join(f"{k}×{n}" if n > 1 else k for k, n in sorted(merged.items())) or "none"


def check(view: View, m: dict) -> tuple[str, bool | None]:
    """The design's targets: overview warm = 0 calls; call log = page + summary cold, 0 warm."""
    if view.path == "/w/overview":
        return "warm: 0 calls", all(sum(c.values()) == 0 for c in m["warm"])
    if view.path == "/w/usage":
        # Cold: exactly one page and one summary; warm: both from the 30 s cache (issue 15).
        cold_page = all(c["usage"] == 1 and c["usageSummary"] == 1 for c in m["cold"])
        warm_none = all(sum(c.values()) == 0 for c in m["warm"])
        return "cold: page + summary; warm: 0 calls", cold_page and warm_none
    return "", None


def row(view: View, m: dict) -> Result:
    """One RESULTS.md row: counts in the name, warm latency in the ms columns."""
    target_text, ok = check(view, m)
    cold_p50 = percentile(m["cold_ms"], 50)
    warm_p50 = percentile(m["warm_ms"], 50)
    result = summarize(
        f"platform calls, {view.label}: cold {_span(m['cold'])} / warm {_span(m['warm'])}",
        m["warm_ms"],
        note=(
            f"cold: {_kinds(m['cold'])}; warm: {_kinds(m['warm'])}. Latency (ms columns: warm) "
            f"warm p50 {warm_p50:.1f} ms vs cold p50 {cold_p50:.1f} ms ({cold_p50 / warm_p50:.1f}x); "
            f"{COLD_RUNS} cold + {WARM_RUNS} warm requests"
        ),
    )
    return replace(result, target_text=target_text, ok=ok)


def run() -> list[Result]:
    """Count platform HTTP calls per section view, cold and warm."""
    with sandbox() as url, widget(url) as (app, base):
        token = services(app).sessions.create(PARTNER, CUSTOMER, "cs", "sso")
        get = requester(base, token)
        views = section_views(app)
        for view in views:  # templates, connection pools: not what is counted
            get(view)
        return [row(view, measure_view(app, get, view)) for view in views]
