"""The theme studio without a browser: every scene is the widget's own answer; theme-new copies."""

from __future__ import annotations

import shutil

import pytest

from selfcare_widget.cli import main
from selfcare_widget.config import PROJECT_ROOT, ConfigError
from selfcare_widget.theme_studio import LOCALES, create_studio_app, new_theme, scenes, theme_state

ZELENA = PROJECT_ROOT / "themes" / "zelena"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    folder = tmp_path_factory.mktemp("studio") / "zelena"
    shutil.copytree(ZELENA, folder)
    return create_studio_app(folder).test_client(), folder


def test_every_scene_is_rendered_in_both_languages_with_its_expected_status(client):
    test_client, _ = client
    app = test_client.application
    from selfcare_widget.theme_studio import render_scene

    expected = {"usage-errors": 422, "contact-errors": 422, "signin-error": 422, "error": 503}
    for scene in scenes():
        for locale in LOCALES:
            html, status = render_scene(app, scene, locale)
            assert status == expected.get(scene.id, 200), (scene.id, locale, html[:300])
            assert " autofocus" not in html
            if scene.shell:
                assert 'class="sc-shell"' in html, scene.id
    # A few states as the customer sees them.
    html, _ = render_scene(app, next(s for s in scenes() if s.id == "overview-data-used-up"), "en")
    assert "The mobile data of" in html and "is used up" in html
    html, _ = render_scene(app, next(s for s in scenes() if s.id == "overview-blocked"), "cs")
    assert "Zablokovaná" in html or "sc-badge--suspended" in html
    html, _ = render_scene(app, next(s for s in scenes() if s.id == "packages-confirm"), "en")
    assert "Data navíc 5 GB" in html and 'name="confirmation"' in html
    html, _ = render_scene(app, next(s for s in scenes() if s.id == "contact-errors"), "en")
    assert 'aria-invalid="true"' in html


def test_the_page_shows_all_scenes_and_the_checks(client):
    test_client, folder = client
    page = test_client.get("/?lang=en").get_data(as_text=True)
    for scene in scenes():
        assert f'id="scene-{scene.id}"' in page
    assert "the theme passes" in page
    assert test_client.get("/studio/state").json == {"state": theme_state(folder)}
    assert test_client.get("/studio/theme/theme.css").data == (folder / "theme.css").read_bytes()
    assert test_client.get("/studio/theme/extra.css").data == b""  # optional: empty when absent
    assert test_client.get("/studio/theme/../../setup.cfg").status_code == 404
    assert test_client.get("/studio/theme/theme.py").status_code == 404


def test_the_state_changes_when_a_theme_file_is_saved(tmp_path):
    folder = tmp_path / "t"
    shutil.copytree(ZELENA, folder)
    before = theme_state(folder)
    (folder / "logo.svg").write_text((folder / "logo.svg").read_text() + "\n", encoding="utf-8")
    assert theme_state(folder) != before


def test_theme_new_copies_a_theme_and_never_overwrites(tmp_path, capsys):
    shutil.copytree(PROJECT_ROOT / "themes" / "default", tmp_path / "default")
    assert main(["theme-new", "acme", "--from", "default", "--themes-dir", str(tmp_path)]) == 0
    assert (tmp_path / "acme" / "theme.css").read_bytes() == (tmp_path / "default" / "theme.css").read_bytes()
    assert (tmp_path / "acme" / "logo.svg").is_file()
    assert main(["check-theme", str(tmp_path / "acme")]) == 0
    (tmp_path / "acme" / "theme.css").write_text(":host { --sc-primary: #123456; }\n", encoding="utf-8")
    assert main(["theme-new", "acme", "--themes-dir", str(tmp_path)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert (
        (tmp_path / "acme" / "theme.css")
        .read_text(encoding="utf-8")
        .startswith(":host { --sc-primary: #123456")
    )


@pytest.mark.parametrize("name", ["", "../x", "Acme", "a/b", ".hidden", "x" * 41, "-x"])
def test_theme_new_refuses_a_bad_name(tmp_path, name):
    with pytest.raises(ConfigError):
        new_theme(PROJECT_ROOT / "themes", name)
    assert not (PROJECT_ROOT / "themes" / name).exists() or name in ("",)


def test_theme_new_refuses_a_source_that_is_not_a_theme(tmp_path):
    with pytest.raises(ConfigError, match="not a theme folder"):
        new_theme(tmp_path, "acme", "nonexistent")
