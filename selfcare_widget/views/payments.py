"""Paying a bill by card and topping up prepaid credit through the partner's own gateway.

The widget never sees a card. It hands the payment to the partner's gateway (a hook named in
the partners file) and verifies what comes back:

1. *Start* (``/w/payments/start`` for a bill, ``/w/topup/start`` for credit): the widget builds a
   return URL naming partner, customer, bill or SIM, amount, currency, expiry, a random reference
   and the portal page, signed with HMAC-SHA256 under the server's secret key. Mode ``url``
   offers a link to the partner's ``url_template`` filled with the payment's details; mode
   ``event`` makes the loader emit ``selfcare:pay`` with the same details (``X-Selfcare-Pay``).
2. *Return* (``/pay/return``, GET or POST, no session): the gateway sends the browser back with
   its result signed with the partner's gateway secret. The widget checks its own signature
   (so it is no open redirect) and forwards everything to the portal page in the URL fragment,
   where the loader picks it up after sign-on.
3. *Confirmation* (``/w/payments/return``, in the session): every check again — our signature,
   not expired, the session's partner and customer, the gateway's signature, the amount paid
   equal to the amount asked, the bill or SIM the customer's own — then the payment is recorded
   on the platform (TMF676 ``POST /payment`` for a bill, TMF654 ``POST /topupBalance`` for credit)
   with the reference as idempotency key, so a replayed return never pays twice; the bill or the
   credit is re-read from the platform and shown.

``docs/payments.md`` is the partner's side of this.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import string
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from flask import Blueprint, Response, current_app, make_response, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup

from .. import edr
from ..i18n import money, msisdn
from ..invoices.spayd import variable_symbol
from ..partners import Partner, PaymentGateway
from ..platform import NotFound, PlatformError, Rejected
from ..platform.models import BucketKind, Invoice, Sim, UnitBucket
from ..services import services
from . import SECTIONS
from .billing import own_invoice, render_invoice_detail
from .common import partner, platform, trigger_action

log = logging.getLogger(__name__)
bp = Blueprint("payments", __name__)

#: How long a started payment may come back (card gateways with 3-D Secure can take a while).
RETURN_MAX_AGE = 3600
#: The fields of our return URL that our signature covers, in signing order.
RETURN_FIELDS = (
    "kind",
    "partner",
    "customer",
    "invoice",
    "sim",
    "amount",
    "currency",
    "expires",
    "ref",
    "page",
)
#: What the gateway adds to the return URL.
GATEWAY_FIELDS = ("status", "transaction", "paid_amount", "gateway_signature")
#: The URL fragment that carries a return from /pay/return to the portal page (read by the loader).
RETURN_FRAGMENT = "selfcare-pay"
#: Placeholders a partner's ``url_template`` may use.
TEMPLATE_FIELDS = ("amount", "currency", "variable_symbol", "invoice_id", "return_url", "reference")
_KEY_CONTEXT = b"selfcare.payment-return.v1"
CURRENCY = "CZK"


# --- signing ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentIntent:
    """One payment handed to a gateway: what our signed return URL names."""

    kind: str  # "bill" | "topup"
    partner: str
    customer: str
    invoice: str  # the bill (kind "bill"), else ""
    sim: str  # the SIM product whose credit is topped up (kind "topup"), else ""
    amount: Decimal
    currency: str
    expires: int  # epoch seconds
    ref: str  # random; the idempotency key of the platform write
    page: str  # the portal page the customer returns to

    def fields(self) -> dict[str, str]:
        """The URL fields, amounts as ``1290.59`` (dot, two decimals)."""
        return {
            "kind": self.kind,
            "partner": self.partner,
            "customer": self.customer,
            "invoice": self.invoice,
            "sim": self.sim,
            "amount": amount_text(self.amount),
            "currency": self.currency,
            "expires": str(self.expires),
            "ref": self.ref,
            "page": self.page,
        }


def amount_text(amount: Decimal) -> str:
    """An amount as gateways and signatures see it: ``200.00``."""
    return f"{amount.quantize(Decimal('0.01')):.2f}"


def _return_key() -> bytes:
    secret = current_app.config["SECRET_KEY"]
    raw = secret.encode() if isinstance(secret, str) else bytes(secret)
    return hmac.new(raw, _KEY_CONTEXT, hashlib.sha256).digest()


def return_signature(values: Mapping[str, str]) -> str:
    """Our HMAC-SHA256 over the return URL's fields (``RETURN_FIELDS``, one ``name=value`` a line)."""
    message = "\n".join(f"{name}={values.get(name, '')}" for name in RETURN_FIELDS)
    return hmac.new(_return_key(), message.encode(), hashlib.sha256).hexdigest()


def gateway_signature(
    secret: str, ref: str, status: str, transaction: str, paid_amount: str, currency: str
) -> str:
    """The gateway's HMAC-SHA256 (hex) over ``ref|status|transaction|paid_amount|currency``.

    What the partner's gateway computes with the shared ``PaymentGateway.secret`` (docs/payments.md).
    """
    message = "|".join((ref, status, transaction, paid_amount, currency))
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def widget_base_url() -> str:
    """The widget's own origin as the customer's browser reaches it."""
    return services().settings.public_url or request.host_url.rstrip("/")


def return_url(intent: PaymentIntent) -> str:
    """The signed URL the gateway sends the customer back to."""
    values = intent.fields()
    query = urlencode({**values, "sig": return_signature(values)})
    return f"{widget_base_url()}/pay/return?{query}"


def gateway_url(gateway: PaymentGateway, intent: PaymentIntent, variable_symbol: str) -> str:
    """The partner's ``url_template`` filled in (each value percent-encoded)."""
    values = {
        "amount": amount_text(intent.amount),
        "currency": intent.currency,
        "variable_symbol": variable_symbol,
        "invoice_id": intent.invoice,
        "return_url": return_url(intent),
        "reference": intent.ref,
    }
    encoded = {name: quote(value, safe="") for name, value in values.items()}
    names = {name for _text, name, _spec, _conv in string.Formatter().parse(gateway.url_template) if name}
    if not names <= set(TEMPLATE_FIELDS):
        raise ValueError(f"url_template uses unknown placeholders: {sorted(names - set(TEMPLATE_FIELDS))}")
    return gateway.url_template.format_map(encoded)


def event_detail(intent: PaymentIntent, variable_symbol: str) -> dict[str, str]:
    """The ``selfcare:pay`` event's detail (mode ``event``): the same values as the URL template."""
    return {
        "amount": amount_text(intent.amount),
        "currency": intent.currency,
        "variable_symbol": variable_symbol,
        "invoice_id": intent.invoice,
        "return_url": return_url(intent),
        "reference": intent.ref,
    }


def portal_page(who: Partner) -> str:
    """The page the payment started on (sent by the loader), if it is one of the partner's origins."""
    page = request.form.get("_page", "").split("#", 1)[0]
    parts = urlsplit(page)
    if parts.scheme in ("http", "https") and who.allows_origin(f"{parts.scheme}://{parts.netloc}"):
        return page
    return who.origins[0] + "/"


def new_intent(kind: str, amount: Decimal, invoice: str = "", sim: str = "") -> PaymentIntent:
    """A payment of the signed-in customer, valid for ``RETURN_MAX_AGE``."""
    return PaymentIntent(
        kind=kind,
        partner=current_user.partner_id,
        customer=current_user.customer_id,
        invoice=invoice,
        sim=sim,
        amount=amount,
        currency=CURRENCY,
        expires=int(time.time()) + RETURN_MAX_AGE,
        ref=secrets.token_hex(16),
        page=portal_page(partner()),
    )


# --- verifying a return -------------------------------------------------------------------------


class Refused(Exception):
    """A return that does not prove a payment; ``code`` goes to the EDR."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class GatewayResult:
    """What the gateway reported, after its signature was checked."""

    status: str
    transaction: str
    paid_amount: Decimal


def parse_return(values: Mapping[str, str]) -> PaymentIntent:
    """The payment our signature vouches for; ``Refused('invalidSignature')`` if it was changed."""
    given = values.get("sig", "")
    if not given or not hmac.compare_digest(given, return_signature(values)):
        raise Refused("invalidSignature")
    try:
        amount = Decimal(values["amount"])
        expires = int(values["expires"])
    except (KeyError, ValueError, InvalidOperation):
        raise Refused("malformed") from None
    if values.get("kind") not in ("bill", "topup") or not amount.is_finite():
        raise Refused("malformed")
    return PaymentIntent(
        kind=values["kind"],
        partner=values.get("partner", ""),
        customer=values.get("customer", ""),
        invoice=values.get("invoice", ""),
        sim=values.get("sim", ""),
        amount=amount,
        currency=values.get("currency", ""),
        expires=expires,
        ref=values.get("ref", ""),
        page=values.get("page", ""),
    )


def verify_return(
    values: Mapping[str, str], who: Partner, customer_id: str, now: float
) -> tuple[PaymentIntent, GatewayResult]:
    """Every check of a returned payment except ownership of the bill or SIM (which needs the platform)."""
    intent = parse_return(values)
    if intent.partner != who.id or intent.customer != customer_id:
        raise Refused("otherCustomer")
    if now > intent.expires:
        raise Refused("expired")
    gateway = who.payment_gateway
    if gateway is None:
        raise Refused("noGateway")
    status, transaction, paid = (values.get(k, "") for k in ("status", "transaction", "paid_amount"))
    expected = gateway_signature(gateway.secret, intent.ref, status, transaction, paid, intent.currency)
    if not hmac.compare_digest(values.get("gateway_signature", ""), expected):
        raise Refused("invalidGatewaySignature")
    if status != "paid":
        raise Refused("notPaid")
    try:
        paid_amount = Decimal(paid)
    except InvalidOperation:
        raise Refused("amountMismatch") from None
    if not paid_amount.is_finite() or paid_amount != intent.amount or intent.currency != CURRENCY:
        raise Refused("amountMismatch")
    if not transaction or len(transaction) > 100:
        raise Refused("malformed")
    return intent, GatewayResult(status=status, transaction=transaction, paid_amount=paid_amount)


def refusal_message(code: str) -> str:
    """The customer's-language text of a refused return."""
    if code == "notPaid":
        return _("The payment was not completed, so nothing was charged. You can try again.")
    if code == "expired":
        return _("This payment took too long and was not accepted. Please start the payment again.")
    return _(
        "This payment confirmation is not valid, so it was not accepted. If money was taken, please contact customer care."
    )


# --- starting a bill payment ------------------------------------------------------------------


def _hand_off(
    intent: PaymentIntent, variable_symbol: str, what: str, wrap: Callable[[str], str] | None = None
) -> Response:
    """The card payment hand-off: a link to the gateway (mode url) or a host event (mode event)."""
    gateway = partner().payment_gateway
    assert gateway is not None  # noqa: S101 - callers check
    details = {
        "kind": intent.kind,
        "amount": amount_text(intent.amount),
        "currency": intent.currency,
        "reference": intent.ref,
    }
    target = {"invoice": intent.invoice} if intent.kind == "bill" else {"sim": intent.sim}
    try:
        url = gateway_url(gateway, intent, variable_symbol) if gateway.mode == "url" else ""
    except (ValueError, KeyError, IndexError):
        log.error("partner %s: payment_gateway.url_template cannot be filled", intent.partner)
        edr.record(edr.actions.PAYMENT_START, "failure", **target, **details, code="gatewayTemplate")
        return make_response(
            *_error(_("Card payment is not available right now. Please pay by bank transfer."), 503)
        )
    edr.record(edr.actions.PAYMENT_START, "success", **target, **details, mode=gateway.mode)
    html = render_template(
        "widget/payments/_hand_off.html",
        url=url,
        mode=gateway.mode,
        amount=intent.amount,
        what=what,
        partner=partner(),
    )
    response = make_response(wrap(html) if wrap else html)
    if gateway.mode == "event":
        # Read by the loader, which emits selfcare:pay on the widget element (static/embed.js).
        response.headers["X-Selfcare-Pay"] = json.dumps(
            event_detail(intent, variable_symbol), ensure_ascii=True
        )
    return trigger_action(response, edr.actions.PAYMENT_START)


def _error(message: str, status: int) -> tuple[str, int]:
    return render_template("widget/error.html", status=status, message=message), status


@bp.post("/w/payments/start")
@login_required
def start():
    """Start paying one unpaid bill by card (partner gateway); the amount is what remains."""
    bill = own_invoice(request.form.get("invoice", ""))
    if partner().payment_gateway is None:
        edr.record(edr.actions.PAYMENT_START, "rejected", invoice=bill.id, code="noGateway")
        return _error(_("Card payment is not offered. Please pay by bank transfer."), 404)
    if bill.is_paid:
        edr.record(edr.actions.PAYMENT_START, "rejected", invoice=bill.id, code="alreadyPaid")
        return _error(_("This invoice is already paid."), 409)
    intent = new_intent("bill", bill.remaining, invoice=bill.id)
    return _hand_off(intent, variable_symbol(bill.number), _("Invoice %(number)s", number=bill.number))


# --- the gateway's return -----------------------------------------------------------------------


@bp.route("/pay/return", methods=["GET", "POST"])
def gateway_return():
    """Where the gateway sends the customer back: checked, then forwarded to the portal page.

    No session here (the session lives in the loader on the portal page): the full verification
    and the platform write happen in ``/w/payments/return`` once the loader has signed on again.
    """
    values = {**request.args.to_dict(), **request.form.to_dict()}
    try:
        intent = parse_return(values)
    except Refused:
        return render_template("widget/payments/return_invalid.html"), 400
    who = services().partners.get(intent.partner)
    parts = urlsplit(intent.page)
    if who is None or not who.allows_origin(f"{parts.scheme}://{parts.netloc}"):
        return render_template("widget/payments/return_invalid.html"), 400
    carried = urlencode({k: values.get(k, "") for k in (*RETURN_FIELDS, "sig", *GATEWAY_FIELDS)})
    # The fragment never reaches a server log; the loader removes it from the address bar.
    response = redirect(f"{intent.page}#{RETURN_FRAGMENT}={quote(carried, safe='')}", code=303)
    response.headers["Cache-Control"] = "no-store"
    return response


def _render_shell(section: str, inner: str) -> str:
    """The whole signed-in widget with ``inner`` in the main area (the return reloads the page)."""
    try:
        customer_name = platform().get_customer(current_user.customer_id).name
    except PlatformError:
        customer_name = ""
    return render_template(
        "widget/shell.html",
        partner=partner(),
        customer_name=customer_name,
        sections=SECTIONS,
        current=section,
        section_html=Markup(inner),  # noqa: S704 - our own rendered fragment
    )


@bp.post("/w/payments/return")
@login_required
def confirm_return():
    """A returned payment (form field ``returned``: the return URL's query): verified, recorded, shown."""
    values = dict(parse_qsl(request.form.get("returned", ""), keep_blank_values=True))
    kind = values.get("kind", "bill")
    action = edr.actions.TOPUP if kind == "topup" else edr.actions.PAYMENT_CONFIRM
    section = "overview" if kind == "topup" else "billing"
    who = partner()
    try:
        intent, result = verify_return(values, who, current_user.customer_id, time.time())
        if intent.kind == "bill":
            return _confirm_bill(intent, result)
        return _confirm_topup(intent, result)
    except Refused as exc:
        edr.record(action, "rejected", code=exc.code, reference=values.get("ref", "")[:64])
        inner = render_template("widget/payments/_result.html", error=refusal_message(exc.code), kind=kind)
        return _render_shell(section, inner), 422
    except PlatformError:
        edr.record(action, "failure", reference=values.get("ref", "")[:64])
        message = _(
            "Your payment could not be recorded right now. Please reload the page in a moment; you will not be charged twice."
        )
        inner = render_template("widget/payments/_result.html", error=message, kind=kind)
        return _render_shell(section, inner), 503


def _owned_bill(invoice_id: str) -> Invoice:
    """The bill, if it is the signed-in customer's (Refused otherwise, like any other mismatch)."""
    try:
        bill = platform().get_invoice(invoice_id)
    except NotFound:
        raise Refused("otherCustomer") from None
    accounts = {a.id for a in platform().list_billing_accounts(current_user.customer_id)}
    if bill.billing_account_id not in accounts:
        raise Refused("otherCustomer")
    return bill


def _confirm_bill(intent: PaymentIntent, result: GatewayResult) -> Response:
    bill = _owned_bill(intent.invoice)
    try:
        paid = platform().record_payment(
            current_user.customer_id,
            bill.billing_account_id,
            bill.id,
            result.paid_amount,
            idempotency_key=f"sc-pay-{intent.ref}",
            reference=result.transaction,
        )
    except Rejected as exc:
        raise Refused(exc.code) from None
    edr.record(
        edr.actions.PAYMENT_CONFIRM,
        "success",
        invoice=bill.id,
        number=bill.number,
        amount=amount_text(result.paid_amount),
        currency=CURRENCY,
        payment=paid.id,
        reference=intent.ref,
        transaction=result.transaction,
        duplicate=not paid.created,
    )
    fresh = platform().get_invoice(bill.id)  # the bill as the platform now has it
    if paid.created:
        status = _("Thank you, your payment of %(amount)s was received.", amount=money(result.paid_amount))
    else:
        status = _("This payment was already recorded. Nothing was charged twice.")
    return trigger_action(
        make_response(_render_shell("billing", render_invoice_detail(fresh, status=status))),
        edr.actions.PAYMENT_CONFIRM,
    )


# --- prepaid top-up -----------------------------------------------------------------------------


def credit_bucket(buckets: list[UnitBucket], sim: Sim) -> UnitBucket | None:
    """The SIM's own prepaid credit (a monetary bucket no package granted)."""
    for bucket in buckets:
        if (
            bucket.sim_product_id == sim.product_id
            and bucket.kind == BucketKind.MONETARY
            and not bucket.package_product_id
        ):
            return bucket
    return None


def prepaid_sims() -> list[tuple[Sim, UnitBucket]]:
    """The customer's SIMs that have prepaid credit, each with its credit bucket."""
    sims = platform().list_sims(current_user.customer_id)
    buckets = platform().list_buckets([s.product_id for s in sims])
    found = [(sim, credit_bucket(buckets, sim)) for sim in sims]
    return [(sim, bucket) for sim, bucket in found if bucket is not None]


def parse_amount(text: str) -> Decimal | None:
    """A customer-typed amount: ``250``, ``250,50``, ``250.50``, ``1 000 Kč``; None if it is none."""
    cleaned = text.replace("Kč", "").replace("\u00a0", "").replace(" ", "").replace(",", ".").strip()
    if not cleaned or cleaned.count(".") > 1:
        return None
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount != amount.quantize(Decimal("0.01")):
        return None
    return amount.quantize(Decimal("0.01"))


def _render_topup(
    sims: list[tuple[Sim, UnitBucket]],
    chosen: tuple[Sim, UnitBucket] | None,
    *,
    status: str = "",
    error: str = "",
    typed: str = "",
    choice: str = "",
    hand_off: str = "",
) -> str:
    history = platform().list_top_ups(chosen[0].product_id)[:10] if chosen else []
    return render_template(
        "widget/payments/topup.html",
        sims=sims,
        chosen=chosen,
        limits=partner().topup,
        card=partner().payment_gateway is not None,
        history=history,
        status=status,
        error=error,
        typed=typed,
        choice=choice,
        hand_off=Markup(hand_off),  # noqa: S704 - our own rendered fragment
    )


def _chosen(sims: list[tuple[Sim, UnitBucket]]) -> tuple[Sim, UnitBucket] | None:
    wanted = request.form.get("sim", "")
    for pair in sims:
        if pair[0].product_id == wanted:
            return pair
    return sims[0] if sims else None


@bp.post("/w/topup")
@login_required
def topup():
    """Top up prepaid credit: the current credit, preset and custom amounts, the history."""
    sims = prepaid_sims()
    return _render_topup(sims, _chosen(sims))


@bp.post("/w/topup/start")
@login_required
def topup_start():
    """Validate the amount (partner bounds) and hand the top-up to the gateway."""
    sims = prepaid_sims()
    chosen = _chosen(sims)
    choice = request.form.get("amount", "")
    typed = request.form.get("other_amount", "")[:20]
    limits = partner().topup
    if chosen is None:
        return _error(_("None of your SIM cards has prepaid credit."), 404)
    if partner().payment_gateway is None:
        edr.record(
            edr.actions.PAYMENT_START, "rejected", sim=chosen[0].product_id, kind="topup", code="noGateway"
        )
        return _error(_("Card payment is not offered. Please pay by bank transfer."), 404)
    amount = parse_amount(typed if choice == "other" else choice)
    error = ""
    if choice == "other" and not typed.strip():
        error = _("Enter the amount to top up.")
    elif amount is None:
        error = _("Enter the amount in crowns, e.g. 250 or 250,50.")
    elif not limits.minimum <= amount <= limits.maximum:
        error = _(
            "The amount must be between %(minimum)s and %(maximum)s.",
            minimum=money(limits.minimum),
            maximum=money(limits.maximum),
        )
    if error or amount is None:
        edr.record(
            edr.actions.PAYMENT_START,
            "rejected",
            sim=chosen[0].product_id,
            kind="topup",
            code="invalidAmount",
        )
        return _render_topup(sims, chosen, error=error, typed=typed, choice=choice), 422
    sim = chosen[0]
    intent = new_intent("topup", amount, sim=sim.product_id)
    digits = "".join(ch for ch in sim.msisdn if ch.isdigit())
    # A top-up's variable symbol is the phone number (its last 9 digits), as Czech operators use.
    return _hand_off(
        intent,
        digits[-9:],
        _("Credit top-up of %(msisdn)s", msisdn=msisdn(sim.msisdn)),
        wrap=lambda html: _render_topup(sims, chosen, typed=typed, choice=choice, hand_off=html),
    )


def _confirm_topup(intent: PaymentIntent, result: GatewayResult) -> Response:
    sims = prepaid_sims()
    chosen = next((pair for pair in sims if pair[0].product_id == intent.sim), None)
    if chosen is None:
        raise Refused("otherCustomer")
    sim, bucket = chosen
    try:
        done = platform().top_up(
            current_user.customer_id,
            sim.billing_account_id,
            sim.product_id,
            bucket.id,
            result.paid_amount,
            idempotency_key=f"sc-topup-{intent.ref}",
        )
    except Rejected as exc:
        raise Refused(exc.code) from None
    if done.status != "completed":
        edr.record(
            edr.actions.TOPUP,
            "failure",
            sim=sim.product_id,
            amount=amount_text(result.paid_amount),
            topup=done.id,
        )
        message = _("Your top-up is being processed. The new credit will show here shortly.")
        return make_response(_render_shell("overview", _render_topup(sims, chosen, status=message)))
    fresh = prepaid_sims()  # re-read: the credit as the platform now has it
    chosen = next((pair for pair in fresh if pair[0].product_id == sim.product_id), chosen)
    edr.record(
        edr.actions.TOPUP,
        "success",
        sim=sim.product_id,
        amount=amount_text(result.paid_amount),
        currency=CURRENCY,
        topup=done.id,
        reference=intent.ref,
        transaction=result.transaction,
        credit=amount_text(chosen[1].remaining),
        duplicate=not done.created,
    )
    if done.created:
        status = _(
            "Your credit was topped up by %(amount)s. Credit now: %(credit)s.",
            amount=money(result.paid_amount),
            credit=money(chosen[1].remaining),
        )
    else:
        status = _("This top-up was already recorded. Nothing was charged twice.")
    return trigger_action(
        make_response(_render_shell("overview", _render_topup(fresh, chosen, status=status))),
        edr.actions.TOPUP,
    )
