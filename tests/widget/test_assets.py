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
    assert found["themes"]["zelena-mobil"][0].startswith("/themes/zelena/theme.css?v=")


def test_hashed_assets_are_immutable_and_readable_cross_origin(client):
    found = manifest(client)
    for url in (found["htmx"], found["css"], found["themes"]["demo-mobil"][0]):
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
    urls = manifest(app.test_client())["themes"]["zelena-mobil"]
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
