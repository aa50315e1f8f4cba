"""TMF681 CommunicationMessage: SMS and e-mails go to an outbox table the demo (and tests) can read."""

from __future__ import annotations

import re
import time
import uuid
from datetime import datetime, timezone

from flask import Blueprint, Response, jsonify, request

from .db import dumps, immediate, request_conn
from .errors import bad_request
from .resources import BASE, PRAGUE, href
from .tmf630 import Attr, digits_only, list_response, one_response

messaging_bp = Blueprint("tmf681", __name__, url_prefix=BASE["681"])

# numbers are matched on their digits, so "+420…", "420…" and an unencoded "+" all find the message
MESSAGE_ATTRS = {
    "id": Attr("id"),
    "receiver.phoneNumber": Attr("receiver_phone", normalize=digits_only),
    # e-mails keep their address in the body only (receiver_phone is empty for them)
    "receiver.email": Attr("lower(json_extract(doc, '$.receiver[0].email'))", normalize=str.lower),
}
#: messageType -> the receiver field it needs (TMF681 v4 Receiver: phoneNumber for SMS, email for e-mail)
RECEIVER_FIELD = {"SMS": "phoneNumber", "Email": "email"}


@messaging_bp.post("/communicationMessage")
def send_message() -> Response:
    """Accept an SMS or an e-mail and store it in the outbox (the sandbox sends nothing).

    As strict as TMF681 v4's ``CommunicationMessage_Create``: ``messageType``, ``content``,
    ``receiver`` and ``sender`` are required; the 201 carries ``Location``. An SMS names each
    receiver's ``phoneNumber``, an e-mail (``messageType: "Email"``) its ``email`` and has a
    ``subject``.
    """
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or body.get("messageType") not in RECEIVER_FIELD:
        raise bad_request('body must be a CommunicationMessage with "messageType": "SMS" or "Email"')
    kind = body["messageType"]
    field = RECEIVER_FIELD[kind]
    content = body.get("content")
    receivers = body.get("receiver")
    if not isinstance(content, str) or not content or len(content) > 1000:
        raise bad_request("content must be a non-empty text")
    if (
        not isinstance(receivers, list)
        or not receivers
        or not all(isinstance(r, dict) and isinstance(r.get(field), str) and r[field] for r in receivers)
    ):
        raise bad_request(f"receiver must list at least one {{{field}}}")
    subject = body.get("subject")
    if kind == "Email" and (not isinstance(subject, str) or not subject or len(subject) > 200):
        raise bad_request("an e-mail needs a subject")
    sender = body.get("sender")
    if not isinstance(sender, dict) or not sender:
        raise bad_request("sender is required")
    now = datetime.now(timezone.utc).astimezone(PRAGUE).isoformat(timespec="seconds")
    conn = request_conn()
    with immediate(conn):
        docs = []
        for receiver in receivers:  # one outbox row per receiver so the lookup by number works
            msg_id = "msg-" + uuid.uuid4().hex[:16]
            doc = {
                "id": msg_id,
                "href": href("681", "communicationMessage", msg_id),
                "messageType": kind,
                "content": content,
                "state": "completed",
                "sendTime": now,
                "receiver": [{field: receiver[field]}],
                "sender": sender,
                "@type": "CommunicationMessage",
            }
            if kind == "Email":
                doc["subject"] = subject
            phone = re.sub(r"\D", "", receiver[field]) if kind == "SMS" else ""
            conn.execute(
                "INSERT INTO communication_message VALUES (?,?,?,?)",
                (msg_id, phone, time.time_ns(), dumps(doc)),
            )
            docs.append(doc)
    response = jsonify(docs[0] if len(docs) == 1 else {**docs[0], "receiver": receivers})
    response.status_code = 201
    response.headers["Location"] = docs[0]["href"]
    return response


@messaging_bp.get("/communicationMessage")
def list_messages() -> Response:
    """The outbox, newest first (filter ``receiver.phoneNumber`` or ``receiver.email``)."""
    return list_response(
        request_conn(), "communication_message", MESSAGE_ATTRS, default_order="created DESC, id DESC"
    )


@messaging_bp.get("/communicationMessage/<id_>")
def get_message(id_: str) -> Response:
    """One outbox message."""
    return one_response(request_conn(), "communication_message", "communicationMessage", id_)
