"""The widget's home: tariff, SIMs, credit and remaining units."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from ..platform.models import BucketKind, UnitBucket
from .common import platform

bp = Blueprint("overview", __name__)


def _by_sim(buckets: list[UnitBucket]) -> dict[str, dict[str, list[UnitBucket]]]:
    grouped: dict[str, dict[str, list[UnitBucket]]] = defaultdict(lambda: {"credit": [], "units": []})
    for bucket in buckets:
        kind = "credit" if bucket.kind is BucketKind.MONETARY else "units"
        grouped[bucket.sim_product_id][kind].append(bucket)
    return grouped


@bp.post("/w/overview")
@login_required
def index():
    """Customer, each SIM with its tariff and state, credit and remaining units with bars.

    Three platform calls however many SIMs: customer, SIM products, all their buckets.
    """
    port = platform()
    customer = port.get_customer(current_user.customer_id)
    sims = port.list_sims(current_user.customer_id)
    buckets = port.list_buckets([sim.product_id for sim in sims]) if sims else []
    grouped = _by_sim(buckets)
    # The SIMs in service whose data ran out: each hint names the number and opens its packages.
    used_up = {b.sim_product_id for b in buckets if b.kind is BucketKind.DATA and b.used_up}
    data_used_up = [sim for sim in sims if sim.product_id in used_up and sim.state == "active"]
    return render_template(
        "widget/overview/index.html",
        customer=customer,
        sims=sims,
        balances=grouped,
        data_used_up=data_used_up,
        as_of=datetime.now(timezone.utc),
    )
