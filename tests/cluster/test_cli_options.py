"""The ``edr-worker`` options the cluster starts its workers with, and their defaults."""

from __future__ import annotations

import pytest

from selfcare_widget.cli import _worker_config, build_parser
from selfcare_widget.edr.worker import WorkerConfig


def test_claim_idle_and_poll_tune_the_worker():
    args = build_parser().parse_args(["edr-worker", "--claim-idle", "3", "--poll", "0.2"])
    config = _worker_config(args)
    assert config.claim_idle_ms == 3000
    assert config.poll_interval == 0.2
    assert config.retry_schedule == WorkerConfig().retry_schedule  # nothing else changes


def test_without_options_the_worker_keeps_its_defaults():
    assert _worker_config(build_parser().parse_args(["edr-worker"])) == WorkerConfig()


@pytest.mark.parametrize("value", ["0", "-1", "soon"])
def test_a_wrong_number_of_seconds_is_refused(value, capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["edr-worker", "--claim-idle", value])
    assert "--claim-idle" in capsys.readouterr().err
