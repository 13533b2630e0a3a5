"""Small helpers shared by the API modules: etags, page tokens, timestamps.

Page tokens are opaque to clients (as Google's are) but bound to the query that made them: a
token replayed with other filters is refused with 400, which catches a client that changes its
query between pages.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Any

from .errors import bad_request


def etag(value: Any) -> str:
    """A quoted etag that changes whenever the resource's JSON does."""
    digest = hashlib.sha1(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()
    return f'"{digest[:27]}"'


def fingerprint(query: dict[str, Any], ignore: tuple[str, ...] = ()) -> str:
    kept = {k: v for k, v in query.items() if k not in ("pageToken", "maxResults", *ignore)}
    return hashlib.sha1(json.dumps(kept, sort_keys=True, default=str).encode()).hexdigest()[:12]


def page_token(offset: int, query_fingerprint: str, extra: int = 0) -> str:
    raw = json.dumps([offset, query_fingerprint, extra]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def read_page_token(token: str, query_fingerprint: str) -> tuple[int, int]:
    """Offset and extra value of a page token made for the same query; 400 otherwise."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        offset, bound, extra = json.loads(raw)
    except (ValueError, TypeError) as exc:
        raise bad_request("Invalid page token value.") from exc
    if bound != query_fingerprint or not isinstance(offset, int):
        raise bad_request("Invalid page token value.")
    return offset, int(extra)


def rfc3339(moment: datetime) -> str:
    """``2024-05-01T09:00:00.000Z``: Google's style for ``updated``/``created`` stamps."""
    return (
        moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    )


def paginate(items: list[Any], query: dict[str, Any], limit: int) -> tuple[list[Any], str | None]:
    """One page of ``items`` and the token for the next one (None on the last page)."""
    mark = fingerprint(query)
    offset = read_page_token(query["pageToken"], mark)[0] if query.get("pageToken") else 0
    page = items[offset : offset + limit]
    following = offset + limit
    return page, page_token(following, mark) if following < len(items) else None


def split_multipart(content_type: str, body: bytes) -> list[tuple[dict[str, str], bytes]] | None:
    """Split a multipart body into (lower-case headers, raw body) parts, byte for byte.

    The email package would parse a ``message/rfc822`` part into a nested message; uploads need
    the exact bytes the client sent, so the split is done by boundary here. None if malformed.
    """
    found = re.search(r'boundary="?([^";]+)"?', content_type)
    if not found:
        return None
    delimiter = b"--" + found.group(1).encode()
    chunks = body.split(delimiter)
    if len(chunks) < 3 or not chunks[-1].startswith(b"--"):
        return None
    parts: list[tuple[dict[str, str], bytes]] = []
    for chunk in chunks[1:-1]:
        chunk = chunk.removeprefix(b"\r\n").removeprefix(b"\n")
        chunk = chunk.removesuffix(b"\n").removesuffix(b"\r")
        split = re.search(rb"\r?\n\r?\n", chunk)
        head, content = (chunk[: split.start()], chunk[split.end() :]) if split else (chunk, b"")
        headers: dict[str, str] = {}
        for line in head.decode("utf-8", "replace").splitlines():
            name, _, value = line.partition(":")
            if value:
                headers[name.strip().lower()] = value.strip()
        parts.append((headers, content))
    return parts
