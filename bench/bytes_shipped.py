"""Bytes shipped to the browser: the assets, a first signed-in page load, a typical interaction.

The widget (in-memory store) and the sandbox are served on loopback; everything is fetched over
real HTTP exactly as the loader fetches it: ``/embed.js``, then the URLs of its manifest (vendored
htmx, ``/widget.css``, the partner's theme), ``/sso/exchange`` with a partner-signed HS256 token,
and ``/w/shell``, which carries the first section (the overview) inline. Section fragments
stand for a typical interaction.

Each size is the plain response body and the same bytes after ``gzip -6``: what the widget sends
for its public assets (loader, htmx, CSS, themes) to a browser that accepts gzip; fragments are
sent plain (a proxy in front may compress them). HTTP headers are
not counted (a few hundred bytes a response). The ms columns time the fetches over loopback,
which says little about a real network; the sizes are the point of these rows.
"""

from __future__ import annotations

import gzip
import json
import re
import time
import uuid
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

import requests
from jose import jwt

from bench import Result, summarize, time_calls
from bench.stack import ORIGIN, PARTNER, SSO_SECRET, sandbox, widget

CUSTOMER = "cust-0001"
RUNS = 20
_MANIFEST = re.compile(r"const MANIFEST = (\{.*?\});")


@dataclass(frozen=True)
class Fetched:
    """One response as the browser receives it."""

    label: str
    body: bytes
    cache_control: str
    ms: list[float]

    @property
    def gzipped(self) -> int:
        return len(gzip.compress(self.body, compresslevel=6))


def kib(n: int) -> str:
    """Bytes as KiB with one decimal."""
    return f"{n / 1024:.1f} KiB"


def sso_token() -> str:
    """A fresh partner-signed SSO token (single use: each exchange burns its jti)."""
    now = int(time.time())
    claims = {
        "iss": PARTNER,
        "aud": "selfcare-widget",
        "sub": CUSTOMER,
        "iat": now,
        "exp": now + 60,
        "jti": uuid.uuid4().hex,
        "locale": "cs",
    }
    return jwt.encode(claims, SSO_SECRET, algorithm="HS256")


class Browser:
    """Requests as the loader makes them (partner Origin; session token in the body)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = requests.Session()
        self.http.headers["Origin"] = ORIGIN
        # Ask for the plain bodies: the gzip column is computed here with the level the widget
        # itself uses for its public assets (gzip -6), so both columns come from the same bytes.
        self.http.headers["Accept-Encoding"] = "identity"
        self.session = ""

    def get(self, path: str) -> requests.Response:
        response = self.http.get(self.base + path, timeout=30)
        response.raise_for_status()
        return response

    def post(self, path: str, **form: str) -> requests.Response:
        response = self.http.post(
            self.base + path, data={"_st": self.session, "_partner": PARTNER, **form}, timeout=30
        )
        response.raise_for_status()
        return response

    def exchange(self) -> requests.Response:
        response = self.http.post(
            self.base + "/sso/exchange", data={"token": sso_token(), "partner": PARTNER}, timeout=30
        )
        response.raise_for_status()
        self.session = response.json()["session"]
        return response


def fetch(label: str, call) -> Fetched:
    """Fetch once for the bytes, then ``RUNS`` times for the time."""
    response = call()
    if response.headers.get("Content-Encoding"):
        raise RuntimeError(f"{label} came compressed although identity was asked for")
    samples = time_calls(call for _ in range(RUNS))
    return Fetched(label, response.content, response.headers.get("Cache-Control", ""), samples)


def asset_rows(browser: Browser) -> list[Fetched]:
    """The loader and the three assets its manifest points at."""
    loader = fetch("embed.js (loader, with manifest)", lambda: browser.get("/embed.js"))
    match = _MANIFEST.search(loader.body.decode())
    if match is None:
        raise RuntimeError("no manifest in /embed.js")
    manifest = json.loads(match.group(1))
    # The partner's theme: a small stylesheet that @imports the theme's hashed files.
    partner_theme = manifest["theme"].replace("__PARTNER__", PARTNER)
    themes = re.findall(r'@import url\("([^"]+)"\);', browser.get(partner_theme).text)
    return [
        loader,
        fetch("partner theme (@imports, revalidated)", lambda: browser.get(partner_theme)),
        fetch("htmx 4.0.1 (vendored ESM)", lambda: browser.get(manifest["htmx"])),
        fetch("/widget.css (all features)", lambda: browser.get(manifest["css"])),
        *(fetch(f"{_file_name(url)} (default theme)", lambda url=url: browser.get(url)) for url in themes),
    ]


def _file_name(url: str) -> str:
    return urlsplit(url).path.rsplit("/", 1)[-1]


def page_rows(browser: Browser) -> list[Fetched]:
    """Sign-on and the first fragments of a signed-in page load."""
    return [
        fetch("/sso/exchange (JSON)", browser.exchange),
        fetch(
            "/w/shell (navigation + overview inline)", lambda: browser.post("/w/shell", section="overview")
        ),
    ]


def interaction_rows(browser: Browser) -> list[Fetched]:
    """Section fragments: what one click costs once the page is loaded."""
    return [
        fetch("/w/overview (fragment)", lambda: browser.post("/w/overview")),
        fetch("/w/packages (fragment)", lambda: browser.post("/w/packages")),
        fetch("/w/billing (fragment)", lambda: browser.post("/w/billing")),
        fetch("/w/usage, first page (fragment)", lambda: browser.post("/w/usage")),
    ]


def size_row(item: Fetched, note: str = "") -> Result:
    """A row: sizes in the name, fetch time in the ms columns."""
    raw, packed = len(item.body), item.gzipped
    result = summarize(
        f"bytes: {item.label} — {kib(raw)} raw, {kib(packed)} gzip ({raw / packed:.1f}x)",
        item.ms,
        note=note or (f"Cache-Control: {item.cache_control}" if item.cache_control else ""),
    )
    return replace(result, target_text="—")


def total_row(label: str, items: list[Fetched], note: str) -> Result:
    """A row summing several responses (ms columns: their fetch times added up, per run)."""
    raw = sum(len(i.body) for i in items)
    packed = sum(i.gzipped for i in items)
    per_run = [sum(run) for run in zip(*(i.ms for i in items), strict=True)]
    return summarize(
        f"bytes: {label} — {kib(raw)} raw, {kib(packed)} gzip ({raw / packed:.1f}x)", per_run, note=note
    )


def run() -> list[Result]:
    """Sizes of what the browser downloads: first visit, repeat visit, one interaction."""
    with sandbox() as url, widget(url) as (_app, base):
        browser = Browser(base)
        assets = asset_rows(browser)
        page = page_rows(browser)
        interactions = interaction_rows(browser)
    immutable = [a.label for a in assets if "immutable" in a.cache_control]
    rows = [size_row(item) for item in assets + page + interactions]
    rows.append(
        total_row(
            "first signed-in page load",
            assets + page,
            "loader + htmx + widget.css + theme stylesheet(s) + /sso/exchange + /w/shell (overview inside), bodies only "
            "(ms: fetched one after another; a browser overlaps the assets with the exchange)",
        )
    )
    rows.append(
        total_row(
            "repeat visit (assets cached)",
            [assets[0], *page],
            f"immutable for a year (hashed URLs): {', '.join(immutable)}; the loader is cached 5 "
            "minutes, counted here as refetched; sign-on, shell and overview are no-store",
        )
    )
    return rows
