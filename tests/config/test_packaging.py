"""A wheel carries everything the service needs outside the Python code."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DATA = "share/selfcare-widget/"


def tracked(*paths: str) -> list[str]:
    out = subprocess.run(["git", "ls-files", *paths], cwd=REPO, capture_output=True, text=True, check=True)
    return [line for line in out.stdout.splitlines() if line]


def test_wheel_contains_templates_themes_static_files_and_translations(tmp_path):
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(REPO)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    (wheel,) = tmp_path.glob("selfcare_widget-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    data = {n.split(".data/data/", 1)[1] for n in names if ".data/data/" in n}
    for path in tracked("templates", "themes"):
        assert DATA + path in data, path
    package_files = set(names)
    for path in tracked(
        "selfcare_widget/static", "selfcare_widget/demo/static", "selfcare_widget/invoices/fonts"
    ):
        assert path in package_files, path
    assert "selfcare_widget/translations/cs/LC_MESSAGES/messages.mo" in package_files


def test_installed_layout_is_found_without_a_checkout(tmp_path, monkeypatch):
    from selfcare_widget import config

    monkeypatch.setattr(config, "PACKAGE_DIR", tmp_path / "site-packages" / "selfcare_widget")
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "prefix"))
    assert config._data_root() == tmp_path / "prefix" / "share" / "selfcare-widget"
    monkeypatch.setattr(config, "PACKAGE_DIR", REPO / "selfcare_widget")
    assert config._data_root() == REPO
