"""Assets for embedding: the loader's manifest, hashed immutable URLs, cross-origin readability."""

from __future__ import annotations

import json
import re
import shutil

from tests.support import make_widget_app


def manifest(client) -> dict:
    body = client.get("/embed.js").get_data(as_text=True)
    return json.loads(re.search(r"const MANIFEST = (\{.*?\});", body).group(1))


def test_loader_carries_hashed_asset_urls(client):
    response = client.get("/embed.js")
    assert response.status_code == 200 and response.mimetype == "text/javascript"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "max-age=300" in response.headers["Cache-Control"]
    found = manifest(client)
    assert re.fullmatch(r"/static/htmx-4\.0\.1\.esm\.min\.js\?v=[0-9a-f]{12}", found["htmx"])
    assert re.fullmatch(r"/widget\.css\?v=[0-9a-f]{12}", found["css"])
    assert found["theme"] == "/partner-theme/__PARTNER__.css"  # the loader fills in data-partner


def theme_imports(client, partner: str) -> list[str]:
    body = client.get(f"/partner-theme/{partner}.css").get_data(as_text=True)
    return re.findall(r'@import url\("([^"]+)"\);', body)


def test_hashed_assets_are_immutable_and_readable_cross_origin(client):
    found = manifest(client)
    for url in (found["htmx"], found["css"], theme_imports(client, "demo-mobil")[0]):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert "immutable" in response.headers["Cache-Control"]


def test_theme_files_cannot_escape_the_themes_folder(client):
    assert client.get("/themes/default/../../setup.cfg").status_code == 404
    assert client.get("/themes/default/theme.py").status_code == 404


def test_extra_css_of_a_theme_is_loaded_after_theme_css(sandbox_url, test_partners, tmp_path):
    themes = tmp_path / "themes"
    shutil.copytree("themes", themes)
    (themes / "zelena" / "extra.css").write_text(".sc-brand { letter-spacing: .05em; }\n")
    app = make_widget_app(sandbox_url, test_partners, themes_dir=themes)
    urls = theme_imports(app.test_client(), "zelena-mobil")
    assert [u.split("?")[0] for u in urls] == ["/themes/zelena/theme.css", "/themes/zelena/extra.css"]
    assert "letter-spacing" in app.test_client().get(urls[1]).get_data(as_text=True)


def test_assets_are_gzipped_for_browsers_that_accept_it(client):
    import gzip

    found = manifest(client)
    for url in ("/embed.js", found["htmx"], found["css"]):
        plain = client.get(url)
        packed = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br"})
        assert "Content-Encoding" not in plain.headers
        assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
        assert gzip.decompress(packed.data) == plain.data
        assert len(packed.data) < len(plain.data) / 2


def test_fragments_are_not_compressed(client, sign_in):
    response = client.post(
        "/w/overview",
        data={"_st": sign_in("cust-0001"), "_partner": "demo-mobil"},
        headers={"Origin": "https://portal.demo-mobil.test", "Accept-Encoding": "gzip"},
    )
    assert response.status_code == 200 and "Content-Encoding" not in response.headers


# --- the versioned loader and its Subresource Integrity ---------------------------------------


def test_versioned_loader_serves_the_same_bytes_as_embed_js_immutably(client):
    from selfcare_widget.version import __version__

    moving = client.get("/embed.js")
    pinned = client.get(f"/embed/v{__version__}.js")
    assert pinned.status_code == 200 and pinned.mimetype == "text/javascript"
    assert pinned.data == moving.data
    assert pinned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert moving.headers["Cache-Control"] == "public, max-age=300"
    # a <script integrity crossorigin> fetch is a CORS request: it must be readable cross-origin
    assert pinned.headers["Access-Control-Allow-Origin"] == "*"
    packed = client.get(f"/embed/v{__version__}.js", headers={"Accept-Encoding": "gzip"})
    assert packed.headers["Content-Encoding"] == "gzip"


def test_unknown_loader_version_is_404(client):
    from selfcare_widget.version import __version__

    for path in ("/embed/v0.0.1.js", "/embed/v99.0.0.js", "/embed/vlatest.js", f"/embed/{__version__}.js"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert "immutable" not in response.headers.get("Cache-Control", "")


def test_what_the_loader_loads_is_named_by_content_hash(client):
    """Pinning the loader with SRI pins these URLs: each one's ?v= is the hash of what it serves,
    and only then is it cached as immutable."""
    import hashlib

    found = manifest(client)
    for url in (found["htmx"], found["css"], *theme_imports(client, "zelena-mobil")):
        path, version = url.split("?v=")
        body = client.get(url).data
        assert version == hashlib.sha256(body).hexdigest()[:12], url
        stale = client.get(f"{path}?v=000000000000")
        assert stale.status_code == 200 and stale.data == body
        assert stale.headers["Cache-Control"] == "no-cache", url


def test_embed_snippet_integrity_matches_the_bytes_served_over_http(tmp_path, monkeypatch):
    """`selfcare-widget embed-snippet` as an operator runs it, checked against a widget built from
    the same settings and served over real HTTP."""
    import base64
    import hashlib
    import os
    import subprocess
    import sys
    from pathlib import Path

    import requests

    from selfcare_widget import create_app
    from selfcare_widget.config import load_settings
    from selfcare_widget.version import __version__
    from tests.support import serve_wsgi

    docs = Path(__file__).resolve().parents[2] / "docs"
    env = {
        "SELFCARE_PLATFORM_URL": "http://127.0.0.1:9",
        "SELFCARE_PLATFORM_CREDENTIAL": "x",
        "SELFCARE_PARTNERS_FILE": str(docs / "partners.example.toml"),
        "DEMO_MOBIL_EDR_SECRET": "s" * 32,
        "ZELENA_SSO_SECRET": "z" * 40,
        "DEMO_MOBIL_PAYMENT_SECRET": "p" * 32,
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "selfcare_widget.cli",
            "embed-snippet",
            "--base-url",
            "https://widget.example.net/",
            "--partner",
            "demo-mobil",
        ],
        env={**os.environ, **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    div, script = result.stdout.strip().splitlines()
    assert (
        div == '<div data-selfcare-widget data-partner="demo-mobil" data-token-url="/selfcare-token"></div>'
    )
    match = re.fullmatch(
        r'<script src="https://widget\.example\.net(/embed/v[^"]+\.js)" integrity="(sha384-[A-Za-z0-9+/=]+)" '
        r'crossorigin="anonymous" async></script>',
        script,
    )
    assert match, script
    path, integrity = match.groups()
    assert path == f"/embed/v{__version__}.js"
    for name, value in env.items():  # the partners file names its secrets' variables
        monkeypatch.setenv(name, value)
    with serve_wsgi(create_app(settings=load_settings())) as base:
        served = requests.get(base + path, timeout=10)  # gzip on the wire, decoded here as a browser does
    assert served.status_code == 200 and served.headers["Content-Encoding"] == "gzip"
    assert integrity == "sha384-" + base64.b64encode(hashlib.sha384(served.content).digest()).decode()


def test_embed_snippet_needs_an_origin(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "SELFCARE_PLATFORM_URL": "http://127.0.0.1:9", "SELFCARE_PLATFORM_CREDENTIAL": "x"}
    env.pop("SELFCARE_PUBLIC_URL", None)
    for extra in ([], ["--base-url", "https://widget.example.net/sub"]):
        result = subprocess.run(
            [sys.executable, "-m", "selfcare_widget.cli", "embed-snippet", *extra],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 2 and "configuration error" in result.stderr
        assert "--base-url" in result.stderr or "SELFCARE_PUBLIC_URL" in result.stderr


def test_a_v_parameter_on_the_loader_does_not_make_it_immutable(client):
    from selfcare_widget.version import __version__

    assert client.get("/embed.js?v=123456789abc").headers["Cache-Control"] == "public, max-age=300"
    pinned = client.get(f"/embed/v{__version__}.js?v=x").headers["Cache-Control"]
    assert pinned == "public, max-age=31536000, immutable"


def test_the_partner_theme_revalidates_and_names_only_hashed_files(client):
    first = client.get("/partner-theme/zelena-mobil.css")
    assert first.status_code == 200 and first.mimetype == "text/css"
    assert (
        first.headers["Cache-Control"] == "no-cache" and first.headers["Access-Control-Allow-Origin"] == "*"
    )
    again = client.get("/partner-theme/zelena-mobil.css", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    assert all("?v=" in url for url in theme_imports(client, "zelena-mobil"))
    assert client.get("/partner-theme/nobody.css").status_code == 404


def test_the_loader_bytes_do_not_change_with_partners_or_themes(sandbox_url, test_partners, tmp_path):
    """A partner's pinned integrity survives a new partner and a changed theme (issue 11)."""
    themes = tmp_path / "themes"
    shutil.copytree("themes", themes)
    before = make_widget_app(sandbox_url, test_partners).test_client().get("/embed.js").data
    (themes / "zelena" / "extra.css").write_text(".sc-brand { letter-spacing: .05em; }\n")
    only_one = {"demo-mobil": test_partners["demo-mobil"]}
    after = make_widget_app(sandbox_url, only_one, themes_dir=themes).test_client().get("/embed.js").data
    assert after == before
