"""The one-command demo: sandbox platform, widget and a partner portal in one process."""

from __future__ import annotations

import logging
import os
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict

from werkzeug.exceptions import ServiceUnavailable
from werkzeug.serving import make_server

from ..config import Settings
from ..partners import Partner, SsoVerification
from ..services import services

log = logging.getLogger(__name__)

DEMO_PARTNER = "demo-mobil"
ZELENA_SECRET_ENV = "SELFCARE_DEMO_ZELENA_SECRET"  # noqa: S105 - the name of a variable, not a secret


class _Webhook(TypedDict, total=False):
    """The EDR webhook fields of a :class:`Partner`, when the demo CRM receives its EDRs."""

    edr_webhook_url: str
    edr_webhook_secret: str


@dataclass(frozen=True)
class DemoUrls:
    portal: str
    widget: str
    platform: str
    crm: str = ""  # the sandbox CRM's listing of Demo Mobil's EDRs


def demo_partners(
    portal_origin: str, crm_url: str = "", crm_secrets: Mapping[str, str] | None = None
) -> dict[str, Partner]:
    """The two demo partners: Demo Mobil (RS256 via the portal's JWKS) and Zelená mobil (HS256).

    With ``crm_url`` (the sandbox base URL) and ``crm_secrets`` their EDRs are delivered to the
    sandbox's demo CRM receiver at ``<crm_url>/crm/<partner>/webhook``.
    """
    zelena_secret = os.environ.get(ZELENA_SECRET_ENV) or secrets.token_urlsafe(32)
    crm_secrets = crm_secrets or {}

    def webhook(pid: str) -> _Webhook:
        if not crm_url or pid not in crm_secrets:
            return {}
        return {"edr_webhook_url": f"{crm_url}/crm/{pid}/webhook", "edr_webhook_secret": crm_secrets[pid]}

    return {
        DEMO_PARTNER: Partner(
            id=DEMO_PARTNER,
            name="Demo Mobil",
            origins=(portal_origin,),
            sso=SsoVerification(algorithm="RS256", jwks_url=f"{portal_origin}/.well-known/jwks.json"),
            login_methods=("sso", "password", "sms"),
            theme="default",
            default_locale="cs",
            payee_iban="CZ6508000000192000145399",
            **webhook(DEMO_PARTNER),
        ),
        "zelena-mobil": Partner(
            id="zelena-mobil",
            name="Zelená mobil",
            origins=("https://zelena-mobil.example.cz",),
            sso=SsoVerification(algorithm="HS256", shared_secret=zelena_secret),
            login_methods=("sso", "password"),
            theme="zelena",
            default_locale="cs",
            payee_iban="CZ6907101781240000004159",
            **webhook("zelena-mobil"),
        ),
    }


class DemoStack:
    """Sandbox, widget and portal served on loopback ports from threads of this process."""

    def __init__(
        self,
        instance_dir: Path,
        host: str = "127.0.0.1",
        portal_port: int = 8000,
        widget_port: int = 8001,
        platform_port: int = 8002,
    ) -> None:
        from .. import create_app
        from ..edr.signing import new_secret
        from ..edr.worker import EdrWorker, WorkerConfig
        from ..sandbox import create_sandbox_app
        from ..sandbox.seed import DEMO_CUSTOMERS
        from .keys import load_or_create_rsa_key
        from .portal import create_portal_app

        instance_dir.mkdir(parents=True, exist_ok=True)
        credential = secrets.token_urlsafe(24)
        # Each server's real app is attached below, once the bound ports give the URLs; until then
        # (never served: the servers only start in start()) a placeholder stands in.
        self._servers = [
            make_server(host, port, ServiceUnavailable(), threaded=True)
            for port in (platform_port, widget_port, portal_port)
        ]
        platform_server, widget_server, portal_server = self._servers
        shown = "127.0.0.1" if host in ("0.0.0.0", "") else host  # noqa: S104 - display only
        self.urls = DemoUrls(
            portal=f"http://{shown}:{portal_server.server_port}",
            widget=f"http://{shown}:{widget_server.server_port}",
            platform=f"http://{shown}:{platform_server.server_port}",
            crm=f"http://{shown}:{platform_server.server_port}/crm/{DEMO_PARTNER}/edrs",
        )
        # EDR webhook secrets, fresh per start: the receiver and the partners live in this process
        crm_secrets = {pid: new_secret() for pid in (DEMO_PARTNER, "zelena-mobil")}
        platform_server.app = create_sandbox_app(
            db_path=instance_dir / "sandbox.sqlite3", credential=credential, crm_secrets=crm_secrets
        )
        settings = Settings(
            platform_url=self.urls.platform,
            platform_credential=credential,
            partners_file=None,
            redis_url="memory://demo",
            public_url=self.urls.widget,
        )
        partners = demo_partners(self.urls.portal, crm_url=self.urls.platform, crm_secrets=crm_secrets)
        self.widget_app = create_app(settings=settings, partners=partners)
        # EDRs flow in the demo: one in-process delivery worker on the widget's store
        self.edr_worker = EdrWorker(
            services(self.widget_app).store,
            partners,
            "demo",
            WorkerConfig(poll_interval=0.5, backoff_base=1.0, backoff_max=30.0, claim_idle_ms=10_000),
        )
        self._stop_edr = threading.Event()
        widget_server.app = self.widget_app
        customers = [(c.id, c.name) for c in DEMO_CUSTOMERS.values() if c.partner_id == DEMO_PARTNER]
        portal_server.app = create_portal_app(
            partner_id=DEMO_PARTNER,
            partner_name="Demo Mobil",
            widget_url=self.urls.widget,
            private_key_pem=load_or_create_rsa_key(instance_dir / "demo-portal-key.pem"),
            customers=customers,
            crm_url=self.urls.crm,
        )
        self._threads: list[threading.Thread] = []

    def start(self) -> DemoUrls:
        for server in self._servers:
            thread = threading.Thread(target=server.serve_forever, daemon=True)
            thread.start()
            self._threads.append(thread)
        edr_thread = threading.Thread(
            target=self.edr_worker.run_forever, args=(self._stop_edr,), name="edr-worker", daemon=True
        )
        edr_thread.start()
        self._threads.append(edr_thread)
        return self.urls

    def stop(self) -> None:
        self._stop_edr.set()
        for server in self._servers:
            server.shutdown()
        for thread in self._threads:
            thread.join(5)
