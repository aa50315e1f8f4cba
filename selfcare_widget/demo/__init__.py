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

from ..config import ConfigError, Settings, load_settings
from ..partners import Partner, PaymentGateway, SsoVerification, Supplier, SupportContact
from ..services import services
from .gateway import demo_url_template

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
    sms: str = ""  # the portal's demo-only SMS inbox (what the sandbox "sent")


#: Settings the demo decides itself: its own sandbox platform, partners, origins and in-process
#: store (and no separate ops port: one widget server). Every other SELFCARE_* setting applies.
DEMO_OWNED_SETTINGS = (
    "SELFCARE_PLATFORM_URL",
    "SELFCARE_PLATFORM_CREDENTIAL",
    "SELFCARE_PARTNERS_FILE",
    "SELFCARE_REDIS_URL",
    "SELFCARE_PUBLIC_URL",
    "SELFCARE_OPS_PORT",
)


def demo_settings(
    env: Mapping[str, str], *, platform_url: str, credential: str, public_url: str, store_url: str
) -> Settings:
    """The widget's settings in the demo: ``env``'s ``SELFCARE_*`` values validated as ``serve``
    validates them (session timeouts, platform timeouts, audience, JWT leeway, themes, cache,
    secret key, proxy hops), with the demo's own platform, origin and memory store.

    Raises :class:`ConfigError` naming a wrong setting, like ``serve``.
    """
    given = {k: v for k, v in env.items() if k.startswith("SELFCARE_") and k not in DEMO_OWNED_SETTINGS}
    return load_settings(
        {
            **given,
            "SELFCARE_PLATFORM_URL": platform_url,
            "SELFCARE_PLATFORM_CREDENTIAL": credential,
            "SELFCARE_PUBLIC_URL": public_url,
            "SELFCARE_REDIS_URL": store_url,
        }
    )


def demo_partners(
    portal_origin: str,
    crm_url: str = "",
    crm_secrets: Mapping[str, str] | None = None,
    zelena_secret: str | None = None,
    gateway_secret: str | None = None,
) -> dict[str, Partner]:
    """The two demo partners: Demo Mobil (RS256 via the portal's JWKS) and Zelená mobil (HS256
    with ``zelena_secret``, default ``SELFCARE_DEMO_ZELENA_SECRET`` or a random one). The demo
    portal on ``portal_origin`` embeds the widget for both.

    With ``crm_url`` (the sandbox base URL) and ``crm_secrets`` their EDRs are delivered to the
    sandbox's demo CRM receiver at ``<crm_url>/crm/<partner>/webhook``.
    """
    zelena_secret = zelena_secret or os.environ.get(ZELENA_SECRET_ENV) or secrets.token_urlsafe(32)
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
            # the demo card gateway on the portal (demo/gateway.py); Zelená mobil has none (QR only)
            payment_gateway=PaymentGateway(
                mode="url",
                url_template=demo_url_template(portal_origin),
                secret=gateway_secret or secrets.token_urlsafe(32),
            ),
            supplier=Supplier(
                name="Demo Mobil s.r.o.",
                address=("Vinohradská 2828/151", "130 00 Praha 3"),
                ico="12345679",
                dic="CZ12345679",
            ),
            support=SupportContact(
                phone="+420 800 123 456", email="pece@demo-mobil.cz", url="https://www.demo-mobil.cz/podpora"
            ),
            roaming_notice="V EU voláte, píšete a surfujete za domácí ceny. Mimo EU: volání od 29 Kč/min, data 99 Kč/MB.",
            roaming_notice_url="https://www.demo-mobil.cz/roaming",
            **webhook(DEMO_PARTNER),
        ),
        "zelena-mobil": Partner(
            id="zelena-mobil",
            name="Zelená mobil",
            # the demo portal stands in for Zelená mobil's portal too (its customers get its widget)
            origins=(portal_origin,),
            sso=SsoVerification(algorithm="HS256", shared_secret=zelena_secret),
            login_methods=("sso", "password"),
            theme="zelena",
            default_locale="cs",
            payee_iban="CZ6907101781240000004159",
            supplier=Supplier(
                name="Zelená mobil a.s.",
                address=("Náměstí Svobody 1", "602 00 Brno"),
                ico="87654326",
                dic="CZ87654326",
            ),
            support=SupportContact(phone="+420 800 765 432", email="podpora@zelena-mobil.example.cz"),
            roaming_notice_url="https://zelena-mobil.example.cz/roaming",
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
        env: Mapping[str, str] | None = None,
    ) -> None:
        """Bind the three servers (port 0: any free port) and build the apps; ``env`` (default
        ``os.environ``) gives the widget's ``SELFCARE_*`` settings (see :func:`demo_settings`)."""
        import uuid

        from .. import create_app
        from ..edr.signing import new_secret
        from ..edr.worker import EdrWorker, WorkerConfig
        from ..sandbox import create_sandbox_app
        from ..sandbox.seed import DEMO_CUSTOMERS
        from .keys import load_or_create_rsa_key
        from .portal import PortalPartner, create_portal_app

        instance_dir.mkdir(parents=True, exist_ok=True)
        env = os.environ if env is None else env
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
            sms=f"http://{shown}:{portal_server.server_port}/demo/sms/",
        )
        try:  # before the sandbox generates its data: a wrong setting fails at once
            settings = demo_settings(
                env,
                platform_url=self.urls.platform,
                credential=credential,
                public_url=self.urls.widget,
                # one store per stack: two stacks in one process must not share EDR streams
                store_url=f"memory://demo-{uuid.uuid4().hex[:8]}",
            )
        except ConfigError:
            for server in self._servers:
                server.server_close()
            raise
        self.settings = settings
        # EDR webhook secrets, fresh per start: the receiver and the partners live in this process
        crm_secrets = {pid: new_secret() for pid in (DEMO_PARTNER, "zelena-mobil")}
        platform_server.app = create_sandbox_app(
            db_path=instance_dir / "sandbox.sqlite3", credential=credential, crm_secrets=crm_secrets
        )
        zelena_secret = env.get(ZELENA_SECRET_ENV) or secrets.token_urlsafe(32)
        gateway_secret = secrets.token_urlsafe(32)  # shared by the demo gateway and the widget
        partners = demo_partners(
            self.urls.portal,
            crm_url=self.urls.platform,
            crm_secrets=crm_secrets,
            zelena_secret=zelena_secret,
            gateway_secret=gateway_secret,
        )
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

        def customers(pid: str) -> tuple[tuple[str, str], ...]:
            return tuple((c.id, c.name) for c in DEMO_CUSTOMERS.values() if c.partner_id == pid)

        # The portal signs each customer's SSO token as that customer's partner would.
        portal_server.app = create_portal_app(
            partners=[
                PortalPartner(
                    id=DEMO_PARTNER,
                    name=partners[DEMO_PARTNER].name,
                    customers=customers(DEMO_PARTNER),
                    key=load_or_create_rsa_key(instance_dir / "demo-portal-key.pem"),
                    crm_url=self.urls.crm,
                ),
                PortalPartner(
                    id="zelena-mobil",
                    name=partners["zelena-mobil"].name,
                    customers=customers("zelena-mobil"),
                    key=zelena_secret,
                    algorithm="HS256",
                    crm_url=f"{self.urls.platform}/crm/zelena-mobil/edrs",
                ),
            ],
            widget_url=self.urls.widget,
            audience=settings.audience,
            platform_url=self.urls.platform,
            platform_credential=credential,
            gateway_secret=gateway_secret,
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
