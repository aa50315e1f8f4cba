"""Call-log paging through the real TMF client against the sandbox over loopback HTTP.

200 calls of ``TmfPlatform.list_usage`` for the heavy subscriber (≥ 20 000 records), the whole
3-month window, 50 records a page, at offsets spread over the full result (deep offsets are the
expensive ones for an OFFSET-paged store). Measures client + HTTP + sandbox query + mapping,
which is what a call-log page view costs the widget before rendering.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta

from bench import Result, summarize, time_calls
from bench.stack import CREDENTIAL, sandbox
from selfcare_widget.platform import tmf_mapping
from selfcare_widget.platform.models import UsageFilter
from selfcare_widget.platform.tmf import USAGE, TmfPlatform, TmfSettings

RUNS = 200
WARMUP = 10
PAGE = 50
TARGET_P99_MS = 30.0


def run() -> list[Result]:
    """Measure ``list_usage`` paging for the heavy subscriber, and the client's mapping share."""
    from selfcare_widget.sandbox.seed import HEAVY_CUSTOMER_ID, USAGE_DAYS

    with sandbox() as url, TmfPlatform(TmfSettings(base_url=url, credential=CREDENTIAL)) as platform:
        sim = platform.list_sims(HEAVY_CUSTOMER_ID)[0]
        today = date.today()
        flt = UsageFilter(sim.product_id, today - timedelta(days=USAGE_DAYS), today)
        total = platform.list_usage(HEAVY_CUSTOMER_ID, flt, 0, 1).total
        rng = random.Random(7)  # fixed offsets: runs compare like for like
        offsets = [rng.randrange(0, max(1, total - PAGE)) for _ in range(RUNS)]
        for offset in offsets[:WARMUP]:  # connection pool, SQLite page cache
            platform.list_usage(HEAVY_CUSTOMER_ID, flt, offset, PAGE)
        paging = time_calls(
            lambda offset=offset: platform.list_usage(HEAVY_CUSTOMER_ID, flt, offset, PAGE)
            for offset in offsets
        )
        first_page = time_calls(
            lambda: platform.list_usage(HEAVY_CUSTOMER_ID, flt, 0, PAGE) for _ in range(RUNS)
        )
        raw_page = _raw_page(url, HEAVY_CUSTOMER_ID, flt)
    mapping = time_calls(lambda: [tmf_mapping.usage_record(u) for u in raw_page] for _ in range(RUNS))
    return [
        summarize(
            "call-log page via TmfPlatform (heavy subscriber)",
            paging,
            TARGET_P99_MS,
            f"{total} records in range, limit {PAGE}, random offsets 0..{total - PAGE}, "
            f"{WARMUP} warm-up calls",
        ),
        summarize(
            "call-log first page via TmfPlatform (heavy subscriber)",
            first_page,
            TARGET_P99_MS,
            "offset 0: the page every call-log view opens with",
        ),
        summarize(
            "TMF->domain mapping of one 50-record page (client CPU only)",
            mapping,
            note="the client's own share of a page, without HTTP or the sandbox query",
        ),
    ]


def _raw_page(url: str, customer_id: str, flt: UsageFilter) -> list[dict]:
    """One page of raw TMF usage JSON, to time the mapping alone."""
    import requests

    params = {**tmf_mapping.usage_params(customer_id, flt), "offset": 0, "limit": PAGE}
    response = requests.get(
        url + USAGE + "/usage", params=params, headers={"Authorization": f"Bearer {CREDENTIAL}"}, timeout=10
    )
    response.raise_for_status()
    return json.loads(response.content)
