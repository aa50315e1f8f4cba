"""What a request carries to say who it is for: the session token and the partner.

The token travels in the ``_st`` field of a form-encoded POST (or as ``Authorization: Bearer``),
never in a URL; an anonymous request names its partner in the ``_partner`` field.
"""

from __future__ import annotations

from typing import cast

from flask import g, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from ..partners import Partner
from ..services import services

SESSION_FIELD = "_st"  # form field carrying the session token (never a URL parameter)
PARTNER_FIELD = "_partner"


def _form_value(name: str) -> str:
    """A field of a form-encoded POST body; "" for other requests or a body that cannot be read
    (too large, malformed) — that request then gets its own 4xx from the view or error handler."""
    if request.method != "POST" or request.mimetype != "application/x-www-form-urlencoded":
        return ""
    try:
        return request.form.get(name, "")
    except RequestEntityTooLarge:
        # 413 for every oversized body, signed in or not (not a silent 401): raised once, and
        # later readers of the same request (the error page's CORS headers) get "".
        if g.get("body_too_large"):
            return ""
        g.body_too_large = True
        raise
    except HTTPException:
        return ""


def session_token_from_request() -> str:
    """The session token: ``Authorization: Bearer`` or the ``_st`` form field; never the URL."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[7:].strip()
    return _form_value(SESSION_FIELD)


def requested_partner() -> Partner | None:
    """The partner a request is for: the session's, else the ``_partner`` field; None if unknown.

    Asked before the view (origin check) and after it (CORS headers): the answer is kept for the
    request, and worked out again if a sign-in in between changed who is asking.
    """
    signed_in = current_user.partner_id if current_user and current_user.is_authenticated else None
    kept = cast("tuple[str | None, Partner | None] | None", g.get("requested_partner"))
    if kept is not None and kept[0] == signed_in:
        return kept[1]
    partners = services().partners
    if signed_in is not None:
        partner = partners.get(signed_in)
    else:
        partner = partners.get(_form_value(PARTNER_FIELD) or _form_value("partner"))
    g.requested_partner = (signed_in, partner)
    return partner
