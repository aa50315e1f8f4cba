"""Issue 12, "Friendlier call log": pages, page size, presets, grouped numbers, durations with
units, dates in the widget's format, and a CSV Excel reads right — over real HTTP to the sandbox."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from selfcare_widget.i18n import duration, e164, phone_number
from selfcare_widget.platform.models import UsageFilter, UsageKind, UsageRecord
from selfcare_widget.views.usage import csv_row
from selfcare_widget.views.usage_filters import EARLIEST, preset_period

HEAVY = "cust-0002"
ROW_ID = re.compile(r'data-usage-id="([^"]+)"')


def today() -> date:
    return datetime.now(ZoneInfo("Europe/Prague")).date()


def czech(day_: date) -> str:
    return f"{day_.day}.{day_.month}.{day_.year}"


def total_of(body: str) -> int:
    match = re.search(r'class="sc-usage-status" role="status" data-total="(\d+)"', body)
    assert match, body[:2000]
    return int(match.group(1))


def pager(body: str) -> tuple[int, int]:
    """(page shown, page count) from the pager."""
    match = re.search(r'class="sc-usage-page" data-page="(\d+)" data-pages="(\d+)"', body)
    assert match, body[-3000:]
    return int(match.group(1)), int(match.group(2))


def hx_vals(body: str, key: str) -> dict:
    """The values a paging button posts."""
    match = re.search(rf'data-sc-page="{key}"[^>]*hx-vals=\'([^\']+)\'', body)
    assert match, key
    return json.loads(html.unescape(match.group(1)))


def period(days: int) -> dict[str, str]:
    return {"from": (today() - timedelta(days=days)).isoformat(), "to": today().isoformat()}


# --------------------------------------------------------------------------- 1. paging


def test_the_pager_says_page_n_of_m_and_first_and_last_go_to_the_ends(post, sign_in, sim_of, direct_count):
    token = sign_in(HEAVY)
    sim = sim_of(HEAVY)
    form = period(45)
    total = direct_count(sim.product_id, date.fromisoformat(form["from"]), today())
    pages = (total + 49) // 50
    assert 3 < pages < 1000  # no thousands separator in the expected text below

    body = post("/w/usage/results", token, page="3", **form).get_data(as_text=True)
    assert pager(body) == (3, pages)
    assert f"Strana 3 z {pages}" in body
    assert hx_vals(body, "first")["page"] == 1 and hx_vals(body, "prev")["page"] == 2
    assert hx_vals(body, "next")["page"] == 4 and hx_vals(body, "last")["page"] == pages
    assert 'data-sc-page="first" disabled' not in body

    last = post("/w/usage/results", token, **hx_vals(body, "last")).get_data(as_text=True)
    assert pager(last) == (pages, pages)
    assert len(ROW_ID.findall(last)) == total - (pages - 1) * 50
    assert 'data-sc-page="next" disabled' in last and 'data-sc-page="last" disabled' in last

    first = post("/w/usage/results", token, **hx_vals(last, "first")).get_data(as_text=True)
    assert pager(first) == (1, pages)
    assert 'data-sc-page="first" disabled' in first and 'data-sc-page="prev" disabled' in first


def test_go_to_page_shows_that_page(port, post, sign_in, sim_of, edrs):
    token = sign_in(HEAVY)
    sim = sim_of(HEAVY)
    form = period(45)
    response = post("/w/usage/results", token, page="1", jump=" 4 ", **form)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert pager(body)[0] == 4
    flt = UsageFilter(sim.product_id, date.fromisoformat(form["from"]), today())
    assert ROW_ID.findall(body) == [r.id for r in port.list_usage(HEAVY, flt, 150, 50).records]
    assert 'id="sc-usage-jump"' in body and 'value=""' in body  # the field is emptied after a jump
    view = edrs("usage.view")[-1]
    assert view["outcome"] == "success" and view["details"]["page"] == 4


@pytest.mark.parametrize("typed", ["abc", "0", "-2", "2.5", "99999", "100000000"])
def test_a_page_that_is_not_there_keeps_the_page_shown_and_says_why(post, sign_in, typed, edrs):
    token = sign_in(HEAVY)
    form = period(45)
    pages = pager(post("/w/usage/results", token, **form).get_data(as_text=True))[1]
    response = post("/w/usage/results", token, page="2", jump=typed, **form)
    assert response.status_code == 422
    assert "HX-Retarget" not in response.headers  # only the results region: the table stays
    body = response.get_data(as_text=True)
    assert pager(body) == (2, pages)
    assert len(ROW_ID.findall(body)) == 50
    assert 'data-sc-error="page_invalid"' in body
    assert f"Zadejte číslo strany od 1 do {pages}." in body
    jump = re.search(r'<input id="sc-usage-jump"[^>]*>', body).group(0)
    assert f'value="{html.escape(typed)}"' in jump  # what was typed stays
    assert 'aria-invalid="true"' in jump and "data-sc-focus" in jump
    assert body.count("data-sc-focus") == 1  # focus goes to the field, not the status line
    view = edrs("usage.view")[-1]
    assert view["outcome"] == "rejected" and view["details"]["errors"] == ["page_invalid"]


def test_a_single_page_has_no_pager(post, sign_in):
    day_ = (today() - timedelta(days=3)).isoformat()
    body = post("/w/usage/results", sign_in(HEAVY), type="fee", **{"from": day_, "to": day_}).get_data(
        as_text=True
    )
    assert "sc-usage-pager" not in body and "sc-usage-jump" not in body


# --------------------------------------------------------------------------- 2. page size


@pytest.mark.parametrize(
    ("size", "rows"), [("50", 50), ("100", 100), ("200", 200), ("77", 50), ("", 50), ("200x", 50)]
)
def test_page_size_is_50_100_or_200_and_anything_else_is_50(post, sign_in, sim_of, direct_count, size, rows):
    token = sign_in(HEAVY)
    sim = sim_of(HEAVY)
    form = period(20)
    response = post("/w/usage/results", token, size=size, **form)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    total = direct_count(sim.product_id, date.fromisoformat(form["from"]), today())
    assert len(ROW_ID.findall(body)) == rows
    assert pager(body) == (1, (total + rows - 1) // rows)
    assert hx_vals(body, "next")["size"] == str(rows)  # paging keeps the size
    assert f"Záznamy 1–{rows} z" in body


def test_the_form_offers_the_page_sizes_and_keeps_the_chosen_one(post, sign_in):
    body = post("/w/usage", sign_in(HEAVY), size="200").get_data(as_text=True)
    select = re.search(r'<select id="sc-usage-size" name="size">(.*?)</select>', body, re.S).group(1)
    assert re.findall(r'<option value="(\d+)"', select) == ["50", "100", "200"]
    assert '<option value="200" selected>' in select
    assert '<label for="sc-usage-size">Záznamů na stránku</label>' in body


# --------------------------------------------------------------------------- 3. presets


@pytest.mark.parametrize("preset", ["this_month", "last_month", "7_days"])
def test_a_preset_sets_the_period_in_the_form_and_the_results(
    post, sign_in, sim_of, direct_count, edrs, preset
):
    token = sign_in(HEAVY)
    sim = sim_of(HEAVY)
    # whatever the fields held is replaced by the preset's period
    response = post("/w/usage", token, preset=preset, type="all", **{"from": "1.1.2020", "to": "5.1.2020"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    frm, to = preset_period(preset, today())
    assert re.search(rf'id="sc-usage-from" name="from"[^>]*value="{re.escape(czech(frm))}"', body)
    assert re.search(rf'id="sc-usage-to" name="to"[^>]*value="{re.escape(czech(to))}"', body)
    assert total_of(body) == direct_count(sim.product_id, frm, to)
    pressed = re.findall(r'data-sc-preset="([a-z_0-9]+)"\s+aria-pressed="true"', body)
    assert pressed == [preset]
    button = re.search(rf'<button[^>]*data-sc-preset="{preset}"[^>]*>', body).group(0)
    assert "data-sc-focus" in button and body.count("data-sc-focus") == 1
    assert edrs("usage.view")[-1]["details"]["filters"] == {
        "from": frm.isoformat(),
        "to": to.isoformat(),
        "type": "all",
        "numberSearch": False,
    }


def test_the_preset_buttons_are_labelled_in_czech_and_post_the_whole_section(post, sign_in):
    body = post("/w/usage", sign_in(HEAVY)).get_data(as_text=True)
    labels = re.findall(r'data-sc-preset="[a-z_0-9]+".*?>([^<]+?) <span', body, re.S)
    assert labels == ["Tento měsíc", "Minulý měsíc", "7 dní"]
    assert body.count('hx-post="/w/usage" hx-target="#sc-main"') == 3
    # the default period is this month: its button is pressed
    assert re.findall(r'data-sc-preset="([a-z_0-9]+)"\s+aria-pressed="true"', body) == ["this_month"]


def test_an_unknown_preset_is_ignored(post, sign_in):
    frm = today() - timedelta(days=10)
    body = post("/w/usage", sign_in(HEAVY), preset="last_year", **{"from": czech(frm)}).get_data(as_text=True)
    assert re.search(rf'id="sc-usage-from" name="from"[^>]*value="{re.escape(czech(frm))}"', body)


@pytest.mark.parametrize(
    ("preset", "day_", "expected"),
    [
        ("this_month", date(2026, 3, 17), (date(2026, 3, 1), date(2026, 3, 17))),
        ("last_month", date(2026, 3, 17), (date(2026, 2, 1), date(2026, 2, 28))),
        ("last_month", date(2026, 1, 1), (date(2025, 12, 1), date(2025, 12, 31))),
        ("7_days", date(2026, 3, 3), (date(2026, 2, 25), date(2026, 3, 3))),
        # never before the earliest day the call log allows
        ("7_days", date(2000, 1, 3), (EARLIEST, date(2000, 1, 3))),
        ("last_month", date(2000, 1, 20), (EARLIEST, EARLIEST)),
    ],
)
def test_preset_periods(preset, day_, expected):
    assert preset_period(preset, day_) == expected


# --------------------------------------------------------------------------- 4. numbers


@pytest.mark.parametrize(
    ("stored", "shown", "full"),
    [
        ("731458447", "+420 731 458 447", "+420731458447"),
        ("420731458447", "+420 731 458 447", "+420731458447"),
        ("+420731458447", "+420 731 458 447", "+420731458447"),
        ("4930123456789", "+49 301 234 567 89", "+4930123456789"),
        ("4412345678901", "+44 123 456 789 01", "+4412345678901"),
        ("421905123456", "+421 905 123 456", "+421905123456"),
        ("12025550123", "+1 202 555 0123", "+12025550123"),
        ("1188", "1188", ""),  # a short service number is shown as it is
        ("", "", ""),
    ],
)
def test_numbers_are_grouped_after_their_country_code(stored, shown, full):
    assert phone_number(stored) == shown
    assert e164(stored) == full


def test_called_numbers_are_grouped_and_the_column_is_named_like_the_filter(post, sign_in):
    token = sign_in(HEAVY)
    body = post("/w/usage/results", token, type="voice", size="200", **period(60)).get_data(as_text=True)
    cells = re.findall(r'<td data-label="Volané číslo" class="sc-usage-number">([^<]*)</td>', body)
    assert len(cells) == 200
    assert all(re.fullmatch(r"\+\d{1,3}( \d{2,4})+", cell) for cell in cells), cells[:10]
    assert any(cell.startswith("+420 ") for cell in cells)
    assert any(not cell.startswith("+420 ") for cell in cells)  # foreign numbers, grouped too
    assert '<th scope="col">Volané číslo</th>' in body and "B číslo" not in body
    section = post("/w/usage", token).get_data(as_text=True)
    assert '<label for="sc-usage-b">Volané číslo</label>' in section and "B číslo" not in section


# --------------------------------------------------------------------------- 5. durations


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (913, "15 min 13 s"),
        (3725, "1 h 2 min 5 s"),
        (45, "45 s"),
        (60, "1 min"),
        (3605, "1 h 5 s"),
        (7200, "2 h"),
        (0, "0 s"),
        (4_503_600, "1 251 h"),
    ],
)
def test_durations_have_units(app, seconds, shown):
    with app.test_request_context():
        # a no-break space keeps every number with its unit (and groups thousands)
        assert duration(seconds).replace("\xa0", " ") == shown
        assert re.fullmatch(r"[\d\xa0]+\xa0[a-z]+( [\d\xa0]+\xa0[a-z]+)*", duration(seconds))


def test_call_durations_and_the_total_call_time_are_shown_with_units(app, post, sign_in):
    body = post("/w/usage/results", sign_in(HEAVY), type="voice", **period(10)).get_data(as_text=True)
    match = re.search(r"<dt>Provolaný čas</dt><dd data-seconds=\"(\d+)\">([^<]+)</dd>", body)
    assert match, body[:3000]
    with app.test_request_context():
        assert match.group(2) == duration(int(match.group(1)))
    assert int(match.group(1)) > 3600 and "\xa0h " in match.group(2)
    cells = re.findall(r'<td data-label="Délka/počet" class="sc-num">([^<]+)</td>', body)
    assert len(cells) == 50
    assert all(re.fullmatch(r"(\d+\xa0h )?(\d+\xa0min ?)?(\d+\xa0s)?", c) for c in cells), cells
    assert not any(re.search(r"\d:\d\d", c) for c in cells)


# --------------------------------------------------------------------------- 6. dates


@pytest.mark.parametrize(
    "shape",
    [
        "{d}.{m}.{y}",
        "{d:02d}.{m:02d}.{y}",
        "{d}. {m}. {y}",
        " {d}.{m}.{y} ",
        "{d},{m},{y}",  # a Czech phone's decimal keypad
        "{y}-{m:02d}-{d:02d}",
        "{d} {mon} {y}",  # the English UI's own format
    ],
)
def test_dates_typed_the_czech_way_are_read_and_shown_in_czech(post, sign_in, sim_of, direct_count, shape):
    token = sign_in(HEAVY)
    sim = sim_of(HEAVY)
    frm = today() - timedelta(days=12)
    typed = shape.format(d=frm.day, m=frm.month, y=frm.year, mon=frm.strftime("%b"))
    response = post("/w/usage", token, **{"from": typed, "to": ""})
    assert response.status_code == 200, typed
    body = response.get_data(as_text=True)
    assert re.search(rf'id="sc-usage-from" name="from"[^>]*value="{re.escape(czech(frm))}"', body)
    assert re.search(rf'id="sc-usage-to" name="to"[^>]*value="{re.escape(czech(today()))}"', body)
    assert total_of(body) == direct_count(sim.product_id, frm, today())


def test_the_date_fields_are_text_with_a_format_hint_and_debounced_posting(post, sign_in):
    body = post("/w/usage", sign_in(HEAVY)).get_data(as_text=True)
    assert 'type="date"' not in body
    for name in ("from", "to"):
        field = re.search(rf'<input id="sc-usage-{name}"[^>]*>', body, re.S).group(0)
        assert 'type="text"' in field and 'inputmode="decimal"' in field and 'autocomplete="off"' in field
        assert f'aria-describedby="sc-usage-{name}-hint sc-usage-error-{name}"' in field
        assert (
            f'id="sc-usage-{name}-hint" class="sc-usage-hint">např. 1.4.2026 (den.měsíc.rok)</small>' in body
        )
    assert 'hx-trigger="change delay:800ms, submit"' in body


@pytest.mark.parametrize(
    ("typed", "key", "message"),
    [
        ("31.2.2026", "date_nonexistent", "Takový den v kalendáři není."),
        ("2026-02-30", "date_nonexistent", "Takový den v kalendáři není."),
        ("1/4/2026", "date_invalid", "Zadejte datum ve tvaru 1.4.2026 (den.měsíc.rok)."),
        ("1.4.", "date_invalid", "Zadejte datum ve tvaru 1.4.2026 (den.měsíc.rok)."),
        ("1.4.1999", "date_too_old", "Výpis hovorů tak daleko do minulosti nesahá."),
    ],
)
def test_a_bad_date_says_why_in_czech_and_keeps_what_was_typed(post, sign_in, typed, key, message):
    response = post("/w/usage/results", sign_in(HEAVY), **{"from": typed})
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#sc-main"  # the field itself shows the problem
    body = response.get_data(as_text=True)
    field = re.search(r'<input id="sc-usage-from"[^>]*>', body, re.S).group(0)
    assert f'value="{typed}"' in field and 'aria-invalid="true"' in field and "data-sc-focus" in field
    assert f'data-sc-error="{key}">{message}</li>' in body


def test_a_to_date_after_today_is_no_contradiction(post, sign_in):
    """Bug 4 stays fixed: the period simply ends today; a wholly future one says so."""
    token = sign_in(HEAVY)
    frm = today() - timedelta(days=5)
    later = today() + timedelta(days=20)
    response = post("/w/usage", token, **{"from": czech(frm), "to": czech(later)})
    assert response.status_code == 200
    assert "nesmí být pozdější" not in response.get_data(as_text=True)
    tomorrow = today() + timedelta(days=1)
    response = post("/w/usage/results", token, **{"from": czech(tomorrow), "to": czech(later)})
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and 'data-sc-error="from_in_future"' in body


def test_the_english_ui_shows_english_dates_and_accepts_czech_ones(post, sign_in, sim_of, direct_count):
    token = sign_in(HEAVY, locale="en")
    sim = sim_of(HEAVY)
    frm = today() - timedelta(days=9)
    shown = f"{frm.day} {frm.strftime('%b')} {frm.year}"
    body = post("/w/usage", token, **{"from": czech(frm)}).get_data(as_text=True)
    assert re.search(rf'id="sc-usage-from" name="from"[^>]*value="{shown}"', body)
    assert "e.g. 1 Apr 2026 or 1.4.2026" in body and "Called number" in body
    expected = direct_count(sim.product_id, frm, today())
    assert total_of(body) == expected
    again = post("/w/usage/results", token, **{"from": shown}).get_data(as_text=True)  # as shown, posted back
    assert total_of(again) == expected
    assert "Page 1 of" in again and "Go to page" in again
    bad = post("/w/usage/results", token, **{"from": "31.2.2026"}).get_data(as_text=True)
    assert "There is no such day in the calendar." in bad


# --------------------------------------------------------------------------- 7. CSV for Excel


def test_the_csv_has_seconds_and_numbers_excel_keeps_as_text(app, port, post, sign_in, sim_of):
    token = sign_in(HEAVY)
    sim = sim_of(HEAVY)
    form = period(20)
    response = post("/w/usage/export", token, type="voice", **form)
    assert response.status_code == 200
    lines = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig")), delimiter=";"))
    header, rows = lines[0], lines[1:]
    assert header == [
        "Datum",
        "Čas",
        "Typ",
        "Cílová síť",
        "Volané číslo",
        "Délka",
        "Délka (s)",
        "Počet",
        "Data (MB)",
        "Cena (Kč)",
    ]
    summary = port.usage_summary(
        HEAVY,
        UsageFilter(sim.product_id, date.fromisoformat(form["from"]), today(), (UsageKind.VOICE,)),
    )
    assert len(rows) == summary.count > 100
    assert sum(int(row[6]) for row in rows) == summary.voice_seconds
    with app.test_request_context():
        assert all(row[5] == duration(int(row[6])) for row in rows)
    numbers = [row[4] for row in rows]
    # text with its +, behind the same apostrophe as any cell that would start a formula
    assert all(re.fullmatch(r"'\+\d{11,15}", n) for n in numbers), numbers[:10]
    assert any(n.startswith("'+420") for n in numbers) and any(not n.startswith("'+420") for n in numbers)


def test_a_csv_row_writes_a_foreign_number_as_text_and_the_duration_twice(app):
    record = UsageRecord(
        id="u1",
        time=datetime(2026, 3, 2, 10, 0, 5),
        kind=UsageKind.VOICE,
        description="Volání do zahraničí",
        network="foreign",
        b_number="393123456789",
        duration_seconds=913,
        charge=Decimal("223.5"),
    )
    with app.test_request_context():
        cells = csv_row(record)
        short = csv_row(UsageRecord("u2", record.time, UsageKind.SMS, "SMS", "mobile_cz", "1188", count=1))
    assert cells[4] == "'+393123456789"
    assert cells[5].replace("\xa0", " ") == "15 min 13 s" and cells[6] == "913"
    assert cells[-1] == "223,50"
    assert short[4] == "1188" and short[5] == short[6] == "" and short[7] == "1"
