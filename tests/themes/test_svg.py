"""check-theme refuses theme SVGs that could run script or load from elsewhere, with the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from selfcare_widget import themes
from selfcare_widget.cli import main
from selfcare_widget.config import PROJECT_ROOT

SVG_OPEN = (
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" viewBox="0 0 8 8">'
)


def theme_with_svg(tmp_path: Path, svg: str, name: str = "logo.svg") -> Path:
    folder = tmp_path / "t"
    folder.mkdir()
    (folder / "theme.css").write_text((PROJECT_ROOT / "themes/default/theme.css").read_text(encoding="utf-8"))
    (folder / name).write_text(svg, encoding="utf-8")
    return folder


def test_shipped_logos_pass():
    for folder in themes.theme_folders(PROJECT_ROOT / "themes"):
        for svg in folder.rglob("*.svg"):
            assert themes.check_svg(svg, svg.name) == [], svg


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        (
            f"{SVG_OPEN}\n<rect width='8' height='8'/>\n<script>fetch('//evil')</script>\n</svg>",
            3,
            "<script>",
        ),
        (f"{SVG_OPEN}\n<rect width='8'\n  height='8'\n  onload='x()'/>\n</svg>", 4, "onload"),
        (f"{SVG_OPEN}\n<g ONCLICK='x()'/></svg>", 2, "ONCLICK"),
        (f"{SVG_OPEN}\n<image href='https://cdn.example/a.png'/></svg>", 2, "links to"),
        (f"{SVG_OPEN}\n<use xlink:href='other.svg#a'/></svg>", 2, "links to"),
        (f"{SVG_OPEN}\n<a href='javascript:alert(1)'><rect/></a></svg>", 2, "links to"),
        (f"{SVG_OPEN}\n<rect style='fill: url(https://t.example/x)'/></svg>", 2, "url("),
        (f"{SVG_OPEN}\n<style>@import 'https://t.example/a.css';</style></svg>", 2, "@import"),
        (
            f"{SVG_OPEN}\n<foreignObject><div xmlns='http://www.w3.org/1999/xhtml'/></foreignObject></svg>",
            2,
            "foreignObject",
        ),
        (f"{SVG_OPEN}\n<set attributeName='href' to='javascript:x()'/></svg>", 2, "may not animate"),
        (
            '<?xml version="1.0"?>\n<!DOCTYPE svg [\n<!ENTITY lol "lol">\n]>\n' + SVG_OPEN + "&lol;</svg>",
            2,
            "DOCTYPE",
        ),
        (f'<?xml-stylesheet href="https://t.example/a.css"?>\n{SVG_OPEN}</svg>', 1, "processing instruction"),
        ("<html xmlns='http://www.w3.org/1999/xhtml'><script/></html>", 1, "root element"),
        (f"{SVG_OPEN}\n<rect width='8'>\n</svg>", 3, "not well-formed"),
    ],
)
def test_unsafe_or_doubtful_svg_is_refused_with_its_line(tmp_path, body, line, words):
    folder = theme_with_svg(tmp_path, body)
    problems = themes.check_theme(folder)
    assert len(problems) == 1, problems
    problem = problems[0]
    assert (problem.file, problem.line) == ("t/logo.svg", line)
    assert problem.kind in (themes.KIND_SAFETY, themes.KIND_PARSE)
    assert words in problem.message


def test_fragments_data_images_and_editor_metadata_pass(tmp_path):
    svg = (
        f"{SVG_OPEN}\n<defs><linearGradient id='g'/></defs>\n<rect fill='url(#g)' width='8' height='8'/>\n"
        "<use href='#g'/><image href='data:image/png;base64,iVBORw0KGgo='/>\n"
        "<metadata><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'/></metadata></svg>"
    )
    assert themes.check_theme(theme_with_svg(tmp_path, svg)) == []


def test_svgs_anywhere_in_the_folder_are_checked(tmp_path):
    folder = theme_with_svg(tmp_path, f"{SVG_OPEN}</svg>")
    (folder / "icons").mkdir()
    (folder / "icons" / "x.svg").write_text(f"{SVG_OPEN}<script/></svg>", encoding="utf-8")
    assert [p.file for p in themes.check_theme(folder)] == ["t/icons/x.svg"]


def test_check_theme_command_refuses_the_svg_with_its_line(tmp_path, capsys):
    folder = theme_with_svg(tmp_path, f"{SVG_OPEN}\n<rect onload='x()'/>\n</svg>")
    assert main(["check-theme", str(folder)]) == 1
    out = capsys.readouterr().out
    assert "t/logo.svg:2: event attribute onload=" in out
