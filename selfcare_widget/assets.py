"""Static assets for embedding: the loader, vendored htmx, base CSS, partner themes.

Assets are served with a content hash in their URL (``?v=``) so browsers may cache them for a
year; such a URL is marked immutable only while the hash is that of the bytes served, so a stale
or mistyped hash (e.g. during a rolling deploy) is never cached for long. The loader exists
twice with the same bytes: ``/embed.js``, cached briefly because partners may link to it by
name, and ``/embed/v<release>.js``, immutable, for partners who pin it with Subresource
Integrity (``selfcare-widget embed-snippet`` prints the two lines). The loader names every file
it loads by content hash, so pinning the loader pins those URLs too.
Everything here is public and readable cross-origin (ES modules, adopted CSS and SRI need CORS).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
from functools import lru_cache
from pathlib import Path

from flask import Flask, Response, abort, current_app, request, send_from_directory, url_for
from werkzeug.utils import safe_join

from .services import services
from .version import __version__

HTMX_FILE = "htmx-4.0.1.esm.min.js"
CSS_DIR = "css"  # static/css/*.css, concatenated in name order into one stylesheet
LOADER_FILE = "embed.js"
MANIFEST_PLACEHOLDER = '"__SELFCARE_MANIFEST__"'
THEME_FILE_TYPES = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png", ".woff2": "font/woff2"}
IMMUTABLE = "public, max-age=31536000, immutable"
LOADER_MAX_AGE = "public, max-age=300"
PARTNER_SLOT = "__PARTNER__"  # the loader puts its data-partner here (theme stylesheet URL)
_PUBLIC_ENDPOINTS = (
    "static",
    "assets.theme_file",
    "assets.partner_theme",
    "assets.loader",
    "assets.versioned_loader",
    "assets.stylesheet",
)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def widget_css(static_folder: str) -> str:
    """The widget stylesheet: base rules plus one file per feature, in name order."""
    files = sorted((Path(static_folder) / CSS_DIR).glob("*.css"))
    return "\n".join(f.read_text(encoding="utf-8") for f in files)


def versioned_loader_path() -> str:
    """Path of this release's immutable loader, e.g. ``/embed/v0.2.0.js``."""
    return f"/embed/v{__version__}.js"


def subresource_integrity(body: bytes) -> str:
    """The ``integrity`` attribute value (SRI, sha384) of ``body`` as served, uncompressed."""
    return "sha384-" + base64.b64encode(hashlib.sha384(body).digest()).decode("ascii")


def _static_hash(filename: str) -> str:
    hashes: dict[str, str] = current_app.extensions["selfcare_assets"]
    if filename not in hashes:
        hashes[filename] = _digest(Path(current_app.static_folder) / filename)
    return hashes[filename]


def asset_url(filename: str) -> str:
    """URL of a file in ``static/`` with its content hash."""
    return url_for("static", filename=filename, v=_static_hash(filename))


def theme_url(theme: str, filename: str = "theme.css") -> str:
    """URL of a theme file with its content hash (falls back to the default theme)."""
    themes_dir = services().settings.themes_dir
    path = themes_dir / theme / filename
    if not path.is_file():
        theme, path = "default", themes_dir / "default" / filename
    return url_for("assets.theme_file", theme=theme, filename=filename, v=_digest(path))


def theme_stylesheets(theme: str) -> list[str]:
    """The theme's stylesheets in load order: ``theme.css`` and, if the theme has one, ``extra.css``."""
    urls = [theme_url(theme)]
    if (services().settings.themes_dir / theme / "extra.css").is_file():
        urls.append(theme_url(theme, "extra.css"))
    return urls


@lru_cache(maxsize=64)
def _gzipped(body: bytes) -> bytes:
    return gzip.compress(body, compresslevel=6, mtime=0)


def _gzip(response: Response) -> None:
    """Compress a public asset for clients that accept gzip (a third of the bytes on first visit).

    Only public, identical-for-everyone assets: fragments are left alone. The few asset bodies
    are compressed once per process.
    """
    response.vary.add("Accept-Encoding")
    if (
        response.status_code != 200
        or "gzip" not in request.headers.get("Accept-Encoding", "")
        or response.headers.get("Content-Encoding")
    ):
        return
    response.direct_passthrough = False  # file responses stream by default; we need the bytes
    body = response.get_data()
    if len(body) < 1024:
        return
    response.set_data(_gzipped(body))
    response.headers["Content-Encoding"] = "gzip"


def init_app(app: Flask) -> None:
    """Register the asset routes and their caching/CORS headers."""
    from flask import Blueprint

    app.extensions["selfcare_assets"] = {}
    bp = Blueprint("assets", __name__)
    css = widget_css(app.static_folder)
    css_hash = hashlib.sha256(css.encode()).hexdigest()[:12]

    @bp.get("/widget.css")
    def stylesheet() -> Response:
        return Response(css, mimetype="text/css")

    def loader_body() -> str:
        """The loader with its manifest: the release's own files by content hash, and where a
        partner's theme is. Nothing in it depends on the partners file or a theme, so the bytes
        (and a partner's pinned ``integrity``) change only with a release."""
        source = (Path(app.static_folder) / LOADER_FILE).read_text(encoding="utf-8")
        manifest = {
            "htmx": asset_url(HTMX_FILE),
            "css": url_for("assets.stylesheet", v=css_hash),
            "theme": url_for("assets.partner_theme", partner=PARTNER_SLOT),
        }
        return source.replace(MANIFEST_PLACEHOLDER, json.dumps(manifest), 1)

    @bp.get("/partner-theme/<partner>.css")
    def partner_theme(partner: str) -> Response:
        """The partner's theme: ``@import`` of its theme files under content-hashed URLs.

        Revalidated on every load (small, ETag): a changed theme shows at once, while the
        imported files stay cached for a year under their hashes.
        """
        configured = services(app).partners.get(partner)
        if configured is None:
            abort(404)
        imports = "".join(f'@import url("{url}");\n' for url in theme_stylesheets(configured.theme))
        response = Response(imports, mimetype="text/css")
        response.headers["Cache-Control"] = "no-cache"
        response.add_etag()
        response.make_conditional(request)
        return response

    @bp.get("/embed.js")
    def loader() -> Response:
        response = Response(loader_body(), mimetype="text/javascript")
        response.headers["Cache-Control"] = LOADER_MAX_AGE
        return response

    @bp.get("/embed/v<version>.js")
    def versioned_loader(version: str) -> Response:
        # Only this release's loader: a page pinned to another release must not get these bytes.
        if version != __version__:
            abort(404)
        response = Response(loader_body(), mimetype="text/javascript")
        response.headers["Cache-Control"] = IMMUTABLE
        return response

    @bp.get("/themes/<theme>/<path:filename>")
    def theme_file(theme: str, filename: str) -> Response:
        suffix = Path(filename).suffix
        themes_dir = services(app).settings.themes_dir
        folder = safe_join(str(themes_dir), theme)
        if suffix not in THEME_FILE_TYPES or folder is None:
            abort(404)
        return send_from_directory(folder, filename, mimetype=THEME_FILE_TYPES[suffix])

    app.register_blueprint(bp)

    def current_hash() -> str | None:
        """The content hash of the file this asset request is for (None: not a hashed asset)."""
        args = request.view_args or {}
        if request.endpoint == "static":
            return _static_hash(args["filename"])
        if request.endpoint == "assets.stylesheet":
            return css_hash
        if request.endpoint == "assets.theme_file":
            return _digest(services(app).settings.themes_dir / args["theme"] / args["filename"])
        return None

    @app.after_request
    def public_asset_headers(response: Response) -> Response:
        if request.endpoint in _PUBLIC_ENDPOINTS:
            response.headers["Access-Control-Allow-Origin"] = "*"
            response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
            version = request.args.get("v")
            expected = current_hash() if version and response.status_code == 200 else None
            if expected is not None:
                # Immutable only for the hash of these very bytes; another hash (an old or a
                # newer release's loader asking this server) gets them, but not for a year.
                response.headers["Cache-Control"] = IMMUTABLE if version == expected else "no-cache"
            _gzip(response)
        return response
