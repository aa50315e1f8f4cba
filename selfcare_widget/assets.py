"""Static assets for embedding: the loader, vendored htmx, base CSS, partner themes.

Assets are served with a content hash in their URL (``?v=``) so browsers may cache them for a
year; the loader itself (``/embed.js``) is cached briefly because partners link to it by name.
Everything here is public and readable cross-origin (ES modules and adopted CSS need CORS).
"""

from __future__ import annotations

import gzip
import hashlib
import json
from functools import lru_cache
from pathlib import Path

from flask import Flask, Response, abort, current_app, request, send_from_directory, url_for
from werkzeug.utils import safe_join

from .services import services

HTMX_FILE = "htmx-4.0.1.esm.min.js"
CSS_DIR = "css"  # static/css/*.css, concatenated in name order into one stylesheet
LOADER_FILE = "embed.js"
MANIFEST_PLACEHOLDER = '"__SELFCARE_MANIFEST__"'
THEME_FILE_TYPES = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png", ".woff2": "font/woff2"}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:12]


def widget_css(static_folder: str) -> str:
    """The widget stylesheet: base rules plus one file per feature, in name order."""
    files = sorted((Path(static_folder) / CSS_DIR).glob("*.css"))
    return "\n".join(f.read_text(encoding="utf-8") for f in files)


def asset_url(filename: str) -> str:
    """URL of a file in ``static/`` with its content hash."""
    hashes: dict[str, str] = current_app.extensions["selfcare_assets"]
    if filename not in hashes:
        hashes[filename] = _digest(Path(current_app.static_folder) / filename)
    return url_for("static", filename=filename, v=hashes[filename])


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

    @bp.get("/embed.js")
    def loader() -> Response:
        source = (Path(app.static_folder) / LOADER_FILE).read_text(encoding="utf-8")
        manifest = {
            "htmx": asset_url(HTMX_FILE),
            "css": url_for("assets.stylesheet", v=css_hash),
            "themes": {p.id: theme_stylesheets(p.theme) for p in services(app).partners.values()},
        }
        body = source.replace(MANIFEST_PLACEHOLDER, json.dumps(manifest), 1)
        response = Response(body, mimetype="text/javascript")
        response.headers["Cache-Control"] = "public, max-age=300"
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

    @app.after_request
    def public_asset_headers(response: Response) -> Response:
        if request.endpoint in ("static", "assets.theme_file", "assets.loader", "assets.stylesheet"):
            response.headers["Access-Control-Allow-Origin"] = "*"
            response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
            if request.args.get("v") and response.status_code == 200:
                response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
            _gzip(response)
        return response
