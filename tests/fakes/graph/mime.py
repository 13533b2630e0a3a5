"""MIME in and out of Outlook messages.

Graph takes MIME on create and sendMail when the body is the base64 of an RFC 822 message and the
Content-Type is `text/plain` (api-reference user-sendmail.md, "send mail in MIME format"); a body
that is not base64 is refused (400 `ErrorMimeContentInvalidBase64String`, text assumed).
`GET .../messages/{id}/$value` returns the message's MIME (message-get.md, "Get MIME content").
For messages created from JSON the fake writes the MIME Exchange would: the addressing headers,
Message-ID, the custom `x-` headers, and the body in its content type.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import email.utils
from email.message import EmailMessage
from typing import Any

from .errors import bad_request


def decode_base64_mime(body: bytes) -> bytes:
    text = b"".join(body.split())
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise bad_request(
            "ErrorMimeContentInvalidBase64String", "Invalid base64 string for MIME content."
        ) from None


def _recipients(value: str | None) -> list[dict[str, Any]]:
    return [
        {"emailAddress": {"name": name or address, "address": address}}
        for name, address in email.utils.getaddresses([value or ""])
        if address
    ]


def parse(raw: bytes) -> dict[str, Any]:
    """The message properties a MIME document carries, by their Graph names."""
    parsed = email.message_from_bytes(raw, policy=email.policy.default)
    body_part = parsed.get_body(preferencelist=("html", "plain"))
    content = ""
    kind = "text"
    if body_part is not None:
        content = str(body_part.get_content())
        kind = "html" if body_part.get_content_subtype() == "html" else "text"
    sender = _recipients(parsed.get("From"))
    fields: dict[str, Any] = {
        "subject": str(parsed.get("Subject", "")),
        "body": {"contentType": kind, "content": content},
        "toRecipients": _recipients(parsed.get("To")),
        "ccRecipients": _recipients(parsed.get("Cc")),
        "bccRecipients": _recipients(parsed.get("Bcc")),
        "replyTo": _recipients(parsed.get("Reply-To")),
        "internetMessageHeaders": [
            {"name": name, "value": str(value)} for name, value in parsed.items()
        ],
    }
    if sender:
        fields["from"] = sender[0]
    message_id = parsed.get("Message-ID")
    if message_id:
        fields["internetMessageId"] = str(message_id).strip()
    return fields


def _address_header(recipients: list[dict[str, Any]]) -> str:
    return ", ".join(
        email.utils.formataddr((r["emailAddress"].get("name") or "", r["emailAddress"]["address"]))
        for r in recipients
    )


def build(data: dict[str, Any]) -> bytes:
    """MIME for a message that was created from JSON."""
    message = EmailMessage()
    sender = data.get("from") or data.get("sender")
    if sender:
        message["From"] = _address_header([sender])
    for header, name in (("To", "toRecipients"), ("Cc", "ccRecipients"), ("Reply-To", "replyTo")):
        if data.get(name):
            message[header] = _address_header(data[name])
    message["Subject"] = data.get("subject") or ""
    message["Message-ID"] = data.get("internetMessageId") or email.utils.make_msgid()
    message["Date"] = email.utils.formatdate(usegmt=True)
    for header in data.get("internetMessageHeaders") or []:
        if header["name"].lower().startswith("x-"):
            message[header["name"]] = header["value"]
    body = data.get("body") or {}
    subtype = "html" if body.get("contentType") == "html" else "plain"
    message.set_content(str(body.get("content") or ""), subtype=subtype)
    return bytes(message)
