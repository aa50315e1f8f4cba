"""The call-log views over real HTTP to the sandbox: filters, totals, paging, states, security."""

from __future__ import annotations

import json
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from selfcare_widget.platform import Unavailable
from selfcare_widget.platform.models import UsageFilter

HEAVY = "cust-0002"
ROW_ID = re.compile(r'data-usage-id="([^"]+)"')
ROW_TYPE = re.compile(r'data-usage-type="([^"]+)"')


def today() -> date:
    return datetime.now(ZoneInfo("Europe/Prague")).date()


def total_of(body: str) -> int:
    match = re.search(r'class="sc-usage-status" role="status" data-total="(\d+)"', body)
    assert match, body[:2000]
    return int(match.group(1))


def summary_count(body: str) -> int:
    return int(re.search(r'sc-usage-summary" data-count="(\d+)"', body).group(1))


# --------------------------------------------------------------------------- the section


def test_section_defaults_to_first_sim_and_current_billing_month(
    app, post, sign_in, sim_of, direct_count, edrs
):
    token = sign_in(HEAVY)
    sim = sim_of(HEAVY)
    response = post("/w/usage", token)
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert 'data-sc-section="usage"' in body and "data-sc-focus" in body
    first = today().replace(day=1)
    # the fields show the period the Czech way (the paging values carry ISO dates)
    assert re.search(
        rf'id="sc-usage-from" name="from"[^>]*value="{first.day}.{first.month}.{first.year}"', body
    )
    assert re.search(
        rf'id="sc-usage-to" name="to"[^>]*value="{today().day}.{today().month}.{today().year}"', body
    )
    assert f'name="from" value="{first.isoformat()}"' in body
    assert f'name="sim" value="{sim.product_id}"' in body  # one SIM: no selector, a hidden field
    expected = direct_count(sim.product_id, first, today())
    assert total_of(body) == expected == summary_count(body)
    assert len(ROW_ID.findall(body)) == min(50, expected)
    assert 'hx-trigger="change delay:800ms, submit"' in body and 'hx-target="#sc-usage-results"' in body
    (view,) = edrs("usage.view")
    assert view["sim"] == sim.product_id and view["outcome"] == "success"
    assert view["details"] == {
        "filters": {
            "from": first.isoformat(),
            "to": today().isoformat(),
            "type": "all",
            "numberSearch": False,
        },
        "page": 1,
    }


def test_several_sims_get_a_selector_and_the_chosen_sim_is_shown(post, sign_in, sim_of, direct_count):
    token = sign_in("cust-0001")
    second = sim_of("cust-0001", 1)
    body = post("/w/usage", token).get_data(as_text=True)
    assert 'id="sc-usage-sim"' in body and body.count('<option value="prod') >= 2
    frm, to = today() - timedelta(days=80), today()
    response = post(
        "/w/usage/results", token, sim=second.product_id, **{"from": frm.isoformat(), "to": to.isoformat()}
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert total_of(body) == direct_count(second.product_id, frm, to) > 0
    assert "<section" not in body  # only the results region


@pytest.mark.parametrize("kind", ["voice", "sms", "data", "fee", "all"])
def test_date_and_type_filters_match_a_direct_count(post, sign_in, sim_of, direct_count, kind):
    token = sign_in(HEAVY)
    sim = sim_of(HEAVY)
    frm, to = today() - timedelta(days=40), today() - timedelta(days=31)
    response = post(
        "/w/usage/results",
        token,
        sim=sim.product_id,
        type=kind,
        **{"from": frm.strftime("%-d.%-m.%Y"), "to": to.isoformat()},
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    expected = direct_count(sim.product_id, frm, to, None if kind == "all" else [kind])
    assert expected > 0
    assert total_of(body) == expected == summary_count(body)
    types = set(ROW_TYPE.findall(body))
    assert types == {kind} if kind != "all" else types <= {"voice", "sms", "data", "fee"}


def test_b_number_fragment_matches_a_direct_count(port, post, sign_in, sim_of, direct_count):
    token = sign_in(HEAVY)
    sim = sim_of(HEAVY)
    frm, to = today() - timedelta(days=90), today()
    sample = next(
        r for r in port.list_usage(HEAVY, UsageFilter(sim.product_id, frm, to), 0, 50).records if r.b_number
    )
    fragment = sample.b_number[2:7]
    body = post(
        "/w/usage/results",
        token,
        b=fragment[:2] + " " + fragment[2:],
        **{"from": frm.isoformat(), "to": to.isoformat()},
    ).get_data(as_text=True)
    assert total_of(body) == direct_count(sim.product_id, frm, to, b=fragment) >= 1
    assert f'"b": "{fragment}"' in body  # normalised digits in the paging/export values


def test_empty_period_shows_the_empty_state(post, sign_in):
    token = sign_in(HEAVY)
    response = post("/w/usage/results", token, **{"from": "1.1.2020", "to": "31.1.2020"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert total_of(body) == 0 and "<table" not in body and "data-sc-download" not in body


# --------------------------------------------------------------------------- paging


def test_fragment_paging_visits_pages_without_overlap(port, post, sign_in, sim_of):
    token = sign_in(HEAVY)
    sim = sim_of(HEAVY)
    frm, to = today() - timedelta(days=91), today()
    form = {"sim": sim.product_id, "from": frm.isoformat(), "to": to.isoformat(), "type": "all"}
    seen: list[str] = []
    for page in range(1, 7):
        body = post("/w/usage/results", token, page=str(page), **form).get_data(as_text=True)
        ids = ROW_ID.findall(body)
        assert len(ids) == 50
        assert not set(ids) & set(seen), f"page {page} repeats records"
        seen += ids
        if page > 1:
            assert 'data-sc-page="prev"' in body
        assert f"{(page - 1) * 50 + 1}" in body
    expected = [r.id for r in port.list_usage(HEAVY, UsageFilter(sim.product_id, frm, to), 0, 300).records]
    assert seen == expected


def test_page_past_the_end_shows_the_last_page(post, sign_in, sim_of, direct_count):
    token = sign_in(HEAVY)
    sim = sim_of(HEAVY)
    frm = to = today() - timedelta(days=20)
    total = direct_count(sim.product_id, frm, to)
    body = post(
        "/w/usage/results", token, page="9999", **{"from": frm.isoformat(), "to": to.isoformat()}
    ).get_data(as_text=True)
    assert len(ROW_ID.findall(body)) == total - (total - 1) // 50 * 50
    assert re.search(r'data-sc-page="next" disabled', body) or 'data-sc-page="next"' not in body


def test_port_paging_through_three_months_visits_every_record_exactly_once(port, sim_of, direct_count):
    sim = sim_of(HEAVY)
    frm, to = today() - timedelta(days=92), today()
    flt = UsageFilter(sim.product_id, frm, to)
    ids: list[str] = []
    offset = 0
    while True:
        page = port.list_usage(HEAVY, flt, offset, 1000)
        ids += [r.id for r in page.records]
        offset += len(page.records)
        if not page.records or offset >= page.total:
            break
    assert len(ids) == len(set(ids)) == direct_count(sim.product_id, frm, to) >= 20_000


# --------------------------------------------------------------------------- CSV export


def test_csv_export_streams_the_filtered_period(app, post, sign_in, sim_of, direct_count, edrs):
    token = sign_in(HEAVY)
    sim = sim_of(HEAVY)
    frm, to = today() - timedelta(days=30), today()
    expected = direct_count(sim.product_id, frm, to)
    assert expected > 2000  # more than one platform chunk
    response = post(
        "/w/usage/export", token, sim=sim.product_id, **{"from": frm.isoformat(), "to": to.isoformat()}
    )
    assert response.status_code == 200
    assert response.is_streamed
    assert response.headers["X-Selfcare-Action"] == "usage.export"
    assert response.headers["Content-Type"].startswith("text/csv")
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="vypis-{sim.msisdn}-{frm.isoformat()}-{to.isoformat()}.csv"'
    )
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").split("\r\n")
    assert lines[-1] == ""
    header, rows = lines[0], lines[1:-1]
    assert header.count(";") == 9
    assert len(rows) == expected
    assert all(row.count(";") >= 9 for row in rows)
    charges = [row.rsplit(";", 1)[1] for row in rows]
    assert all(re.fullmatch(r"\d+,\d\d", c) for c in charges), charges[:5]
    assert any(re.search(r";\d+,\d;", row) for row in rows)  # data volume in MB with a decimal comma
    assert re.match(r"\d{1,2}\.\d{1,2}\.\d{4};\d\d:\d\d:\d\d;", rows[0])
    (export,) = edrs("usage.export")
    assert export["outcome"] == "success" and export["sim"] == sim.product_id
    assert export["details"]["rows"] == expected
    assert export["details"]["filters"]["from"] == frm.isoformat()


def test_csv_export_of_a_type_filter(post, sign_in, sim_of, direct_count):
    token = sign_in(HEAVY)
    sim = sim_of(HEAVY)
    frm, to = today() - timedelta(days=10), today()
    response = post("/w/usage/export", token, type="sms", **{"from": frm.isoformat(), "to": to.isoformat()})
    rows = response.get_data().decode("utf-8-sig").split("\r\n")[1:-1]
    assert len(rows) == direct_count(sim.product_id, frm, to, ["sms"]) > 0


def test_results_carry_the_export_button_with_the_filter_values(post, sign_in, sim_of):
    token = sign_in(HEAVY)
    sim = sim_of(HEAVY)
    body = post("/w/usage/results", token, type="voice", **{"from": "2026-01-01"}).get_data(as_text=True)
    if "data-sc-download" not in body:  # no voice records then: the empty state has no export
        return
    match = re.search(r"data-sc-download=\"([^\"]+)\" data-sc-values='([^']+)'", body)
    assert match and match.group(1).endswith("/w/usage/export")
    values = json.loads(match.group(2).replace("&#34;", '"'))
    assert values["sim"] == sim.product_id and values["type"] == "voice" and values["from"] == "2026-01-01"


# --------------------------------------------------------------------------- invalid input


@pytest.mark.parametrize(
    ("form", "field", "key"),
    [
        ({"from": "nonsense"}, "from", "date_invalid"),
        ({"from": "10.3.2026", "to": "1.3.2026"}, "from", "from_after_to"),
        ({"from": "1.1.2024", "to": "1.6.2025"}, "from", "range_too_long"),
        ({"type": "premium"}, "type", "type_invalid"),
        ({"b": "abc"}, "b", "b_number_invalid"),
    ],
)
@pytest.mark.parametrize("path", ["/w/usage", "/w/usage/results", "/w/usage/export"])
def test_invalid_inputs_get_a_field_message_and_422(app, post, sign_in, form, field, key, path, edrs):
    token = sign_in(HEAVY)
    response = post(path, token, **form)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert f'id="sc-usage-error-{field}"' in body and f'data-sc-error="{key}"' in body
    assert "Traceback" not in body
    if path == "/w/usage":  # the whole section: the form keeps what was typed, marked invalid
        name = {"from": "from", "type": "type", "b": "b"}[field]
        if name != "type":
            assert f'name="{name}"' in body and f'value="{form[name]}"' in body
            assert 'aria-invalid="true"' in body
    action = "usage.export" if path.endswith("export") else "usage.view"
    assert edrs(action)[-1]["outcome"] == "rejected"


@pytest.mark.parametrize("path", ["/w/usage", "/w/usage/results"])
def test_b_number_is_echoed_escaped(post, sign_in, path):
    token = sign_in(HEAVY)
    payload = '"><img src=x onerror=alert(1)>'
    response = post(path, token, b=payload)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "<img" not in body and "onerror=alert(1)>" not in body
    if path == "/w/usage":
        assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in body


# --------------------------------------------------------------------------- authorization


@pytest.mark.parametrize("path", ["/w/usage", "/w/usage/results", "/w/usage/export"])
@pytest.mark.parametrize("owner,index", [("cust-0003", 0), ("cust-0001", 0), ("cust-0001", 1)])
def test_another_customers_sim_is_404_on_every_route(post, sign_in, sim_of, path, owner, index):
    token = sign_in(HEAVY)
    foreign = sim_of(owner, index)
    response = post(path, token, sim=foreign.product_id)
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert foreign.msisdn not in body and "data-usage-id" not in body
    assert "Content-Disposition" not in response.headers


def test_routes_require_a_session(post):
    for path in ("/w/usage", "/w/usage/results", "/w/usage/export"):
        assert post(path).status_code == 401


# --------------------------------------------------------------------------- platform failure


def test_platform_failure_shows_the_error_in_the_results_region_only(
    app, post, sign_in, port, monkeypatch, edrs
):
    def down(*args, **kwargs):
        raise Unavailable("platform down")

    monkeypatch.setattr(port, "list_usage", down)
    token = sign_in(HEAVY)
    response = post("/w/usage", token)
    assert response.status_code == 503
    body = response.get_data(as_text=True)
    assert 'id="sc-usage-form"' in body  # the filters stay usable
    results = body.split('id="sc-usage-results"', 1)[1]
    assert "sc-error-box" in results and "platform down" not in body
    response = post("/w/usage/results", token)
    assert response.status_code == 503 and "sc-error-box" in response.get_data(as_text=True)
    response = post("/w/usage/export", token)
    assert response.status_code == 503 and "Content-Disposition" not in response.headers
    assert edrs("usage.view")[-1]["outcome"] == "failure"
