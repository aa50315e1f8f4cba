"""A platform outage gives a friendly error fragment in the affected part, never a stack trace."""

from __future__ import annotations

import pytest

from selfcare_widget.services import services
from tests.support import PORTAL_ORIGIN, free_port, make_widget_app


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/w/sims", {}),
        ("/w/sims", {"sim": "prod-0001-2"}),
        ("/w/sims/setting", {"sim": "prod-0001-2", "setting": "roaming_enabled", "value": "true"}),
        ("/w/sims/block", {"sim": "prod-0001-2"}),
        ("/w/packages", {}),
        ("/w/packages/confirm", {"sim": "prod-0001-2", "offering": "addon-50sms"}),
    ],
)
def test_unreachable_platform_gives_a_friendly_error(test_partners, path, form):
    app = make_widget_app(f"http://127.0.0.1:{free_port()}", test_partners)  # nothing listens there
    token = services(app).sessions.create("demo-mobil", "cust-0001", "cs", "sso")
    response = app.test_client().post(
        path, data={"_partner": "demo-mobil", "_st": token, **form}, headers={"Origin": PORTAL_ORIGIN}
    )
    assert response.status_code == 503
    body = response.get_data(as_text=True)
    assert 'role="alert"' in body and "Traceback" not in body and "127.0.0.1" not in body
