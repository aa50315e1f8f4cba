"""Helpers of the sandbox tests: an authenticated HTTP client for a sandbox, where the TMF specs are."""

from __future__ import annotations

import os
from pathlib import Path

import requests

from selfcare_widget.sandbox.resources import BASE  # checked against the specs' basePath in test_schemas
from tests.support import PLATFORM_CREDENTIAL

REPO = Path(__file__).resolve().parents[2]
TMF_DIR = Path(os.environ.get("SELFCARE_TMF_DIR", REPO.parent / "shared" / "tmf"))


class Client:
    """A requests session against one sandbox: ``client.get("635", "/usage", params=...)``."""

    def __init__(self, url: str, credential: str = PLATFORM_CREDENTIAL) -> None:
        self.url = url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {credential}"

    def request(self, method: str, api: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        return self.session.request(method, self.url + BASE[api] + path, **kwargs)

    def get(self, api: str, path: str, **kwargs) -> requests.Response:
        return self.request("GET", api, path, **kwargs)

    def post(self, api: str, path: str, **kwargs) -> requests.Response:
        return self.request("POST", api, path, **kwargs)

    def patch(self, api: str, path: str, **kwargs) -> requests.Response:
        return self.request("PATCH", api, path, **kwargs)


def order_addon(
    client: Client,
    key: str,
    offering: str = "addon-50sms",
    sim: str = "prod-0001-1",
    customer: str = "cust-0001",
    role: str = "customer",
) -> requests.Response:
    """POST a TMF622 productOrder for an add-on package, ``externalId`` = ``key``."""
    return client.post(
        "622",
        "/productOrder",
        json={
            "externalId": key,
            "relatedParty": [{"id": customer, "role": role, "@referredType": "Customer"}],
            "productOrderItem": [
                {
                    "id": "1",
                    "action": "add",
                    "productOffering": {"id": offering},
                    "product": {
                        "productRelationship": [{"relationshipType": "addOnTo", "product": {"id": sim}}]
                    },
                }
            ],
        },
    )
