"""The ``selfcare-widget`` command: demo, cluster-demo, serve, sandbox, sso-token, edr-worker,
alerts, edr-status, edr-replay, check-theme, theme-studio, theme-new, embed-snippet."""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from .config import ConfigError

if TYPE_CHECKING:
    from .edr.worker import WorkerConfig

INSTANCE_DIR = Path(os.environ.get("SELFCARE_INSTANCE_DIR", "instance"))


def _demo(args: argparse.Namespace) -> int:
    from .demo import DemoStack

    stack = DemoStack(
        INSTANCE_DIR,
        host=args.host,
        portal_port=args.portal_port,
        widget_port=args.widget_port,
        platform_port=args.platform_port,
    )
    urls = stack.start()
    settings = stack.settings
    print(
        "\nSelf-care widget demo is running (in-process memory store, demo data):\n"
        f"  partner portal  {urls.portal}    <- open this, pick a customer, sign in\n"
        f"  widget          {urls.widget}\n"
        f"  platform        {urls.platform}  (TM Forum v4 sandbox)\n"
        f"  CRM (EDRs)      {urls.crm}  (what the partner's CRM received)\n"
        f"  SMS inbox       {urls.sms}  (codes the sandbox sent; demo only)\n"
        f"Sessions end after {settings.session_idle_seconds} s idle, {settings.session_absolute_seconds} s "
        "at most (SELFCARE_SESSION_IDLE / SELFCARE_SESSION_ABSOLUTE).\n"
        "Press Ctrl+C to stop.\n",
        flush=True,
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        stack.stop()
    return 0


def _sandbox(args: argparse.Namespace) -> int:
    from werkzeug.serving import run_simple

    from .sandbox import create_sandbox_app

    credential = os.environ.get("SELFCARE_PLATFORM_CREDENTIAL") or secrets.token_urlsafe(24)
    app = create_sandbox_app(db_path=Path(args.db), credential=credential)
    print(f"Sandbox platform: http://{args.host}:{args.port}\nPlatform credential: {credential}", flush=True)
    run_simple(args.host, args.port, app, threaded=True)
    return 0


def _serve(args: argparse.Namespace) -> int:
    from gunicorn.app.base import BaseApplication

    from . import create_app, start_background_work
    from .config import load_settings
    from .serving import preload

    settings = load_settings()
    if settings.uses_memory_store:
        raise ConfigError(
            "SELFCARE_REDIS_URL is memory:// — serve needs a shared Redis (redis://...) so that "
            "workers share sessions, rate limits and EDRs"
        )
    if not os.environ.get("SELFCARE_SECRET_KEY"):
        raise ConfigError(
            "SELFCARE_SECRET_KEY is required for serve: every worker must sign and verify order "
            "confirmations with the same key"
        )
    app = create_app(settings=settings)

    binds = [f"{args.host}:{args.port}"]
    if settings.ops_port:
        binds.append(f"{args.host}:{settings.ops_port}")  # /metrics and /readyz only (ops.py)

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", binds)
            self.cfg.set("workers", args.workers)
            self.cfg.set("threads", args.threads)
            # gthread that leaves new connections to an idle worker (serving.py says why)
            self.cfg.set("worker_class", "selfcare_widget.serving.CapacityThreadWorker")
            # A worker that stops answering its heartbeat is replaced; platform calls end within
            # SELFCARE_PLATFORM_DEADLINE, so no request legitimately takes this long.
            self.cfg.set("timeout", max(30, int(settings.platform_deadline * 4)))
            self.cfg.set("graceful_timeout", 15)
            self.cfg.set("keepalive", 5)
            # Workers are recycled now and then (jittered), so a slow leak cannot grow forever;
            # RSS is flat from 10 000 to 50 000 requests (bench/memory.py), and every replacement
            # is a pause for the requests queued at that worker.
            self.cfg.set("max_requests", 50_000)
            self.cfg.set("max_requests_jitter", 5_000)
            self.cfg.set("post_fork", lambda _server, _worker: start_background_work(app))
            self.cfg.set("accesslog", "-")
            # No client address, referrer or user agent: the access log carries no personal data.
            self.cfg.set(
                "access_log_format", '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms rid=%({x-request-id}o)s'
            )

        def load(self):
            return app

    preload(app)
    Server().run()
    return 0


def _edr_settings_and_partners():
    """Settings and partners from ``SELFCARE_*`` like ``serve``; the EDR tools need a shared Redis."""
    from .config import load_settings
    from .partners import load_partners

    settings = load_settings()
    if settings.uses_memory_store:
        raise ConfigError(
            "SELFCARE_REDIS_URL is memory:// — the EDR worker must read the same Redis the widget "
            "records EDRs into (redis://...)"
        )
    if settings.partners_file is None:
        raise ConfigError("SELFCARE_PARTNERS_FILE is required (the partners TOML file)")
    return settings, load_partners(settings.partners_file)


def _positive_seconds(raw: str) -> float:
    """An argparse type: a number of seconds above zero."""
    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a number of seconds") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, got {raw}")
    return value


def _worker_config(args: argparse.Namespace) -> WorkerConfig:
    """The delivery worker's tuning: the defaults, unless ``--claim-idle`` / ``--poll`` say otherwise."""
    from dataclasses import replace

    from .edr.worker import WorkerConfig

    config = WorkerConfig()
    if args.claim_idle is not None:
        config = replace(config, claim_idle_ms=round(args.claim_idle * 1000))
    if args.poll is not None:
        config = replace(config, poll_interval=args.poll)
    return config


def _edr_worker(args: argparse.Namespace) -> int:
    import signal
    import socket
    import threading

    from . import store
    from .edr.worker import EdrWorker, adopt_legacy_keys

    settings, partners = _edr_settings_and_partners()
    consumer = args.consumer or f"{socket.gethostname()}-{os.getpid()}"
    shared = store.connect(settings.redis_url)
    if not store.is_cluster(shared):  # a Cluster deployment never had the old names
        adopt_legacy_keys(shared, partners)
    worker = EdrWorker(shared, partners, consumer, _worker_config(args))
    if args.metrics_port:
        from prometheus_client import start_http_server

        start_http_server(args.metrics_port, addr=args.metrics_host)
        print(f"metrics on http://{args.metrics_host}:{args.metrics_port}/metrics", flush=True)
    if args.once:
        stats = worker.run_once()
        print(
            f"delivered {stats.delivered}, failed {stats.failed}, dead-lettered {stats.dead}, "
            f"deferred {stats.deferred}, reclaimed {stats.claimed}, partners disabled {stats.disabled}",
            flush=True,
        )
        return 0
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    worker.run_forever(stop)
    return 0


def _cluster_demo(args: argparse.Namespace) -> int:
    """The widget as several processes behind HAProxy, with Redis Sentinel, until Ctrl+C."""
    import signal

    from .demo.cluster import Cluster, ClusterError

    def interrupted(*_: object) -> None:
        raise KeyboardInterrupt

    # Ctrl+C even when started in the background (SIGINT ignored), and SIGTERM / a closed
    # terminal: every process of the topology is stopped, none is left behind.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, interrupted)
    cluster = Cluster(
        widgets=args.widgets,
        workers=args.workers,
        replicas=args.replicas,
        portal=True,
        haproxy_port=args.port,
        workdir=Path(args.dir) if args.dir else None,
    )
    print(
        "Starting the sandbox, Redis with Sentinels, widget instances, EDR workers and HAProxy ...",
        flush=True,
    )
    try:
        cluster.start()
    except ClusterError as exc:
        raise ConfigError(str(exc)) from None
    except KeyboardInterrupt:
        return 130  # start() stopped what it had started
    try:
        print("\nSelf-care widget cluster is running on loopback (demo data):", flush=True)
        for line in cluster.describe():
            print("  " + line, flush=True)
        print(
            "\nTry: kill -9 an instance's or a worker's pid, or `redis-cli -p "
            f"{cluster.sentinel_ports[0]} SENTINEL FAILOVER selfcare`, and keep using the widget; "
            "HAProxy's status page shows what it sends requests to.\nPress Ctrl+C to stop.\n",
            flush=True,
        )
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        cluster.stop()
    return 0


def _alerts(args: argparse.Namespace) -> int:
    import signal
    import threading

    from . import store
    from .alerts import AlertChecker, platform_from_settings
    from .config import load_settings
    from .partners import load_partners

    settings = load_settings()
    if settings.uses_memory_store:
        raise ConfigError(
            "SELFCARE_REDIS_URL is memory:// — the alerts process keeps what it has sent in a shared "
            "Redis (redis://...), or every restart would notify again"
        )
    if settings.partners_file is None:
        raise ConfigError("SELFCARE_PARTNERS_FILE is required (the partners TOML file)")
    shared = store.connect(settings.redis_url)
    checker = AlertChecker(
        platform_from_settings(settings, shared), shared, load_partners(settings.partners_file)
    )
    if args.metrics_port:
        from prometheus_client import start_http_server

        start_http_server(args.metrics_port, addr=args.metrics_host)
        print(f"metrics on http://{args.metrics_host}:{args.metrics_port}/metrics", flush=True)
    if args.once:
        stats = checker.run_once()
        print(
            f"customers {stats.customers}, SIMs {stats.sims}, sent {stats.sent}, "
            f"already sent {stats.already}, failed {stats.failed}",
            flush=True,
        )
        return 0
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    checker.run_forever(stop, args.interval)
    return 0


def _edr_status(args: argparse.Namespace) -> int:
    from . import store
    from .edr.worker import dead_letters, delivery_status, endpoint_disabled, scheduled_retries

    settings, partners = _edr_settings_and_partners()
    shared = store.connect(settings.redis_url)
    now = time.time()

    def when(unix_seconds: float) -> str:
        at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(unix_seconds))
        left = round(unix_seconds - now)
        if left <= 0:
            return f"{at} (due)"
        minutes, seconds = divmod(left, 60)
        hours, minutes = divmod(minutes, 60)
        return f"{at} (in {hours}h {minutes:02d}m)" if hours else f"{at} (in {minutes}m {seconds:02d}s)"

    for pid in [args.partner] if args.partner else sorted(partners):
        counts = delivery_status(shared, pid)
        line = f"{pid}: undelivered {counts['stream']}, pending {counts['pending']}, dead {counts['dead']}"
        disabled = endpoint_disabled(shared, pid)
        retries = scheduled_retries(shared, pid, count=max(args.pending, 1))
        partner = partners.get(pid)
        if disabled is not None:
            line += (
                f"; delivery DISABLED since {disabled.get('since', '?')} (the endpoint answered "
                f"{disabled.get('status', 410)} to EDR {disabled.get('edr', '?')}); re-enable: "
                f"selfcare-widget edr-replay --partner {pid} --enable-endpoint"
            )
        elif partner is not None and not partner.edr_webhook_url:
            line += "; no webhook URL: EDRs stay in the stream"
        elif retries:
            line += f"; next attempt {when(retries[0].next_at)}"
        print(line)
        for retry in retries[: args.pending]:
            print(
                f"  {retry.entry}  edr={retry.edr or '-'} attempts={retry.attempts} "
                f"error={retry.error!r} next={when(retry.next_at)}"
            )
        if args.dead:
            for dead_id, fields in dead_letters(shared, pid, count=args.dead):
                print(
                    f"  {dead_id}  entry={fields.get('entry')} attempts={fields.get('attempts')} "
                    f"error={fields.get('error')!r} failedAt={fields.get('failedAt')}"
                )
    return 0


def _edr_replay(args: argparse.Namespace) -> int:
    from . import store
    from .edr.worker import enable_endpoint, replay_dead_letters

    settings, partners = _edr_settings_and_partners()
    if args.partner not in partners:
        raise ConfigError(f"partner {args.partner!r} is not in SELFCARE_PARTNERS_FILE")
    if args.enable_endpoint:
        was = enable_endpoint(store.connect(settings.redis_url), args.partner)
        if was is None:
            print(f"delivery to {args.partner} was not disabled", flush=True)
        else:
            print(
                f"delivery to {args.partner} re-enabled (disabled since {was.get('since', '?')} after "
                f"HTTP {was.get('status', 410)} to EDR {was.get('edr', '?')})",
                flush=True,
            )
        return 0
    moved = replay_dead_letters(store.connect(settings.redis_url), args.partner, args.id or None)
    print(f"{moved} dead letter(s) of {args.partner} moved back for delivery", flush=True)
    return 0


def _sso_token(args: argparse.Namespace) -> int:
    from .demo.keys import load_or_create_rsa_key, mint_sso_token, public_jwk

    if args.key:
        key = Path(args.key).read_text()
    elif args.hs256_secret_env:
        key = os.environ.get(args.hs256_secret_env, "")
        if not key:
            raise ConfigError(f"{args.hs256_secret_env} is not set")
    else:
        key = load_or_create_rsa_key(INSTANCE_DIR / "demo-portal-key.pem")
    algorithm = "HS256" if args.hs256_secret_env else "RS256"
    kid = public_jwk(key)["kid"] if algorithm == "RS256" else None
    print(
        mint_sso_token(
            partner_id=args.partner,
            customer_id=args.customer,
            key=key,
            algorithm=algorithm,
            kid=kid,
            audience=args.audience,
            ttl=args.ttl,
            locale=args.locale,
        )
    )
    return 0


def _check_theme(args: argparse.Namespace) -> int:
    from .config import PROJECT_ROOT
    from .themes import base_defaults, check_theme, theme_folders

    if args.folders:
        folders = [Path(f) for f in args.folders]
    else:
        themes_dir = Path(os.environ.get("SELFCARE_THEMES_DIR") or PROJECT_ROOT / "themes")
        if not themes_dir.is_dir():
            raise ConfigError(f"SELFCARE_THEMES_DIR={str(themes_dir)!r} is not a folder")
        folders = theme_folders(themes_dir)
    defaults = base_defaults()
    failed = 0
    for folder in folders:
        problems = check_theme(folder, defaults) if folder.is_dir() else None
        if problems is None:
            print(f"{folder}: not a theme folder")
        elif problems:
            print(f"{folder.name}: {len(problems)} problem(s)")
            for problem in problems:
                print(f"  {problem}")
        else:
            print(f"{folder.name}: ok")
        failed += problems != []
    return 1 if failed else 0


def _theme_studio(args: argparse.Namespace) -> int:
    from .theme_studio import serve_studio

    serve_studio(Path(args.theme_dir), host=args.host, port=args.port)
    return 0


def _theme_new(args: argparse.Namespace) -> int:
    from .config import PROJECT_ROOT
    from .theme_studio import new_theme

    themes_dir = Path(args.themes_dir or os.environ.get("SELFCARE_THEMES_DIR") or PROJECT_ROOT / "themes")
    target = new_theme(themes_dir, args.name, args.source)
    print(f"{target}: copied from {args.source}; open it with `selfcare-widget theme-studio {target}`")
    return 0


def _embed_snippet(args: argparse.Namespace) -> int:
    """Print the two lines a partner pastes: the widget's div and this release's pinned loader."""
    from html import escape
    from urllib.parse import urlsplit

    from . import create_app
    from .assets import subresource_integrity, versioned_loader_path
    from .config import load_settings
    from .services import services

    settings = load_settings()
    base_url = (args.base_url or settings.public_url).rstrip("/")
    if not base_url:
        raise ConfigError("give --base-url or set SELFCARE_PUBLIC_URL (the widget's public origin)")
    parts = urlsplit(base_url)
    if (
        parts.scheme not in ("http", "https")
        or not parts.netloc
        or parts.path
        or parts.query
        or parts.fragment
    ):
        named = "--base-url" if args.base_url else "SELFCARE_PUBLIC_URL"
        raise ConfigError(f"{named} {base_url!r} is not an origin like https://widget.example.net")
    # The loader's bytes depend on the partners file and the themes (its manifest names each
    # partner's theme files by content hash): ask the app configured like `serve` for them.
    app = create_app(settings=settings)
    partner = args.partner or "PARTNER-ID"
    if args.partner and args.partner not in services(app).partners:
        raise ConfigError(f"partner {args.partner!r} is not in SELFCARE_PARTNERS_FILE")
    response = app.test_client().get(versioned_loader_path())
    if response.status_code != 200:
        raise ConfigError(f"the widget answered {response.status_code} for {versioned_loader_path()}")
    integrity = subresource_integrity(response.get_data())
    src = base_url + versioned_loader_path()
    print(
        f'<div data-selfcare-widget data-partner="{escape(partner)}" '
        f'data-token-url="{escape(args.token_url)}"></div>'
    )
    print(f'<script src="{escape(src)}" integrity="{integrity}" crossorigin="anonymous" async></script>')
    return 0


def build_parser() -> argparse.ArgumentParser:
    from .version import __version__

    parser = argparse.ArgumentParser(prog="selfcare-widget", description="MVNO self-care widget")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser(
        "demo",
        help="run sandbox platform, widget and a demo partner portal",
        epilog="The widget's SELFCARE_* settings apply (session timeouts, audience, platform timeouts, "
        "JWT leeway, themes, cache, secret key); the demo provides its own platform, partners, "
        "in-process store and URLs.",
    )
    demo.add_argument("--host", default="127.0.0.1")
    demo.add_argument("--portal-port", type=int, default=8000)
    demo.add_argument("--widget-port", type=int, default=8001)
    demo.add_argument("--platform-port", type=int, default=8002)
    demo.set_defaults(func=_demo)

    sandbox = sub.add_parser("sandbox", help="run the sandbox MVNE platform alone")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8002)
    sandbox.add_argument("--db", default=str(INSTANCE_DIR / "sandbox.sqlite3"))
    sandbox.set_defaults(func=_sandbox)

    serve = sub.add_parser("serve", help="run the widget for production (gunicorn, needs Redis)")
    serve.add_argument("--host", default="0.0.0.0")  # noqa: S104 - a server binds all interfaces
    serve.add_argument("--port", type=int, default=8001)
    serve.add_argument("--workers", type=int, default=2)
    serve.add_argument("--threads", type=int, default=8)
    serve.set_defaults(func=_serve)

    worker = sub.add_parser("edr-worker", help="deliver EDRs to the partners' CRM webhooks (needs Redis)")
    worker.add_argument("--consumer", help="consumer name in the group (default: host-pid)")
    worker.add_argument("--once", action="store_true", help="one pass over all partners, then exit")
    worker.add_argument(
        "--metrics-port", type=int, metavar="PORT", help="serve Prometheus /metrics on this port"
    )
    worker.add_argument(
        "--metrics-host",
        default="0.0.0.0",  # noqa: S104 - like serve; keep the port on an internal network
        metavar="HOST",
        help="address for --metrics-port (default: all interfaces)",
    )
    worker.add_argument(
        "--claim-idle",
        type=_positive_seconds,
        metavar="SECONDS",
        help="take over EDRs another (dead) worker has left unacknowledged this long (default 300)",
    )
    worker.add_argument(
        "--poll",
        type=_positive_seconds,
        metavar="SECONDS",
        help="how long an idle worker waits for new EDRs before its next pass (default 1)",
    )
    worker.set_defaults(func=_edr_worker)

    cluster = sub.add_parser(
        "cluster-demo",
        help="the widget as several processes behind HAProxy with Redis Sentinel, on loopback",
        epilog="Needs redis-server and haproxy (Debian packages redis-server, haproxy). Every process "
        "gets a free loopback port; the URLs, pids and log folder are printed.",
    )
    cluster.add_argument("--port", type=int, default=8080, help="HAProxy's port (default 8080)")
    cluster.add_argument("--widgets", type=int, default=2, metavar="N", help="widget instances (default 2)")
    cluster.add_argument("--workers", type=int, default=2, metavar="N", help="EDR workers (default 2)")
    cluster.add_argument("--replicas", type=int, default=1, metavar="N", help="Redis replicas (default 1)")
    cluster.add_argument("--dir", help="work folder for logs and data (default: a temporary one, removed)")
    cluster.set_defaults(func=_cluster_demo)

    alerts = sub.add_parser(
        "alerts", help="send the customers' usage alerts (80/100 %% data, low credit) (needs Redis)"
    )
    alerts.add_argument("--once", action="store_true", help="one pass over all partners, then exit")
    alerts.add_argument(
        "--interval", type=float, default=300.0, metavar="SECONDS", help="between passes (default 300)"
    )
    alerts.add_argument(
        "--metrics-port", type=int, metavar="PORT", help="serve Prometheus /metrics on this port"
    )
    alerts.add_argument(
        "--metrics-host",
        default="0.0.0.0",  # noqa: S104 - like edr-worker; keep the port on an internal network
        metavar="HOST",
        help="address for --metrics-port (default: all interfaces)",
    )
    alerts.set_defaults(func=_alerts)

    status = sub.add_parser(
        "edr-status", help="undelivered, pending and dead-lettered EDRs per partner, next attempts"
    )
    status.add_argument("--partner")
    status.add_argument(
        "--pending",
        type=int,
        default=10,
        metavar="N",
        help="list the N pending EDRs whose next attempt comes soonest (default 10)",
    )
    status.add_argument(
        "--dead", type=int, default=0, metavar="N", help="also list the oldest N dead letters"
    )
    status.set_defaults(func=_edr_status)

    replay = sub.add_parser("edr-replay", help="move dead-lettered EDRs back to the stream for delivery")
    replay.add_argument("--partner", required=True)
    replay_what = replay.add_mutually_exclusive_group()
    replay_what.add_argument(
        "--id", action="append", help="dead-letter id to replay (repeatable; default: all)"
    )
    replay_what.add_argument(
        "--enable-endpoint",
        action="store_true",
        help="only re-enable delivery to the partner, disabled after its endpoint answered 410 Gone",
    )
    replay.set_defaults(func=_edr_replay)

    token = sub.add_parser("sso-token", help="print a valid SSO token (testing)")
    token.add_argument("--partner", required=True)
    token.add_argument("--customer", required=True)
    token.add_argument("--ttl", type=int, default=120)
    token.add_argument("--audience", default="selfcare-widget")
    token.add_argument("--locale", choices=("cs", "en"))
    token.add_argument("--key", help="PEM private key (default: the demo portal's key)")
    token.add_argument("--hs256-secret-env", help="sign HS256 with the secret in this environment variable")
    token.set_defaults(func=_sso_token)

    check = sub.add_parser(
        "check-theme", help="check theme folders: safe CSS only, WCAG AA contrast (exit 1 on problems)"
    )
    check.add_argument(
        "folders", nargs="*", metavar="THEME_DIR", help="default: every folder in the themes dir"
    )
    check.set_defaults(func=_check_theme)

    studio = sub.add_parser(
        "theme-studio",
        help="a local page with every widget section and state in a theme, live as you edit it",
    )
    studio.add_argument("theme_dir", metavar="THEME_DIR")
    studio.add_argument("--host", default="127.0.0.1")
    studio.add_argument("--port", type=int, default=8010)
    studio.set_defaults(func=_theme_studio)

    new_theme = sub.add_parser("theme-new", help="copy a theme folder as the start of a new theme")
    new_theme.add_argument("name", metavar="NAME", help="the new theme's folder name (a-z, 0-9, - and _)")
    new_theme.add_argument(
        "--from",
        dest="source",
        default="default",
        help="the theme to copy (a name or a folder; default: default)",
    )
    new_theme.add_argument(
        "--themes-dir", help="where the new folder goes (default: SELFCARE_THEMES_DIR or ./themes)"
    )
    new_theme.set_defaults(func=_theme_new)

    snippet = sub.add_parser(
        "embed-snippet",
        help="print the HTML a partner pastes: the widget div and this release's loader with SRI",
    )
    snippet.add_argument(
        "--base-url",
        help="the widget's public origin, e.g. https://widget.example.net (default: SELFCARE_PUBLIC_URL)",
    )
    snippet.add_argument("--partner", help="the partner id for data-partner (default: a placeholder)")
    snippet.add_argument(
        "--token-url", default="/selfcare-token", help="data-token-url on the partner's portal"
    )
    snippet.set_defaults(func=_embed_snippet)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    from .logs import configure

    configure()
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
