"""The platform port: everything the widget needs from the MVNE platform, one method per need.

Implemented by :class:`~selfcare_widget.platform.tmf.TmfPlatform` (TM Forum v4 over HTTP) and
wrapped by :class:`~selfcare_widget.platform.cached.CachedPlatform`. Methods raise only the
errors of :mod:`selfcare_widget.platform.errors`.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

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


class Platform(Protocol):
    """What the widget asks of the platform (see docs/platform-contract.md)."""

    # customer and contact details (TMF629)
    def get_customer(self, customer_id: str) -> Customer: ...

    def update_contact(self, customer_id: str, contact: ContactDetails, fields: set[str]) -> Customer:
        """Change only the named ``fields`` of the contact details; returns the customer."""
        ...

    # usage-alert preferences (TMF629 characteristic ``usageAlerts``)
    def update_usage_alerts(self, customer_id: str, alerts: tuple[UsageAlert, ...]) -> Customer:
        """Replace the customer's usage-alert preferences (all SIMs); returns the customer."""
        ...

    def list_alert_customers(self, partner_id: str) -> list[Customer]:
        """The partner's customers with usage alerts on (the alerts process reads these)."""
        ...

    # SIMs, packages (TMF637), settings (TMF638), SIM card (TMF639)
    def list_sims(self, customer_id: str) -> list[Sim]: ...

    def list_packages(self, customer_id: str) -> list[Package]: ...

    def list_sim_settings(self, customer_id: str) -> list[SimSettings]: ...

    def update_sim_settings(self, service_id: str, changes: dict[str, bool | int]) -> SimSettings:
        """Apply ``changes`` (domain names of :class:`SimSettings`) and return the new state."""
        ...

    def get_sim_card(self, resource_id: str) -> SimCard: ...

    def get_sim_secrets(self, resource_id: str) -> SimSecrets:
        """PIN, PUK (and an eSIM's activation code) of the SIM card; never cached."""
        ...

    def order_sim_replacement(
        self,
        customer_id: str,
        sim_product_id: str,
        kind: SimKind,
        delivery: ContactDetails | None,
        idempotency_key: str,
    ) -> Order:
        """Order a new SIM card for the line (TMF622); ``delivery``: where a plastic card goes.
        The same ``idempotency_key`` returns the first order (created=False)."""
        ...

    def find_customer_by_msisdn(self, msisdn: str) -> str:
        """Customer id owning the SIM with this MSISDN (digits only); raises NotFound."""
        ...

    # catalog (TMF620) and ordering (TMF622)
    def list_package_offers(self, tariff_offering_id: str) -> list[PackageOffer]:
        """Launched add-on offerings that may be ordered for the given tariff."""
        ...

    def order_package(
        self, customer_id: str, sim_product_id: str, offering_id: str, idempotency_key: str
    ) -> Order: ...

    def get_tariff(self, offering_id: str) -> TariffOffer:
        """One tariff offering (the current tariff of a line, for the comparison)."""
        ...

    def list_tariff_offers(self, tariff_offering_id: str) -> list[TariffOffer]:
        """Launched tariffs a line on the given tariff may change to (``changeFrom`` it)."""
        ...

    def change_tariff(
        self, customer_id: str, sim_product_id: str, offering_id: str, idempotency_key: str
    ) -> TariffChange:
        """TMF622 ``modify`` order; the same ``idempotency_key`` returns the first order."""
        ...

    # billing (TMF666, TMF678)
    def list_billing_accounts(self, customer_id: str) -> list[BillingAccount]: ...

    def list_invoices(self, billing_account_id: str) -> list[Invoice]:
        """Bills of the account, newest first."""
        ...

    def get_invoice(self, invoice_id: str) -> Invoice: ...

    def list_invoice_lines(self, invoice_id: str) -> list[InvoiceLine]: ...

    def current_spend(self, billing_account_id: str) -> CurrentSpend | None:
        """Charges not yet billed (TMF678 rates with ``isBilled=false``); None when the platform
        does not offer them (404/501)."""
        ...

    # call log (TMF635 + summary extension)
    def list_usage(self, customer_id: str, filter: UsageFilter, offset: int, limit: int) -> UsagePage:
        """One page of the filtered call log, newest first."""
        ...

    def usage_summary(self, customer_id: str, filter: UsageFilter) -> UsageSummary: ...

    # balances (TMF654)
    def list_buckets(self, sim_product_ids: list[str]) -> list[UnitBucket]:
        """All buckets (credit and units) of the given SIM and package products, in one call."""
        ...

    # sign-in support (TMF681 + authenticate extension)
    def send_sms(self, msisdn: str, text: str) -> None: ...

    def send_email(self, address: str, subject: str, text: str, sender: str = "") -> None:
        """Send an e-mail (TMF681 ``messageType`` ``Email``); ``sender``: the name it comes from."""
        ...

    def authenticate(self, partner_id: str, login: str, password: str) -> str:
        """Customer id for valid credentials; raises Rejected('invalidCredentials') otherwise."""
        ...

    def set_password(
        self, partner_id: str, customer_id: str, new_password: str, current_password: str | None = None
    ) -> None:
        """Set the customer's password. With ``current_password`` the platform checks it first
        (``Rejected('invalidCredentials')`` when wrong); without, the caller has verified the
        customer itself (a reset after a code sent to the line)."""
        ...

    # payments (TMF676) and prepaid top-ups (TMF654)
    def record_payment(
        self,
        customer_id: str,
        billing_account_id: str,
        invoice_id: str,
        amount: Decimal,
        idempotency_key: str,
        reference: str,
    ) -> Payment:
        """Record a card payment of a bill (``reference``: the gateway's transaction id); the same
        ``idempotency_key`` returns the first payment (created=False)."""
        ...

    def top_up(
        self,
        customer_id: str,
        billing_account_id: str,
        sim_product_id: str,
        bucket_id: str,
        amount: Decimal,
        idempotency_key: str,
    ) -> TopUp:
        """Add ``amount`` CZK to the SIM's credit bucket; the same key returns the first top-up."""
        ...

    def list_top_ups(self, sim_product_id: str) -> list[TopUp]:
        """Top-ups of the SIM's credit, newest first."""
        ...
