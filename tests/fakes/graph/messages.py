"""Outlook messages: validation of message bodies, drafts, sending, delivery, sending limits.

* `internetMessageId` must look like `<local@domain>` (RFC 5322 msg-id; Exchange refuses others:
  400 `InvalidInternetMessageId`, text assumed); Exchange assigns one when the client does not.
* `internetMessageHeaders` accepts only custom headers, named `x-`/`X-`: 400
  `InvalidInternetMessageHeader` "The internet message header name 'Foo' should start with
  'x-' or 'X-'." (captured in terminal42/contao-notification_center#423 and #436); together they
  may not exceed 5 KB (documented limit of the x-header collection; code and text assumed).
* Sending moves the draft to Sent Items under a new id and keeps its internetMessageId; local
  recipients receive a copy in their Inbox.
* Exchange Online sending limits: 30 messages a minute and 10,000 recipients a day per mailbox
  (Exchange Online limits, "Sending limits"). Past the minute limit the fake answers 429
  `ErrorExceededMessageLimit`; past the daily recipients, 429 `ErrorSubmissionQuotaExceeded`
  "The message couldn't be sent because the sender's submission quota was exceeded. Please try
  again later." (the EWS/Graph code for SubmissionQuotaExceededException); both with Retry-After
  computed from the fake clock. Production sometimes delays rather than refuses past the minute
  limit (MicrosoftDocs/OfficeDocs-Support#1150); refusing is the strict choice.
"""

from __future__ import annotations

import datetime
import email.utils
import math
import re
import secrets
from typing import Any

from . import mime, schema
from .dispatch import Service, canonical_keys
from .errors import GraphError, bad_request
from .state import Message, Tombstone, User, change_key, outlook_id, utc_text

MESSAGE_TYPE = "microsoft.graph.message"
READ_ONLY = schema.MESSAGE_READ_ONLY
NAVIGATION = schema.MESSAGE_NAVIGATION
MESSAGE_PROPERTIES = schema.MESSAGE_PROPERTIES
SELECT_ONLY = schema.MESSAGE_SELECT_ONLY
MESSAGE_ID = re.compile(r"^<[^<>@\s]+@[^<>@\s]+>$")
HEADER_LIMIT = 5 * 1024
RECIPIENT_FIELDS = ("toRecipients", "ccRecipients", "bccRecipients", "replyTo")


def _recipients(value: Any, field: str) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise bad_request("RequestBodyRead", f"'{field}' must be a collection of recipients.")
    found = []
    for raw in value:
        item = canonical_keys(
            raw if isinstance(raw, dict) else {}, {"emailAddress"}, "microsoft.graph.recipient"
        )
        address = canonical_keys(
            item.get("emailAddress") or {}, {"address", "name"}, "microsoft.graph.emailAddress"
        )
        if not isinstance(address.get("address"), str) or "@" not in address["address"]:
            raise bad_request("ErrorInvalidRecipients", "At least one recipient isn't valid.")
        found.append(
            {
                "emailAddress": {
                    "name": address.get("name") or address["address"],
                    "address": address["address"],
                }
            }
        )
    return found


def validate(body: dict[str, Any]) -> dict[str, Any]:
    fields = canonical_keys(body, MESSAGE_PROPERTIES, MESSAGE_TYPE)
    for name in list(fields):
        if name in READ_ONLY:
            del fields[name]
        elif name in NAVIGATION:
            raise bad_request("ErrorInvalidRequest", f"'{name}' is not supported by this fake.")
    for name in RECIPIENT_FIELDS:
        if name in fields:
            fields[name] = _recipients(fields[name], name)
    for name in ("from", "sender"):
        if name in fields:
            fields[name] = _recipients([fields[name]], name)[0]
    if "body" in fields:
        item = canonical_keys(
            fields["body"] or {}, {"contentType", "content"}, "microsoft.graph.itemBody"
        )
        kind = str(item.get("contentType", "text")).lower()
        if kind not in ("text", "html"):
            raise bad_request(
                "RequestBodyRead",
                f"Cannot convert the literal '{kind}' to the "
                "expected type 'microsoft.graph.bodyType'.",
            )
        fields["body"] = {"contentType": kind, "content": str(item.get("content") or "")}
    message_id = fields.get("internetMessageId")
    if message_id is not None and (
        not isinstance(message_id, str) or not MESSAGE_ID.match(message_id)
    ):
        raise bad_request(
            "InvalidInternetMessageId", f"The internet message id '{message_id}' is invalid."
        )
    headers = fields.get("internetMessageHeaders")
    if headers is not None:
        fields["internetMessageHeaders"] = _headers(headers)
    return fields


def _headers(value: Any) -> list[dict[str, str]]:
    if not isinstance(value, list):
        raise bad_request("RequestBodyRead", "'internetMessageHeaders' must be a collection.")
    found = []
    for raw in value:
        item = canonical_keys(
            raw if isinstance(raw, dict) else {},
            {"name", "value"},
            "microsoft.graph.internetMessageHeader",
        )
        name, text = str(item.get("name", "")), str(item.get("value", ""))
        if not name.lower().startswith("x-"):
            raise bad_request(
                "InvalidInternetMessageHeader",
                f"The internet message header name '{name}' should start with 'x-' or 'X-'.",
            )
        found.append({"name": name, "value": text})
    if sum(len(h["name"]) + len(h["value"]) for h in found) > HEADER_LIMIT:
        raise bad_request(
            "InvalidInternetMessageHeaderCollection",
            "Maximum total length of internet message headers is 5 KB.",
        )
    return found


def new_message(
    service: Service, owner: User, folder: str, fields: dict[str, Any], raw: bytes | None = None
) -> Message:
    now = service.state.clock.now()
    address = owner.mail or owner.upn
    me = {"emailAddress": {"name": owner.display_name, "address": address}}
    domain = address.split("@")[-1]
    data: dict[str, Any] = {
        "createdDateTime": utc_text(now),
        "lastModifiedDateTime": utc_text(now),
        "changeKey": change_key(),
        "categories": [],
        "receivedDateTime": utc_text(now),
        "sentDateTime": None,
        "hasAttachments": False,
        "internetMessageId": f"<{secrets.token_hex(12).upper()}@{domain}>",
        "subject": "",
        "bodyPreview": "",
        "importance": "normal",
        "parentFolderId": "",
        "conversationId": outlook_id("AAQkAG"),
        "conversationIndex": "",
        "isDeliveryReceiptRequested": False,
        "isReadReceiptRequested": False,
        "isRead": True,
        "isDraft": folder == "drafts",
        "webLink": "",
        "inferenceClassification": "focused",
        "body": {"contentType": "text", "content": ""},
        "sender": me,
        "from": me,
        "toRecipients": [],
        "ccRecipients": [],
        "bccRecipients": [],
        "replyTo": [],
        "flag": {"flagStatus": "notFlagged"},
        "internetMessageHeaders": [],
    }
    data.update(fields)
    if "from" in fields and "sender" not in fields:
        data["sender"] = fields["from"]
    data["bodyPreview"] = str(data["body"].get("content", ""))[:255]
    message = Message(outlook_id(), owner.id, folder, data, mime=raw)
    data["parentFolderId"] = folder_id(service, owner.id, folder)
    data["webLink"] = f"https://outlook.office365.com/owa/?ItemID={message.id}&exvsurl=1"
    service.state.messages[message.id] = message
    message.changed_seq = service.state.bump()
    return message


def folder_id(service: Service, mailbox: str, folder: str) -> str:
    folders = service.state.folders.setdefault(mailbox, {})
    return folders.setdefault(folder, outlook_id("AAMkAGAuAAAAAA"))


def mime_of(message: Message) -> bytes:
    return message.mime if message.mime is not None else mime.build(message.data)


def move(service: Service, message: Message, folder: str) -> Message:
    """Move to another folder: Exchange gives the item a new id there."""
    state = service.state
    del state.messages[message.id]
    state.message_tombstones.setdefault(f"{message.mailbox}:{message.folder}", []).append(
        Tombstone(message.id, state.bump(), folder=message.folder)
    )
    moved = Message(outlook_id(), message.mailbox, folder, message.data, mime=message.mime)
    moved.data["parentFolderId"] = folder_id(service, message.mailbox, folder)
    state.messages[moved.id] = moved
    moved.changed_seq = state.bump()
    return moved


def _check_limits(service: Service, owner: User, recipients: int) -> None:
    now = service.state.clock.now()
    sends = service.state.sends.setdefault(owner.id, [])
    sends[:] = [(at, n) for at, n in sends if now - at < datetime.timedelta(days=1)]
    recent = [at for at, _ in sends if now - at < datetime.timedelta(minutes=1)]
    if len(recent) >= service.config.message_rate:
        wait = 60 - (now - min(recent)).total_seconds()
        raise GraphError(
            429,
            "ErrorExceededMessageLimit",
            "Cannot send mail. Message rate "
            f"limit exceeded ({service.config.message_rate} messages per minute).",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )
    if sum(n for _, n in sends) + recipients > service.config.daily_recipients:
        wait = 86400 - (now - sends[0][0]).total_seconds() if sends else 86400
        raise GraphError(
            429,
            "ErrorSubmissionQuotaExceeded",
            "The message couldn't be sent "
            "because the sender's submission quota was exceeded. Please try again "
            "later.",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )


def send(service: Service, owner: User, message: Message, *, save: bool = True) -> None:
    """Submit a draft: limits, Sent Items, and delivery to local recipients' inboxes."""
    data = message.data
    addresses = [
        r["emailAddress"]["address"]
        for name in ("toRecipients", "ccRecipients", "bccRecipients")
        for r in data[name]
    ]
    if not addresses:
        raise bad_request(
            "ErrorInvalidRecipients",
            "At least one recipient isn't valid., A "
            "message can't be sent because it contains no recipients.",
        )
    _check_limits(service, owner, len(set(a.lower() for a in addresses)))
    now = service.state.clock.now()
    service.state.sends.setdefault(owner.id, []).append((now, len(set(addresses))))
    data.update(
        {
            "isDraft": False,
            "sentDateTime": utc_text(now),
            "receivedDateTime": utc_text(now),
            "lastModifiedDateTime": utc_text(now),
            "changeKey": change_key(),
        }
    )
    raw = mime_of(message)
    if save:
        move(service, message, "sentitems")
    else:
        del service.state.messages[message.id]
    for address in sorted(set(a.lower() for a in addresses)):
        user = service.state.find_user(address)
        if user is not None and user.has_mailbox:
            received = dict(data, isRead=False, bccRecipients=[])
            new_message(service, user, "inbox", received, raw)


def deliver(service: Service, owner: User, raw: bytes) -> Message:
    fields = mime.parse(raw)
    fields.setdefault("internetMessageId", email.utils.make_msgid())
    fields.update(
        {"isRead": False, "isDraft": False, "sentDateTime": utc_text(service.state.clock.now())}
    )
    return new_message(service, owner, "inbox", fields, raw)


def remove_draft(service: Service, message: Message) -> None:
    """Drop the draft sendMail saved before a refused submission."""
    if message.id in service.state.messages:
        del service.state.messages[message.id]
        service.state.message_tombstones.setdefault(f"{message.mailbox}:drafts", []).append(
            Tombstone(message.id, service.state.bump(), folder="drafts")
        )
