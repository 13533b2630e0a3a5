"""Mail helpers for the Gmail fake: MIME parsing, message payloads, upload bodies, search.

Why these rules:
- Gmail keeps the sender's ``Message-ID`` when the raw message has one and adds its own when
  it does not, which is what makes ``rfc822msgid:`` searches the reliable way to find a sent
  mail again (Gmail search operators help page: ``rfc822msgid:``).
- Upload bodies: ``uploadType=multipart`` is ``multipart/related`` with JSON metadata then the
  ``message/rfc822`` media; ``uploadType=media`` is the bare message (Gmail "Uploading
  attachments" guide); the discovery document accepts ``message/*`` up to 36700160 bytes.
- Search supports ``rfc822msgid:``, ``in:``, ``is:(un)read``, ``label:``, ``from:``, ``to:``,
  ``subject:``; any other operator answers 501, so a query the fake cannot honour is loud.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from email import message_from_bytes
from email.message import Message as MimeMessage
from email.utils import getaddresses
from typing import Any

from .errors import bad_request, unimplemented
from .schema import decode_base64
from .state import Message
from .util import split_multipart

JsonObject = dict[str, Any]
MAX_SIZE = 36700160


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode()


def parse(raw: bytes) -> MimeMessage:
    return message_from_bytes(raw)


def addresses(message: MimeMessage, *names: str) -> list[str]:
    values = [str(v) for name in names for v in message.get_all(name, [])]
    return [addr.lower() for _, addr in getaddresses(values) if addr]


def plain_id(value: str) -> str:
    return value.strip().removeprefix("<").removesuffix(">")


def ensure_message_id(raw: bytes) -> tuple[bytes, str]:
    """The raw message with a Message-ID (Gmail adds one when missing) and that id."""
    found = parse(raw).get("Message-ID")
    if found:
        return raw, str(found).strip()
    made = f"<{secrets.token_hex(16)}@mail.gmail.com>"
    return f"Message-ID: {made}\r\n".encode() + raw, made


def replace_header(raw: bytes, name: str, value: str) -> bytes:
    """Rewrite one header in the raw bytes, leaving the rest byte for byte."""
    split = re.search(rb"\r?\n\r?\n", raw)
    head, rest = (raw[: split.start()], raw[split.start() :]) if split else (raw, b"")
    pattern = re.compile(rb"(?im)^" + re.escape(name.encode()) + rb":.*(\r?\n[ \t].*)*$")
    return pattern.sub(f"{name}: {value}".encode(), head, count=1) + rest


def upload_body(content_type: str, body: bytes, query: JsonObject) -> tuple[JsonObject, bytes]:
    """Split an upload request into JSON metadata and the raw message."""
    kind = query.get("uploadType")
    if kind == "resumable":
        raise unimplemented("resumable uploads")
    if kind == "media":
        if not content_type.startswith("message/"):
            raise bad_request(f"Media type '{content_type}' is not supported.", "badContent")
        return {}, body
    if kind != "multipart":
        raise bad_request("Upload requests must include an uploadType URL parameter.", "badRequest")
    parts = (
        split_multipart(content_type, body)
        if content_type.startswith("multipart/related")
        else None
    )
    if parts is None or len(parts) != 2:
        raise bad_request("Invalid multipart request.", "badContent")
    (_, meta_raw), (media_headers, media_raw) = parts
    media_type = media_headers.get("content-type", "")
    if not media_type.startswith("message/"):
        raise bad_request(f"Media type '{media_type}' is not supported.", "badContent")
    try:
        metadata = json.loads(meta_raw or b"{}")
    except ValueError as exc:
        raise bad_request("Parse Error", "parseError") from exc
    return metadata, media_raw


def raw_from(body: JsonObject, media: bytes | None) -> bytes:
    raw = media if media is not None else decode_base64(str(body.get("raw") or ""), "message.raw")
    if not raw.strip():
        raise bad_request(
            "'raw' RFC822 payload message string or uploading message via /upload/* URL required",
            "invalidArgument",
        )
    if len(raw) > MAX_SIZE:
        raise bad_request("Request too large.", "badRequest")
    return raw


def payload(part: MimeMessage, part_id: str = "") -> JsonObject:
    """Gmail's ``payload`` tree for format=full."""
    body: JsonObject = {
        "partId": part_id,
        "mimeType": part.get_content_type(),
        "filename": part.get_filename() or "",
        "headers": [{"name": k, "value": str(v)} for k, v in part.items()],
    }
    if part.is_multipart():
        children = part.get_payload()
        assert isinstance(children, list)
        body["body"] = {"size": 0}
        body["parts"] = [
            payload(child, f"{part_id}.{i}" if part_id else str(i))
            for i, child in enumerate(children)
        ]
    else:
        data = part.get_payload(decode=True)
        data = data if isinstance(data, bytes) else b""
        body["body"] = {"size": len(data), **({"data": b64url(data)} if data else {})}
    return body


def snippet(raw: bytes) -> str:
    for part in parse(raw).walk():
        if part.get_content_type() == "text/plain":
            data = part.get_payload(decode=True)
            text = (
                data.decode(part.get_content_charset() or "utf-8", "replace")
                if isinstance(data, bytes)
                else ""
            )
            return " ".join(text.split())[:200]
    return ""


def render(message: Message, fmt: str, metadata_headers: list[str]) -> JsonObject:
    """A Message resource in the requested format."""
    body: JsonObject = {
        "id": message.id,
        "threadId": message.thread_id,
        "labelIds": sorted(message.labels),
        "snippet": snippet(message.raw),
        "sizeEstimate": len(message.raw),
        "historyId": str(message.history_id),
        "internalDate": str(message.internal_date),
    }
    if fmt == "raw":
        body["raw"] = b64url(message.raw)
    elif fmt == "full":
        body["payload"] = payload(parse(message.raw))
    elif fmt == "metadata":
        mime = parse(message.raw)
        wanted = {h.lower() for h in metadata_headers}
        headers = [
            {"name": k, "value": str(v)}
            for k, v in mime.items()
            if not wanted or k.lower() in wanted
        ]
        body["payload"] = {"mimeType": mime.get_content_type(), "headers": headers}
    return body


TERM = re.compile(r'(\w+):("[^"]*"|<[^>]*>|\S+)|(\S+)')


def matches(message: Message, query: str) -> bool:
    """Whether a message matches a Gmail search query (the supported subset)."""
    for found in TERM.finditer(query):
        if found.group(3):
            raise unimplemented(f"Gmail full-text search {found.group(3)!r}")
        operator, value = found.group(1).lower(), found.group(2).strip('"')
        if not _term(message, operator, value):
            return False
    return True


def _term(message: Message, operator: str, value: str) -> bool:
    mime = parse(message.raw)
    lowered = value.lower()
    if operator == "rfc822msgid":
        return message.message_id is not None and plain_id(message.message_id) == plain_id(value)
    if operator == "in":
        return lowered == "anywhere" or lowered.upper() in message.labels
    if operator == "is" and lowered in ("unread", "read", "starred", "important"):
        has = ("UNREAD" if lowered == "read" else lowered.upper()) in message.labels
        return not has if lowered == "read" else has
    if operator == "label":
        return lowered.upper() in message.labels or value in message.labels
    if operator in ("from", "to"):
        names = ("From",) if operator == "from" else ("To", "Cc", "Bcc")
        return any(lowered in addr for addr in addresses(mime, *names))
    if operator == "subject":
        return lowered in str(mime.get("Subject", "")).lower()
    raise unimplemented(f"Gmail search operator {operator}:")
