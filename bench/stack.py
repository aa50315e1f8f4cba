"""What the benchmarks run against: a freshly generated sandbox and a widget app, on loopback."""

from __future__ import annotations

import logging
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from werkzeug.serving import make_server

CREDENTIAL = "bench-platform-credential"
PARTNER = "demo-mobil"
ORIGIN = "https://portal.bench.test"
SSO_SECRET = "bench-secret-" + "x" * 32  # HS256: lets a benchmark sign on like a partner backend


@contextmanager
def serve(app) -> Iterator[str]:
    """Serve a WSGI app with werkzeug's threaded server on a free loopback port; yields its URL."""
    # werkzeug's per-request access line on stderr is harness noise, not part of the path measured.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


@contextmanager
def sandbox() -> Iterator[str]:
    """A freshly generated sandbox served on a free loopback port; yields its base URL."""
    from selfcare_widget.sandbox import create_sandbox_app
    from selfcare_widget.sandbox.seed import generate

    with tempfile.TemporaryDirectory(prefix="selfcare-bench-") as tmp:
        db_path = generate(Path(tmp) / "platform.sqlite3")
        with serve(create_sandbox_app(db_path=db_path, credential=CREDENTIAL)) as url:
            yield url


def widget_app(platform_url: str, store_url: str | None = None, cache: bool = True):
    """A widget app (cached TMF client unless ``cache`` is off) for one partner; an in-process
    store unless ``store_url`` names one."""
    from selfcare_widget import create_app
    from selfcare_widget.config import Settings
    from selfcare_widget.partners import Partner, SsoVerification

    partners = {
        PARTNER: Partner(
            id=PARTNER,
            name="Demo Mobil",
            origins=(ORIGIN,),
            sso=SsoVerification(algorithm="HS256", shared_secret=SSO_SECRET),
            login_methods=("sso",),
        )
    }
    settings = Settings(
        platform_url=platform_url,
        platform_credential=CREDENTIAL,
        partners_file=None,
        redis_url=store_url or f"memory://bench-{uuid.uuid4().hex}",
        platform_cache=cache,
    )
    return create_app(settings=settings, partners=partners)


@contextmanager
def widget(platform_url: str) -> Iterator[tuple[object, str]]:
    """The widget app served on loopback; yields (app, base URL)."""
    app = widget_app(platform_url)
    with serve(app) as url:
        yield app, url
