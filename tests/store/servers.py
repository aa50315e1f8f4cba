"""Redis topologies for the store tests: a 3-master Redis Cluster on loopback ports."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager

from tests.support import require, start_redis, wait_port

CLUSTER_BUS_OFFSET = 10000  # Redis Cluster's node-to-node bus listens on port + 10000


def _port_pair_free(port: int) -> bool:
    for candidate in (port, port + CLUSTER_BUS_OFFSET):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", candidate))
            except OSError:
                return False
    return True


def cluster_ports(count: int) -> list[int]:
    """``count`` ports below 55536 whose bus ports (port + 10000) are free as well."""
    ports: list[int] = []
    candidate = 20000 + (int(time.time() * 1000) % 20000)
    while len(ports) < count:
        candidate = 20000 + (candidate + 7) % 35000
        if candidate not in ports and _port_pair_free(candidate):
            ports.append(candidate)
    return ports


@contextmanager
def redis_cluster(masters: int = 3) -> Iterator[str]:
    """A ``redis+cluster://`` URL of a fresh local cluster (``redis-cli --cluster create``)."""
    server, cli = shutil.which("redis-server"), shutil.which("redis-cli")
    require(server is not None and cli is not None, "redis-server and redis-cli")
    assert server is not None and cli is not None
    workdir = tempfile.mkdtemp(prefix="selfcare-cluster-")
    ports = cluster_ports(masters)
    procs = [
        start_redis(
            server,
            workdir,
            port,
            "--cluster-enabled",
            "yes",
            "--cluster-config-file",
            f"nodes-{port}.conf",
            "--cluster-node-timeout",
            "2000",
        )
        for port in ports
    ]
    try:
        for port in ports:
            wait_port(port)
        subprocess.run(
            [
                cli,
                "--cluster",
                "create",
                *(f"127.0.0.1:{p}" for p in ports),
                "--cluster-replicas",
                "0",
                "--cluster-yes",
            ],
            check=True,
            capture_output=True,
            timeout=30,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            states = [
                subprocess.run([cli, "-p", str(p), "cluster", "info"], capture_output=True, text=True).stdout
                for p in ports
            ]
            if all("cluster_state:ok" in state for state in states):
                break
            time.sleep(0.1)
        else:
            raise RuntimeError("the local Redis Cluster did not reach cluster_state:ok")
        yield "redis+cluster://" + ",".join(f"127.0.0.1:{p}" for p in ports)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(5)
        shutil.rmtree(workdir, ignore_errors=True)


class SentinelSetup:
    """A primary, one replica and three Sentinels monitoring them as ``selfcare``."""

    def __init__(self, primary: int, replica: int, sentinels: list[int]) -> None:
        self.ports = {"primary": primary, "replica": replica}
        self.sentinels = sentinels
        self.url = "redis+sentinel://" + ",".join(f"127.0.0.1:{p}" for p in sentinels) + "/selfcare"

    def primary_port(self) -> int:
        """The port of the primary as the Sentinels see it now."""
        import redis

        with redis.Redis(port=self.sentinels[0], decode_responses=True) as sentinel:
            return int(sentinel.sentinel_get_master_addr_by_name("selfcare")[1])

    def failover(self, timeout: float = 20.0) -> int:
        """``SENTINEL FAILOVER`` and wait until the replica is the writable primary; its port."""
        import redis

        before = self.primary_port()
        with redis.Redis(port=self.sentinels[0], decode_responses=True) as sentinel:
            sentinel.execute_command("SENTINEL", "FAILOVER", "selfcare")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            now = self.primary_port()
            if now != before:
                with redis.Redis(port=now, decode_responses=True) as promoted:
                    if promoted.info("replication")["role"] == "master":
                        return now
            time.sleep(0.1)
        raise RuntimeError("the Sentinels did not fail over")


@contextmanager
def redis_sentinel() -> Iterator[SentinelSetup]:
    """A primary + replica + 3 Sentinels (``redis-server --sentinel``) on free loopback ports."""
    server = shutil.which("redis-server")
    require(server is not None, "redis-server")
    assert server is not None
    from tests.support import free_ports

    workdir = tempfile.mkdtemp(prefix="selfcare-sentinel-")
    primary, replica, *sentinel_ports = free_ports(5)
    procs = [start_redis(server, workdir, primary)]
    try:
        wait_port(primary)
        procs.append(start_redis(server, workdir, replica, "--replicaof", "127.0.0.1", str(primary)))
        wait_port(replica)
        for port in sentinel_ports:
            conf = f"{workdir}/sentinel-{port}.conf"
            with open(conf, "w", encoding="utf-8") as f:
                f.write(
                    f"port {port}\nbind 127.0.0.1\ndir {workdir}\n"
                    f"sentinel monitor selfcare 127.0.0.1 {primary} 2\n"
                    "sentinel down-after-milliseconds selfcare 1000\n"
                    "sentinel failover-timeout selfcare 3000\n"
                )
            procs.append(
                subprocess.Popen(
                    [server, conf, "--sentinel"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
            )
        for port in sentinel_ports:
            wait_port(port)
        setup = SentinelSetup(primary, replica, sentinel_ports)
        _wait_replicated(primary)
        _wait_sentinels_see_replica(sentinel_ports)
        yield setup
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(5)
        shutil.rmtree(workdir, ignore_errors=True)


def _wait_replicated(primary: int, timeout: float = 10.0) -> None:
    import redis

    deadline = time.monotonic() + timeout
    with redis.Redis(port=primary, decode_responses=True) as client:
        while time.monotonic() < deadline:
            info = client.info("replication")
            if info.get("connected_slaves", 0) >= 1 and info.get("slave0", {}).get("state") == "online":
                return
            time.sleep(0.05)
    raise RuntimeError("the replica did not sync")


def _wait_sentinels_see_replica(ports: list[int], timeout: float = 15.0) -> None:
    """Sentinels learn the replica and each other over a few seconds; a failover needs both."""
    import redis

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready = 0
        for port in ports:
            with redis.Redis(port=port, decode_responses=True) as sentinel:
                master = sentinel.sentinel_master("selfcare")
                if master.get("num-slaves", 0) >= 1 and master.get("num-other-sentinels", 0) >= 2:
                    ready += 1
        if ready == len(ports):
            return
        time.sleep(0.1)
    raise RuntimeError("the Sentinels did not discover the replica and each other")
