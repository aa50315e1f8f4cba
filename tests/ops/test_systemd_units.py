"""The example systemd units in ``deploy/systemd/`` start real ``selfcare-widget`` commands.

Always run: each unit is parsed, its ``ExecStart`` must name ``selfcare-widget`` with a
subcommand and flags that ``selfcare_widget.cli.build_parser()`` accepts, the hardening the docs
promise is there, and ``env.example`` is a configuration ``load_settings`` accepts.

``systemd-analyze verify`` (the unit files as systemd itself reads them) does not need a running
systemd; locally it is skipped without the binary, in CI (``SELFCARE_CI``) that is a failure and
``.ci/run`` installs Debian's ``systemd`` package for it.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from selfcare_widget.cli import build_parser
from selfcare_widget.config import load_settings
from selfcare_widget.store import parse_url
from tests.support import require

REPO = Path(__file__).resolve().parents[2]
UNITS_DIR = REPO / "deploy" / "systemd"
INSTALLED_BINARY = "/opt/selfcare/bin/selfcare-widget"
#: unit file -> the subcommand its ExecStart must run
UNITS = {
    "selfcare-widget.service": "serve",
    "selfcare-edr-worker@.service": "edr-worker",
    "selfcare-alerts.service": "alerts",
}
HARDENING = {
    "NoNewPrivileges": "yes",
    "ProtectSystem": "strict",
    "ProtectHome": "yes",
    "PrivateTmp": "yes",
    "Restart": "on-failure",
    "EnvironmentFile": "/etc/selfcare-widget/env",
}
#: what systemd substitutes for the specifiers the units use
SPECIFIERS = {"%i": "1", "%H": "host1", "%%": "%"}


def parse_unit(path: Path) -> dict[str, list[tuple[str, str]]]:
    """Sections of a unit file as ordered (key, value) lists; repeated keys are kept (systemd
    allows several ``Environment=`` lines, which configparser would merge)."""
    sections: dict[str, list[tuple[str, str]]] = {}
    current: list[tuple[str, str]] | None = None
    pending = ""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = pending + raw.strip()
        pending = ""
        if not line or line.startswith(("#", ";")):
            continue
        if line.endswith("\\"):  # continuation
            pending = line[:-1] + " "
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], [])
            continue
        assert current is not None, f"{path.name}: {line!r} before any [section]"
        key, sep, value = line.partition("=")
        assert sep, f"{path.name}: not KEY=VALUE: {line!r}"
        current.append((key.strip(), value.strip()))
    return sections


def values(section: list[tuple[str, str]], key: str) -> list[str]:
    return [v for k, v in section if k == key]


def exec_argv(unit: dict[str, list[tuple[str, str]]]) -> list[str]:
    """The ExecStart command line with the specifiers expanded."""
    (command,) = values(unit["Service"], "ExecStart")
    for specifier, value in SPECIFIERS.items():
        command = command.replace(specifier, value)
    return shlex.split(command)


@pytest.mark.parametrize("name", sorted(UNITS))
def test_the_unit_runs_a_real_subcommand_with_flags_the_cli_accepts(name):
    unit = parse_unit(UNITS_DIR / name)
    assert {"Unit", "Service", "Install"} <= set(unit)
    argv = exec_argv(unit)
    assert argv[0] == INSTALLED_BINARY
    assert argv[1] == UNITS[name]
    try:
        args = build_parser().parse_args(argv[1:])
    except SystemExit as exc:  # argparse exits on an unknown subcommand or flag
        pytest.fail(f"{name}: selfcare-widget refuses {argv[1:]} (exit {exc.code})")
    assert args.command == UNITS[name]
    assert callable(args.func)


@pytest.mark.parametrize("name", sorted(UNITS))
def test_the_unit_is_hardened_and_reads_the_shared_environment_file(name):
    service = parse_unit(UNITS_DIR / name)["Service"]
    for key, wanted in HARDENING.items():
        assert values(service, key) == [wanted], f"{name}: {key}"
    assert values(service, "DynamicUser") == ["yes"] or values(service, "User"), f"{name}: runs as root"
    assert values(service, "CapabilityBoundingSet") == [""], f"{name}: keeps capabilities"


def test_the_widget_keeps_its_edr_spool_in_its_state_directory():
    """PrivateTmp= empties /tmp (the spool's default) when the service stops: spooled EDRs
    must live in the persistent StateDirectory instead."""
    service = parse_unit(UNITS_DIR / "selfcare-widget.service")["Service"]
    (state,) = values(service, "StateDirectory")
    environment = dict(v.split("=", 1) for v in values(service, "Environment"))
    assert environment["SELFCARE_EDR_SPOOL_DIR"].startswith(f"/var/lib/{state}/")
    assert values(service, "Type") == ["notify"]  # gunicorn's arbiter sends READY=1
    assert values(service, "KillMode") == ["mixed"]  # the arbiter stops its workers gracefully


def test_each_edr_worker_instance_has_its_own_consumer_name():
    argv = parse_unit(UNITS_DIR / "selfcare-edr-worker@.service")["Service"]
    (command,) = values(argv, "ExecStart")
    assert "%i" in command.split("--consumer", 1)[1].split()[0]


def _env_file(path: Path) -> tuple[dict[str, str], list[str]]:
    """Active VAR=value lines, and the VAR=value lines commented out (alternatives)."""
    active: dict[str, str] = {}
    commented: list[str] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("#") and "=" in stripped and stripped[1:2].isupper():
            commented.append(stripped[1:])
        elif stripped and not stripped.startswith("#"):
            key, _, value = stripped.partition("=")
            active[key] = value
    return active, commented


def test_env_example_is_a_configuration_the_widget_accepts():
    active, commented = _env_file(UNITS_DIR / "env.example")
    env = {**active, "SELFCARE_PARTNERS_FILE": str(REPO / "docs" / "partners.example.toml")}
    settings = load_settings(env)
    assert not settings.uses_memory_store
    for line in commented:  # the Sentinel and Cluster alternatives are valid URLs too
        key, _, value = line.partition("=")
        if key == "SELFCARE_REDIS_URL":
            parse_url(value)
    operations = (REPO / "docs" / "operations.md").read_text(encoding="utf-8")
    named = set(active) | {line.partition("=")[0] for line in commented}
    for key in sorted(k for k in named if k.startswith("SELFCARE_")):
        assert f"`{key}`" in operations, f"{key} is not documented in docs/operations.md"


def test_systemd_analyze_verify_accepts_the_units(tmp_path):
    analyze = shutil.which("systemd-analyze")
    require(analyze is not None, "systemd-analyze (Debian package systemd)")
    assert analyze is not None
    # verify checks that ExecStart's binary exists: point it at this checkout's console script
    binary = Path(sys.executable).with_name("selfcare-widget")
    assert binary.exists(), "the package is not installed in this environment"
    names = []
    for name in UNITS:
        text = (UNITS_DIR / name).read_text(encoding="utf-8").replace(INSTALLED_BINARY, str(binary))
        # a template is verified as an instance of it
        target = name.replace("@.", "@1.")
        (tmp_path / name).write_text(text, encoding="utf-8")
        (tmp_path / target).write_text(text, encoding="utf-8")
        names.append(target)
    result = subprocess.run(
        [analyze, "verify", "--man=no", *names],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    ours = [line for line in (result.stdout + result.stderr).splitlines() if "selfcare" in line]
    assert result.returncode == 0, result.stdout + result.stderr
    assert not ours, "systemd-analyze warns about the units:\n" + "\n".join(ours)
