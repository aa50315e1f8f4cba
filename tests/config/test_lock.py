"""The lock files pin exactly what setup.cfg asks for: nothing missing, nothing extra, hashed."""

from __future__ import annotations

import configparser
import re
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parents[2]
LOCK = REPO / "requirements" / "lock.txt"
RUNTIME_LOCK = REPO / "requirements" / "runtime.txt"
BUILD_IN = REPO / "requirements" / "build.in"
PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")
OURS = "selfcare-widget (setup.cfg)"


def declared(extra: str | None = None) -> list[Requirement]:
    cfg = configparser.ConfigParser()
    cfg.read(REPO / "setup.cfg")
    raw = cfg["options.extras_require"][extra] if extra else cfg["options"]["install_requires"]
    return [Requirement(line) for line in raw.strip().splitlines() if line.strip()]


def pins(path: Path) -> dict[str, list[tuple[str, str | None, list[str]]]]:
    """name -> [(version, marker, who asked for it)] (one entry per Python-version fork)."""
    found: dict[str, list[tuple[str, str | None, list[str]]]] = {}
    current: list[str] | None = None
    for line in path.read_text().splitlines():
        match = PIN.match(line)
        if match:
            current = []
            found.setdefault(canonicalize_name(match[1]), []).append((match[2], match[3], current))
        elif current is not None and line.strip().startswith("#"):
            via = line.strip().lstrip("#").strip()
            if via and via != "via":
                current.append(via.removeprefix("via ").strip())
    return found


def test_every_declared_dependency_is_pinned_within_its_range():
    locked = pins(LOCK)
    requirements = (
        declared()
        + declared("dev")
        + [
            Requirement(line)
            for line in BUILD_IN.read_text().splitlines()
            if line and not line.startswith("#")
        ]
    )
    for requirement in requirements:
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{requirement} is in setup.cfg but not in {LOCK.name}: run `make lock`"
        for version, _marker, _via in locked[name]:
            assert version in requirement.specifier, f"{name}=={version} is outside {requirement}"


def test_the_lock_pins_nothing_setup_cfg_does_not_ask_for():
    named = {canonicalize_name(r.name) for r in declared() + declared("dev")}
    named |= {"setuptools", "wheel"}
    for path in (LOCK, RUNTIME_LOCK):
        direct = {name for name, entries in pins(path).items() if any(OURS in e[2] for e in entries)}
        assert direct <= named, f"{path.name} pins {direct - named} as ours; not in setup.cfg"


def test_every_pin_carries_sha256_hashes():
    for path in (LOCK, RUNTIME_LOCK):
        blocks = re.split(r"\n(?=[A-Za-z0-9])", path.read_text())
        for block in blocks:
            if PIN.match(block.splitlines()[0]):
                assert "--hash=sha256:" in block, f"{path.name}: {block.splitlines()[0]} has no hash"


def test_runtime_lock_is_the_full_lock_without_dev_tools():
    full, runtime = pins(LOCK), pins(RUNTIME_LOCK)
    for name, entries in runtime.items():
        assert [e[:2] for e in entries] == [e[:2] for e in full[name]], name
    runtime_names = {canonicalize_name(r.name) for r in declared()}
    assert runtime_names <= set(runtime)
    assert "pytest" not in runtime and "playwright" not in runtime
