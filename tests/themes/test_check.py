"""Theme checker: shipped themes pass; each unsafe or unreadable construct fails with its line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from selfcare_widget import themes
from selfcare_widget.cli import main
from selfcare_widget.config import PROJECT_ROOT, ConfigError

SHIPPED = PROJECT_ROOT / "themes"
GOOD_THEME = (SHIPPED / "default" / "theme.css").read_text(encoding="utf-8")
RADIUS_LINE = GOOD_THEME[: GOOD_THEME.index("--sc-radius")].count("\n") + 1
APPENDED_LINE = GOOD_THEME.count("\n") + 2  # a rule added after GOOD_THEME + "\n"


def make_theme(
    tmp_path: Path, theme_css: str = GOOD_THEME, extra_css: str | None = None, name: str = "t"
) -> Path:
    """A theme folder ``name`` with the given stylesheets."""
    folder = tmp_path / name
    folder.mkdir()
    (folder / "theme.css").write_text(theme_css, encoding="utf-8")
    if extra_css is not None:
        (folder / "extra.css").write_text(extra_css, encoding="utf-8")
    return folder


def messages(folder: Path) -> list[str]:
    return [str(p) for p in themes.check_theme(folder)]


@pytest.mark.parametrize("folder", themes.theme_folders(SHIPPED), ids=lambda p: p.name)
def test_every_shipped_theme_passes(folder):
    assert themes.check_theme(folder) == []


def test_the_default_and_the_demo_partner_themes_are_shipped():
    assert {p.name for p in themes.theme_folders(SHIPPED)} >= {"default", "zelena"}


@pytest.mark.parametrize(
    ("theme_css", "extra_css", "expected"),
    [
        (
            '@import url("https://evil.example/x.css");\n' + GOOD_THEME,
            None,
            "t/theme.css:1: @import is not allowed",
        ),
        (GOOD_THEME, '\n@import "local.css";\n', "t/extra.css:2: @import is not allowed"),
        (
            GOOD_THEME.replace("--sc-radius: 8px;", "--sc-logo: url(https://evil.example/logo.svg);"),
            None,
            "points to a remote origin",
        ),
        (GOOD_THEME, ".sc-logo { background: url('//evil.example/x.png'); }", "t/extra.css:1: url('//evil"),
        (GOOD_THEME, ".sc-card { background: url(../default/theme.css); }", "leaves the theme folder"),
        (GOOD_THEME, ".sc-card { background: url(/etc/passwd.svg); }", "is an absolute path"),
        (GOOD_THEME, ".sc-card { background: url(missing.png); }", "not in the theme folder"),
        (
            GOOD_THEME.replace("--sc-radius: 8px;", "--sc-logo: url(logo.svg);"),
            None,
            f"t/theme.css:{RADIUS_LINE}: url('logo.svg') is relative inside theme.css",
        ),
        (GOOD_THEME, '.sc-card { background: image-set("https://e.example/a.png" 1x); }', "remote origin"),
        (
            GOOD_THEME + "\nbody {}\n",
            None,
            f"t/theme.css:{APPENDED_LINE}: selector 'body' is not allowed in theme.css",
        ),
        (GOOD_THEME + "\n:host .sc-card { --sc-x: 1px; }", None, "selector ':host .sc-card' is not allowed"),
        (
            GOOD_THEME.replace("--sc-radius: 8px;", "color: red;"),
            None,
            f"t/theme.css:{RADIUS_LINE}: declaration 'color'",
        ),
        (GOOD_THEME + "\n@font-face { font-family: x; }", None, "@font-face is not allowed in theme.css"),
        (GOOD_THEME, "body .sc-card { color: red; }", "names <body>"),
        (GOOD_THEME, ":root { --sc-text: red; }", "uses :root"),
        (GOOD_THEME, ":host-context(.dark) .sc-card { color: #fff; }", "uses :host-context()"),
        (GOOD_THEME, "::slotted(p) { color: red; }", "uses ::slotted()"),
        (GOOD_THEME, ":host { contain: none; }", "property 'contain' is not allowed in extra.css"),
        (GOOD_THEME, "@media print { html .x { color: red; } }", "names <html>"),
    ],
)
def test_bad_constructs_are_named(tmp_path, theme_css, extra_css, expected):
    found = messages(make_theme(tmp_path, theme_css, extra_css))
    assert any(expected in m for m in found), found


def test_parse_errors_carry_their_line(tmp_path):
    found = messages(make_theme(tmp_path, GOOD_THEME, ".a { color: red }\n.b { color red; }\n.c ] { }\n"))
    assert any(m.startswith("t/extra.css:2: CSS parse error") for m in found), found
    assert any(m.startswith("t/extra.css:3: CSS parse error: Unmatched ]") for m in found), found


def test_allowed_extra_css_and_local_references(tmp_path):
    folder = make_theme(
        tmp_path,
        GOOD_THEME.replace("--sc-radius: 8px;", "--sc-logo: url('data:image/svg+xml,%3Csvg/%3E');"),
        ".sc-card { box-shadow: 0 1px 2px #0002; background-image: url(img/bg.png); }\n"
        ".sc-brand::after { content: url(data:image/png;base64,iVBORw0KGgo=); }\n"
        "@media (max-width: 30rem) { .sc-nav ul { display: grid; } }\n"
        ".body, [data-x=body], #html { color: inherit; }\n",
    )
    (folder / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>", encoding="utf-8")
    (folder / "img").mkdir()
    (folder / "img" / "bg.png").write_bytes(b"\x89PNG")
    assert messages(folder) == []


def test_theme_may_vary_by_media_on_host_only(tmp_path):
    dark = "@media (prefers-color-scheme: dark) { :host { --sc-surface: #111; } }"
    assert messages(make_theme(tmp_path, GOOD_THEME + dark, name="ok")) == []
    escaping = "@media (prefers-color-scheme: dark) { .sc-card { --sc-surface: #111; } }"
    assert any(
        "selector '.sc-card'" in m for m in messages(make_theme(tmp_path, GOOD_THEME + escaping, name="no"))
    )


def test_missing_theme_css(tmp_path):
    (tmp_path / "empty").mkdir()
    assert [p.kind for p in themes.check_theme(tmp_path / "empty")] == [themes.KIND_MISSING]


# --- contrast ---------------------------------------------------------------------------------


def test_wcag_formula_reference_values():
    black, white = (0.0, 0.0, 0.0), (1.0, 1.0, 1.0)
    assert themes.contrast_ratio(black, white) == pytest.approx(21.0)
    assert themes.contrast_ratio(white, white) == pytest.approx(1.0)
    grey = (0x76 / 255,) * 3  # #767676 is the classic lightest grey passing 4.5:1 on white
    assert themes.contrast_ratio(grey, white) == pytest.approx(4.54, abs=0.01)


def test_low_contrast_fails_with_the_pair_and_ratio(tmp_path):
    folder = make_theme(tmp_path, GOOD_THEME.replace("--sc-muted: #596273;", "--sc-muted: #aaaaaa;"))
    found = themes.check_theme(folder)
    assert {p.kind for p in found} == {themes.KIND_CONTRAST}
    text = [str(p) for p in found]
    assert any(
        "t/theme.css:7: contrast of --sc-muted #aaaaaa on --sc-surface" in m and ":1" in m for m in text
    )
    assert any("on --sc-card" in m for m in text)


def test_missing_properties_fall_back_to_the_base_css_defaults(tmp_path):
    assert messages(make_theme(tmp_path, ":host { --sc-radius: 2px; }", name="minimal")) == []
    light_button = ":host { --sc-primary: #7fb3e6; }"  # white button text on light blue
    found = messages(make_theme(tmp_path, light_button, name="light"))
    assert any("--sc-on-primary #fff on --sc-primary #7fb3e6" in m for m in found), found


def test_var_references_and_rgb_notation_are_resolved(tmp_path):
    css = ":host { --sc-brand: rgb(11, 92, 173); --sc-primary: var(--sc-brand); --sc-ok: var(--sc-nope, #aaffaa); }"
    found = messages(make_theme(tmp_path, css))
    assert not any("--sc-primary" in m for m in found), found
    assert any("--sc-ok #aaffaa" in m for m in found), found


def test_non_colour_values_cannot_be_checked(tmp_path):
    found = messages(make_theme(tmp_path, ":host { --sc-surface: linear-gradient(#fff, #eee); }"))
    assert any("is not a plain colour" in m for m in found), found


def test_base_defaults_are_read_from_the_base_css():
    defaults = themes.base_defaults()
    assert defaults["--sc-text"] == "#1d2330" and defaults["--sc-on-primary"] == "#fff"
    assert all(fg in defaults and bg in defaults for fg, bg, _ in themes.CONTRAST_PAIRS)


# --- start-up gate and the command -------------------------------------------------------------


class _Partner:
    def __init__(self, theme: str) -> None:
        self.theme = theme


def test_start_up_refuses_a_missing_or_unsafe_theme(tmp_path):
    make_theme(tmp_path, GOOD_THEME, name="default")
    make_theme(tmp_path, GOOD_THEME, "@import 'https://evil.example/x.css';", name="evil")
    themes.verify_partner_themes(tmp_path, {"a": _Partner("default")})
    with pytest.raises(ConfigError, match=r"partner 'b': theme 'nope' is not a folder"):
        themes.verify_partner_themes(tmp_path, {"a": _Partner("default"), "b": _Partner("nope")})
    with pytest.raises(ConfigError, match=r"partner 'c': theme 'evil' is unsafe.*@import"):
        themes.verify_partner_themes(tmp_path, {"c": _Partner("evil")})
    with pytest.raises(ConfigError, match="not a folder"):
        themes.verify_partner_themes(tmp_path, {"d": _Partner("../t")})


def test_start_up_only_warns_about_contrast(tmp_path, caplog):
    make_theme(tmp_path, ":host { --sc-muted: #bbbbbb; }", name="pale")
    themes.verify_partner_themes(tmp_path, {"p": _Partner("pale")})
    assert "contrast of --sc-muted" in caplog.text


def test_create_app_refuses_an_unsafe_partner_theme(tmp_path, sandbox_url, test_partners):
    from dataclasses import replace

    from tests.support import make_widget_app

    make_theme(tmp_path, GOOD_THEME, name="default")
    make_theme(tmp_path, GOOD_THEME + "\nbody { color: red; }", name="zelena")
    with pytest.raises(ConfigError, match="partner 'zelena-mobil': theme 'zelena'"):
        make_widget_app(sandbox_url, test_partners, themes_dir=tmp_path)
    partners = {**test_partners, "x": replace(test_partners["demo-mobil"], id="x", theme="gone")}
    with pytest.raises(ConfigError, match="partner 'x': theme 'gone'"):
        make_widget_app(sandbox_url, partners)


def test_command_passes_on_shipped_themes(capsys, monkeypatch):
    monkeypatch.setenv("SELFCARE_THEMES_DIR", str(SHIPPED))
    assert main(["check-theme"]) == 0
    out = capsys.readouterr().out
    assert "default: ok" in out and "zelena: ok" in out


def test_command_fails_on_a_bad_theme_with_line_numbers(tmp_path):
    bad = make_theme(tmp_path, GOOD_THEME + "\nbody { color: red; }\n", name="bad")
    good = SHIPPED / "default"
    result = subprocess.run(
        [sys.executable, "-m", "selfcare_widget.cli", "check-theme", str(good), str(bad)],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        check=False,
    )
    assert result.returncode == 1, result
    assert "default: ok" in result.stdout
    assert f"bad/theme.css:{APPENDED_LINE}: selector 'body' is not allowed" in result.stdout


def test_command_reports_a_folder_without_theme(tmp_path, capsys):
    assert main(["check-theme", str(tmp_path / "nothing")]) == 1
    assert "nothing" in capsys.readouterr().out
