"""The multi-instance topology (``selfcare_widget.demo.cluster``), once for the module."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from selfcare_widget.demo.cluster import HAPROXY_FALLBACK, Cluster
from tests.support import require


@pytest.fixture(scope="module")
def cluster(tmp_path_factory) -> Iterator[Cluster]:
    """Sandbox + CRM, Redis primary/replica with three Sentinels, two widget instances, two EDR
    workers and HAProxy, each a real process on loopback; all killed after the module."""
    require(shutil.which("redis-server") is not None, "redis-server (Debian package redis-server)")
    require(
        shutil.which("haproxy") is not None or os.access(HAPROXY_FALLBACK, os.X_OK),
        "haproxy (Debian package haproxy)",
    )
    # a worker takes over a dead worker's EDRs after 3 s (production: 5 min)
    with Cluster(workdir=tmp_path_factory.mktemp("cluster"), claim_idle=3.0, worker_poll=0.2) as running:
        yield running
