"""What may import what (docs/architecture.md), checked by import-linter's contracts in setup.cfg."""

from __future__ import annotations

import configparser
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_import_contracts_hold():
    result = subprocess.run(
        [str(Path(sys.executable).parent / "lint-imports"), "--no-cache"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-4000:]
    assert "0 broken" in result.stdout


def test_the_documented_rules_are_the_configured_contracts():
    cfg = configparser.ConfigParser()
    cfg.read(REPO / "setup.cfg")
    names = [cfg[s]["name"] for s in cfg.sections() if s.startswith("importlinter:contract:")]
    doc = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    assert len(names) == 3
    for name in names:
        assert name in doc, f"docs/architecture.md does not state the rule {name!r}"
