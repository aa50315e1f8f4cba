"""Helpers of the contact tests: the customer they own, the edit form, what the app recorded."""

from __future__ import annotations

import json
from dataclasses import asdict

from selfcare_widget.edr.recorder import stream_key
from selfcare_widget.platform.models import Customer
from selfcare_widget.services import services
from selfcare_widget.views.contact_validation import display_phone

#: demo-mobil customer beyond the fixed demo ones; only the contact tests change its details.
OWNED_CUSTOMER = "cust-0010"


def form_of(customer: Customer, **changes: str) -> dict[str, str]:
    """The edit form as the customer would submit it unchanged, with ``changes`` applied."""
    form = asdict(customer.contact)
    form["phone"] = display_phone(customer.contact.phone)
    form.update(changes)
    return form


def edrs(app, partner: str = "demo-mobil") -> list[dict]:
    """Every EDR recorded for the partner so far (this app's store)."""
    return [json.loads(f["edr"]) for _, f in services(app).store.xrange(stream_key(partner))]


def http_session(platform):
    """The requests.Session under the app's platform (through any wrapping adapter, e.g. a cache)."""
    seen = set()
    while id(platform) not in seen:
        seen.add(id(platform))
        if hasattr(platform, "_session"):
            return platform._session
        inner = next((v for v in vars(platform).values() if hasattr(v, "get_customer")), None)
        if inner is None:
            break
        platform = inner
    raise AssertionError("no HTTP session found under the app's platform")
