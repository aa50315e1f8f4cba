"""TM Forum Open API v4 adapter of the platform port, over HTTP with ``requests``.

One :class:`requests.Session` with a connection pool serves all threads. Every call carries the
platform credential and a request id, and ends either in a domain object or in one of the domain
errors of :mod:`selfcare_widget.platform.errors` — ``requests`` exceptions, TMF JSON and raw
platform text never leave this module (except a business-rule ``reason`` the platform wrote for
display, carried by ``Rejected``).

A slow or dead platform must not hold the widget's threads (issue 11):

- every HTTP call ends within ``TmfSettings.deadline`` — connecting, the headers and the whole
  body, retries included (:mod:`~selfcare_widget.platform.deadline`); a list's pages share one;
- a list costs at most :data:`MAX_LIST_PAGES` requests;
- each API (base path) has a circuit breaker (:mod:`~selfcare_widget.platform.breaker`): after
  repeated failures its calls fail fast for a cool-down, then one trial call decides.

Only GETs are retried (connect errors and 502/503/504), and only while the deadline leaves time:
repeating a POST or PATCH could order a package twice or interleave with the customer's next
change.
"""

from __future__ import annotations

import http.client
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import quote

import requests
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.util.retry import Retry

from . import tmf_mapping as tmf
from .breaker import CircuitBreaker
from .deadline import DeadlineAdapter, DeadlineExceeded, DeadlineTimeout, deadline_scope, remaining
from .errors import NotFound, NotSupported, PlatformError, Rejected, Unavailable
from .models import (
    BillingAccount,
    ContactDetails,
    CurrentSpend,
    Customer,
    Invoice,
    InvoiceLine,
    Order,
    Package,
    PackageOffer,
    Payment,
    Sim,
    SimCard,
    SimKind,
    SimSecrets,
    SimSettings,
    TariffChange,
    TariffOffer,
    TopUp,
    UnitBucket,
    UsageAlert,
    UsageFilter,
    UsagePage,
    UsageRecord,
    UsageSummary,
)

if TYPE_CHECKING:
    from types import TracebackType

    from typing_extensions import Self
    from urllib3.connectionpool import ConnectionPool
    from urllib3.response import BaseHTTPResponse

log = logging.getLogger("selfcare_widget.platform")

# Base paths of the APIs (docs/platform-contract.md, "Transport").
CATALOG = "/tmf-api/productCatalogManagement/v4"
ORDERING = "/tmf-api/productOrderingManagement/v4"
CUSTOMER = "/tmf-api/customerManagement/v4"
USAGE = "/tmf-api/usageManagement/v4"
PRODUCT_INVENTORY = "/tmf-api/productInventory/v4"
SERVICE_INVENTORY = "/tmf-api/serviceInventory/v4"
RESOURCE_INVENTORY = "/tmf-api/resourceInventoryManagement/v4"
PREPAY_BALANCE = "/tmf-api/prepayBalanceManagement/v4"
ACCOUNT = "/tmf-api/accountManagement/v4"
CUSTOMER_BILL = "/tmf-api/customerBillManagement/v4"
COMMUNICATION = "/tmf-api/communicationManagement/v4"
PAYMENT = "/tmf-api/paymentManagement/v4"
SELFCARE = "/selfcare/v1"
#: Each has its own circuit breaker.
API_BASES = (
    CATALOG,
    ORDERING,
    CUSTOMER,
    USAGE,
    PRODUCT_INVENTORY,
    SERVICE_INVENTORY,
    RESOURCE_INVENTORY,
    PREPAY_BALANCE,
    ACCOUNT,
    CUSTOMER_BILL,
    COMMUNICATION,
    PAYMENT,
    SELFCARE,
)

#: TMF630 maximum page size; lists the widget needs whole are fetched in pages of this size.
MAX_PAGE = 1000
#: Requests one list may cost (docs/platform-contract.md, "Transport"): a server that never sends
#: the empty page ending a list, or caps pages very small, gets Unavailable, not a thread for minutes.
MAX_LIST_PAGES = 20
#: Bytes read from a body at a time (the deadline is checked between reads).
BODY_CHUNK = 16 * 1024
#: A GET is retried only if at least this much time is left after the backoff.
MIN_RETRY_SECONDS = 0.05
#: Usage fields the widget maps or checks (relatedParty: whose record it is); the rest is not sent.
USAGE_FIELDS = "usageDate,usageType,description,usageCharacteristic,ratedProductUsage,relatedParty"


@dataclass(frozen=True)
class TmfSettings:
    """How to reach the platform.

    ``base_url`` is the platform root; each API's base path is appended to it.
    """

    base_url: str
    credential: str
    connect_timeout: float = 2.0
    read_timeout: float = 5.0  # per socket read; the deadline bounds the whole call
    deadline: float = 5.0  # one call, retries included: connect, request, headers, every body byte
    get_retries: int = 2
    retry_backoff: float = 0.1  # seconds; urllib3 doubles it per retry
    pool_size: int = 16  # connections kept per host: at least the number of worker threads
    sms_sender: str = "SelfCare"
    breaker_failures: int = 5  # consecutive failures of one API that open its circuit ...
    breaker_window: float = 30.0  # ... within this many seconds
    breaker_cooldown: float = 10.0  # seconds an open circuit fails calls fast before a trial call


class _GetOnlyRetry(Retry):
    """urllib3 ``Retry`` that never repeats a non-GET request, nor anything past the deadline.

    Plain ``Retry`` repeats any method after a connection error even with ``allowed_methods``;
    writes must go out at most once, so for them the first error ends the request. A GET is
    retried only when the call's deadline leaves time for the backoff and another attempt.
    """

    def increment(
        self,
        method: str | None = None,
        url: str | None = None,
        response: BaseHTTPResponse | None = None,
        error: Exception | None = None,
        _pool: ConnectionPool | None = None,
        _stacktrace: TracebackType | None = None,
    ) -> Self:
        if method is not None and method.upper() not in (self.allowed_methods or ()):
            # urllib3 types Retry.increment's _pool as optional but MaxRetryError's pool as required
            # (its own Retry.increment ignores the same mismatch); the pool passes itself here.
            reason = error or Exception("write not retried")
            raise MaxRetryError(_pool, url, reason) from error  # type: ignore[arg-type]
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        left = remaining()
        if left is not None and left < Retry.get_backoff_time(retry) + MIN_RETRY_SECONDS:
            # A 5xx answer is then handed back (raise_on_status=False); an error raises.
            reason = error or ResponseError("no time left for a retry")
            raise MaxRetryError(_pool, url, reason) from error  # type: ignore[arg-type]
        return retry

    def get_backoff_time(self) -> float:
        backoff = super().get_backoff_time()
        left = remaining()
        return backoff if left is None else max(0.0, min(backoff, left))


def _segment(resource_id: str) -> str:
    """An id as one URL path segment: ``../x`` or ``a?b`` can never address another resource."""
    return quote(resource_id, safe="")


def _new_request_id() -> str:
    return uuid.uuid4().hex


class TmfPlatform:
    """The :class:`~selfcare_widget.platform.port.Platform` port over TM Forum v4 HTTP APIs."""

    def __init__(self, settings: TmfSettings, request_id: Callable[[], str] | None = None) -> None:
        """Create the client; ``request_id`` supplies the ``X-Request-ID`` of each call."""
        self.settings = settings
        self._root = settings.base_url.rstrip("/")
        self._request_id = request_id or _new_request_id
        self._session = self._build_session(settings)
        self._breakers_lock = threading.Lock()
        self._breaker_listeners: list[Callable[[str, str], None]] = []
        self._breakers: dict[str, CircuitBreaker] = {}
        for base in API_BASES:
            self._breaker(base)

    @staticmethod
    def _build_session(settings: TmfSettings) -> requests.Session:
        retry = _GetOnlyRetry(
            total=settings.get_retries,
            connect=settings.get_retries,
            read=False,  # a read timeout already cost read_timeout; don't multiply it
            status=settings.get_retries,
            other=0,
            redirect=0,
            allowed_methods=frozenset({"GET"}),
            status_forcelist=frozenset({502, 503, 504}),
            backoff_factor=settings.retry_backoff,
            raise_on_status=False,  # hand back the last 5xx so it maps like any other
            respect_retry_after_header=False,  # a long Retry-After must not stall a widget thread
        )
        adapter = DeadlineAdapter(pool_connections=4, pool_maxsize=settings.pool_size, max_retries=retry)
        session = requests.Session()
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers.update(
            {"Authorization": f"Bearer {settings.credential}", "Accept": "application/json"}
        )
        session.trust_env = False  # no proxies/netrc from the environment for platform calls
        return session

    def close(self) -> None:
        """Close pooled connections."""
        self._session.close()

    def __enter__(self) -> TmfPlatform:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ circuit breakers

    def _breaker(self, path: str) -> CircuitBreaker:
        """The circuit breaker of the API ``path`` belongs to (its base path)."""
        base = _api_base(path)
        with self._breakers_lock:
            breaker = self._breakers.get(base)
            if breaker is None:
                breaker = CircuitBreaker(
                    base,
                    self.settings.breaker_failures,
                    self.settings.breaker_window,
                    self.settings.breaker_cooldown,
                    on_change=self._breaker_changed,
                )
                self._breakers[base] = breaker
            return breaker

    def _breaker_changed(self, api: str, state: str) -> None:
        for listener in list(self._breaker_listeners):
            listener(api, state)

    def breaker_states(self) -> dict[str, str]:
        """State (``closed``, ``half_open``, ``open``) of each API's breaker, by base path."""
        with self._breakers_lock:
            breakers = list(self._breakers.values())
        return {b.name: b.state for b in breakers}

    def watch_breakers(self, listener: Callable[[str, str], None]) -> None:
        """Call ``listener(api base path, state)`` now for each breaker, and on every change."""
        self._breaker_listeners.append(listener)
        for api, state in self.breaker_states().items():
            listener(api, state)

    # ------------------------------------------------------------------ transport

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        deadline: float | None = None,
    ) -> requests.Response:
        """One HTTP call; returns a 2xx response (body read) or raises a domain error.

        ``deadline`` (``time.monotonic()`` seconds) is shared by the calls of one list; without
        it the call has ``settings.deadline`` seconds.
        """
        response, request_id = self._transport(
            method, path, params=params, body=body, headers=headers, deadline=deadline
        )
        if 200 <= response.status_code < 300:
            return response
        self._raise_for(response, method, path, request_id)

    def _transport(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        deadline: float | None = None,
    ) -> tuple[requests.Response, str]:
        """One HTTP exchange through the API's circuit breaker: ``(response of any status, request id)``.

        ``Unavailable`` when the breaker is open, or the platform is unreachable or too slow.
        """
        request_id = self._request_id()
        breaker = self._breaker(path)
        admission = breaker.admit()
        if admission is None:
            log.debug("platform %s %s not sent: circuit open (request %s)", method, path, request_id)
            raise Unavailable("platform API failing: circuit open")
        ok: bool | None = None
        try:
            response = self._exchange(
                method, path, request_id, params=params, body=body, headers=headers, deadline=deadline
            )
            # 501: the platform lacks an optional call (e.g. unbilled charges) - not a failure.
            ok = response.status_code < 500 or response.status_code == 501
            return response, request_id
        except Unavailable:
            ok = False
            raise
        finally:
            breaker.record(admission, ok)

    def _exchange(
        self,
        method: str,
        path: str,
        request_id: str,
        *,
        params: dict[str, Any] | None,
        body: Any,
        headers: dict[str, str] | None,
        deadline: float | None,
    ) -> requests.Response:
        """Send the request and read the whole answer by the deadline.

        A PATCH body is sent as ``application/merge-patch+json`` (RFC 7396, what TMF630 asks).
        """
        started = time.monotonic()
        at = deadline if deadline is not None else started + self.settings.deadline
        sent_headers = {"X-Request-ID": request_id, **(headers or {})}
        data = None
        if body is not None:
            data = json.dumps(body, default=_json_number).encode()
            sent_headers["Content-Type"] = (
                "application/merge-patch+json" if method == "PATCH" else "application/json"
            )
        # requests passes a urllib3 Timeout on as it is (adapters.send), though typed for floats.
        timeout: Any = DeadlineTimeout(self.settings.connect_timeout, self.settings.read_timeout, at)
        response: requests.Response | None = None
        try:
            if started >= at:
                raise DeadlineExceeded("no time left")
            with deadline_scope(at):
                response = self._session.request(
                    method,
                    self._root + path,
                    params=params,
                    data=data,
                    headers=sent_headers,
                    timeout=timeout,
                    allow_redirects=False,
                    stream=True,
                )
                response._content = _read_body(response, at)
                response._content_consumed = True
        except (requests.RequestException, Urllib3Error, http.client.HTTPException, OSError) as exc:
            if response is not None:
                response.close()  # a half-read connection never goes back to the pool
            why = "deadline" if time.monotonic() >= at else type(exc).__name__
            # Only the exception class: its text may contain the query string (MSISDNs).
            log.warning(
                "platform %s %s failed: %s after %.0f ms (request %s)",
                method,
                path,
                why,
                (time.monotonic() - started) * 1000,
                request_id,
            )
            raise Unavailable(f"platform unreachable ({why})") from None
        # The path holds only ids; query strings may hold personal data and are never logged.
        log.debug(
            "platform %s %s -> %s in %.1f ms (request %s)",
            method,
            path,
            response.status_code,
            (time.monotonic() - started) * 1000,
            request_id,
        )
        return response

    @staticmethod
    def _raise_for(response: requests.Response, method: str, path: str, request_id: str) -> NoReturn:
        """Map a non-2xx platform answer to a domain error."""
        status = response.status_code
        if status == 404:
            raise NotFound(path)
        if status == 501:
            raise NotSupported(f"platform does not implement {method} {path}")
        if status in (409, 422):
            code, reason = _error_code_reason(response)
            raise Rejected(code or "rejected", reason)
        if status == 400:
            _, reason = _error_code_reason(response)
            raise Rejected("badRequest", reason)
        if status in (401, 403):
            # Our platform credential is wrong or lacks rights: an operator problem, not the customer's.
            log.error(
                "platform refused our credential: %s %s -> %s (request %s)", method, path, status, request_id
            )
            raise Unavailable(f"platform refused the widget's credential ({status})")
        log.warning("platform %s %s -> %s (request %s)", method, path, status, request_id)
        raise Unavailable(f"platform answered {status}")

    def _call(self, method: str, path: str, **kwargs: Any) -> tuple[Any, requests.Response]:
        """An HTTP call whose 2xx body is JSON; returns ``(body, response)``."""
        response = self._send(method, path, **kwargs)
        try:
            # parse_float keeps money exact: 0.1 arrives as Decimal("0.1"), never a binary float.
            return json.loads(response.content, parse_float=Decimal), response
        except ValueError:
            log.warning(
                "platform %s %s answered non-JSON (request %s)",
                method,
                path,
                response.request.headers.get("X-Request-ID"),
            )
            raise Unavailable("platform answered non-JSON") from None

    def _get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self._call("GET", path, params=params)[0]

    def _get_list(self, path: str, params: dict[str, Any]) -> list[Any]:
        """Every item of a TMF630 list: pages until an empty one, each item once.

        Neither a short page nor ``X-Total-Count`` ends the loop: a server may cap the page size
        below the ``limit`` asked for, and a total may be missing or wrong. A server that ignores
        ``offset`` repeats a page; repeated items are dropped and the loop ends there. At most
        :data:`MAX_LIST_PAGES` requests, all within one deadline; a longer list is ``Unavailable``.
        """
        items: list[Any] = []
        seen: set[str] = set()
        offset = 0
        deadline = time.monotonic() + self.settings.deadline  # one for the whole list
        for _ in range(MAX_LIST_PAGES):
            params_page = {**params, "offset": offset, "limit": MAX_PAGE}
            page, _ = self._call("GET", path, params=params_page, deadline=deadline)
            with _mapping("list"):
                got = tmf.objects(page)
            fresh = _unseen(got, seen)
            if not fresh:
                return items
            items.extend(fresh)
            offset += len(got)
        log.error("platform list %s has more than %d pages", path, MAX_LIST_PAGES)
        raise Unavailable("platform list too long")

    # ------------------------------------------------------------------ customer (TMF629)

    def get_customer(self, customer_id: str) -> Customer:
        """The customer with their contact details."""
        data = self._get(f"{CUSTOMER}/customer/{_segment(customer_id)}")
        with _mapping("customer"):
            return tmf.customer(data)

    def update_contact(self, customer_id: str, contact: ContactDetails, fields: set[str]) -> Customer:
        """Change the media types touched by ``fields``; returns the updated customer.

        Under merge-patch an array in the body replaces the stored one, so the PATCH carries the
        customer's whole ``contactMedium`` as just read, with only the touched media replaced
        (``If-Match`` when the platform gave an ETag, so a concurrent change is not lost).
        """
        if not fields:
            return self.get_customer(customer_id)
        path = f"{CUSTOMER}/customer/{_segment(customer_id)}"
        try:
            tmf.check_contact_fields(fields)
        except ValueError as exc:
            raise Rejected("badRequest", str(exc)) from None
        current, read = self._call("GET", path)
        with _mapping("customer"):
            body = tmf.contact_patch(tmf.obj(current).get("contactMedium"), contact, fields)
        data, _ = self._call("PATCH", path, body=body, headers=_precondition(read))
        log.info("contact of customer %s changed: %s", customer_id, ",".join(sorted(fields)))
        with _mapping("customer"):
            return tmf.customer(data)

    def update_usage_alerts(self, customer_id: str, alerts: tuple[UsageAlert, ...]) -> Customer:
        """Store the customer's usage-alert preferences (TMF629 characteristic ``usageAlerts``).

        Like the contact media: the PATCH carries the whole ``characteristic`` array as just read,
        only ``usageAlerts`` replaced (``If-Match`` when the platform gave an ETag).
        """
        path = f"{CUSTOMER}/customer/{_segment(customer_id)}"
        current, read = self._call("GET", path)
        with _mapping("customer"):
            body = tmf.usage_alerts_patch(tmf.obj(current).get("characteristic"), alerts)
        data, _ = self._call("PATCH", path, body=body, headers=_precondition(read))
        log.info("usage alerts of customer %s changed: %d SIM(s)", customer_id, len(alerts))
        with _mapping("customer"):
            return tmf.customer(data)

    def list_alert_customers(self, partner_id: str) -> list[Customer]:
        """The partner's customers that have usage alerts on (``characteristic.name`` filter)."""
        items = self._get_list(
            f"{CUSTOMER}/customer", {"relatedParty.id": partner_id, "characteristic.name": tmf.USAGE_ALERTS}
        )
        with _mapping("customer"):
            customers = [tmf.customer(c) for c in items]
        # Checked again: a server ignoring a filter must not send one partner's notices to another's.
        return [c for c in customers if c.partner_id == partner_id and c.usage_alerts]

    # ------------------------------------------------------------------ SIMs (TMF637/638/639)

    def _products(self, customer_id: str, spec: str) -> list[Any]:
        return self._get_list(
            f"{PRODUCT_INVENTORY}/product",
            {"relatedParty.id": customer_id, "productSpecification.id": spec},
        )

    def list_sims(self, customer_id: str) -> list[Sim]:
        """The customer's SIM subscriptions."""
        products = self._products(customer_id, tmf.SPEC_MOBILE_LINE)
        with _mapping("product"):
            # Filter again: a server ignoring the spec filter must not turn packages into SIMs.
            return [tmf.sim(p) for p in products if tmf.spec_id(p) == tmf.SPEC_MOBILE_LINE]

    def list_packages(self, customer_id: str) -> list[Package]:
        """The customer's ordered add-on packages (all SIMs)."""
        products = self._products(customer_id, tmf.SPEC_ADDON)
        with _mapping("product"):
            return [tmf.package(p) for p in products if tmf.spec_id(p) == tmf.SPEC_ADDON]

    def list_sim_settings(self, customer_id: str) -> list[SimSettings]:
        """Settings of every mobile service of the customer."""
        services = self._get_list(f"{SERVICE_INVENTORY}/service", {"relatedParty.id": customer_id})
        with _mapping("service"):
            own = _owned(services, lambda s: customer_id in tmf.related_party_ids(s), "service")
            return [tmf.sim_settings(s) for s in own]

    def update_sim_settings(self, service_id: str, changes: dict[str, bool | int]) -> SimSettings:
        """Apply ``changes`` (domain names) to the service; returns its new settings.

        The PATCH carries the service's whole ``serviceCharacteristic`` as just read, with only the
        changed values replaced: under merge-patch a partial array would wipe the other settings.
        """
        path = f"{SERVICE_INVENTORY}/service/{_segment(service_id)}"
        try:
            tmf.check_settings(changes)
        except ValueError as exc:
            raise Rejected("badRequest", str(exc)) from None
        current, read = self._call("GET", path)
        with _mapping("service"):
            body = tmf.settings_patch(tmf.obj(current).get("serviceCharacteristic"), changes)
        data, _ = self._call("PATCH", path, body=body, headers=_precondition(read))
        log.info("settings of service %s changed: %s", service_id, ",".join(sorted(changes)))
        with _mapping("service"):
            return tmf.sim_settings(data)

    def get_sim_card(self, resource_id: str) -> SimCard:
        """The physical SIM card."""
        data = self._get(f"{RESOURCE_INVENTORY}/resource/{_segment(resource_id)}")
        with _mapping("resource"):
            return tmf.sim_card(data)

    def get_sim_secrets(self, resource_id: str) -> SimSecrets:
        """PIN, PUK and an eSIM's activation code of the SIM card (the values are never logged)."""
        data = self._get(f"{RESOURCE_INVENTORY}/resource/{_segment(resource_id)}")
        with _mapping("resource"):
            return tmf.sim_secrets(data)

    def order_sim_replacement(
        self,
        customer_id: str,
        sim_product_id: str,
        kind: SimKind,
        delivery: ContactDetails | None,
        idempotency_key: str,
    ) -> Order:
        """Order a new SIM card for the line; the same key returns the first order (created=False)."""
        body = tmf.replacement_order_body(customer_id, sim_product_id, kind, delivery, idempotency_key)
        data, response = self._call("POST", f"{ORDERING}/productOrder", body=body)
        with _mapping("productOrder"):
            result = tmf.order(data, created=response.status_code == 201)
        log.info(
            "replacement %s SIM order %s for customer %s (created=%s)",
            kind.value,
            result.id,
            customer_id,
            result.created,
        )
        return result

    def find_customer_by_msisdn(self, msisdn: str) -> str:
        """Customer id owning the (not terminated) SIM with this MSISDN; NotFound otherwise."""
        digits = "".join(ch for ch in msisdn if ch.isdigit())
        if not digits:
            raise NotFound("msisdn")
        products = self._get_list(
            f"{PRODUCT_INVENTORY}/product",
            {"productCharacteristic.msisdn": digits, "productSpecification.id": tmf.SPEC_MOBILE_LINE},
        )
        with _mapping("product"):
            # A terminated line's number may since belong to someone else.
            live = [p for p in products if p.get("status") != "terminated"]
            owners = {tmf.owner_customer_id(p) for p in live if tmf.sim(p).msisdn == digits}
        if len(owners) != 1:
            if owners:
                log.error("MSISDN lookup matched %d customers", len(owners))
            raise NotFound("msisdn")
        return owners.pop()

    # ------------------------------------------------------------------ catalog and ordering

    def list_package_offers(self, tariff_offering_id: str) -> list[PackageOffer]:
        """Launched add-on offerings orderable for the tariff."""
        offerings = self._get_list(
            f"{CATALOG}/productOffering",
            {
                "lifecycleStatus": "Launched",
                "category.id": "addon",
                "productOfferingRelationship.id": tariff_offering_id,
            },
        )
        with _mapping("productOffering"):
            # Re-check the filters: a retired or foreign offering must never become orderable
            # because a server ignored a query parameter.
            launched = [o for o in offerings if tmf.is_launched_addon(o)]
            references = {tmf.price_reference(o) for o in launched} - {""}
        resolved = {ref: self._offering_price(ref) for ref in sorted(references)}
        prices = {ref: amount for ref, amount in resolved.items() if amount is not None}
        with _mapping("productOffering"):
            mapped = [(o, tmf.package_offer(o, prices)) for o in launched]
        unpriced = [str(o.get("id")) for o, offer in mapped if offer is None]
        if unpriced:
            log.error("offerings without a price are not offered: %s", ", ".join(unpriced))
        offers = [offer for _, offer in mapped if offer is not None]
        return [o for o in offers if tariff_offering_id in o.tariff_offering_ids]

    def _offering_price(self, price_id: str) -> Decimal | None:
        """The amount of a referenced ``ProductOfferingPrice``; None when it cannot be read."""
        try:
            data = self._get(f"{CATALOG}/productOfferingPrice/{_segment(price_id)}")
            with _mapping("productOfferingPrice"):
                return tmf.offering_price(data)
        except (NotFound, Unavailable):
            return None

    def order_package(
        self, customer_id: str, sim_product_id: str, offering_id: str, idempotency_key: str
    ) -> Order:
        """Order an add-on; the same ``idempotency_key`` returns the first order (created=False)."""
        body = tmf.order_body(customer_id, sim_product_id, offering_id, idempotency_key)
        data, response = self._call("POST", f"{ORDERING}/productOrder", body=body)
        with _mapping("productOrder"):
            result = tmf.order(data, created=response.status_code == 201)
        log.info("order %s for customer %s (created=%s)", result.id, customer_id, result.created)
        return result

    def get_tariff(self, offering_id: str) -> TariffOffer:
        """One tariff offering; ``NotFound`` when it is not a tariff or has no monthly price."""
        data = self._get(f"{CATALOG}/productOffering/{_segment(offering_id)}")
        with _mapping("productOffering"):
            offer = tmf.tariff_offer(data) if tmf.is_tariff(data) else None
        if offer is None:
            raise NotFound(f"tariff {offering_id}")
        return offer

    def list_tariff_offers(self, tariff_offering_id: str) -> list[TariffOffer]:
        """Launched tariffs a line on ``tariff_offering_id`` may change to (``changeFrom`` it)."""
        offerings = self._get_list(
            f"{CATALOG}/productOffering",
            {
                "lifecycleStatus": "Launched",
                "category.id": "tariff",
                "productOfferingRelationship.id": tariff_offering_id,
            },
        )
        with _mapping("productOffering"):
            # Re-check: a server ignoring a filter must not offer a retired tariff or one the
            # current tariff may not change to (a prepaid line only to what names it).
            offers = [tmf.tariff_offer(o) for o in offerings if tmf.is_launched_tariff(o)]
        return [
            o
            for o in offers
            if o is not None and tariff_offering_id in o.change_from and o.offering_id != tariff_offering_id
        ]

    def change_tariff(
        self, customer_id: str, sim_product_id: str, offering_id: str, idempotency_key: str
    ) -> TariffChange:
        """Order a tariff change (TMF622 ``modify``); the same key returns the first order."""
        body = tmf.tariff_change_body(customer_id, sim_product_id, offering_id, idempotency_key)
        data, response = self._call("POST", f"{ORDERING}/productOrder", body=body)
        with _mapping("productOrder"):
            result = tmf.tariff_change(data, created=response.status_code == 201)
        log.info(
            "tariff change %s of product %s: %s (created=%s)",
            result.id,
            sim_product_id,
            result.state,
            result.created,
        )
        return result

    # ------------------------------------------------------------------ billing (TMF666/678)

    def list_billing_accounts(self, customer_id: str) -> list[BillingAccount]:
        """The customer's billing accounts."""
        accounts = self._get_list(f"{ACCOUNT}/billingAccount", {"relatedParty.id": customer_id})
        with _mapping("billingAccount"):
            own = _owned(accounts, lambda a: customer_id in tmf.related_party_ids(a), "billingAccount")
            return [tmf.billing_account(a) for a in own]

    def list_invoices(self, billing_account_id: str) -> list[Invoice]:
        """Bills of the account, newest first."""
        bills = self._get_list(
            f"{CUSTOMER_BILL}/customerBill", {"billingAccount.id": billing_account_id, "sort": "-billDate"}
        )
        with _mapping("customerBill"):
            own = _owned(bills, lambda b: tmf.bill_account_id(b) == billing_account_id, "customerBill")
            invoices = [tmf.invoice(b) for b in own]
        # Sorted here as well: the order is part of the port's promise, whatever the server does.
        return sorted(invoices, key=lambda i: (i.issue_date, i.number), reverse=True)

    def get_invoice(self, invoice_id: str) -> Invoice:
        """One bill."""
        data = self._get(f"{CUSTOMER_BILL}/customerBill/{_segment(invoice_id)}")
        with _mapping("customerBill"):
            return tmf.invoice(data)

    def list_invoice_lines(self, invoice_id: str) -> list[InvoiceLine]:
        """Applied billing rates of a bill."""
        rates = self._get_list(f"{CUSTOMER_BILL}/appliedCustomerBillingRate", {"bill.id": invoice_id})
        with _mapping("appliedCustomerBillingRate"):
            own = _owned(rates, lambda r: tmf.rate_bill_id(r) == invoice_id, "appliedCustomerBillingRate")
            return [tmf.invoice_line(r) for r in own]

    def current_spend(self, billing_account_id: str) -> CurrentSpend | None:
        """Charges of the account not yet billed, summed; None when the platform lacks the call.

        TMF678 ``appliedCustomerBillingRate`` filtered by ``billingAccount.id`` and ``isBilled``;
        every rate is checked again (account, not billed), so a server ignoring a filter never
        adds billed lines or another account's charges.
        """
        params = {"billingAccount.id": billing_account_id, "isBilled": "false"}
        try:
            rates = self._get_list(f"{CUSTOMER_BILL}/appliedCustomerBillingRate", params)
        except (NotFound, NotSupported):
            log.info("platform offers no unbilled charges for account %s", billing_account_id)
            return None
        with _mapping("appliedCustomerBillingRate"):
            own = _owned(
                rates,
                lambda r: tmf.rate_account_id(r) == billing_account_id and not tmf.rate_is_billed(r),
                "appliedCustomerBillingRate",
            )
            return tmf.current_spend(billing_account_id, own)

    # ------------------------------------------------------------------ call log (TMF635)

    def list_usage(self, customer_id: str, filter: UsageFilter, offset: int, limit: int) -> UsagePage:
        """One page of the filtered call log, newest first; ``total`` from ``X-Total-Count``.

        The page is filled up to ``limit`` however few records the server sends per answer (a
        page-size cap must not skip records); it is shorter only at the end of the period.
        """
        page_offset = max(0, offset)
        page_limit = max(1, min(limit, MAX_PAGE))
        base = {**tmf.usage_params(customer_id, filter), "sort": "-usageDate", "fields": USAGE_FIELDS}
        records: list[UsageRecord] = []
        seen: set[str] = set()
        total: int | None = None
        position = page_offset
        while len(records) < page_limit:
            asked = page_limit - len(records)
            params = {**base, "offset": position, "limit": asked}
            data, response = self._call("GET", f"{USAGE}/usage", params=params)
            with _mapping("usage"):
                got = tmf.objects(data)
                if total is None:
                    total = _total_count(response)
                fresh = _unseen(got, seen)
                own = _owned(
                    fresh,
                    lambda u: (
                        filter.sim_product_id in tmf.usage_product_ids(u)
                        and customer_id in tmf.related_party_ids(u)
                    ),
                    "usage",
                )
                records.extend(tmf.usage_record(u) for u in own)
            if not fresh:
                break
            position += len(got)
            # A short answer ends the page unless the server says there is more: 206 Partial
            # Content, or a total beyond what came. (Asking once more on every last page would
            # cost each call-log view a request; a server that caps pages, answers 200 and sends
            # no total breaks TMF630 twice and is not supported.)
            more = response.status_code == 206 or (total is not None and position < total)
            if len(got) < asked and not more:
                break
        return UsagePage(records=records, total=total, offset=page_offset, limit=page_limit)

    def usage_summary(self, customer_id: str, filter: UsageFilter) -> UsageSummary:
        """Totals of the filtered call log, computed by the platform."""
        data = self._get(f"{SELFCARE}/usageSummary", tmf.usage_params(customer_id, filter))
        with _mapping("usageSummary"):
            return tmf.usage_summary(data)

    # ------------------------------------------------------------------ balances (TMF654)

    def list_buckets(self, sim_product_ids: list[str]) -> list[UnitBucket]:
        """Every bucket of the given products, fetched in one call (comma list filter)."""
        if not sim_product_ids:
            return []
        # One request for all SIMs (comma list = OR); a second page only beyond MAX_PAGE buckets.
        buckets = self._get_list(f"{PREPAY_BALANCE}/bucket", {"product.id": ",".join(sim_product_ids)})
        asked = set(sim_product_ids)
        with _mapping("bucket"):
            own = _owned(buckets, lambda b: tmf.bucket_product_id(b) in asked, "bucket")
            return [tmf.bucket(b) for b in own]

    # ------------------------------------------------------------------ sign-in support

    def send_sms(self, msisdn: str, text: str) -> None:
        """Send a text message (content and number are never logged)."""
        body = tmf.sms_body(msisdn, text, self.settings.sms_sender)
        data, _ = self._call("POST", f"{COMMUNICATION}/communicationMessage", body=body)
        with _mapping("communicationMessage"):
            log.info("sms %s sent", tmf.text(tmf.obj(data)["id"]))

    def send_email(self, address: str, subject: str, text: str, sender: str = "") -> None:
        """Send an e-mail through TMF681 (address and content are never logged)."""
        body = tmf.email_body(address, subject, text, sender or self.settings.sms_sender)
        data, _ = self._call("POST", f"{COMMUNICATION}/communicationMessage", body=body)
        with _mapping("communicationMessage"):
            log.info("e-mail %s sent", tmf.text(tmf.obj(data)["id"]))

    def authenticate(self, partner_id: str, login: str, password: str) -> str:
        """Customer id for valid credentials; ``Rejected('invalidCredentials')`` otherwise."""
        body = {"partnerId": partner_id, "login": login, "password": password}
        response, request_id = self._transport("POST", f"{SELFCARE}/authenticate", body=body)
        if response.status_code == 401:
            # Here 401 is the customer's wrong login or password, not our platform credential.
            log.info("sign-in refused for partner %s (request %s)", partner_id, request_id)
            raise Rejected("invalidCredentials")
        if not 200 <= response.status_code < 300:
            self._raise_for(response, "POST", f"{SELFCARE}/authenticate", request_id)
        try:
            customer_id = tmf.text(tmf.obj(json.loads(response.content))["customerId"])
        except (ValueError, KeyError, TypeError):
            raise Unavailable("authenticate answered nonsense") from None
        if not customer_id:
            raise Unavailable("authenticate answered no customer")
        return customer_id

    def set_password(
        self, partner_id: str, customer_id: str, new_password: str, current_password: str | None = None
    ) -> None:
        """Set the password; with ``current_password``, only if the platform accepts it."""
        body = {"partnerId": partner_id, "customerId": customer_id, "newPassword": new_password}
        if current_password is not None:
            body["currentPassword"] = current_password
        response, request_id = self._transport("POST", f"{SELFCARE}/password", body=body)
        if response.status_code == 401:
            # The customer's current password was wrong, not our platform credential.
            raise Rejected("invalidCredentials")
        if not 200 <= response.status_code < 300:
            self._raise_for(response, "POST", f"{SELFCARE}/password", request_id)

    # ------------------------------------------------------------------ payments (TMF676, TMF654)

    def record_payment(
        self,
        customer_id: str,
        billing_account_id: str,
        invoice_id: str,
        amount: Decimal,
        idempotency_key: str,
        reference: str,
    ) -> Payment:
        """Record a bill payment; the same ``idempotency_key`` returns the first one (created=False)."""
        body = tmf.payment_body(
            customer_id, billing_account_id, invoice_id, amount, idempotency_key, reference
        )
        data, response = self._call("POST", f"{PAYMENT}/payment", body=body)
        with _mapping("payment"):
            result = tmf.payment(data, created=response.status_code == 201)
        log.info("payment %s of bill %s (created=%s)", result.id, invoice_id, result.created)
        return result

    def top_up(
        self,
        customer_id: str,
        billing_account_id: str,
        sim_product_id: str,
        bucket_id: str,
        amount: Decimal,
        idempotency_key: str,
    ) -> TopUp:
        """Top up a credit bucket; the same ``idempotency_key`` returns the first top-up."""
        body = tmf.topup_body(
            customer_id, billing_account_id, sim_product_id, bucket_id, amount, idempotency_key
        )
        data, response = self._call("POST", f"{PREPAY_BALANCE}/topupBalance", body=body)
        with _mapping("topupBalance"):
            result = tmf.top_up(data, created=response.status_code == 201)
        log.info("top-up %s of product %s (created=%s)", result.id, sim_product_id, result.created)
        return result

    def list_top_ups(self, sim_product_id: str) -> list[TopUp]:
        """Top-ups of the SIM, newest first."""
        items = self._get_list(f"{PREPAY_BALANCE}/topupBalance", {"product.id": sim_product_id})
        with _mapping("topupBalance"):
            own = _owned(
                items,
                lambda t: sim_product_id in {tmf.text(p["id"]) for p in tmf.objects(t.get("product"))},
                "topupBalance",
            )
            result = [tmf.top_up(t) for t in own]
        return sorted(result, key=lambda t: (t.requested is not None, t.requested), reverse=True)


# ---------------------------------------------------------------------- helpers


@contextmanager
def _mapping(resource: str) -> Iterator[None]:
    """Turn a shape error while mapping ``resource`` JSON into ``Unavailable``."""
    try:
        yield
    except PlatformError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        # Log the exception type and the field only: values may be personal data.
        log.warning("platform sent a malformed %s: %s %s", resource, type(exc).__name__, _safe_arg(exc))
        raise Unavailable(f"platform sent a malformed {resource}") from None


def _api_base(path: str) -> str:
    """The base path of the API ``path`` addresses (its circuit breaker's name)."""
    for base in API_BASES:
        if path == base or path.startswith(base + "/"):
            return base
    return "/" + path.lstrip("/").split("/", 1)[0]


def _read_body(response: requests.Response, at: float) -> bytes:
    """The whole (decoded) body of a streamed response, read by the deadline ``at``.

    Every ``recv`` underneath already ends by the deadline (:mod:`.deadline`); the check between
    chunks states the bound here as well.
    """
    chunks: list[bytes] = []
    while True:
        if time.monotonic() >= at:
            raise DeadlineExceeded("platform call deadline passed")
        chunk = response.raw.read(BODY_CHUNK, decode_content=True)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _owned(items: list[Any], belongs: Callable[[Any], bool], resource: str) -> list[Any]:
    """The items that really are what the filter asked for.

    A list filter is a request, not a guarantee: a server that ignores one would otherwise show
    another customer's data. What does not belong is dropped and the operator is told.
    """
    own = [item for item in items if belongs(item)]
    if len(own) != len(items):
        log.error("platform ignored a filter: %d foreign %s item(s) dropped", len(items) - len(own), resource)
    return own


def _precondition(read: requests.Response) -> dict[str, str]:
    """``If-Match`` with the ETag of the representation a write is based on, when there is one."""
    etag = read.headers.get("ETag")
    return {"If-Match": etag} if etag else {}


def _json_number(value: object) -> object:
    """JSON for the Decimals our parsing makes of platform numbers (sent back on a write)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _safe_arg(exc: Exception) -> str:
    """A missing key name is safe to log; other messages may quote values, so they are dropped."""
    return repr(exc.args[0]) if isinstance(exc, KeyError) and exc.args else ""


def _total_count(response: requests.Response) -> int | None:
    """``X-Total-Count`` of a TMF630 list (a SHOULD: None when absent); ``ValueError`` if garbled."""
    raw = response.headers.get("X-Total-Count")
    if raw is None:
        return None
    total = int(raw)
    if total < 0:
        raise ValueError("negative X-Total-Count")
    return total


def _unseen(items: list[Any], seen: set[str]) -> list[Any]:
    """The items not seen before (by ``id``, or whole content for an item without one)."""
    fresh = []
    for item in items:
        ident = item.get("id") if isinstance(item, dict) else None
        key = ident if isinstance(ident, str) and ident else json.dumps(item, sort_keys=True, default=str)
        if key not in seen:
            seen.add(key)
            fresh.append(item)
    return fresh


def _error_code_reason(response: requests.Response) -> tuple[str, str]:
    """``(code, reason)`` of a TMF error body; empty strings when the body isn't one."""
    try:
        data = json.loads(response.content)
    except ValueError:
        return "", ""
    if not isinstance(data, dict):
        return "", ""
    code = data.get("code")
    reason = data.get("reason") or data.get("message")
    return (str(code) if code is not None else ""), (reason if isinstance(reason, str) else "")
