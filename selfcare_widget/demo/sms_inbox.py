"""The demo's SMS inbox: what the sandbox platform "sent" (TMF681 outbox), newest first.

The sandbox sends no real SMS: sign-in codes and other messages land in its TMF681
``communicationMessage`` outbox. This page of the demo portal reads that outbox through the
platform's API (with the platform credential, as any platform client) so that whoever tries the
demo can read the code the widget just sent. Demo only: it is mounted by the demo stack's portal
and never by ``serve``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import phonenumbers
import requests
from flask import Blueprint, render_template

OUTBOX_PATH = "/tmf-api/communicationManagement/v4/communicationMessage"
SHOWN = 50  # the newest messages; the demo produces a handful per minute at most
CODE = re.compile(r"\b(\d{6})\b")


@dataclass(frozen=True)
class InboxMessage:
    """One outbox message as the inbox shows it."""

    sent: str  # Czech date and time, e.g. 29.11.2026 23:15:02
    receiver: str  # grouped international number, e.g. +420 601 234 567
    content: str
    code: str  # the six-digit code in the text, or ""


def _czech_time(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return value or ""
    return f"{moment.day}.{moment.month}.{moment.year} {moment:%H:%M:%S}"


def _grouped(number: str) -> str:
    try:
        parsed = phonenumbers.parse(number if number.startswith("+") else "+" + number)
    except phonenumbers.NumberParseException:
        return number
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def read_outbox(platform_url: str, credential: str) -> list[InboxMessage]:
    """The newest outbox messages of the platform (raises ``requests.RequestException``)."""
    response = requests.get(
        platform_url + OUTBOX_PATH,
        params={"limit": SHOWN},
        headers={"Authorization": f"Bearer {credential}", "Accept": "application/json"},
        timeout=5,
    )
    response.raise_for_status()
    messages = []
    for doc in response.json():
        content = str(doc.get("content", ""))
        code = CODE.search(content)
        receivers = ", ".join(_grouped(str(r.get("phoneNumber", ""))) for r in doc.get("receiver") or [])
        messages.append(
            InboxMessage(
                sent=_czech_time(doc.get("sendTime", "")),
                receiver=receivers,
                content=content,
                code=code.group(1) if code else "",
            )
        )
    return messages


def create_sms_inbox(platform_url: str, credential: str, brand: str = "Demo") -> Blueprint:
    """The inbox blueprint (``/demo/sms``) reading the outbox of the platform at ``platform_url``."""
    bp = Blueprint("sms_inbox", __name__, url_prefix="/demo/sms")

    def messages_or_error() -> tuple[list[InboxMessage], bool]:
        try:
            return read_outbox(platform_url, credential), False
        except (requests.RequestException, ValueError):
            return [], True  # the page stays up and says the platform did not answer

    @bp.get("/")
    def page():
        messages, failed = messages_or_error()
        return render_template(
            "portal/sms_inbox.html",
            partner_name=brand,
            messages=messages,
            failed=failed,
            sms_inbox_url="",
            crm_url="",
        )

    @bp.get("/messages")
    def rows():
        # The page polls this every few seconds (its own htmx), so new codes appear on their own.
        messages, failed = messages_or_error()
        response = render_template("portal/sms_inbox_rows.html", messages=messages, failed=failed)
        return response, 200, {"Cache-Control": "no-store"}

    return bp
