"""A read-through cache in front of any Platform, in the shared store (Redis).

Per-kind TTLs; what a customer changes through the widget (contact details, SIM settings, package
orders) invalidates that customer's entries at once, so customers always see their own actions.
Invalidation is by generation: customer-scoped keys embed the customer's generation counter, and
a write bumps it (old entries simply age out). Call logs, sign-in and SMS are never cached.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar, cast

import redis

from . import codec
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
    SimSettings,
    TopUp,
    UnitBucket,
    UsageFilter,
    UsagePage,
    UsageSummary,
)
from .port import Platform

log = logging.getLogger(__name__)
T = TypeVar("T")

PREFIX = "sc:cache:"

#: seconds each kind of data may be served from the cache
TTL = {
    "customer": 300,
    "sims": 120,
    "packages": 120,
    "settings": 60,
    "card": 600,
    "offers": 600,  # the catalog: shared by all customers of a tariff
    "accounts": 600,
    "invoices": 300,
    "invoice": 600,
    "lines": 3600,  # lines of an issued bill do not change
    "spend": 60,  # unbilled charges grow with usage; also invalidated by the customer's own orders
    "buckets": 30,  # remaining units move with usage; the overview shows "as of"
}
OWNER_TTL = 3600


class CachedPlatform:
    """Platform decorator: same methods, cached reads, invalidating writes."""

    def __init__(self, inner: Platform, store: redis.Redis) -> None:
        self.inner = inner
        self.store = store

    def __getattr__(self, name: str) -> Any:
        # Anything not cached (e.g. the adapter's own attributes) is the inner adapter's.
        return getattr(self.inner, name)

    # -- plumbing --------------------------------------------------------------------------

    def _generation(self, scope: str) -> str:
        # The store is built with decode_responses=True (store.connect): replies are str.
        return cast("str | None", self.store.get(f"{PREFIX}gen:{scope}")) or "0"

    def _bump(self, *scopes: str) -> None:
        for scope in scopes:
            self.store.incr(f"{PREFIX}gen:{scope}")

    def _cached(self, kind: str, key: str, tp: type[T], load: Callable[[], T]) -> T:
        full_key = f"{PREFIX}{kind}:{key}"
        try:
            hit = cast("str | None", self.store.get(full_key))  # decode_responses=True: str
        except redis.RedisError:
            log.warning("cache unavailable; reading from the platform")
            return load()
        if hit is not None:
            try:
                # codec.loads rebuilds a value of type ``tp``, and ``tp`` is ``type[T]``.
                return cast(T, codec.loads(tp, hit))
            except (KeyError, TypeError, ValueError):
                # An entry written by an older release (a field since added): read it afresh.
                log.info("stale %s cache entry; reading from the platform", kind)
        value = load()
        try:
            self.store.set(full_key, codec.dumps(value), ex=TTL[kind])
        except redis.RedisError:
            log.warning("cache unavailable; entry not stored")
        return value

    def _customer_key(self, customer_id: str) -> str:
        return f"{customer_id}:{self._generation('c:' + customer_id)}"

    def _remember_owner(self, customer_id: str, ids: list[str]) -> None:
        if ids:
            self.store.mset({f"{PREFIX}owner:{i}": customer_id for i in ids})
            for i in ids:
                self.store.expire(f"{PREFIX}owner:{i}", OWNER_TTL)

    # -- customer ----------------------------------------------------------------------------

    def get_customer(self, customer_id: str) -> Customer:
        return self._cached(
            "customer",
            self._customer_key(customer_id),
            Customer,
            lambda: self.inner.get_customer(customer_id),
        )

    def update_contact(self, customer_id: str, contact: ContactDetails, fields: set[str]) -> Customer:
        try:
            return self.inner.update_contact(customer_id, contact, fields)
        finally:
            self._bump("c:" + customer_id)

    # -- SIMs and packages -----------------------------------------------------------------

    def list_sims(self, customer_id: str) -> list[Sim]:
        def load() -> list[Sim]:
            sims = self.inner.list_sims(customer_id)
            self._remember_owner(
                customer_id,
                [s.service_id for s in sims]
                + [s.product_id for s in sims]
                + sorted({s.billing_account_id for s in sims} - {""}),
            )
            return sims

        return self._cached("sims", self._customer_key(customer_id), list[Sim], load)

    def list_packages(self, customer_id: str) -> list[Package]:
        return self._cached(
            "packages",
            self._customer_key(customer_id),
            list[Package],
            lambda: self.inner.list_packages(customer_id),
        )

    def list_sim_settings(self, customer_id: str) -> list[SimSettings]:
        def load() -> list[SimSettings]:
            settings = self.inner.list_sim_settings(customer_id)
            self._remember_owner(customer_id, [s.service_id for s in settings])
            return settings

        return self._cached("settings", self._customer_key(customer_id), list[SimSettings], load)

    def update_sim_settings(self, service_id: str, changes: dict[str, bool]) -> SimSettings:
        try:
            return self.inner.update_sim_settings(service_id, changes)
        finally:
            owner = cast("str | None", self.store.get(f"{PREFIX}owner:{service_id}"))  # decoded: str
            if owner:
                self._bump("c:" + owner)
            else:  # unknown owner: nothing of this customer can be trusted to be fresh
                log.warning("settings change of a service with no known owner; cache not invalidated")

    def get_sim_card(self, resource_id: str) -> SimCard:
        return self._cached("card", resource_id, SimCard, lambda: self.inner.get_sim_card(resource_id))

    def find_customer_by_msisdn(self, msisdn: str) -> str:
        return self.inner.find_customer_by_msisdn(msisdn)

    # -- catalog and ordering ----------------------------------------------------------------

    def list_package_offers(self, tariff_offering_id: str) -> list[PackageOffer]:
        return self._cached(
            "offers",
            tariff_offering_id,
            list[PackageOffer],
            lambda: self.inner.list_package_offers(tariff_offering_id),
        )

    def order_package(
        self, customer_id: str, sim_product_id: str, offering_id: str, idempotency_key: str
    ) -> Order:
        try:
            return self.inner.order_package(customer_id, sim_product_id, offering_id, idempotency_key)
        finally:
            self._bump("c:" + customer_id, "p:" + sim_product_id)

    # -- billing ---------------------------------------------------------------------------------

    def list_billing_accounts(self, customer_id: str) -> list[BillingAccount]:
        return self._cached(
            "accounts",
            self._customer_key(customer_id),
            list[BillingAccount],
            lambda: self.inner.list_billing_accounts(customer_id),
        )

    def list_invoices(self, billing_account_id: str) -> list[Invoice]:
        return self._cached(
            "invoices",
            billing_account_id,
            list[Invoice],
            lambda: self.inner.list_invoices(billing_account_id),
        )

    def get_invoice(self, invoice_id: str) -> Invoice:
        return self._cached("invoice", invoice_id, Invoice, lambda: self.inner.get_invoice(invoice_id))

    def list_invoice_lines(self, invoice_id: str) -> list[InvoiceLine]:
        return self._cached(
            "lines", invoice_id, list[InvoiceLine], lambda: self.inner.list_invoice_lines(invoice_id)
        )

    def current_spend(self, billing_account_id: str) -> CurrentSpend | None:
        # Keyed by the owner's generation (list_sims remembers who owns the account), so the
        # customer's own order shows in the spend at once.
        owner = cast("str | None", self.store.get(f"{PREFIX}owner:{billing_account_id}"))
        key = f"{billing_account_id}:{self._generation('c:' + owner) if owner else '0'}"
        tp = cast("type[CurrentSpend | None]", CurrentSpend | None)
        return self._cached("spend", key, tp, lambda: self.inner.current_spend(billing_account_id))

    # -- call log: never cached (filters vary, the platform pages) ----------------------------

    def list_usage(self, customer_id: str, filter: UsageFilter, offset: int, limit: int) -> UsagePage:
        return self.inner.list_usage(customer_id, filter, offset, limit)

    def usage_summary(self, customer_id: str, filter: UsageFilter) -> UsageSummary:
        return self.inner.usage_summary(customer_id, filter)

    # -- balances ----------------------------------------------------------------------------------

    def list_buckets(self, sim_product_ids: list[str]) -> list[UnitBucket]:
        ids = sorted(sim_product_ids)
        if not ids:
            return []
        # decode_responses=True (store.connect): each reply is str, or None for a missing key.
        generations = cast("list[str | None]", self.store.mget([f"{PREFIX}gen:p:{i}" for i in ids]))
        digest = hashlib.sha256(
            "|".join(f"{i}={g or 0}" for i, g in zip(ids, generations, strict=True)).encode()
        ).hexdigest()[:32]
        return self._cached(
            "buckets", digest, list[UnitBucket], lambda: self.inner.list_buckets(sim_product_ids)
        )

    # -- sign-in support: never cached -----------------------------------------------------------

    def send_sms(self, msisdn: str, text: str) -> None:
        self.inner.send_sms(msisdn, text)

    def authenticate(self, partner_id: str, login: str, password: str) -> str:
        return self.inner.authenticate(partner_id, login, password)

    def set_password(
        self, partner_id: str, customer_id: str, new_password: str, current_password: str | None = None
    ) -> None:
        self.inner.set_password(partner_id, customer_id, new_password, current_password)

    # -- payments and top-ups: writes invalidate the bill and the credit ---------------------------

    def record_payment(
        self,
        customer_id: str,
        billing_account_id: str,
        invoice_id: str,
        amount: Decimal,
        idempotency_key: str,
        reference: str,
    ) -> Payment:
        try:
            return self.inner.record_payment(
                customer_id, billing_account_id, invoice_id, amount, idempotency_key, reference
            )
        finally:
            # Bills are cached by id and by account (no customer generation): drop both.
            self.store.delete(f"{PREFIX}invoice:{invoice_id}", f"{PREFIX}invoices:{billing_account_id}")
            self._bump("c:" + customer_id)

    def top_up(
        self,
        customer_id: str,
        billing_account_id: str,
        sim_product_id: str,
        bucket_id: str,
        amount: Decimal,
        idempotency_key: str,
    ) -> TopUp:
        try:
            return self.inner.top_up(
                customer_id, billing_account_id, sim_product_id, bucket_id, amount, idempotency_key
            )
        finally:
            self._bump("c:" + customer_id, "p:" + sim_product_id)

    def list_top_ups(self, sim_product_id: str) -> list[TopUp]:
        # Never cached: the history is read right after a top-up to show it.
        return self.inner.list_top_ups(sim_product_id)
