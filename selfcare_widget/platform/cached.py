"""A read-through cache in front of any Platform, in the shared store (Redis).

Per-kind TTLs; what a customer changes through the widget (contact details, SIM settings, package
orders) invalidates that customer's entries at once, so customers always see their own actions.
Invalidation is by generation: customer-scoped keys embed the customer's generation counter, and
a write bumps it (old entries simply age out). Sign-in and SMS are never cached; the call log's
most recent page and totals are, briefly (:data:`TTL` ``usage``).

Within a web request (:meth:`CachedPlatform.begin_request` .. :meth:`~CachedPlatform.end_request`)
everything cached for the signed-in customer is read in ONE round trip: the entries live in one
hash per customer (the *snapshot*), each stamped with the generation it was written under and its
expiry, and the request reads the generation and the whole hash in one pipeline. Data keyed by an
account, a SIM or a tariff joins the snapshot of the customer whose own data (customer, SIMs,
billing accounts) named that id in this request, so a customer's hash only ever holds their own
data. Outside a request (workers, tests of the port) every read is a key of its own, as before.
"""

from __future__ import annotations

import hashlib
import logging
import random
import time
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
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
    UsageSummary,
)
from .port import Platform

log = logging.getLogger(__name__)
T = TypeVar("T")

PREFIX = "sc:cache:"


def _generation_key(scope: str) -> str:
    """``sc:cache:gen:c:{CUSTOMER}`` / ``…:p:{SIM}``: the id is a Redis Cluster hash tag, so that a
    customer's generation and snapshot (read in one pipeline) share a slot (store.tag)."""
    kind, _, identifier = scope.partition(":")
    return f"{PREFIX}gen:{kind}:{{{identifier}}}"


def _snapshot_key(customer_id: str) -> str:
    return f"{PREFIX}snapshot:{{{customer_id}}}"


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
    "usage": 30,  # the call log's last page + totals: the section reopened, a filter toggled back
}
OWNER_TTL = 3600


def _fresh_for(kind: str) -> int:
    """Seconds a ``kind`` read now is kept: its TTL less up to a fifth, at random.

    Entries written together (a burst of sign-ins after a campaign e-mail, a load test's warm-up)
    then do not all expire, and reload from the platform, in the same second; never longer than
    the TTL, so what :data:`TTL` promises about freshness holds.
    """
    ttl = TTL[kind]
    return ttl - random.randint(0, ttl // 5)  # noqa: S311 - spreading load, not a secret


#: A customer's snapshot hash lives as long as its longest-lived entry (each entry has its own).
SNAPSHOT_TTL = max(TTL.values())
#: Larger call-log pages (the CSV export's chunks) are not worth keeping in the snapshot.
USAGE_CACHE_MAX_LIMIT = 200


@dataclass
class _Snapshot:
    """One customer's cached entries, read once per request (generation + hash in one trip)."""

    generation: str
    #: field (``kind:key``) -> ``"generation|expires|tag|json"``; ``tag`` tells which call-log
    #: query an entry answers (the snapshot keeps only the most recent one), else ""
    entries: dict[str, str]
    #: ids (accounts, SIM products and services, tariffs) this customer's own data named
    owned: set[str] = field(default_factory=set)
    #: kept texts read along with the snapshot (``memo`` key -> stored value or None)
    memos: dict[str, str | None] = field(default_factory=dict)

    def get(self, name: str, tag: str = "") -> str | None:
        """The JSON of a live entry written under the current generation (and ``tag``), else None."""
        raw = self.entries.get(name)
        if raw is None:
            return None
        generation, expires, entry_tag, text = raw.split("|", 3)
        if generation != self.generation or entry_tag != tag or float(expires) <= time.time():
            return None
        _valid_until(float(expires))
        return text

    def entry(self, text: str, ttl: int, tag: str = "") -> str:
        """``text`` stamped as an entry of this snapshot."""
        return f"{self.generation}|{time.time() + ttl:.0f}|{tag}|{text}"


#: The customers' snapshots read by the current request; None outside a request.
_request_snapshots: ContextVar[dict[str, _Snapshot] | None] = ContextVar("selfcare_snapshots", default=None)
#: While :meth:`CachedPlatform.memo` builds a text: until when everything it read stays valid.
_horizon: ContextVar[float | None] = ContextVar("selfcare_memo_horizon", default=None)


def _valid_until(expires: float) -> None:
    """Note that what is being read now is valid only until ``expires`` (unix seconds)."""
    horizon = _horizon.get()
    if horizon is not None and expires < horizon:
        _horizon.set(expires)


def _memo_key(customer_id: str, name: str) -> str:
    digest = hashlib.sha256(name.encode()).hexdigest()[:24]
    return f"{PREFIX}memo:{{{customer_id}}}:{digest}"


class CachedPlatform:
    """Platform decorator: same methods, cached reads, invalidating writes."""

    def __init__(self, inner: Platform, store: redis.Redis) -> None:
        self.inner = inner
        self.store = store

    def __getattr__(self, name: str) -> Any:
        # Anything not cached (e.g. the adapter's own attributes) is the inner adapter's.
        attribute = getattr(self.inner, name)
        if not callable(attribute):
            return attribute

        def uncached(*args: Any, **kwargs: Any) -> Any:
            _valid_until(0)  # read live: a text built from it must not be kept
            return attribute(*args, **kwargs)

        return uncached

    def memo(self, customer_id: str, name: str, build: Callable[[], str | None], max_age: int) -> str | None:
        """``build()``'s text for the customer, kept under ``name`` (e.g. a rendered fragment).

        A kept text is used for at most ``max_age`` seconds, never after any cached data it was
        built from expires, and never after a change of the customer's data (it carries their
        generation). A text built from live (uncached) reads, during a request that changed the
        customer's data, or for which ``build`` returns None, is not kept. Outside a request
        (no snapshot) it is simply built. Read in the same round trip as the customer's snapshot.
        """
        snapshots = _request_snapshots.get()
        if snapshots is None:
            return build()
        key = _memo_key(customer_id, name)
        try:
            if customer_id not in snapshots:  # the snapshot and the text in one round trip
                with self.store.pipeline(transaction=False) as pipe:
                    take = self.read_with(pipe, customer_id, [name])
                    take(pipe.execute())
            memos = snapshots[customer_id].memos  # texts read with the snapshot (or the session)
            kept = memos.pop(key) if key in memos else cast("str | None", self.store.get(key))
        except redis.RedisError:
            log.warning("cache unavailable; building afresh")
            return build()
        snapshot = snapshots[customer_id]
        now = time.time()
        if kept:
            generation, expires, kept_text = kept.split("|", 2)
            if generation == snapshot.generation and float(expires) > now:
                return kept_text
        token = _horizon.set(now + max_age)
        try:
            text = build()
            horizon = cast(float, _horizon.get())
        finally:
            _horizon.reset(token)
        lifetime = int(horizon - time.time())
        unchanged = (_request_snapshots.get() or {}).get(customer_id) is snapshot  # _bump drops it
        if text is not None and lifetime >= 1 and unchanged:
            try:
                self.store.set(key, f"{snapshot.generation}|{horizon:.0f}|{text}", ex=lifetime)
            except redis.RedisError:
                log.warning("cache unavailable; text not kept")
        return text

    # -- plumbing --------------------------------------------------------------------------

    def begin_request(self) -> None:
        """A web request starts: each customer's snapshot is read at most once until it ends."""
        _request_snapshots.set({})

    def end_request(self, _exc: BaseException | None = None) -> None:
        """The request ended: forget its snapshots (the next request reads them afresh)."""
        _request_snapshots.set(None)

    def read_with(
        self, pipe: Any, customer_id: str, memo_names: Iterable[str] = ()
    ) -> Callable[[list[Any]], None]:
        """Add the reads of the customer's snapshot, and of the texts kept under ``memo_names``,
        to ``pipe`` (another read's round trip, e.g. the session's); returns what takes their
        replies in as this request's snapshot."""
        keys = [_memo_key(customer_id, name) for name in memo_names]
        pipe.get(_generation_key("c:" + customer_id))
        pipe.hgetall(_snapshot_key(customer_id))
        for key in keys:
            pipe.get(key)

        def take(replies: list[Any]) -> None:
            snapshots = _request_snapshots.get()
            if snapshots is not None and customer_id not in snapshots:
                generation, entries, *kept = replies
                snapshot = _Snapshot(generation or "0", entries)
                snapshot.memos.update(zip(keys, kept, strict=True))
                snapshots[customer_id] = snapshot

        return take

    def _snapshot(self, customer_id: str) -> _Snapshot | None:
        """The request's snapshot of ``customer_id`` (read now if not yet); None outside a request
        or when the store is unavailable."""
        snapshots = _request_snapshots.get()
        if snapshots is None:
            return None
        if customer_id not in snapshots:
            try:
                with self.store.pipeline(transaction=False) as pipe:  # one round trip
                    take = self.read_with(pipe, customer_id)
                    take(pipe.execute())
            except redis.RedisError:
                log.warning("cache unavailable; reading from the platform")
                return None
        return snapshots[customer_id]

    def _owner_snapshot(self, ids: Iterable[str]) -> tuple[str, _Snapshot] | None:
        """The request's snapshot (and its customer) whose own data named every one of ``ids``."""
        wanted = set(ids)
        for customer_id, snapshot in (_request_snapshots.get() or {}).items():
            if wanted <= snapshot.owned:
                return customer_id, snapshot
        return None

    def _from_snapshot(
        self,
        customer_id: str,
        snapshot: _Snapshot,
        name: str,
        tp: type[T],
        load: Callable[[], T],
        tag: str = "",
    ) -> T:
        """``name`` (``kind:key``) from the snapshot, else loaded and written into it."""
        text = snapshot.get(name, tag)
        if text is not None:
            try:
                return cast(T, codec.loads(tp, text))
            except (KeyError, TypeError, ValueError):
                log.info("stale %s cache entry; reading from the platform", name)
        value = load()
        ttl = _fresh_for(name.split(":", 1)[0])
        _valid_until(time.time() + ttl)
        entry = snapshot.entry(codec.dumps(value), ttl, tag)
        snapshot.entries[name] = entry
        key = _snapshot_key(customer_id)
        try:
            with self.store.pipeline(transaction=False) as pipe:
                pipe.hset(key, name, entry)
                pipe.expire(key, SNAPSHOT_TTL)
                pipe.execute()
        except redis.RedisError:
            log.warning("cache unavailable; entry not stored")
        return value

    def _customer_read(self, kind: str, customer_id: str, tp: type[T], load: Callable[[], T]) -> T:
        """A read keyed by the customer: from the request's snapshot, else its own key."""
        snapshot = self._snapshot(customer_id)
        if snapshot is not None:
            return self._from_snapshot(customer_id, snapshot, kind, tp, load)
        return self._cached(kind, self._customer_key(customer_id), tp, load)

    def _owned_read(
        self, kind: str, ids: list[str], key: str, tp: type[T], load: Callable[[], T]
    ) -> T | None:
        """A read keyed by ids of a customer's own data, from that customer's snapshot in this
        request; None (read it the old way) when no snapshot of this request named them all."""
        owner = self._owner_snapshot(ids)
        if owner is None:
            return None
        return self._from_snapshot(owner[0], owner[1], f"{kind}:{key}", tp, load)

    def _generation(self, scope: str) -> str:
        # The store is built with decode_responses=True (store.connect): replies are str.
        return cast("str | None", self.store.get(_generation_key(scope))) or "0"

    def _bump(self, *scopes: str) -> None:
        snapshots = _request_snapshots.get() or {}
        for scope in scopes:
            self.store.incr(_generation_key(scope))
            if scope.startswith("c:"):  # what this request read of the customer is stale now
                snapshots.pop(scope.removeprefix("c:"), None)

    def _cached(self, kind: str, key: str, tp: type[T], load: Callable[[], T]) -> T:
        full_key = f"{PREFIX}{kind}:{key}"
        _valid_until(time.time() + TTL[kind])  # at most; the memo's own limit bounds the rest
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
            self.store.set(full_key, codec.dumps(value), ex=_fresh_for(kind))
        except redis.RedisError:
            log.warning("cache unavailable; entry not stored")
        return value

    def _customer_key(self, customer_id: str) -> str:
        return f"{customer_id}:{self._generation('c:' + customer_id)}"

    def _remember_owner(self, customer_id: str, ids: list[str]) -> None:
        if ids:
            # SET per key, not MSET: the keys lie in different slots of a Redis Cluster
            with self.store.pipeline(transaction=False) as pipe:
                for i in ids:
                    pipe.set(f"{PREFIX}owner:{i}", customer_id, ex=OWNER_TTL)
                pipe.execute()

    # -- customer ----------------------------------------------------------------------------

    def _own(self, customer_id: str, ids: Iterable[str]) -> None:
        """Note ids the customer's own data names, for reads keyed by them in this request."""
        snapshot = (_request_snapshots.get() or {}).get(customer_id)
        if snapshot is not None:
            snapshot.owned.update(i for i in ids if i)

    def get_customer(self, customer_id: str) -> Customer:
        customer = self._customer_read(
            "customer", customer_id, Customer, lambda: self.inner.get_customer(customer_id)
        )
        self._own(customer_id, customer.billing_account_ids)
        return customer

    def update_contact(self, customer_id: str, contact: ContactDetails, fields: set[str]) -> Customer:
        try:
            return self.inner.update_contact(customer_id, contact, fields)
        finally:
            self._bump("c:" + customer_id)

    def update_usage_alerts(self, customer_id: str, alerts: tuple[UsageAlert, ...]) -> Customer:
        try:
            return self.inner.update_usage_alerts(customer_id, alerts)
        finally:
            self._bump("c:" + customer_id)

    def list_alert_customers(self, partner_id: str) -> list[Customer]:
        # Never cached: the alerts process reads it once per pass, and a change must count at once.
        _valid_until(0)  # a live read: nothing built from it is kept (memo)
        return self.inner.list_alert_customers(partner_id)

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

        sims = self._customer_read("sims", customer_id, list[Sim], load)
        self._own(
            customer_id,
            (
                i
                for s in sims
                for i in (s.product_id, s.service_id, s.billing_account_id, s.tariff.offering_id)
            ),
        )
        return sims

    def list_packages(self, customer_id: str) -> list[Package]:
        return self._customer_read(
            "packages", customer_id, list[Package], lambda: self.inner.list_packages(customer_id)
        )

    def list_sim_settings(self, customer_id: str) -> list[SimSettings]:
        def load() -> list[SimSettings]:
            settings = self.inner.list_sim_settings(customer_id)
            self._remember_owner(customer_id, [s.service_id for s in settings])
            return settings

        return self._customer_read("settings", customer_id, list[SimSettings], load)

    def update_sim_settings(self, service_id: str, changes: dict[str, bool | int]) -> SimSettings:
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

    def get_sim_secrets(self, resource_id: str) -> SimSecrets:
        # Never cached: PIN, PUK and activation codes must not sit in the shared store.
        _valid_until(0)  # a live read: nothing built from it is kept (memo)
        return self.inner.get_sim_secrets(resource_id)

    def order_sim_replacement(
        self,
        customer_id: str,
        sim_product_id: str,
        kind: SimKind,
        delivery: ContactDetails | None,
        idempotency_key: str,
    ) -> Order:
        try:
            return self.inner.order_sim_replacement(
                customer_id, sim_product_id, kind, delivery, idempotency_key
            )
        finally:  # the line now has another SIM card (and may be in service again)
            self._bump("c:" + customer_id, "p:" + sim_product_id)

    def find_customer_by_msisdn(self, msisdn: str) -> str:
        _valid_until(0)  # a live read: nothing built from it is kept (memo)
        return self.inner.find_customer_by_msisdn(msisdn)

    # -- catalog and ordering ----------------------------------------------------------------

    def list_package_offers(self, tariff_offering_id: str) -> list[PackageOffer]:
        def load() -> list[PackageOffer]:
            return self.inner.list_package_offers(tariff_offering_id)

        owned = self._owned_read("offers", [tariff_offering_id], tariff_offering_id, list[PackageOffer], load)
        if owned is not None:
            return owned
        return self._cached("offers", tariff_offering_id, list[PackageOffer], load)

    def order_package(
        self, customer_id: str, sim_product_id: str, offering_id: str, idempotency_key: str
    ) -> Order:
        try:
            return self.inner.order_package(customer_id, sim_product_id, offering_id, idempotency_key)
        finally:
            self._bump("c:" + customer_id, "p:" + sim_product_id)

    def get_tariff(self, offering_id: str) -> TariffOffer:
        return self._cached(
            "offers", "tariff:" + offering_id, TariffOffer, lambda: self.inner.get_tariff(offering_id)
        )

    def list_tariff_offers(self, tariff_offering_id: str) -> list[TariffOffer]:
        return self._cached(
            "offers",
            "tariffs:" + tariff_offering_id,
            list[TariffOffer],
            lambda: self.inner.list_tariff_offers(tariff_offering_id),
        )

    def change_tariff(
        self, customer_id: str, sim_product_id: str, offering_id: str, idempotency_key: str
    ) -> TariffChange:
        try:
            return self.inner.change_tariff(customer_id, sim_product_id, offering_id, idempotency_key)
        finally:
            # The SIM's tariff (or its pending change) and its allowances change: SIMs, overview
            # and buckets of this customer and SIM are read afresh.
            self._bump("c:" + customer_id, "p:" + sim_product_id)

    # -- billing ---------------------------------------------------------------------------------

    def list_billing_accounts(self, customer_id: str) -> list[BillingAccount]:
        accounts = self._customer_read(
            "accounts",
            customer_id,
            list[BillingAccount],
            lambda: self.inner.list_billing_accounts(customer_id),
        )
        self._own(customer_id, (a.id for a in accounts))
        return accounts

    def list_invoices(self, billing_account_id: str) -> list[Invoice]:
        def load() -> list[Invoice]:
            return self.inner.list_invoices(billing_account_id)

        owned = self._owned_read("invoices", [billing_account_id], billing_account_id, list[Invoice], load)
        if owned is not None:
            return owned
        return self._cached("invoices", billing_account_id, list[Invoice], load)

    def get_invoice(self, invoice_id: str) -> Invoice:
        return self._cached("invoice", invoice_id, Invoice, lambda: self.inner.get_invoice(invoice_id))

    def list_invoice_lines(self, invoice_id: str) -> list[InvoiceLine]:
        return self._cached(
            "lines", invoice_id, list[InvoiceLine], lambda: self.inner.list_invoice_lines(invoice_id)
        )

    def current_spend(self, billing_account_id: str) -> CurrentSpend | None:
        # Keyed by the owner's generation (list_sims remembers who owns the account), so the
        # customer's own order shows in the spend at once.
        tp = cast("type[CurrentSpend | None]", CurrentSpend | None)

        def load() -> CurrentSpend | None:
            return self.inner.current_spend(billing_account_id)

        if (owned := self._owner_snapshot([billing_account_id])) is not None:
            return self._from_snapshot(*owned, f"spend:{billing_account_id}", tp, load)
        owner = cast("str | None", self.store.get(f"{PREFIX}owner:{billing_account_id}"))
        key = f"{billing_account_id}:{self._generation('c:' + owner) if owner else '0'}"
        return self._cached("spend", key, tp, load)

    # -- call log: the most recent page and totals, briefly, in a request only ----------------

    def list_usage(self, customer_id: str, filter: UsageFilter, offset: int, limit: int) -> UsagePage:
        def load() -> UsagePage:
            return self.inner.list_usage(customer_id, filter, offset, limit)

        snapshot = self._snapshot(customer_id) if limit <= USAGE_CACHE_MAX_LIMIT else None
        if snapshot is None:
            _valid_until(0)  # a live read: nothing built from it is kept (memo)
            return load()
        tag = _digest(f"{codec.dumps(filter)}|{offset}|{limit}")
        return self._from_snapshot(customer_id, snapshot, "usage:page", UsagePage, load, tag)

    def usage_summary(self, customer_id: str, filter: UsageFilter) -> UsageSummary:
        def load() -> UsageSummary:
            return self.inner.usage_summary(customer_id, filter)

        snapshot = self._snapshot(customer_id)
        if snapshot is None:
            return load()
        tag = _digest(codec.dumps(filter))
        return self._from_snapshot(customer_id, snapshot, "usage:summary", UsageSummary, load, tag)

    # -- balances ----------------------------------------------------------------------------------

    def list_buckets(self, sim_product_ids: list[str]) -> list[UnitBucket]:
        ids = sorted(sim_product_ids)
        if not ids:
            return []

        def load() -> list[UnitBucket]:
            return self.inner.list_buckets(sim_product_ids)

        # In the customer's snapshot the SIMs' own generations are not consulted: every write
        # that bumps a SIM ("p:") bumps its customer ("c:") too, which the snapshot follows.
        owned = self._owned_read("buckets", ids, ",".join(ids), list[UnitBucket], load)
        if owned is not None:
            return owned
        # decode_responses=True (store.connect): each reply is str, or None for a missing key.
        with self.store.pipeline(transaction=False) as pipe:  # not MGET: one slot per SIM in a Cluster
            for i in ids:
                pipe.get(_generation_key("p:" + i))
            generations = cast("list[str | None]", pipe.execute())
        digest = hashlib.sha256(
            "|".join(f"{i}={g or 0}" for i, g in zip(ids, generations, strict=True)).encode()
        ).hexdigest()[:32]
        return self._cached("buckets", digest, list[UnitBucket], load)

    # -- sign-in support: never cached -----------------------------------------------------------

    def send_sms(self, msisdn: str, text: str) -> None:
        self.inner.send_sms(msisdn, text)

    def send_email(self, address: str, subject: str, text: str, sender: str = "") -> None:
        self.inner.send_email(address, subject, text, sender)

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
        _valid_until(0)  # a live read: nothing built from it is kept (memo)
        return self.inner.list_top_ups(sim_product_id)


def _digest(text: str) -> str:
    """A short fingerprint of a call-log query, telling its cached page and totals apart."""
    return hashlib.sha256(text.encode()).hexdigest()[:32]
