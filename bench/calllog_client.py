"""Call-log paging through the real TMF client against the sandbox over loopback HTTP.

200 calls of ``TmfPlatform.list_usage`` for the heavy subscriber (≥ 20 000 records), the whole
3-month window, 50 records a page, at offsets spread over the full result (deep offsets are the
expensive ones for an OFFSET-paged store). Measures client + HTTP + sandbox query + mapping,
which is what a call-log page view costs the widget before rendering.
"""

from __future__ import annotations

import random
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path

from werkzeug.serving import make_server

from bench import Result, summarize, time_calls
from selfcare_widget.platform.models import UsageFilter
from selfcare_widget.platform.tmf import TmfPlatform, TmfSettings

RUNS = 200
WARMUP = 10
PAGE = 50
TARGET_P99_MS = 30.0
CREDENTIAL = "bench-platform-credential"


@contextmanager
def sandbox() -> Iterator[str]:
    """A freshly generated sandbox served on a free loopback port; yields its base URL."""
    from selfcare_widget.sandbox import create_sandbox_app
    from selfcare_widget.sandbox.seed import generate

    with tempfile.TemporaryDirectory(prefix="selfcare-bench-") as tmp:
        db_path = generate(Path(tmp) / "platform.sqlite3")
        app = create_sandbox_app(db_path=db_path, credential=CREDENTIAL)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()
            thread.join(5)


def run() -> list[Result]:
    """Measure ``list_usage`` paging for the heavy subscriber."""
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
        samples = time_calls(
            lambda offset=offset: platform.list_usage(HEAVY_CUSTOMER_ID, flt, offset, PAGE)
            for offset in offsets
        )
    note = f"{total} records in range, limit {PAGE}, random offsets 0..{total - PAGE}, {WARMUP} warm-up calls"
    return [summarize("call-log page via TmfPlatform (heavy subscriber)", samples, TARGET_P99_MS, note)]
