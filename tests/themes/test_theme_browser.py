"""The partner theme reaches the browser: logo from --sc-logo in the header."""

from __future__ import annotations

import pytest

from tests.support import save_artifact


@pytest.mark.browser
def test_header_shows_the_theme_logo(portal):
    page = portal("cust-0001")
    logo = page.evaluate(
        "getComputedStyle(document.querySelector('[data-selfcare-widget]').shadowRoot"
        ".querySelector('.sc-logo')).backgroundImage"
    )
    # The data: URI arrives intact (a relative url() would have pointed at the widget's root).
    assert logo.startswith('url("data:image/svg+xml'), logo
    save_artifact(page, "theme-logo-default")
