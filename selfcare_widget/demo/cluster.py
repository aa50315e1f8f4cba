"""Beyond one machine, on one machine: the widget as several processes behind a load balancer.

:class:`Cluster` starts, each as a real subprocess on free loopback ports in one work folder:

- the sandbox platform with its demo CRM receiver (``python -m selfcare_widget.demo.cluster
  sandbox``: the ``sandbox`` command plus the receiver's webhook secrets);
- Redis: a primary, replicas (``--replicaof``) and three Sentinels (``redis-server FILE
  --sentinel``) watching the primary as ``selfcare`` (quorum 2, down after 1 s);
- widget instances (``selfcare-widget serve``: one gunicorn worker with threads each), all on
  the same ``SELFCARE_SECRET_KEY``, partners file, platform and store URL
  (``redis+sentinel://…/selfcare``, replicas acknowledging EDRs and sessions);
- EDR delivery workers (``selfcare-widget edr-worker``);
- HAProxy in front of the instances: round robin, ``GET /readyz`` checked every 500 ms, an
  instance that refuses a connection is retried on another one.

It can then lose parts on purpose (:meth:`Cluster.kill_widget`, :meth:`Cluster.kill_worker`,
:meth:`Cluster.failover`) — what ``tests/cluster/test_ha.py`` measures and ``selfcare-widget
cluster-demo`` lets a person try. Every process runs in its own process group; :meth:`stop`
(or leaving the ``with`` block) kills them all.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Literal, cast

import redis
import requests

SERVICE = "selfcare"  # the Sentinels' name of the primary
PARTNERS = ("demo-mobil", "zelena-mobil")
PARTNER_NAMES = {"demo-mobil": "Demo Mobil", "zelena-mobil": "Zelená mobil"}
HOST = "127.0.0.1"
HAPROXY_FALLBACK = "/usr/sbin/haproxy"  # Debian installs it outside an ordinary user's PATH
#: Settings the cluster decides itself; every other ``SELFCARE_*`` of the caller's environment
#: reaches the widget instances and workers (session timeouts, platform timeouts, log format …).
OWNED_SETTINGS = (
    "SELFCARE_PLATFORM_URL",
    "SELFCARE_PLATFORM_CREDENTIAL",
    "SELFCARE_PARTNERS_FILE",
    "SELFCARE_REDIS_URL",
    "SELFCARE_REDIS_WAIT_REPLICAS",
    "SELFCARE_REDIS_WAIT_TIMEOUT_MS",
    "SELFCARE_EDR_SPOOL_DIR",
    "SELFCARE_PUBLIC_URL",
    "SELFCARE_OPS_PORT",
    "SELFCARE_PROXY_HOPS",
    "SELFCARE_SECRET_KEY",
    "SELFCARE_INSTANCE_DIR",
)
CRM_SECRETS_ENV = "SELFCARE_CLUSTER_CRM_SECRETS"  # noqa: S105 - the name of a variable, not a secret


class ClusterError(RuntimeError):
    """The topology could not be started or did not reach the state asked for."""


def _env_name(kind: str, partner_id: str) -> str:
    return f"SELFCARE_CLUSTER_{kind}_{partner_id.upper().replace('-', '_')}"


def find_binaries() -> dict[str, str]:
    """Paths of ``redis-server`` and ``haproxy``; a :class:`ClusterError` names the missing
    Debian package."""
    found = {
        "redis-server": shutil.which("redis-server"),
        "haproxy": shutil.which("haproxy")
        or (HAPROXY_FALLBACK if os.access(HAPROXY_FALLBACK, os.X_OK) else None),
    }
    missing = [name for name, path in found.items() if path is None]
    if missing:
        raise ClusterError(
            f"{' and '.join(missing)} not found: install the Debian package(s) "
            f"({'apt-get install ' + ' '.join(missing)})"
        )
    return {name: str(path) for name, path in found.items()}


def free_port(host: str = HOST) -> int:
    """A TCP port nobody listens on right now (the OS picks it)."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _wait(what: str, check: Callable[[], bool], timeout: float, interval: float = 0.1) -> float:
    """Poll ``check`` until true; returns the seconds it took, raises ClusterError at ``timeout``."""
    started = time.monotonic()
    while True:
        try:
            if check():
                return time.monotonic() - started
        except (OSError, redis.RedisError, requests.RequestException):
            pass
        if time.monotonic() - started > timeout:
            raise ClusterError(f"{what}: not within {timeout:.0f} s")
        time.sleep(interval)


@dataclass
class Process:
    """One subprocess of the cluster, leader of its own process group, logging to a file."""

    name: str
    args: list[str]
    log: Path
    env: Mapping[str, str] | None = None
    cwd: Path | None = None
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        with self.log.open("ab") as log:
            log.write(f"--- {time.strftime('%H:%M:%S')} start: {' '.join(self.args)}\n".encode())
            log.flush()
            self.popen = subprocess.Popen(  # noqa: S603 - our own binaries and arguments
                self.args,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=dict(self.env) if self.env is not None else None,
                cwd=self.cwd,
                start_new_session=True,  # its own process group: a kill takes its children too
            )
        return self

    @property
    def pid(self) -> int | None:
        return self.popen.pid if self.popen else None

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self, signum: int = signal.SIGKILL, wait: float = 10.0) -> None:
        """Send ``signum`` to the whole process group and reap the leader."""
        if self.popen is None:
            return
        self.signal(signum)
        try:
            self.popen.wait(wait)
        except subprocess.TimeoutExpired:
            if signum != signal.SIGKILL:
                self.kill(signal.SIGKILL, wait)

    def wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the process to end; whether it did."""
        if self.popen is None:
            return True
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            return False
        return True

    def signal(self, signum: int) -> None:
        """Send ``signum`` to the process group (nothing if it is gone)."""
        if self.popen is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.popen.pid, signum)

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass(frozen=True)
class Failover:
    """What :meth:`Cluster.failover` did and how long each step took."""

    mode: str
    old_primary: int  # port
    new_primary: int
    promoted_after: float  # seconds from the kill / the FAILOVER command to all Sentinels agreeing
    replicas_after: float  # ... to the new primary having its replicas (``WAIT`` answers again)
    started_at: float  # time.time() of the kill / the command


@dataclass
class Cluster:
    """The multi-instance topology on loopback (see the module docstring). Use as a context
    manager, or call :meth:`start` and :meth:`stop`.

    ``store``: ``"sentinel"`` (``redis+sentinel://`` through the Sentinels) or ``"primary"``
    (``redis://`` straight to the first primary: no failover, for an older widget or a
    comparison). ``claim_idle``: seconds before a live worker takes over the pending EDRs of a
    dead one. ``portal``: also serve the demo partner portal (in this process) whose customers
    sign in to the widget through HAProxy.
    """

    widgets: int = 2
    workers: int = 2
    replicas: int = 1
    sentinels: int = 3
    store: Literal["sentinel", "primary"] = "sentinel"
    workdir: Path | None = None
    claim_idle: float = 5.0
    worker_poll: float = 0.2
    wait_replicas: int | None = None  # default: all replicas (0 without replicas)
    wait_timeout_ms: int = 500
    portal: bool = False
    haproxy_port: int = 0
    threads: int = 8
    env: Mapping[str, str] | None = None
    started_timeout: float = 90.0

    # filled by start()
    binaries: dict[str, str] = field(default_factory=dict, init=False)
    credential: str = field(default="", init=False, repr=False)
    secret_key: str = field(default="", init=False, repr=False)
    sso_secrets: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    crm_secrets: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    platform_port: int = field(default=0, init=False)
    widget_ports: list[int] = field(default_factory=list, init=False)
    redis_ports: list[int] = field(default_factory=list, init=False)
    sentinel_ports: list[int] = field(default_factory=list, init=False)
    stats_port: int = field(default=0, init=False)
    portal_port: int = field(default=0, init=False)
    _procs: dict[str, Process] = field(default_factory=dict, init=False, repr=False)
    _own_workdir: bool = field(default=False, init=False, repr=False)
    _portal_server: Any = field(default=None, init=False, repr=False)
    _portal_thread: threading.Thread | None = field(default=None, init=False, repr=False)

    # --- URLs -----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The widget through HAProxy: what partners embed."""
        return f"http://{HOST}:{self.haproxy_port}"

    @property
    def widget_urls(self) -> list[str]:
        """Each widget instance directly (bypassing HAProxy)."""
        return [f"http://{HOST}:{port}" for port in self.widget_ports]

    @property
    def platform_url(self) -> str:
        return f"http://{HOST}:{self.platform_port}"

    @property
    def stats_url(self) -> str:
        """HAProxy's status page: which instances are up."""
        return f"http://{HOST}:{self.stats_port}/"

    @property
    def portal_url(self) -> str:
        return f"http://{HOST}:{self.portal_port}"

    def crm_url(self, partner_id: str = "demo-mobil") -> str:
        """The sandbox CRM's listing of what a partner received."""
        return f"{self.platform_url}/crm/{partner_id}/edrs"

    @property
    def redis_url(self) -> str:
        """``SELFCARE_REDIS_URL`` of the instances and workers."""
        if self.store == "primary":
            return f"redis://{HOST}:{self.redis_ports[0]}/0"
        nodes = ",".join(f"{HOST}:{port}" for port in self.sentinel_ports)
        return f"redis+sentinel://{nodes}/{SERVICE}"

    @property
    def directory(self) -> Path:
        if self.workdir is None:
            raise ClusterError("the cluster is not started")
        return self.workdir

    @property
    def spool_dir(self) -> Path:
        return self.directory / "edr-spool"

    @property
    def sandbox_db(self) -> Path:
        return self.directory / "sandbox.sqlite3"

    @property
    def processes(self) -> dict[str, Process]:
        """Every process by name (``widget-0``, ``worker-1``, ``redis-6380``, ``haproxy`` …)."""
        return dict(self._procs)

    # --- start and stop -------------------------------------------------------------------

    def __enter__(self) -> Cluster:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> Cluster:
        """Start everything and wait until HAProxy serves a ready instance; on any failure
        everything started so far is stopped and a :class:`ClusterError` says what failed."""
        self.binaries = find_binaries()
        if self.store == "sentinel" and (self.sentinels < 1 or self.replicas < 1):
            raise ClusterError("a Sentinel failover needs at least one replica and one Sentinel")
        if self.workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix="selfcare-cluster-"))
            self._own_workdir = True
        (self.directory / "logs").mkdir(parents=True, exist_ok=True)
        self.credential = secrets.token_urlsafe(24)
        self.secret_key = secrets.token_hex(32)
        from ..edr.signing import new_secret

        self.sso_secrets = {pid: secrets.token_urlsafe(32) for pid in PARTNERS}
        self.crm_secrets = {pid: new_secret() for pid in PARTNERS}
        self.platform_port = free_port()
        self.redis_ports = [free_port() for _ in range(1 + self.replicas)]
        self.sentinel_ports = [free_port() for _ in range(self.sentinels if self.store == "sentinel" else 0)]
        self.widget_ports = [free_port() for _ in range(self.widgets)]
        self.haproxy_port = self.haproxy_port or free_port()
        self.stats_port = free_port()
        self.portal_port = free_port()
        try:
            self._write_partners_file()
            self._start_sandbox()
            self._start_redis()
            self._start_sentinels()
            self._wait_sandbox()
            for index in range(self.widgets):
                self.start_widget(index, wait=False)
            for index in range(self.widgets):
                self._wait_widget(index)
            for index in range(self.workers):
                self.start_worker(index)
            self._start_haproxy()
            if self.portal:
                self._start_portal()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop every process (SIGTERM, SIGKILL after a moment) and the portal; remove the work
        folder if the cluster made it."""
        if self._portal_server is not None:
            self._portal_server.shutdown()
            self._portal_server = None
        procs = [p for p in self._procs.values() if p.alive]
        for proc in procs:
            proc.signal(signal.SIGTERM)
        deadline = time.monotonic() + 5
        for proc in procs:
            if not proc.wait(max(0.1, deadline - time.monotonic())):
                proc.kill(signal.SIGKILL)
        # a gunicorn worker whose master died first may linger in the group: take the groups too
        # (only those alive a moment ago: an empty group's id may belong to someone else by now)
        for proc in procs:
            proc.signal(signal.SIGKILL)
        if self._own_workdir and self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None
            self._own_workdir = False

    # --- the parts --------------------------------------------------------------------------

    def _process(self, name: str, args: list[str], env: Mapping[str, str] | None = None) -> Process:
        proc = Process(name, args, self.directory / "logs" / f"{name}.log", env=env, cwd=self.directory)
        self._procs[name] = proc
        return proc.start()

    def _write_partners_file(self) -> None:
        origin = self.portal_url
        tables = []
        for pid in PARTNERS:
            tables.append(
                "\n".join(
                    (
                        "[[partner]]",
                        f'id = "{pid}"',
                        f"name = {json.dumps(PARTNER_NAMES[pid], ensure_ascii=False)}",
                        f'origins = ["{origin}"]',
                        'login_methods = ["sso", "password"]',
                        f'theme = "{"zelena" if pid == "zelena-mobil" else "default"}"',
                        f'edr_webhook_url = "{self.platform_url}/crm/{pid}/webhook"',
                        f'edr_webhook_secret_env = "{_env_name("CRM_SECRET", pid)}"',
                        "",
                        "[partner.sso]",
                        'algorithm = "HS256"',
                        f'secret_env = "{_env_name("SSO_SECRET", pid)}"',
                        "",
                    )
                )
            )
        (self.directory / "partners.toml").write_text("\n".join(tables), encoding="utf-8")

    def widget_env(self) -> dict[str, str]:
        """The environment of the widget instances and EDR workers."""
        base = {k: v for k, v in os.environ.items() if k not in OWNED_SETTINGS}
        base.update(self.env or {})
        wait = self.replicas if self.wait_replicas is None else self.wait_replicas
        base.update(
            {
                "SELFCARE_PLATFORM_URL": self.platform_url,
                "SELFCARE_PLATFORM_CREDENTIAL": self.credential,
                "SELFCARE_PARTNERS_FILE": str(self.directory / "partners.toml"),
                "SELFCARE_REDIS_URL": self.redis_url,
                "SELFCARE_REDIS_WAIT_REPLICAS": str(wait),
                "SELFCARE_REDIS_WAIT_TIMEOUT_MS": str(self.wait_timeout_ms),
                "SELFCARE_EDR_SPOOL_DIR": str(self.spool_dir),
                "SELFCARE_PUBLIC_URL": self.url,
                "SELFCARE_PROXY_HOPS": "1",  # HAProxy sets X-Forwarded-For
                "SELFCARE_SECRET_KEY": self.secret_key,
                "PYTHONUNBUFFERED": "1",
            }
        )
        for pid in PARTNERS:
            base[_env_name("SSO_SECRET", pid)] = self.sso_secrets[pid]
            base[_env_name("CRM_SECRET", pid)] = self.crm_secrets[pid]
        return base

    def _start_sandbox(self) -> None:
        env = {
            **os.environ,
            "SELFCARE_PLATFORM_CREDENTIAL": self.credential,
            CRM_SECRETS_ENV: json.dumps(self.crm_secrets),
            "PYTHONUNBUFFERED": "1",
        }
        self._process(
            "sandbox",
            [
                sys.executable,
                "-m",
                "selfcare_widget.demo.cluster",
                "sandbox",
                "--port",
                str(self.platform_port),
                "--db",
                str(self.sandbox_db),
            ],
            env=env,
        )

    def _wait_sandbox(self) -> None:
        proc = self._procs["sandbox"]

        def up() -> bool:
            self._check_alive(proc)
            return requests.head(self.platform_url, timeout=1).status_code < 500

        # the first start generates the demo data (a few seconds)
        self._timed("the sandbox platform", up)

    def _redis_args(self, port: int, replica_of: int | None) -> list[str]:
        folder = self.directory / f"redis-{port}"
        folder.mkdir(exist_ok=True)
        args = [
            self.binaries["redis-server"],
            "--port",
            str(port),
            "--bind",
            HOST,
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
            "--repl-diskless-sync",
            "yes",
            "--repl-diskless-sync-delay",
            "0",  # a (re)joining replica syncs at once, not after 5 s
        ]
        if replica_of is not None:
            args += ["--replicaof", HOST, str(replica_of)]
        return args

    def _start_redis_node(self, port: int, replica_of: int | None) -> Process:
        return self._process(f"redis-{port}", self._redis_args(port, replica_of))

    def _start_redis(self) -> None:
        primary, *replicas = self.redis_ports
        self._start_redis_node(primary, None)
        for port in replicas:
            self._start_redis_node(port, primary)
        for port in self.redis_ports:
            self._timed(f"redis-server on port {port}", partial(self._answers, port))
        self._timed("the replicas' link to the primary", lambda: self._replicas_online(primary))

    def _start_sentinels(self) -> None:
        for port in self.sentinel_ports:
            folder = self.directory / f"sentinel-{port}"
            folder.mkdir(exist_ok=True)
            conf = folder / "sentinel.conf"  # Sentinel rewrites its file: each its own
            conf.write_text(
                "\n".join(
                    (
                        f"port {port}",
                        f"bind {HOST}",
                        f"dir {folder}",
                        f"sentinel monitor {SERVICE} {HOST} {self.redis_ports[0]} 2",
                        f"sentinel down-after-milliseconds {SERVICE} 1000",
                        f"sentinel failover-timeout {SERVICE} 3000",
                        f"sentinel parallel-syncs {SERVICE} 1",
                        "",
                    )
                )
            )
            self._process(f"sentinel-{port}", [self.binaries["redis-server"], str(conf), "--sentinel"])

        def known() -> bool:
            for port in self.sentinel_ports:
                state = cast("dict[str, Any]", self._node(port).sentinel_master(SERVICE))
                if int(state["num-other-sentinels"]) < len(self.sentinel_ports) - 1:
                    return False
                if int(state["num-slaves"]) < self.replicas:
                    return False
            return True

        # Sentinels find each other through hello messages on the primary (every 2 s)
        self._timed("the Sentinels to know each other and the replicas", known)

    def start_widget(self, index: int, wait: bool = True) -> Process:
        """Start (or restart) widget instance ``index`` on its port; ``wait`` for its /readyz."""
        port = self.widget_ports[index]
        proc = self._process(
            f"widget-{index}",
            [
                sys.executable,
                "-m",
                "selfcare_widget.cli",
                "serve",
                "--host",
                HOST,
                "--port",
                str(port),
                "--workers",
                "1",
                "--threads",
                str(self.threads),
            ],
            env=self.widget_env(),
        )
        if wait:
            self._wait_widget(index)
        return proc

    def _wait_widget(self, index: int) -> None:
        proc = self._procs[f"widget-{index}"]

        def ready() -> bool:
            self._check_alive(proc)
            return requests.get(f"{self.widget_urls[index]}/readyz", timeout=3).status_code == 200

        self._timed(f"widget instance {index} ready", ready)

    def start_worker(self, index: int) -> Process:
        """Start (or restart) EDR delivery worker ``index`` (consumer ``worker-<index>``)."""
        return self._process(
            f"worker-{index}",
            [
                sys.executable,
                "-m",
                "selfcare_widget.cli",
                "edr-worker",
                "--consumer",
                f"worker-{index}",
                "--claim-idle",
                str(self.claim_idle),
                "--poll",
                str(self.worker_poll),
            ],
            env=self.widget_env(),
        )

    def _haproxy_config(self) -> str:
        servers = "\n".join(
            f"    server widget-{i} {HOST}:{port} check inter 500 fall 2 rise 2"
            for i, port in enumerate(self.widget_ports)
        )
        return f"""# written by selfcare_widget/demo/cluster.py
global
    maxconn 1024

defaults
    mode http
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    timeout check 2s
    # a refused or failed connection goes to another instance (the request was not sent yet)
    option redispatch
    retries 3
    retry-on conn-failure

frontend widget
    bind {HOST}:{self.haproxy_port}
    option forwardfor
    default_backend widgets

backend widgets
    balance roundrobin
    http-response set-header X-Selfcare-Instance %[srv_name]  # which instance answered
    option httpchk GET /readyz
    http-check expect status 200
{servers}

listen stats
    bind {HOST}:{self.stats_port}
    stats enable
    stats uri /
    stats refresh 2s
"""

    def _start_haproxy(self) -> None:
        cfg = self.directory / "haproxy.cfg"
        cfg.write_text(self._haproxy_config())
        check = subprocess.run(  # noqa: S603 - our binary and file
            [self.binaries["haproxy"], "-c", "-q", "-f", str(cfg)],
            capture_output=True,
            text=True,
            check=False,
        )
        if check.returncode != 0:
            raise ClusterError(f"haproxy refused {cfg}: {check.stderr or check.stdout}")
        proc = self._process("haproxy", [self.binaries["haproxy"], "-f", str(cfg), "-db"])

        def serving() -> bool:
            self._check_alive(proc)
            return requests.get(f"{self.url}/readyz", timeout=3).status_code == 200

        self._timed("HAProxy serving a ready instance", serving)
        # every instance marked up (rise 2 × 500 ms), so round robin reaches them all
        self._timed("HAProxy seeing every instance up", lambda: len(self.haproxy_up()) == self.widgets)

    def haproxy_up(self) -> list[str]:
        """The instances HAProxy currently sends requests to (``widget-0`` …)."""
        response = requests.get(self.stats_url + ";csv", timeout=2)
        up = []
        for line in response.text.splitlines():
            cols = line.split(",")
            if len(cols) > 17 and cols[0] == "widgets" and cols[1].startswith("widget-") and cols[17] == "UP":
                up.append(cols[1])
        return up

    def _start_portal(self) -> None:
        from werkzeug.serving import make_server

        from ..sandbox.seed import DEMO_CUSTOMERS
        from .portal import PortalPartner, create_portal_app

        app = create_portal_app(
            partners=[
                PortalPartner(
                    id=pid,
                    name=PARTNER_NAMES[pid],
                    customers=tuple((c.id, c.name) for c in DEMO_CUSTOMERS.values() if c.partner_id == pid),
                    key=self.sso_secrets[pid],
                    algorithm="HS256",
                    crm_url=self.crm_url(pid),
                )
                for pid in PARTNERS
            ],
            widget_url=self.url,
            platform_url=self.platform_url,
            platform_credential=self.credential,
        )
        self._portal_server = make_server(HOST, self.portal_port, app, threaded=True)
        self._portal_thread = threading.Thread(target=self._portal_server.serve_forever, daemon=True)
        self._portal_thread.start()

    def _check_alive(self, proc: Process) -> None:
        if not proc.alive:
            raise ClusterError(
                f"{proc.name} exited (code {proc.popen and proc.popen.poll()}):\n{proc.tail()}"
            )

    def _timed(self, what: str, check: Callable[[], bool]) -> float:
        try:
            return _wait(what, check, self.started_timeout)
        except ClusterError as exc:
            logs = "\n".join(f"--- {p.name}:\n{p.tail(8)}" for p in self._procs.values() if not p.alive)
            raise ClusterError(f"{exc}\n{logs}" if logs else str(exc)) from None

    # --- Redis ------------------------------------------------------------------------------

    def _answers(self, port: int) -> bool:
        return bool(self._node(port).ping())

    @staticmethod
    def _node(port: int) -> redis.Redis:
        return redis.Redis(
            host=HOST, port=port, socket_timeout=1, socket_connect_timeout=1, decode_responses=True
        )

    def primary_port(self) -> int:
        """The primary's port as the Sentinels see it (the first node's without Sentinels)."""
        if not self.sentinel_ports:
            return self.redis_ports[0]
        answers = self._sentinel_views()
        if not answers:
            raise ClusterError("no Sentinel answers")
        return max(set(answers), key=answers.count)

    def _sentinel_views(self) -> list[int]:
        views = []
        for port in self.sentinel_ports:
            try:
                address = cast(
                    "tuple[str, int] | None", self._node(port).sentinel_get_master_addr_by_name(SERVICE)
                )
            except redis.RedisError:
                continue
            if address:
                views.append(int(address[1]))
        return views

    def primary(self) -> redis.Redis:
        """A client of the current primary (for checks; the widget finds it through Sentinel)."""
        return self._node(self.primary_port())

    def _replicas_online(self, primary: int, count: int | None = None) -> bool:
        info = self._node(primary).info("replication")
        if info.get("role") != "master":
            return False
        online = [
            value
            for key, value in info.items()
            if key.startswith("slave") and isinstance(value, dict) and value.get("state") == "online"
        ]
        return len(online) >= (self.replicas if count is None else count)

    def failover(
        self, mode: Literal["sentinel", "kill"] = "sentinel", restart: bool = True, timeout: float = 30.0
    ) -> Failover:
        """Move the primary role to a replica and wait until every Sentinel names the new primary.

        ``mode="sentinel"``: ``SENTINEL FAILOVER selfcare`` (planned; the old primary becomes a
        replica). ``mode="kill"``: SIGKILL the primary and let the Sentinels notice (1 s) and
        elect; with ``restart`` the killed node comes back (empty) as a replica of the new one,
        so that ``WAIT`` has a replica again. Either way it returns once the new primary has its
        replicas online.
        """
        if not self.sentinel_ports:
            raise ClusterError("failover needs the Sentinels (store='sentinel')")
        old = self.primary_port()
        started, wall = time.monotonic(), time.time()
        if mode == "kill":
            self._procs[f"redis-{old}"].kill()
        elif mode == "sentinel":
            self._node(self.sentinel_ports[0]).execute_command("SENTINEL", "FAILOVER", SERVICE)
        else:
            raise ValueError(f"unknown failover mode {mode!r}")

        def promoted() -> bool:
            views = self._sentinel_views()
            if len(views) < len(self.sentinel_ports) or len(set(views)) != 1 or views[0] == old:
                return False
            return self._node(views[0]).info("replication").get("role") == "master"

        _wait("the Sentinels naming a new primary", promoted, timeout)
        promoted_after = time.monotonic() - started
        new = self.primary_port()
        if mode == "kill" and restart:
            self._start_redis_node(old, new)
        replicas = self.replicas if (mode == "sentinel" or restart) else self.replicas - 1
        _wait("the new primary's replicas online", lambda: self._replicas_online(new, replicas), timeout)
        return Failover(mode, old, new, promoted_after, time.monotonic() - started, wall)

    # --- losing instances -------------------------------------------------------------------

    def kill_widget(self, index: int) -> float:
        """SIGKILL widget instance ``index`` (gunicorn master and worker); returns time.time()."""
        at = time.time()
        self._procs[f"widget-{index}"].kill()
        return at

    def kill_worker(self, index: int) -> float:
        """SIGKILL EDR worker ``index`` in the middle of whatever it does; returns time.time()."""
        at = time.time()
        self._procs[f"worker-{index}"].kill()
        return at

    # --- what arrived -----------------------------------------------------------------------

    def sso_token(self, customer_id: str, partner_id: str = "demo-mobil", ttl: int = 120) -> str:
        """An SSO token as the partner's backend signs it (HS256, the cluster's secret)."""
        from .keys import mint_sso_token

        return mint_sso_token(
            partner_id=partner_id,
            customer_id=customer_id,
            key=self.sso_secrets[partner_id],
            algorithm="HS256",
            ttl=ttl,
        )

    def crm_received(self, partner_id: str = "demo-mobil") -> list[dict[str, Any]]:
        """Every EDR the sandbox CRM stored for a partner: ``{"id", "deliveries", "edr"}``.

        Read from the sandbox's database: its JSON listing shows the newest 200 only.
        """
        conn = sqlite3.connect(f"file:{self.sandbox_db}?mode=ro", uri=True, timeout=10)
        try:
            rows = conn.execute(
                "SELECT webhook_id, deliveries, doc FROM crm_edr WHERE partner_id = ? ORDER BY received_at",
                (partner_id,),
            ).fetchall()
        finally:
            conn.close()
        return [{"id": wid, "deliveries": n, "edr": json.loads(doc)} for wid, n, doc in rows]

    def describe(self) -> Iterator[str]:
        """Lines naming every URL and process, for a person."""
        yield f"widget (HAProxy)   {self.url}"
        for index, url in enumerate(self.widget_urls):
            yield f"  instance {index}        {url}   pid {self._procs[f'widget-{index}'].pid}"
        yield f"HAProxy status     {self.stats_url}"
        if self.portal:
            yield f"partner portal     {self.portal_url}   <- open this, pick a customer, sign in"
        yield f"platform           {self.platform_url}  (sandbox, TM Forum v4)"
        for pid in PARTNERS:
            yield f"CRM (EDRs)         {self.crm_url(pid)}"
        yield f"store              {self.redis_url}"
        for port in self.redis_ports:
            role = "primary" if self.sentinel_ports and port == self.primary_port() else "node"
            yield f"  redis {role:8}     {HOST}:{port}   pid {self._procs[f'redis-{port}'].pid}"
        for port in self.sentinel_ports:
            yield f"  sentinel         {HOST}:{port}   pid {self._procs[f'sentinel-{port}'].pid}"
        for index in range(self.workers):
            yield f"EDR worker {index}       pid {self._procs[f'worker-{index}'].pid}"
        yield f"logs               {self.directory / 'logs'}"


# --- the sandbox as a process of the cluster ---------------------------------------------------


def _run_sandbox(argv: list[str]) -> int:
    """``python -m selfcare_widget.demo.cluster sandbox --port P --db PATH``: the sandbox with its
    demo CRM receiver; the credential and the receiver's secrets come from the environment."""
    import argparse

    from werkzeug.serving import run_simple

    from ..sandbox import create_sandbox_app

    parser = argparse.ArgumentParser(prog="selfcare_widget.demo.cluster sandbox")
    parser.add_argument("--host", default=HOST)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--db", required=True)
    args = parser.parse_args(argv)
    app = create_sandbox_app(
        db_path=Path(args.db),
        credential=os.environ["SELFCARE_PLATFORM_CREDENTIAL"],
        crm_secrets=json.loads(os.environ.get(CRM_SECRETS_ENV, "{}")),
    )
    run_simple(args.host, args.port, app, threaded=True)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] != ["sandbox"]:
        sys.exit("usage: python -m selfcare_widget.demo.cluster sandbox --port P --db PATH")
    sys.exit(_run_sandbox(sys.argv[2:]))
