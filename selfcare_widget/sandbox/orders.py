"""What every TMF622 ProductOrder the sandbox accepts has in common: its id and its customer."""

from __future__ import annotations

from .errors import bad_request


def order_envelope(body: dict) -> tuple[str | None, str]:
    """(externalId, customer id) of a ProductOrder create body; 400 when either is malformed.

    ``externalId`` is the client's idempotency key (optional). TMF does not fix the spelling of
    party roles: "customer", "Customer" and "CUSTOMER" are one role.
    """
    external_id = body.get("externalId")
    if external_id is not None and (
        not isinstance(external_id, str) or not external_id or len(external_id) > 200
    ):
        raise bad_request("externalId must be a non-empty string")
    customer = next(
        (
            p.get("id")
            for p in body.get("relatedParty") or []
            if isinstance(p, dict) and str(p.get("role", "customer")).casefold() == "customer"
        ),
        None,
    )
    if not isinstance(customer, str):
        raise bad_request("relatedParty with role customer is required")
    return external_id, customer
