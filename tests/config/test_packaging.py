"""The sdist and wheel carry everything, and the installed wheel runs outside the checkout."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest
import requests

from tests.support import free_ports

REPO = Path(__file__).resolve().parents[2]
DATA = "share/selfcare-widget/"
RUNTIME_LOCK = REPO / "requirements" / "runtime.txt"


def tracked(*paths: str) -> list[str]:
    out = subprocess.run(["git", "ls-files", *paths], cwd=REPO, capture_output=True, text=True, check=True)
    return [line for line in out.stdout.splitlines() if line]


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """sdist and wheel built from the checkout with the locked setuptools (no download)."""
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--no-isolation",
            "--sdist",
            "--wheel",
            "--outdir",
            str(out),
            str(REPO),
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    return out


def wheel_names(dist: Path) -> set[str]:
    (wheel,) = dist.glob("selfcare_widget-*.whl")
    return set(zipfile.ZipFile(wheel).namelist())


def test_wheel_contains_every_module_of_the_package(dist):
    names = wheel_names(dist)
    modules = [p for p in tracked("selfcare_widget") if p.endswith(".py")]
    assert modules, "git ls-files found no modules"
    missing = [p for p in modules if p not in names]
    assert missing == [], "a package directory without __init__.py is left out of the wheel"


def test_wheel_contains_templates_themes_static_files_and_translations(dist):
    names = wheel_names(dist)
    data = {n.split(".data/data/", 1)[1] for n in names if ".data/data/" in n}
    for path in tracked("templates", "themes"):
        assert DATA + path in data, path
    for path in tracked(
        "selfcare_widget/static",
        "selfcare_widget/demo/static",
        "selfcare_widget/invoices/fonts",
        "selfcare_widget/translations/*/LC_MESSAGES",
    ):
        assert path in names, path


def test_sdist_contains_every_tracked_file_the_build_needs(dist):
    (sdist,) = dist.glob("selfcare_widget-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for path in tracked("selfcare_widget", "templates", "themes") + ["setup.cfg", "pyproject.toml"]:
        assert path in names, path


def test_installed_layout_is_found_without_a_checkout(tmp_path, monkeypatch):
    from selfcare_widget import config

    monkeypatch.setattr(config, "PACKAGE_DIR", tmp_path / "site-packages" / "selfcare_widget")
    monkeypatch.setattr(sys, "prefix", str(tmp_path / "prefix"))
    assert config._data_root() == tmp_path / "prefix" / "share" / "selfcare-widget"
    monkeypatch.setattr(config, "PACKAGE_DIR", REPO / "selfcare_widget")
    assert config._data_root() == REPO


@pytest.mark.slow
def test_installed_wheel_runs_the_demo_outside_the_checkout(dist, tmp_path):
    """A fresh virtualenv, the runtime lock and the wheel: the demo serves a signed-in overview."""
    (wheel,) = dist.glob("selfcare_widget-*.whl")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    bin_dir = env_dir / "bin"
    clean_env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    pip = [str(bin_dir / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    subprocess.run(
        [*pip, "--require-hashes", "-r", str(RUNTIME_LOCK)], check=True, env=clean_env, timeout=900
    )
    subprocess.run([*pip, "--no-deps", str(wheel)], check=True, env=clean_env, timeout=300)
    subprocess.run([str(bin_dir / "python"), "-m", "pip", "check"], check=True, env=clean_env, timeout=120)

    where = subprocess.run(
        [str(bin_dir / "python"), "-c", "import selfcare_widget; print(selfcare_widget.__file__)"],
        cwd=tmp_path,
        env=clean_env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert not Path(where).is_relative_to(REPO), where
    from selfcare_widget import __version__

    version = subprocess.run(
        [str(bin_dir / "selfcare-widget"), "--version"],
        cwd=tmp_path,
        env=clean_env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert version.strip() == f"selfcare-widget {__version__}"

    instance = tmp_path / "instance"
    run_env = {**clean_env, "SELFCARE_INSTANCE_DIR": str(instance), "PYTHONUNBUFFERED": "1"}
    portal_port, widget_port, platform_port = free_ports(3)
    demo = subprocess.Popen(
        [
            str(bin_dir / "selfcare-widget"),
            "demo",
            "--portal-port",
            str(portal_port),
            "--widget-port",
            str(widget_port),
            "--platform-port",
            str(platform_port),
        ],
        cwd=tmp_path,
        env=run_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        while not any("partner portal" in line for line in lines):
            line = demo.stdout.readline()
            assert line, "demo exited early:\n" + "".join(lines)
            lines.append(line)
        portal = re.search(r"partner portal\s+(http://\S+)", "".join(lines))[1]
        widget = f"http://127.0.0.1:{widget_port}"
        assert requests.get(portal + "/", timeout=10).status_code == 200
        loader = requests.get(widget + "/embed.js", timeout=10)
        assert loader.status_code == 200 and "data-selfcare-widget" in loader.text
        health = requests.get(widget + "/healthz", timeout=10)
        assert health.text == f"ok {__version__}\n"

        token = subprocess.run(
            [
                str(bin_dir / "selfcare-widget"),
                "sso-token",
                "--partner",
                "demo-mobil",
                "--customer",
                "cust-0001",
            ],
            cwd=tmp_path,
            env=run_env,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout.strip()
        exchange = requests.post(
            widget + "/sso/exchange",
            data={"token": token, "partner": "demo-mobil"},
            headers={"Origin": portal},
            timeout=10,
        )
        assert exchange.status_code == 200, exchange.text
        session = exchange.json()["session"]
        overview = requests.post(
            widget + "/w/overview",
            data={"_st": session, "_partner": "demo-mobil"},
            headers={"Origin": portal},
            timeout=10,
        )
        assert overview.status_code == 200
        assert "Přehled" in overview.text or "Tarif" in overview.text
    finally:
        demo.terminate()
        demo.wait(10)
