"""Helpers of the package tests."""

from __future__ import annotations

import re


def confirmation_of(body: str) -> str:
    """The signed confirmation token of a confirm fragment."""
    match = re.search(r'name="confirmation" value="([^"]+)"', body)
    assert match, "no confirmation token in the fragment"
    return match.group(1)
