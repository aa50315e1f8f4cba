"""Call log in a real browser on the demo portal: filter, page, presets, dates, export."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.support import save_artifact


@pytest.mark.browser
def test_call_log_filter_page_and_export(portal, tmp_path):
    page = portal("cust-0002")
    page.click("[data-sc-nav=usage]")
    rows = page.locator(".sc-usage-table tbody tr")
    rows.first.wait_for(timeout=15000)
    assert rows.count() == 50
    save_artifact(page, "usage-01-opened")

    # Filter by type: only the results region is swapped; the form (and focus) stay.
    form_handle = page.locator("#sc-usage-form").element_handle()
    page.select_option("#sc-usage-type", "sms")
    page.wait_for_function(
        """() => {
            const root = document.querySelector('[data-selfcare-widget]').shadowRoot;
            const rows = [...root.querySelectorAll('.sc-usage-table tbody tr')];
            return rows.length > 0 && rows.every(r => r.dataset.usageType === 'sms');
        }""",
        timeout=15000,
    )
    assert (
        page.locator("#sc-usage-form").element_handle() == form_handle
        or page.locator("#sc-usage-form").count() == 1
    )
    assert page.locator("#sc-usage-type").input_value() == "sms"
    first_ids = rows.evaluate_all("rs => rs.map(r => r.dataset.usageId)")
    save_artifact(page, "usage-02-sms")

    # Next page: new records, none repeated.
    page.click("[data-sc-page=next]")
    page.wait_for_function(
        """(first) => {
            const root = document.querySelector('[data-selfcare-widget]').shadowRoot;
            const row = root.querySelector('.sc-usage-table tbody tr');
            return row && !first.includes(row.dataset.usageId);
        }""",
        arg=first_ids,
        timeout=15000,
    )
    second_ids = rows.evaluate_all("rs => rs.map(r => r.dataset.usageId)")
    assert second_ids and not set(second_ids) & set(first_ids)
    assert all(t == "sms" for t in rows.evaluate_all("rs => rs.map(r => r.dataset.usageType)"))
    save_artifact(page, "usage-03-page-2")

    # Export: the loader's download helper fetches the CSV with the session and saves it.
    export = page.locator(".sc-usage-export")
    assert export.count() == 1
    with page.expect_download(timeout=20000) as info:
        export.click()
    download = info.value
    assert download.suggested_filename.startswith(
        "vypis-420603111222-"
    ) and download.suggested_filename.endswith(".csv")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    lines = data.decode("utf-8-sig").splitlines()
    assert len(lines) > 1 and all(";" in line for line in lines)
    save_artifact(page, "usage-04-exported")


@pytest.mark.browser
def test_an_invalid_period_marks_the_field_and_moves_focus_to_it(portal):
    page = portal("cust-0001", section="usage")
    page.locator("#sc-main [data-sc-section=usage]").wait_for()
    date_from = page.locator("#sc-usage-from")
    date_from.fill("2026-12-31")  # after "to" (today at the latest)
    date_from.dispatch_event("change")
    page.locator("#sc-usage-from[aria-invalid=true]").wait_for()
    page.wait_for_timeout(200)
    focused_id = page.evaluate("document.querySelector('#selfcare-0').shadowRoot.activeElement?.id")
    assert focused_id == "sc-usage-from"
    assert page.locator("#sc-usage-from").input_value() == "2026-12-31"  # nothing typed is lost
    assert page.locator("[data-sc-error]").count() >= 1
    save_artifact(page, "usage-invalid-period")


@pytest.mark.browser
def test_typing_a_date_posts_once_not_per_keystroke(portal):
    """Issue 12 bug 5: a date typed digit by digit is one request, and no 'too far back' flashes."""
    posts = []

    def count_results(page):
        page.on("request", lambda r: posts.append(r.url) if r.url.endswith("/w/usage/results") else None)

    page = portal("cust-0002", before=count_results)
    page.click("[data-sc-nav=usage]")
    page.locator(".sc-usage-table tbody tr").first.wait_for(timeout=15000)
    posts.clear()
    # What Chromium's date field does while a year is typed digit by digit: a change event for
    # every intermediate, valid-looking date (year 2, 20, 202, 2026).
    page.evaluate(
        """async () => {
            const root = document.querySelector('[data-selfcare-widget]').shadowRoot;
            const input = root.querySelector('#sc-usage-from');
            for (const value of ['0002-11-15', '0020-11-15', '0202-11-15', '2026-11-15']) {
                input.value = value;
                input.dispatchEvent(new Event('change', {bubbles: true}));
                await new Promise((resolve) => setTimeout(resolve, 120));
            }
        }"""
    )
    page.wait_for_timeout(2000)
    assert len(posts) == 1, posts
    assert page.locator("#sc-usage-from").input_value() == "2026-11-15"
    assert page.locator("#sc-usage-results .sc-field-error, #sc-usage-from[aria-invalid=true]").count() == 0


# --------------------------------------------------------------------------- issue 12: friendlier call log

ACTIVE = "document.querySelector('[data-selfcare-widget]').shadowRoot.activeElement"


def prague_today() -> date:
    return datetime.now(ZoneInfo("Europe/Prague")).date()


def czech(day_: date) -> str:
    return f"{day_.day}.{day_.month}.{day_.year}"


def count_posts(posts: list[str]):
    """``before`` hook of the portal fixture: collects the URLs of the call log's POSTs."""

    def _hook(page):
        page.on("request", lambda r: posts.append(r.url) if "/w/usage" in r.url else None)

    return _hook


def open_call_log(portal, customer: str = "cust-0002", **options):
    page = portal(customer, **options)
    page.click("[data-sc-nav=usage]")
    page.locator(".sc-usage-table tbody tr").first.wait_for(timeout=15000)
    return page


@pytest.mark.browser
def test_pages_first_last_jump_and_page_size(portal):
    page = open_call_log(portal)
    pager = page.locator(".sc-usage-page")
    pages = int(pager.get_attribute("data-pages"))
    total = int(page.locator(".sc-usage-status").get_attribute("data-total"))
    assert pages == (total + 49) // 50 > 3
    assert re.fullmatch(rf"Strana 1 z {pages:,}".replace(",", "\xa0"), pager.inner_text().strip())
    assert page.locator("[data-sc-page=first]").is_disabled()

    page.click("[data-sc-page=last]")
    page.locator(f".sc-usage-page[data-page='{pages}']").wait_for(timeout=15000)
    assert page.locator(".sc-usage-table tbody tr").count() == total - (pages - 1) * 50
    assert page.locator("[data-sc-page=last]").is_disabled()
    save_artifact(page, "usage-paging-last")

    page.click("[data-sc-page=first]")
    page.locator(".sc-usage-page[data-page='1']").wait_for(timeout=15000)

    # Go to page 3 with the keyboard: Enter submits the small form; focus lands on the status line.
    page.fill("#sc-usage-jump", "3")
    page.press("#sc-usage-jump", "Enter")
    page.locator(".sc-usage-page[data-page='3']").wait_for(timeout=15000)
    page.wait_for_timeout(200)
    assert page.evaluate(f"{ACTIVE}?.className") == "sc-usage-status"

    # A page that does not exist: a Czech message at the field, what was typed kept, page 3 stays.
    page.fill("#sc-usage-jump", "99999")
    page.press("#sc-usage-jump", "Enter")
    error = page.locator("[data-sc-error=page_invalid]")
    error.wait_for(timeout=15000)
    assert error.inner_text().strip() == f"Zadejte číslo strany od 1 do {pages:,}.".replace(",", "\xa0")
    assert page.locator("#sc-usage-jump").input_value() == "99999"
    assert page.locator("#sc-usage-jump").get_attribute("aria-invalid") == "true"
    assert page.locator(".sc-usage-page").get_attribute("data-page") == "3"
    assert page.locator(".sc-usage-table tbody tr").count() == 50
    page.wait_for_timeout(200)
    assert page.evaluate(f"{ACTIVE}?.id") == "sc-usage-jump"
    save_artifact(page, "usage-paging-bad-jump")

    # 100 records a page: the form posts it (after the debounce), the pager counts again.
    page.select_option("#sc-usage-size", "100")
    page.locator(f".sc-usage-page[data-pages='{(total + 99) // 100}']").wait_for(timeout=15000)
    assert page.locator(".sc-usage-table tbody tr").count() == 100


@pytest.mark.browser
def test_period_presets_fill_the_dates_and_show_that_period(portal):
    page = open_call_log(portal)
    today = prague_today()
    assert page.locator("[data-sc-preset=this_month]").get_attribute("aria-pressed") == "true"

    page.click("[data-sc-preset=last_month]")
    last_end = today.replace(day=1) - timedelta(days=1)
    page.locator("[data-sc-preset=last_month][aria-pressed=true]").wait_for(timeout=15000)
    assert page.locator("#sc-usage-from").input_value() == czech(last_end.replace(day=1))
    assert page.locator("#sc-usage-to").input_value() == czech(last_end)
    caption = page.locator("#sc-usage-caption").inner_text()
    assert caption.endswith(f"{czech(last_end.replace(day=1))} – {czech(last_end)}")
    page.wait_for_timeout(200)
    assert page.evaluate(f"{ACTIVE}?.dataset.scPreset") == "last_month"  # focus stays on the button
    assert page.locator("[data-sc-preset=this_month]").get_attribute("aria-pressed") == "false"
    save_artifact(page, "usage-preset-last-month")

    page.click("[data-sc-preset='7_days']")
    page.locator("[data-sc-preset='7_days'][aria-pressed=true]").wait_for(timeout=15000)
    assert page.locator("#sc-usage-from").input_value() == czech(today - timedelta(days=6))
    assert page.locator("#sc-usage-to").input_value() == czech(today)


def type_date_and_leave(page, typed: str) -> None:
    """Type a date key by key (as a person does), then Tab out of the field."""
    field = page.locator("#sc-usage-from")
    field.click()
    field.press("Control+A")
    field.press("Delete")
    field.press_sequentially(typed, delay=40)
    field.press("Tab")


@pytest.mark.browser
@pytest.mark.parametrize("ui", ["cs", "en"])
def test_czech_dates_typed_in_an_english_browser_post_once(portal, ui):
    """An en-US browser (whose date fields would say 4/1/2026): the fields are the widget's own
    format, Czech input is read in both languages, and typing posts once, after the field is left."""
    posts: list[str] = []
    page = open_call_log(
        portal, locale="en-US", query="locale=en" if ui == "en" else "", before=count_posts(posts)
    )
    today = prague_today()
    shown = {"cs": czech, "en": lambda d: f"{d.day} {d.strftime('%b')} {d.year}"}[ui]
    assert page.locator("#sc-usage-from").input_value() == shown(today.replace(day=1))
    assert page.locator("#sc-usage-from").get_attribute("type") == "text"
    hint = page.locator("#sc-usage-from-hint").inner_text()
    assert hint == {"cs": "např. 1.4.2026 (den.měsíc.rok)", "en": "e.g. 1 Apr 2026 or 1.4.2026"}[ui]

    frm = today - timedelta(days=10)
    posts.clear()
    typed = f"{frm.day}. {frm.month}. {frm.year}"
    type_date_and_leave(page, typed)
    caption = page.locator("#sc-usage-caption")
    expected = f"{shown(frm)} – {shown(today)}"
    page.wait_for_function(
        """(expected) => document.querySelector('[data-selfcare-widget]').shadowRoot
            .querySelector('#sc-usage-caption')?.textContent.trim().endsWith(expected)""",
        arg=expected,
        timeout=15000,
    )
    page.wait_for_timeout(1200)  # anything still debounced would have gone by now
    assert len(posts) == 1, posts
    assert caption.inner_text().endswith(expected)
    assert page.locator("#sc-usage-from").input_value() == typed  # what was typed stays
    assert page.locator("#sc-usage-from[aria-invalid=true]").count() == 0
    save_artifact(page, f"usage-czech-date-en-browser-{ui}")

    # A day that does not exist: the message in the UI's language, the text kept, focus on it.
    posts.clear()
    type_date_and_leave(page, "31.2.2026")
    page.locator("#sc-usage-from[aria-invalid=true]").wait_for(timeout=15000)
    message = {"cs": "Takový den v kalendáři není.", "en": "There is no such day in the calendar."}[ui]
    assert page.locator("[data-sc-error=date_nonexistent]").inner_text().strip() == message
    assert page.locator("#sc-usage-from").input_value() == "31.2.2026"
    page.wait_for_timeout(1200)
    assert len(posts) == 1, posts


@pytest.mark.browser
def test_enter_in_a_date_field_posts_once(portal):
    posts: list[str] = []
    page = open_call_log(portal, before=count_posts(posts))
    frm = prague_today() - timedelta(days=3)
    posts.clear()
    field = page.locator("#sc-usage-from")
    field.fill("")
    field.press_sequentially(czech(frm), delay=40)
    field.press("Enter")
    page.wait_for_function(
        """(expected) => document.querySelector('[data-selfcare-widget]').shadowRoot
            .querySelector('#sc-usage-caption')?.textContent.includes(expected)""",
        arg=f"{czech(frm)} –",
        timeout=15000,
    )
    page.wait_for_timeout(1200)
    assert len(posts) == 1, posts
