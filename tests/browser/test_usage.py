"""Call log in a real browser on the demo portal: filter, page, export."""

from __future__ import annotations

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
