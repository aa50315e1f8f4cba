"""What the views need besides the request, kept once per app in ``app.extensions``."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import redis
from flask import Flask, current_app

from .auth.sessions import SessionStore
from .auth.sso import SsoVerifier
from .config import Settings
from .partners import Partner
from .platform import Platform
from .store import Durability

EXTENSION = "selfcare"


@dataclass
class Services:
    """Settings, partners, the shared store, the platform port, sessions and SSO verification."""

    settings: Settings
    partners: dict[str, Partner]
    store: redis.Redis
    platform: Platform
    sessions: SessionStore
    sso: SsoVerifier
    #: WAIT for replicas after writes that must survive a Redis failover (EDRs, sessions)
    durability: Durability = field(default_factory=Durability)
    #: work done off the request path, so an answer's timing does not reveal it (SMS codes)
    background: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=4, thread_name_prefix="selfcare-bg")
    )


def install(app: Flask, services: Services) -> None:
    """Make ``services`` the app's (``create_app`` calls this once)."""
    app.extensions[EXTENSION] = services
    # A caching platform reads each customer's cached data once per request (one round trip).
    begin, end = (
        getattr(services.platform, "begin_request", None),
        getattr(services.platform, "end_request", None),
    )
    if begin is not None and end is not None:
        app.before_request(begin)
        app.teardown_request(end)


def services(app: Flask | None = None) -> Services:
    """The services of ``app``, else of the current app."""
    return (app or current_app).extensions[EXTENSION]
