"""Pictures of the widget for the README and partners: ``make screenshots``.

Starts the demo stack (sandbox, widget, portal on free loopback ports, fresh demo data), drives
Debian's Chromium (Playwright, headless) through every section of the widget at 1280 and 375 px
in both shipped themes and writes one PNG per view to ``docs/screenshots/``, named
``<view>-<theme>-<width>.png`` (e.g. ``overview-default-1280.png``). Each picture is the widget
only (clipped to its box, at most ``MAX_HEIGHT`` px tall) and saved as a 256-colour PNG, so the
whole set stays small. Exit status 0 when every picture was written, 1 otherwise.

    python scripts/screenshots.py                       # everything, into docs/screenshots/
    python scripts/screenshots.py --views overview --widths 375 --themes zelena
    python scripts/screenshots.py --portal-url http://127.0.0.1:8000   # a demo already running
"""

from __future__ import annotations

import argparse
import io
import logging
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
WIDGET = "#selfcare-0"
WIDTHS = (1280, 375)
MAX_HEIGHT = 1100  # css px: long lists (the call log) are cut, the top says what the view is
TIMEOUT_MS = 20_000

#: theme -> the demo customer shown in it (a customer of the partner with that theme)
THEMES = {"default": "cust-0001", "zelena": "cust-0003"}

IDLE = """
(selector) => {
  const root = document.querySelector(selector)?.shadowRoot;
  return !!root && !!root.querySelector('.sc-shell')
    && !root.querySelector('#sc-main[aria-busy], .htmx-request, .sc-boot');
}
"""


def _settle(page) -> None:
    """No widget request in flight, then a moment for htmx's settle step and fonts."""
    page.wait_for_function(IDLE, arg=WIDGET, timeout=TIMEOUT_MS)
    page.evaluate("document.fonts.ready.then(() => true)")
    page.wait_for_timeout(200)


def _open_section(page, section: str) -> None:
    page.locator(f"{WIDGET} [data-sc-nav={section}]").click()
    page.locator(f"{WIDGET} #sc-main [data-sc-section={section}]").first.wait_for(timeout=TIMEOUT_MS)
    _settle(page)


def _section(name: str) -> Callable:
    def show(page) -> None:
        _open_section(page, name)

    return show


def _invoice(page) -> None:
    _open_section(page, "billing")
    page.locator(f"{WIDGET} #sc-main button[hx-post*='/w/billing/invoice']").first.click()
    page.locator(f"{WIDGET} #sc-main #sc-invoice-title").wait_for(timeout=TIMEOUT_MS)
    _settle(page)


@dataclass(frozen=True)
class View:
    """One picture: how to get there from the signed-in widget."""

    name: str
    show: Callable


#: Every section of the widget plus the invoice detail, in the navigation's order.
VIEWS = (
    View("overview", _section("overview")),
    View("sims", _section("sims")),
    View("packages", _section("packages")),
    View("billing", _section("billing")),
    View("invoice", _invoice),
    View("usage", _section("usage")),
    View("contact", _section("contact")),
)


def file_name(view: str, theme: str, width: int) -> str:
    """The picture's deterministic file name, e.g. ``overview-default-1280.png``."""
    return f"{view}-{theme}-{width}.png"


def optimise_png(raw: bytes) -> bytes:
    """A 256-colour, optimised PNG of ``raw`` (UI pictures look the same, at a third the size)."""
    from PIL import Image

    image = Image.open(io.BytesIO(raw)).convert("RGB")
    small = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = io.BytesIO()
    small.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _sign_in(page, portal_url: str, customer: str) -> None:
    page.goto(portal_url + "/", timeout=TIMEOUT_MS)
    page.select_option("#customer", customer)
    page.click("form[action$='/login'] button[type=submit]")
    page.wait_for_url("**/account**", timeout=TIMEOUT_MS)
    page.locator(f"{WIDGET} #sc-main [data-sc-section]").first.wait_for(timeout=TIMEOUT_MS)
    _settle(page)


def _shoot(page, path: Path) -> None:
    page.evaluate("window.scrollTo(0, 0)")  # the box is then in document coordinates
    box = page.locator(WIDGET).bounding_box()
    if not box or box["width"] < 1 or box["height"] < 1:
        raise RuntimeError(f"the widget has no visible box for {path.name}")
    # The page grows to the widget's full height, so the clip is inside the document.
    clip = {"x": box["x"], "y": box["y"], "width": box["width"], "height": min(box["height"], MAX_HEIGHT)}
    raw = page.screenshot(clip=clip, full_page=True, animations="disabled", caret="hide")
    path.write_bytes(optimise_png(raw))


def capture(
    browser,
    portal_url: str,
    out_dir: Path,
    views: Iterable[str] | None = None,
    widths: Iterable[int] = WIDTHS,
    themes: Iterable[str] = tuple(THEMES),
    log: Callable[[str], None] = print,
) -> list[Path]:
    """Write the pictures of ``views`` x ``themes`` x ``widths`` with ``browser`` (a Playwright
    Chromium) against the demo portal at ``portal_url``; returns the files written.

    Raises on the first view that cannot be shown (a missing button, a timeout)."""
    wanted = [v for v in VIEWS if views is None or v.name in set(views)]
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for theme in themes:
        for width in widths:
            context = browser.new_context(
                viewport={"width": width, "height": 900},
                device_scale_factor=1,
                locale="cs-CZ",
                timezone_id="Europe/Prague",
                reduced_motion="reduce",
            )
            try:
                page = context.new_page()
                _sign_in(page, portal_url, THEMES[theme])
                for view in wanted:
                    view.show(page)
                    path = out_dir / file_name(view.name, theme, width)
                    _shoot(page, path)
                    log(str(path))
                    written.append(path)
            finally:
                context.close()
    return written


def _launch(playwright):
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
    )


def run(args: argparse.Namespace) -> list[Path]:
    """Start the demo (unless ``--portal-url``) and Chromium, then :func:`capture`."""
    from playwright.sync_api import sync_playwright

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not every request of the demo
    stack = None
    portal_url = args.portal_url
    if not portal_url:
        from selfcare_widget.demo import DemoStack

        # Fresh demo data in a throwaway instance dir; the demo's own settings (not the caller's
        # SELFCARE_* environment), so pictures do not depend on who takes them.
        instance = Path(tempfile.mkdtemp(prefix="selfcare-screenshots-"))
        stack = DemoStack(instance, portal_port=0, widget_port=0, platform_port=0, env={})
        portal_url = stack.start().portal
    try:
        with sync_playwright() as playwright:
            browser = _launch(playwright)
            try:
                return capture(
                    browser,
                    portal_url.rstrip("/"),
                    Path(args.out),
                    views=args.views,
                    widths=args.widths,
                    themes=args.themes,
                )
            finally:
                browser.close()
    finally:
        if stack is not None:
            stack.stop()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=str(OUT_DIR), help="output folder (default: docs/screenshots)")
    parser.add_argument("--views", nargs="+", choices=[v.name for v in VIEWS], help="default: all")
    parser.add_argument("--widths", nargs="+", type=int, default=list(WIDTHS))
    parser.add_argument("--themes", nargs="+", choices=list(THEMES), default=list(THEMES))
    parser.add_argument("--portal-url", help="use a demo already running (default: start one)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: 0 when every picture was written, 1 on any failure."""
    args = build_parser().parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"screenshots: {CHROMIUM} is missing (apt-get install chromium)", file=sys.stderr)
        return 1
    started = time.monotonic()
    try:
        written = run(args)
    except Exception as exc:  # any failure is the exit status; the message says where
        print(f"screenshots: FAILED: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    total = sum(p.stat().st_size for p in written)
    print(f"{len(written)} picture(s), {total / 1024:.0f} KiB, in {time.monotonic() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))  # run from a checkout without installing: selfcare_widget importable
    sys.exit(main())
