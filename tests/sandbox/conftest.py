"""Fixtures of the sandbox tests: an authenticated HTTP session, TMF specs, a private sandbox."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
import requests

from selfcare_widget.sandbox.resources import BASE  # checked against the specs' basePath in test_schemas
from tests.conftest import PLATFORM_CREDENTIAL
from tests.support import require, serve_wsgi

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


@pytest.fixture(scope="session")
def client(sandbox_url) -> Client:
    """Read-only tests share the session sandbox."""
    return Client(sandbox_url)


@pytest.fixture(scope="module")
def private_db(sandbox_db, tmp_path_factory) -> Path:
    """A copy of the session database, so tests that write never disturb other tests."""
    path = tmp_path_factory.mktemp("private-sandbox") / "platform.sqlite3"
    src, dst = sqlite3.connect(sandbox_db), sqlite3.connect(path)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()
    return path


@pytest.fixture(scope="module")
def private_client(private_db) -> Client:
    """A sandbox of its own on a copy of the demo data (for orders, PATCHes, messages)."""
    from selfcare_widget.sandbox import create_sandbox_app

    app = create_sandbox_app(db_path=private_db, credential=PLATFORM_CREDENTIAL)
    with serve_wsgi(app) as url:
        yield Client(url)


@pytest.fixture(scope="session")
def tmf_specs() -> dict[str, dict]:
    """Swagger specs keyed by TMF number (``"635"``); skipped locally, failed in CI when missing."""
    require(TMF_DIR.is_dir(), f"TMF specs in {TMF_DIR} (set SELFCARE_TMF_DIR)")
    return {p.name[3:6]: json.loads(p.read_text()) for p in TMF_DIR.glob("TMF*.swagger.json")}
