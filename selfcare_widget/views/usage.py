"""Call log ("Výpis hovorů") of one SIM: filters, a page of 50/100/200 records, totals, CSV export.

Three routes, all thin:

- ``POST /w/usage`` — the whole section (filter form + first results), from the navigation and
  the period presets (they change the form's dates, so the form is sent again).
- ``POST /w/usage/results`` — only the results region; the form posts here on change/submit and
  the paging buttons too, so the form (and the focus in it) stays put.
- ``POST /w/usage/export`` — the filtered period as CSV, streamed page by page from the platform.

Never fetches a whole period into memory: a view asks the port for one page (offset/limit) and
the platform's summary for the totals; the export pages through 1000 records at a time.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal

import htmx_flask
from flask import Blueprint, Response, abort, render_template, request, stream_with_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from markupsafe import Markup

from .. import edr
from ..i18n import day, duration, e164, megabytes, network_label
from ..platform import PlatformError
from ..platform.models import Sim, UsageKind, UsagePage, UsageRecord, UsageSummary
from .common import chosen_sim, platform, platform_error, today, trigger_action
from .usage_filters import MESSAGES, PAGE_SIZES, CallLogQuery, ParseResult, parse

bp = Blueprint("usage", __name__)

EXPORT_CHUNK = 1000  # records per platform call while streaming a CSV

PRESET_LABELS = {
    "this_month": _l("This month"),
    "last_month": _l("Last month"),
    "7_days": _l("7 days"),
}

TYPE_LABELS = {
    "all": _l("All records"),
    "voice": _l("Calls"),
    "sms": _l("SMS"),
    "data": _l("Data"),
    "fee": _l("Fees"),
}


# --------------------------------------------------------------------------- CSV cells


def _czech_decimal(value: Decimal, digits: int) -> str:
    """``12.5`` -> ``12,50``: Czech Excel reads a decimal comma, not the locale of the UI."""
    return f"{value:.{digits}f}".replace(".", ",")


#: What makes a spreadsheet read a cell as a formula (OWASP CSV injection, incl. TAB and CR).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(text: str) -> str:
    """A text cell a spreadsheet shows as text, never evaluates (CSV injection)."""
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _csv_number(b_number: str) -> str:
    """The called number as text Excel keeps: ``'+420731458447``.

    Written as digits, Excel turns ``4930123456789`` into ``4,93E+12`` and drops the ``+``. The
    E.164 form with its ``+`` starts like a formula, so it gets the same leading apostrophe as
    every other such cell (:func:`_csv_cell`): one rule for all cells, no formula ever written
    (``="+420…"`` would be one), and the apostrophe tells a reader the cell is text. A short
    service number stays as it is (Excel shows ``1188`` right as a number); anything that is not
    plain digits is kept verbatim, neutralised like any text.
    """
    full = e164(b_number) if b_number.isdigit() else ""
    return _csv_cell(full or b_number)


def _safe_filename(*parts: str) -> str:
    """A download name from letters, digits, dots and dashes only (no header injection)."""
    return "-".join(
        "".join(ch for ch in part if ch.isascii() and (ch.isalnum() or ch in ".-")) for part in parts
    )


# --------------------------------------------------------------------------- request handling


def _fetch_page(
    query: CallLogQuery, sim: Sim, jump: int | None
) -> tuple[UsagePage, UsageSummary, CallLogQuery, int, bool]:
    """One page, the period's totals, the record count, and whether a "go to page" was refused.

    The totals come first: their count tells whether the page typed in "go to page" exists
    before any page is asked for (then the page the customer was on is shown again). A paging
    link past the end (the period gained or lost records) shows the last page instead. The count
    is the platform's ``X-Total-Count``, else the summary's (TMF630 only says SHOULD).
    """
    port = platform()
    flt = query.usage_filter(sim.product_id)
    summary = port.usage_summary(current_user.customer_id, flt)
    refused = jump is not None and jump > query.pages(summary.count)
    if jump is not None and not refused:
        query = replace(query, page=jump)
    page = port.list_usage(current_user.customer_id, flt, query.offset, query.size)
    total = page.total if page.total is not None else summary.count
    if not page.records and total and query.offset >= total:
        query = replace(query, page=query.pages(total))
        page = port.list_usage(current_user.customer_id, flt, query.offset, query.size)
    return page, summary, query, total, refused


def _results_context(sim: Sim, parsed: ParseResult) -> tuple[dict, int]:
    """What the results region shows, and the status: 200, 422 (bad filters or page) or 5xx/404."""
    context: dict = {"sim": sim, "parsed": parsed, "messages": MESSAGES, "page_sizes": PAGE_SIZES}
    if not parsed.ok:
        edr.record(
            edr.actions.USAGE_VIEW, "rejected", sim=sim.product_id, errors=sorted(parsed.errors.values())
        )
        return context, 422
    query = parsed.query
    assert query is not None
    try:
        page, summary, query, total, refused = _fetch_page(query, sim, parsed.jump)
    except PlatformError as exc:
        edr.record(
            edr.actions.USAGE_VIEW,
            "failure",
            sim=sim.product_id,
            filters=query.edr_filters(),
            page=query.page,
        )
        failure, status = platform_error(exc)
        context["failure"] = Markup(failure)  # noqa: S704 - our own rendered template
        return context, status
    page_error = parsed.page_error or ("page_invalid" if refused else None)
    if page_error:
        # The page the customer was on is shown again, with the message at the field.
        edr.record(edr.actions.USAGE_VIEW, "rejected", sim=sim.product_id, errors=[page_error])
    else:
        edr.record(edr.actions.USAGE_VIEW, sim=sim.product_id, filters=query.edr_filters(), page=query.page)
    pages = query.pages(total)
    context.update(
        query=query,
        values=query.values(sim.product_id),
        records=page.records,
        total=total,
        pages=pages,
        first=query.offset + 1 if page.records else 0,
        last=query.offset + len(page.records),
        has_prev=query.page > 1,
        has_next=query.offset + len(page.records) < total,
        summary=summary,
        page_error=page_error,
        jump_typed=parsed.raw.get("jump", "") if page_error else "",
    )
    return context, 422 if page_error else 200


def _sims_and_selected() -> tuple[list[Sim], Sim | None]:
    """The customer's SIMs and the one the form names (404 if not theirs), else the first."""
    sims = platform().list_sims(current_user.customer_id)
    return sims, chosen_sim(sims)


def _render_section(sims: list[Sim], sim: Sim, parsed: ParseResult, context: dict) -> str:
    """The whole section: SIM selector and filter form (as typed) above the results.

    After a preset button the focus goes back to that button (the section is new HTML, and the
    customer may want the next preset); otherwise to the heading or the first field in error."""
    query = parsed.query
    return render_template(
        "widget/usage/index.html",
        sims=sims,
        types=TYPE_LABELS,
        form=_form_values(parsed),
        presets=PRESET_LABELS,
        current_preset=query.preset(today()) if query is not None else None,
        focus_preset=parsed.raw.get("preset") if query is not None else None,
        **context,
    )


@bp.post("/w/usage")
@login_required
def index():
    """The call-log section: SIM selector, filter form, and the first page of results."""
    return _call_log(whole_section=True)


@bp.post("/w/usage/results")
@login_required
def results():
    """Only the results region (the form posts here on change and submit; paging too)."""
    return _call_log(whole_section=False)


def _call_log(whole_section: bool):
    sims, sim = _sims_and_selected()
    if sim is None:
        if whole_section:
            return render_template("widget/usage/index.html", sims=[], sim=None, types=TYPE_LABELS)
        return render_template("widget/usage/_results.html", sim=None)
    parsed = parse(request.form, today())
    context, status = _results_context(sim, parsed)
    if whole_section:
        return _render_section(sims, sim, parsed, context), status
    if not parsed.ok:
        # The fields themselves must show what is wrong (aria-invalid, focus on the first one):
        # answer with the whole section and retarget the swap to it.
        html = _render_section(sims, sim, parsed, context)
        return htmx_flask.make_response(html, status, retarget="#sc-main", reswap="innerHTML")
    # Paging replaces the button the customer pressed: focus the new page's status line then.
    # A filter change keeps focus in the form, so nothing is focused for it.
    paging = "page" in request.form
    return render_template("widget/usage/_results.html", focus_results=paging, **context), status


def _form_values(parsed: ParseResult) -> dict[str, str]:
    """Values to show in the form: the dates in the customer's format (``1.4.2026``,
    ``1 Apr 2026``) when valid, else exactly what was typed."""
    if parsed.query is not None:
        q = parsed.query
        return {
            "from": day(q.date_from),
            "to": day(q.date_to),
            "type": q.type,
            "b": parsed.raw["b"],
            "size": str(q.size),
        }
    return {k: parsed.raw.get(k, "") for k in ("from", "to", "type", "b", "size")}


# --------------------------------------------------------------------------- CSV export


def csv_header() -> list[str]:
    """The CSV header row, in the customer's language."""
    return [
        _("Date"),
        _("Time"),
        _("Type"),
        _("Destination network"),
        _("Called number"),
        _("Duration"),
        _("Duration (s)"),
        _("Count"),
        _("Data (MB)"),
        _("Charge (CZK)"),
    ]


def csv_row(record: UsageRecord) -> list[str]:
    """One record as CSV cells: Czech date and decimal comma, no currency symbol (numbers stay numbers)."""
    return [
        f"{record.time.day}.{record.time.month}.{record.time.year}",
        record.time.strftime("%H:%M:%S"),
        _csv_cell(record.description),
        _csv_cell(network_label(record.network)),
        _csv_number(record.b_number),
        duration(record.duration_seconds) if record.kind is UsageKind.VOICE else "",
        str(record.duration_seconds) if record.kind is UsageKind.VOICE else "",
        str(record.count) if record.kind in (UsageKind.SMS, UsageKind.FEE) else "",
        _czech_decimal(megabytes(record.volume_bytes), 1) if record.kind is UsageKind.DATA else "",
        _czech_decimal(record.charge, 2),
    ]


def _csv_lines(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerows(rows)
    return buffer.getvalue()


def _export_stream(sim: Sim, query: CallLogQuery, first: UsagePage) -> Iterator[str]:
    """BOM, header, then every record of the period, one platform page (1000) at a time.

    The EDR is recorded when the stream ends, with the number of rows really written.
    """
    port = platform()
    flt = query.usage_filter(sim.product_id)
    written = 0
    outcome: edr.actions.Outcome = "failure"
    try:
        yield "\ufeff" + _csv_lines([csv_header()])
        page = first
        offset = 0
        while page.records:
            yield _csv_lines([csv_row(r) for r in page.records])
            written += len(page.records)
            offset += len(page.records)
            if len(page.records) < EXPORT_CHUNK:  # the port fills pages: a short one is the end
                break
            page = port.list_usage(current_user.customer_id, flt, offset, EXPORT_CHUNK)
        outcome = "success"
    except PlatformError:
        # Headers are already sent; the file ends short and the EDR says so.
        pass
    finally:
        edr.record(
            edr.actions.USAGE_EXPORT, outcome, sim=sim.product_id, filters=query.edr_filters(), rows=written
        )


@bp.post("/w/usage/export")
@login_required
def export():
    """The filtered period as a CSV download (semicolons, UTF-8 with BOM, Czech decimals)."""
    _, sim = _sims_and_selected()
    if sim is None:
        abort(404)
    parsed = parse(request.form, today())
    if parsed.query is None:
        edr.record(
            edr.actions.USAGE_EXPORT, "rejected", sim=sim.product_id, errors=sorted(parsed.errors.values())
        )
        return render_template("widget/usage/_errors.html", parsed=parsed, messages=MESSAGES), 422
    query = parsed.query
    try:
        # The first chunk before any byte is sent: an outage still gets a proper error response.
        first = platform().list_usage(
            current_user.customer_id, query.usage_filter(sim.product_id), 0, EXPORT_CHUNK
        )
    except PlatformError:
        edr.record(
            edr.actions.USAGE_EXPORT, "failure", sim=sim.product_id, filters=query.edr_filters(), rows=0
        )
        raise  # the registered handler answers with the friendly error
    filename = (
        _safe_filename("vypis", sim.msisdn, query.date_from.isoformat(), query.date_to.isoformat()) + ".csv"
    )
    response = Response(
        stream_with_context(_export_stream(sim, query, first)),
        mimetype="text/csv",
        content_type="text/csv; charset=utf-8",
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return trigger_action(response, edr.actions.USAGE_EXPORT)
