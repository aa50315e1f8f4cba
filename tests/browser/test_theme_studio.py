"""The theme studio in a real browser: every scene in the theme, live on save, checks beside them."""

from __future__ import annotations

import shutil
import threading

import pytest
from werkzeug.serving import make_server

from selfcare_widget.config import PROJECT_ROOT
from selfcare_widget.theme_studio import LOCALES, WIDTHS, create_studio_app, scenes
from tests.support import ARTIFACTS

pytestmark = pytest.mark.browser

ZELENA_PRIMARY = "rgb(30, 107, 52)"  # #1e6b34, the accent zelena sets as --sc-primary


@pytest.fixture
def studio(tmp_path):
    """``studio(folder) -> base URL``: the studio of ``folder`` on a free loopback port."""
    servers = []

    def start(folder):
        server = make_server("127.0.0.1", 0, create_studio_app(folder), threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def zelena_copy(tmp_path):
    folder = tmp_path / "zelena"
    shutil.copytree(PROJECT_ROOT / "themes" / "zelena", folder)
    return folder


def save_view(page, name):
    """The visible part only: the whole studio page is tens of thousands of pixels tall."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def open_studio(browser, url):
    context = browser.new_context(viewport={"width": 1800, "height": 1000})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(url + "/?lang=en")
    page.wait_for_selector("html[data-studio-ready=true]")
    return context, page, errors


# The active navigation tab of every shadow root: painted with --sc-primary by the widget's CSS.
ACTIVE_TABS = """() => [...document.querySelectorAll('[data-studio-host]')]
    .map(h => h.shadowRoot.querySelector('.sc-nav__item[aria-current=page]'))
    .filter(Boolean).map(b => getComputedStyle(b).backgroundColor)"""


def test_every_scene_renders_in_the_theme_and_follows_saved_changes(browser, studio, zelena_copy):
    context, page, errors = open_studio(browser, studio(zelena_copy))
    try:
        hosts = page.locator("[data-studio-host]")
        assert hosts.count() == len(scenes()) * len(LOCALES) * len(WIDTHS)
        # Each scene is the widget's own markup, in Czech and in English.
        overview = page.locator("#scene-overview [data-studio-host][data-locale=cs]").first
        assert "Přehled" in overview.evaluate("h => h.shadowRoot.textContent")
        english = page.locator("#scene-overview [data-studio-host][data-locale=en]").first
        assert "Remaining units" in english.evaluate("h => h.shadowRoot.textContent")
        # The widths reach the widget's container queries: the brand is hidden only at 375 px.
        brand_display = page.evaluate(
            """() => [...document.querySelectorAll('#scene-overview [data-studio-host][data-locale=en]')]
                .map(h => [h.dataset.width, getComputedStyle(h.shadowRoot.querySelector('.sc-brand')).display])"""
        )
        shown = dict(brand_display)
        assert shown["375"] == "none" and shown["1280"] != "none", shown
        tabs = page.evaluate(ACTIVE_TABS)
        assert tabs and set(tabs) == {ZELENA_PRIMARY}
        assert page.locator("[data-studio-verdict]").inner_text() == "the theme passes"
        save_view(page, "theme-studio-zelena")

        # The partner saves a new accent in their copy of the theme: the page follows by itself.
        theme_css = zelena_copy / "theme.css"
        theme_css.write_text(
            theme_css.read_text(encoding="utf-8").replace("--sc-primary: #1e6b34;", "--sc-primary: #6a1b9a;"),
            encoding="utf-8",
        )
        page.wait_for_function(
            f"() => {{ const t = ({ACTIVE_TABS})(); return t.length && t.every(c => c === 'rgb(106, 27, 154)'); }}",
            timeout=10_000,
        )
        # The invoice links (primary on surface) took the new colour too.
        link = page.locator("#scene-overview [data-studio-host]").first.evaluate(
            "h => getComputedStyle(h.shadowRoot.querySelector('.sc-link')).color"
        )
        assert link == "rgb(106, 27, 154)"
        assert errors == []
    finally:
        context.close()


def test_a_failing_contrast_pair_shows_on_the_page_with_its_ratio_and_elements(browser, studio, zelena_copy):
    context, page, errors = open_studio(browser, studio(zelena_copy))
    try:
        assert page.locator("[data-studio-passes=false]").count() == 0
        theme_css = zelena_copy / "theme.css"
        theme_css.write_text(
            theme_css.read_text(encoding="utf-8").replace("--sc-primary: #1e6b34;", "--sc-primary: #9fd3ae;"),
            encoding="utf-8",
        )
        failing = page.locator("[data-studio-pair='--sc-on-primary --sc-primary'][data-studio-passes=false]")
        failing.wait_for(timeout=10_000)
        assert "1.69:1" in failing.locator("[data-studio-ratio]").inner_text()  # #fff on #9fd3ae
        assert "fails" in failing.inner_text()
        assert page.locator("[data-studio-verdict]").inner_text() != "the theme passes"
        # "Show in the scenes" outlines the elements that use the pair, in every scene.
        failing.locator(".studio-show").click()
        count = failing.locator(".studio-count").inner_text()
        assert int(count.split()[0]) > 0, count
        outline = page.locator("#scene-overview [data-studio-host]").first.evaluate(
            "h => getComputedStyle(h.shadowRoot.querySelector('.sc-nav__item[aria-current=page]')).outlineStyle"
        )
        assert outline == "dashed"
        save_view(page, "theme-studio-contrast-failure")
        assert errors == []
    finally:
        context.close()


def test_unsafe_css_and_svg_are_shown_with_their_lines(browser, studio, zelena_copy):
    (zelena_copy / "extra.css").write_text(".sc-card { color: red; }\nbody { margin: 0 }\n", encoding="utf-8")
    (zelena_copy / "badge.svg").write_text(
        '<svg xmlns="http://www.w3.org/2000/svg">\n  <rect width="4" height="4"\n    onload="steal()"/>\n</svg>\n',
        encoding="utf-8",
    )
    context, page, errors = open_studio(browser, studio(zelena_copy))
    try:
        extra = page.locator("[data-studio-file='zelena/extra.css']")
        assert extra.get_attribute("data-studio-line") == "2"
        assert "body { margin: 0 }" in extra.locator(".studio-source").inner_text()
        svg = page.locator("[data-studio-file='zelena/badge.svg']")
        assert svg.get_attribute("data-studio-line") == "3"
        assert "onload" in svg.inner_text()
        # The extra.css rule that is allowed already paints the cards.
        color = page.locator("#scene-overview [data-studio-host]").first.evaluate(
            "h => getComputedStyle(h.shadowRoot.querySelector('.sc-card')).color"
        )
        assert color == "rgb(255, 0, 0)"
        # Fixing the file clears the problem without a reload.
        (zelena_copy / "badge.svg").write_text(
            '<svg xmlns="http://www.w3.org/2000/svg"><rect width="4" height="4"/></svg>\n', encoding="utf-8"
        )
        page.locator("[data-studio-file='zelena/badge.svg']").wait_for(state="detached", timeout=10_000)
        assert errors == []
    finally:
        context.close()
