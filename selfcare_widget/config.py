"""Settings of the widget service, read from ``SELFCARE_*`` environment variables.

All configuration lives here and is validated once at start-up; an error names the setting
that is wrong, so an operator can fix it without reading code.
"""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def _data_root() -> Path:
    """Where ``templates/`` and ``themes/`` are: the checkout, else the installed data files."""
    checkout = PACKAGE_DIR.parent
    if (checkout / "templates").is_dir():
        return checkout
    return Path(sys.prefix) / "share" / "selfcare-widget"


PROJECT_ROOT = _data_root()
#: Lost with the temp directory: production sets SELFCARE_EDR_SPOOL_DIR on persistent disk.
DEFAULT_SPOOL_DIR = Path(tempfile.gettempdir()) / "selfcare-edr-spool"


class ConfigError(ValueError):
    """A setting is missing or invalid; the message names it."""


@dataclass(frozen=True)
class Settings:
    """Validated settings of one widget deployment."""

    platform_url: str
    platform_credential: str
    partners_file: Path | None
    redis_url: str = "memory://"
    public_url: str = ""  # the widget's own origin as partners embed it, e.g. https://widget.example.net
    audience: str = "selfcare-widget"
    session_idle_seconds: int = 30 * 60
    session_absolute_seconds: int = 12 * 3600
    platform_connect_timeout: float = 2.0
    platform_read_timeout: float = 5.0
    platform_deadline: float = 5.0  # whole call: connect + every byte of the answer
    proxy_hops: int = 0  # trusted reverse proxies in front (X-Forwarded-For is ignored with 0)
    ops_port: int = 0  # a separate port for /metrics and /readyz (0: served beside the widget)
    jwt_leeway_seconds: int = 30
    secret_key: str = field(default_factory=lambda: secrets.token_hex(32), repr=False)
    themes_dir: Path = PROJECT_ROOT / "themes"
    platform_cache: bool = True
    redis_wait_replicas: int = 0  # replicas that must acknowledge EDRs and new sessions
    redis_wait_timeout_ms: int = 500
    #: EDRs that could not be written to the store wait here (one file per process) to be re-sent
    edr_spool_dir: Path = field(default_factory=lambda: DEFAULT_SPOOL_DIR)

    @property
    def uses_memory_store(self) -> bool:
        return self.redis_url.startswith("memory:")


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 1, unit: str = "seconds") -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number of {unit}, got {raw!r}") from None
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive, got {value}")
    return value


def _url(env: Mapping[str, str], name: str, schemes: tuple[str, ...], default: str | None = None) -> str:
    raw = env.get(name) or default
    if not raw:
        raise ConfigError(f"{name} is required")
    if not raw.startswith(tuple(f"{s}://" for s in schemes)):
        raise ConfigError(
            f"{name} must start with one of {', '.join(s + '://' for s in schemes)}, got {raw!r}"
        )
    return raw.rstrip("/") if raw.startswith("http") else raw


def _store_url(env: Mapping[str, str]) -> str:
    from .store import StoreUrlError, parse_url

    raw = env.get("SELFCARE_REDIS_URL") or "memory://"
    try:
        parse_url(raw)
    except StoreUrlError as exc:
        raise ConfigError(f"SELFCARE_REDIS_URL {exc}") from None
    return raw


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Read and validate settings from the environment (or the given mapping)."""
    env = os.environ if env is None else env
    partners_raw = env.get("SELFCARE_PARTNERS_FILE")
    partners_file = Path(partners_raw) if partners_raw else None
    if partners_file is not None and not partners_file.is_file():
        raise ConfigError(f"SELFCARE_PARTNERS_FILE points to {partners_raw!r}, which is not a file")
    credential = env.get("SELFCARE_PLATFORM_CREDENTIAL", "")
    if not credential:
        raise ConfigError("SELFCARE_PLATFORM_CREDENTIAL is required (the platform's bearer credential)")
    idle = _int(env, "SELFCARE_SESSION_IDLE", 30 * 60, minimum=60)
    absolute = _int(env, "SELFCARE_SESSION_ABSOLUTE", 12 * 3600, minimum=60)
    if absolute < idle:
        raise ConfigError("SELFCARE_SESSION_ABSOLUTE must not be shorter than SELFCARE_SESSION_IDLE")
    themes = Path(env.get("SELFCARE_THEMES_DIR") or PROJECT_ROOT / "themes")
    if not (themes / "default" / "theme.css").is_file():
        raise ConfigError(f"SELFCARE_THEMES_DIR={str(themes)!r} has no default/theme.css")
    secret = env.get("SELFCARE_SECRET_KEY") or secrets.token_hex(32)
    if len(secret) < 32:
        raise ConfigError("SELFCARE_SECRET_KEY must be at least 32 characters")
    return Settings(
        platform_url=_url(env, "SELFCARE_PLATFORM_URL", ("http", "https")),
        platform_credential=credential,
        partners_file=partners_file,
        redis_url=_store_url(env),
        public_url=(env.get("SELFCARE_PUBLIC_URL") or "").rstrip("/"),
        audience=env.get("SELFCARE_AUDIENCE") or "selfcare-widget",
        session_idle_seconds=idle,
        session_absolute_seconds=absolute,
        platform_connect_timeout=_float(env, "SELFCARE_PLATFORM_CONNECT_TIMEOUT", 2.0),
        platform_read_timeout=_float(env, "SELFCARE_PLATFORM_READ_TIMEOUT", 5.0),
        platform_deadline=_float(env, "SELFCARE_PLATFORM_DEADLINE", 5.0),
        proxy_hops=_int(env, "SELFCARE_PROXY_HOPS", 0, minimum=0, unit="proxies"),
        ops_port=_int(env, "SELFCARE_OPS_PORT", 0, minimum=0, unit="(a TCP port)"),
        jwt_leeway_seconds=_int(env, "SELFCARE_JWT_LEEWAY", 30, minimum=0),
        secret_key=secret,
        themes_dir=themes,
        platform_cache=(env.get("SELFCARE_PLATFORM_CACHE", "on").lower() not in ("off", "0", "false", "no")),
        redis_wait_replicas=_int(env, "SELFCARE_REDIS_WAIT_REPLICAS", 0, minimum=0, unit="replicas"),
        redis_wait_timeout_ms=_int(
            env, "SELFCARE_REDIS_WAIT_TIMEOUT_MS", 500, minimum=1, unit="milliseconds"
        ),
        edr_spool_dir=Path(env.get("SELFCARE_EDR_SPOOL_DIR") or DEFAULT_SPOOL_DIR),
    )
