"""Google's batch endpoints: ``multipart/mixed`` in, ``multipart/mixed`` out.

What the real client sends (googleapiclient.http.BatchHttpRequest._execute): one part per call,
``Content-Type: application/http``, ``Content-ID: <uuid + n>``, the payload an HTTP request
whose request line holds the same path and query as a direct call and whose headers carry the
part's own ``authorization``. Google answers each part with ``Content-ID: <response-uuid + n>``
and a full HTTP response (status line, headers, CRLF CRLF, body) -- the client splits the part
on ``\\r\\n\\r\\n`` -- so each part succeeds or fails on its own. Limits: "You're limited to 1000
calls in a single batch request" (Calendar and Gmail batch guides); more is a 400 for the whole
batch. The client re-sends only the parts answered 401 after refreshing its token.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from email.parser import BytesParser
from email.policy import HTTP

from .dispatch import REASON_PHRASES, Dispatcher, Response, error_response
from .errors import ApiError

BATCH_PATHS = {
    "batch/calendar/v3": "calendar",
    "batch/gmail/v1": "gmail",
    "batch/admin/directory_v1": "admin",
}
MAX_PARTS = 1000


def _parse_http(payload: bytes) -> tuple[str, str, dict[str, str], bytes]:
    """Split an ``application/http`` part into method, target, headers (lower-case), body."""
    found = re.search(rb"\r?\n\r?\n", payload)
    head, body = (payload[: found.start()], payload[found.end() :]) if found else (payload, b"")
    lines = head.decode("utf-8").splitlines()
    method, target, _version = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("content-length", "").isdigit():
        body = body[: int(headers["content-length"])]
    return method, target, headers, body


def _bad_batch(dispatcher: Dispatcher, message: str) -> Response:
    return error_response(
        dispatcher.state, "batch", ApiError(400, message, "badRequest", invalid=True)
    )


def handle_batch(
    dispatcher: Dispatcher, api: str, headers: Mapping[str, str], body: bytes
) -> Response:
    """Answer a whole batch request."""
    with dispatcher.state.lock:
        dispatcher.state.requests["batch"] += 1
    content_type = headers.get("content-type", "")
    if not content_type.startswith("multipart/mixed") or "boundary" not in content_type:
        return _bad_batch(dispatcher, "Invalid content type for batch request.")
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        return _bad_batch(dispatcher, "Failed to parse batch request.")
    parts = list(message.iter_parts())
    if len(parts) > MAX_PARTS:
        return _bad_batch(
            dispatcher, f"A batch request cannot contain more than {MAX_PARTS} requests."
        )
    outer_auth = headers.get("authorization")
    boundary = "batch_" + secrets.token_urlsafe(12)
    chunks: list[bytes] = []
    for part in parts:
        if part.get_content_type() != "application/http":
            return _bad_batch(dispatcher, "Each part of a batch request must be application/http.")
        raw = part.get_payload(decode=True)
        payload = raw if isinstance(raw, bytes) else str(part.get_payload()).encode()
        try:
            method, target, part_headers, part_body = _parse_http(payload)
        except (ValueError, IndexError, UnicodeDecodeError):
            return _bad_batch(dispatcher, "Failed to parse batch request.")
        if outer_auth and "authorization" not in part_headers:
            part_headers["authorization"] = outer_auth
        response = dispatcher.call(method, target, part_headers, part_body, in_batch=True, api=api)
        content_id = str(part.get("Content-ID", "")).strip()
        inner = (
            content_id[1:-1]
            if content_id.startswith("<") and content_id.endswith(">")
            else content_id
        )
        chunks.append(_serialise_part(inner, response, boundary))
    chunks.append(f"--{boundary}--\r\n".encode())
    return Response(
        200, b"".join(chunks), {"Content-Type": f"multipart/mixed; boundary={boundary}"}
    )


def _serialise_part(content_id: str, response: Response, boundary: str) -> bytes:
    head = [
        f"--{boundary}",
        "Content-Type: application/http",
        f"Content-ID: <response-{content_id}>",
        "",
        f"HTTP/1.1 {response.status} {REASON_PHRASES.get(response.status, 'Unknown')}",
    ]
    head += [f"{name}: {value}" for name, value in response.headers.items()]
    head.append(f"Content-Length: {len(response.body)}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + response.body + b"\r\n"
