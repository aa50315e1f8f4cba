"""The MVNO self-care widget: an embeddable Flask service serving htmx fragments."""

from __future__ import annotations

import logging

from flask import Flask

from .auth.sessions import SessionStore
from .auth.sso import SsoVerifier
from .config import PROJECT_ROOT, Settings, load_settings
from .partners import Partner, load_partners
from .platform import Platform
from .services import Services, install
from .version import __version__

__all__ = ["__version__", "create_app"]


log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None,
    partners: dict[str, Partner] | None = None,
    platform: Platform | None = None,
) -> Flask:
    """Application factory. Without arguments everything comes from ``SELFCARE_*`` settings."""
    from . import assets, i18n, limits, ops, store, themes, web
    from .auth.reset import bp as reset_bp
    from .auth.views import bp as auth_bp
    from .platform.cached import CachedPlatform
    from .platform.tmf import TmfPlatform, TmfSettings
    from .views import register_views
    from .views.common import kept_names_for_request

    settings = settings or load_settings()
    if partners is None:
        if settings.partners_file is None:
            from .config import ConfigError

            raise ConfigError("SELFCARE_PARTNERS_FILE is required (the partners TOML file)")
        partners = load_partners(settings.partners_file)
    themes.verify_partner_themes(settings.themes_dir, partners)  # missing/unsafe theme: ConfigError

    app = Flask(
        __name__,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder="static",
    )
    app.config.update(
        SECRET_KEY=settings.secret_key,
        MAX_CONTENT_LENGTH=64 * 1024,
        BABEL_DEFAULT_LOCALE="cs",
    )
    shared = store.connect(settings.redis_url)
    durability = store.Durability(settings.redis_wait_replicas, settings.redis_wait_timeout_ms)
    if platform is None:
        import uuid

        from flask import g, has_request_context

        platform = TmfPlatform(
            TmfSettings(
                base_url=settings.platform_url,
                credential=settings.platform_credential,
                connect_timeout=settings.platform_connect_timeout,
                read_timeout=settings.platform_read_timeout,
                deadline=settings.platform_deadline,
            ),
            request_id=lambda: (g.get("request_id") if has_request_context() else None) or uuid.uuid4().hex,
        )
    if not isinstance(platform, CachedPlatform) and settings.platform_cache:
        platform = CachedPlatform(platform, shared)
    install(
        app,
        Services(
            settings=settings,
            partners=partners,
            store=shared,
            platform=platform,
            sessions=SessionStore(
                shared, settings.session_idle_seconds, settings.session_absolute_seconds, durability
            ),
            sso=SsoVerifier(shared, settings.audience, settings.jwt_leeway_seconds),
            durability=durability,
        ),
    )
    start_background_work(app)
    if settings.proxy_hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Only this many proxies are trusted to say who the client is; with none, a client's
        # own X-Forwarded-For is ignored (rate limits and logs see the connecting address).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_hops, x_proto=settings.proxy_hops)  # type: ignore[method-assign]
    i18n.init_app(app)
    web.init_app(app)
    assets.init_app(app)
    app.register_blueprint(auth_bp)
    app.register_blueprint(reset_bp)
    register_views(app)
    app.extensions[web.KEPT_NAMES] = kept_names_for_request
    limits.init_app(app, settings)
    ops.init_app(app)  # /healthz, /readyz, /metrics and the metrics hooks
    return app


def start_background_work(app: Flask) -> None:
    """The threads a widget process runs beside its requests: the Sentinel primary check and the
    EDR spool (what dead processes left on disk). Idempotent per process; ``serve`` calls it
    again in each forked worker, since threads do not survive a fork."""
    from . import store
    from .edr.spool import resume
    from .services import services

    shared = services(app)
    store.watch_primary(shared.store)
    if not shared.settings.uses_memory_store:
        resume(shared.settings.edr_spool_dir, shared.store, shared.durability)
