"""Operator endpoints and metrics: ``/healthz``, ``/readyz``, ``/metrics`` (Prometheus).

- ``/healthz``: the process answers (no I/O at all) — for a liveness probe.
- ``/readyz``: the shared store answers ``PING`` and the platform answers HTTP at all — for a
  readiness probe / load balancer. JSON naming only the part that failed; no personal data.
- ``/metrics``: Prometheus text exposition of requests, platform calls, sessions and sign-in
  failures. All three are unauthenticated: serve them on an internal network only
  (docs/operations.md, "Health and metrics").

Metrics live in this process. With several gunicorn workers each worker has its own counters
and a scrape sees whichever worker answered — unless ``PROMETHEUS_MULTIPROC_DIR`` is set (an
empty, writable directory, the same for all workers of one server, emptied at start), in which
case prometheus_client keeps the values in files there and ``/metrics`` adds up all workers.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import requests
from flask import Blueprint, Flask, Response, abort, g, jsonify, request
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import choose_encoder

from .edr.recorder import edr_not_stored, edr_recorded
from .platform.errors import NotFound, PlatformError, Rejected, Unavailable
from .services import services
from .store import write_unacknowledged
from .version import __version__

log = logging.getLogger(__name__)

bp = Blueprint("ops", __name__)

#: Probe timeouts (connect, read) in seconds: a probe must answer well within its own timeout.
PLATFORM_PROBE_TIMEOUT = (1.0, 2.0)
#: Fragment latency buckets (s): the quality bar is p99 < 150 ms, so resolution sits around it.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

REQUESTS = Counter(
    "selfcare_http_requests",
    "Widget HTTP requests by Flask endpoint, method and status code.",
    ["endpoint", "method", "status"],
)
REQUEST_SECONDS = Histogram(
    "selfcare_http_request_duration_seconds",
    "Time to answer a widget HTTP request, by Flask endpoint.",
    ["endpoint"],
    buckets=LATENCY_BUCKETS,
)
PLATFORM_CALLS = Counter(
    "selfcare_platform_calls",
    "HTTP calls to the platform by API/resource, method and outcome "
    "(ok, not_found, rejected, unavailable, error).",
    ["api", "method", "outcome"],
)
PLATFORM_SECONDS = Histogram(
    "selfcare_platform_call_duration_seconds",
    "Duration of platform HTTP calls (incl. GET retries) by API/resource and method.",
    ["api", "method"],
    buckets=LATENCY_BUCKETS,
)
PLATFORM_BREAKER = Gauge(
    "selfcare_platform_breaker_state",
    "Circuit breaker of each platform API in this process: 0 closed, 1 half-open (one trial "
    "call), 2 open (calls fail fast).",
    ["api"],
    multiprocess_mode="livemax",  # with PROMETHEUS_MULTIPROC_DIR: the worst live worker
)
BREAKER_LEVELS = {"closed": 0, "half_open": 1, "open": 2}
SESSIONS_CREATED = Counter(
    "selfcare_sessions_created", "Widget sessions created by sign-in method.", ["partner", "method"]
)
SIGNIN_FAILURES = Counter(
    "selfcare_signin_failures",
    "Refused sign-ins by method and reason (SSO: the token check that failed).",
    ["partner", "method", "reason"],
)
EDRS = Counter("selfcare_edrs", "EDRs recorded by action and outcome.", ["action", "outcome"])
EDRS_NOT_STORED = Counter(
    "selfcare_edrs_not_stored",
    "EDRs the store did not keep: spooled (on this host's disk, sent when the store is back) or "
    "lost (the spool failed too).",
    ["outcome"],
)
STORE_WRITES_UNACKNOWLEDGED = Counter(
    "selfcare_store_writes_unacknowledged",
    "Writes (EDRs, new sessions) no replica acknowledged within SELFCARE_REDIS_WAIT_TIMEOUT_MS: "
    "they survive only if this primary does.",
    ["kind"],
)

_probe_session = requests.Session()
_probe_session.trust_env = False  # like the platform client: no proxies from the environment


# ---------------------------------------------------------------------- endpoints


@bp.get("/healthz")
def healthz() -> Response:
    """Liveness: the process serves requests. Touches nothing else; names the running release."""
    return Response(f"ok {__version__}\n", mimetype="text/plain")


@bp.get("/readyz")
def readyz():
    """Readiness: 200 ``{"store": "ok", "platform": "ok"}``, else 503 naming what failed."""
    checks = {"store": _store_status(), "platform": _platform_status()}
    ready = all(value == "ok" for value in checks.values())
    if not ready:
        log.warning("not ready: %s", checks)
    return jsonify(checks), 200 if ready else 503


@bp.get("/metrics")
def metrics() -> Response:
    """Prometheus text exposition (all workers' values in multiprocess mode)."""
    registry = REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    # The scraper's Accept header picks the format: text 0.0.4 by default, OpenMetrics on request.
    encoder, content_type = choose_encoder(request.headers.get("Accept", ""))
    return Response(encoder(registry), headers={"Content-Type": content_type})


def _store_status() -> str:
    try:
        services().store.ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"; the class is enough
        log.warning("readiness: store PING failed: %s", type(exc).__name__)
        return "unavailable"
    return "ok"


def _platform_status() -> str:
    """``ok`` if the platform root answers HTTP below 500 (any route, no credential needed)."""
    url = services().settings.platform_url
    try:
        response = _probe_session.head(url, timeout=PLATFORM_PROBE_TIMEOUT, allow_redirects=False)
    except requests.RequestException as exc:
        log.warning("readiness: platform unreachable: %s", type(exc).__name__)
        return "unavailable"
    if response.status_code >= 500:
        log.warning("readiness: platform answered %s", response.status_code)
        return "unavailable"
    return "ok"


# ---------------------------------------------------------------------- request metrics


def _start_timer() -> None:
    g.ops_started = time.perf_counter()


#: Request methods with a label value of their own; any other (invented) method shares one.
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "OPTIONS", "PUT", "PATCH", "DELETE"})


def _count_request(response: Response) -> Response:
    # Unknown URLs and invented methods are one label value each, so a scanner cannot blow up
    # the number of series.
    endpoint = request.endpoint or "unmatched"
    method = request.method if request.method in KNOWN_METHODS else "other"
    REQUESTS.labels(endpoint, method, str(response.status_code)).inc()
    started = g.get("ops_started")
    if started is not None:
        REQUEST_SECONDS.labels(endpoint).observe(time.perf_counter() - started)
    return response


# ---------------------------------------------------------------------- platform metrics


def api_label(path: str) -> str:
    """``customerManagement/customer`` for ``/tmf-api/customerManagement/v4/customer/<id>``.

    Only the API and the resource: ids and query strings never become label values.
    """
    parts = [p for p in path.split("?", 1)[0].split("/") if p]
    if len(parts) >= 2 and parts[0] == "tmf-api":
        return "/".join(parts[1:2] + parts[3:4])
    return "/".join(parts[0:1] + parts[2:3]) or "root"


def _outcome(exc: BaseException) -> str:
    if isinstance(exc, NotFound):
        return "not_found"
    if isinstance(exc, Rejected):
        return "rejected"
    if isinstance(exc, Unavailable):
        return "unavailable"
    return "error"


@contextmanager
def _platform_call(api: str, method: str) -> Iterator[None]:
    started = time.perf_counter()
    outcome = "ok"
    try:
        yield
    except PlatformError as exc:
        outcome = _outcome(exc)
        raise
    except Exception:
        outcome = "error"
        raise
    finally:
        PLATFORM_CALLS.labels(api, method, outcome).inc()
        PLATFORM_SECONDS.labels(api, method).observe(time.perf_counter() - started)


def instrument_platform(platform: Any) -> bool:
    """Count and time the HTTP calls of the TMF adapter under ``platform`` (caches unwrapped).

    Wraps the instance's ``_send`` and ``authenticate`` (every HTTP call goes through one of
    them) without changing what they do, and follows its circuit breakers in a gauge; another
    adapter (a test double) is left alone. Returns whether an adapter was instrumented.
    """
    from .platform.tmf import SELFCARE, TmfPlatform

    adapter = platform
    while not isinstance(adapter, TmfPlatform) and hasattr(adapter, "inner"):
        adapter = adapter.inner
    if not isinstance(adapter, TmfPlatform):
        return False
    if getattr(adapter, "_ops_instrumented", False):
        return True
    send: Callable[..., Any] = adapter._send
    authenticate: Callable[..., Any] = adapter.authenticate

    def timed_send(method: str, path: str, **kwargs: Any) -> Any:
        with _platform_call(api_label(path), method):
            return send(method, path, **kwargs)

    def timed_authenticate(*args: Any, **kwargs: Any) -> Any:
        with _platform_call(api_label(f"{SELFCARE}/authenticate"), "POST"):
            return authenticate(*args, **kwargs)

    def breaker_changed(api: str, state: str) -> None:
        PLATFORM_BREAKER.labels(api_label(api)).set(BREAKER_LEVELS.get(state, 2))

    adapter._send = timed_send  # type: ignore[method-assign]
    adapter.authenticate = timed_authenticate  # type: ignore[method-assign]
    adapter.watch_breakers(breaker_changed)
    adapter._ops_instrumented = True  # type: ignore[attr-defined]
    return True


# ---------------------------------------------------------------------- EDR-derived metrics


def _on_edr(_sender: Any, action: str, outcome: str, partner_id: str, details: dict[str, Any]) -> None:
    """Count an EDR; sign-ins also count as sessions created or sign-in failures."""
    EDRS.labels(action, outcome).inc()
    if action != "signin":
        return
    method = str(details.get("method", "unknown"))
    if outcome == "success":
        SESSIONS_CREATED.labels(partner_id, method).inc()
    else:
        SIGNIN_FAILURES.labels(partner_id, method, str(details.get("reason", "unknown"))).inc()


def _on_edr_not_stored(_sender: Any, outcome: str) -> None:
    EDRS_NOT_STORED.labels(outcome).inc()


def _on_write_unacknowledged(_sender: Any, kind: str) -> None:
    STORE_WRITES_UNACKNOWLEDGED.labels(kind).inc()


#: What an operator reaches on the ops port; /healthz is everywhere (load balancers probe it).
OPS_ONLY = frozenset({"ops.readyz", "ops.metrics"})


def _separate_ops_port() -> None:
    """With ``SELFCARE_OPS_PORT``: metrics and readiness only there, nothing else there."""
    on_ops_port = request.environ.get("SERVER_PORT") == str(services().settings.ops_port)
    if request.endpoint == "ops.healthz":
        return
    if (request.endpoint in OPS_ONLY) != on_ops_port:
        abort(404)


def init_app(app: Flask) -> None:
    """Register the endpoints and the request, platform and EDR metrics hooks."""
    app.register_blueprint(bp)
    if services(app).settings.ops_port:
        app.before_request(_separate_ops_port)
    # First before-request hook, so requests refused by later hooks (403, 401) are timed too.
    app.before_request_funcs.setdefault(None, []).insert(0, _start_timer)
    app.after_request(_count_request)
    instrument_platform(services(app).platform)
    # Metrics are per process, so one receiver serves every app (connecting again is a no-op).
    edr_recorded.connect(_on_edr)
    edr_not_stored.connect(_on_edr_not_stored)
    write_unacknowledged.connect(_on_write_unacknowledged)
