"""Replies read from the program mailbox's Inbox through Graph's message delta: one page a
fetch, each message's MIME (`$value`) fetched in $batch, the delta link as the cursor. A
delta link Graph no longer knows raises CursorExpired; the core logs each message once by its
Message-ID, so a full read acts on nothing twice.

Exchange's own meeting messages (the "Declined: ..." an attendee's answer sends to the
organizer, requests, cancellations) are left out: calendar facts come from the calendar's
delta, and such a message must never act nor get an answer."""

from __future__ import annotations

import base64
from email import policy
from email.parser import BytesHeaderParser
from typing import Any

from integrations.microsoft.graph import Call, Graph, GraphError
from scheduler.ports import CursorExpired, InboundMail, InboxBatch

CURSOR_PREFIX = "graph-inbox:"
PAGE_SIZE = 20
MEETING_TYPES = ("eventMessage", "eventMessageRequest", "eventMessageResponse")


def is_meeting_message(item: dict[str, Any], raw: bytes) -> bool:
    """A message Exchange made for a meeting (request, answer, cancellation)."""
    kind = str(item.get("@odata.type", ""))
    if any(kind.endswith(f".{name}") for name in MEETING_TYPES):
        return True
    headers = BytesHeaderParser(policy=policy.default).parsebytes(raw)
    if "calendarmessage" in str(headers.get("Content-Class", "")).lower():
        return True
    return b"\nMETHOD:REPLY" in raw or b"\nMETHOD:REQUEST" in raw or b"\nMETHOD:CANCEL" in raw


class GraphInbox:
    def __init__(self, graph: Graph, mailbox: str) -> None:
        self.graph = graph
        self.mailbox = mailbox

    def fetch(self, cursor: str | None) -> InboxBatch:
        """The next page with messages (pages of meeting messages only are passed over, so
        that an empty batch means the mailbox has nothing more)."""
        while True:
            messages, cursor, more = self._page(cursor)
            if messages or not more:
                return InboxBatch(messages, cursor)

    def _page(self, cursor: str | None) -> tuple[list[InboundMail], str, bool]:
        if cursor is not None and not cursor.startswith(CURSOR_PREFIX):
            raise CursorExpired("the inbox cursor is not a Microsoft Graph delta cursor")
        url = (
            cursor[len(CURSOR_PREFIX) :]
            if cursor
            else f"/users/{self.mailbox}/mailFolders/inbox/messages/delta"
        )
        params = None if cursor else {"$select": "id,internetMessageId"}
        headers = {"Prefer": f"odata.maxpagesize={PAGE_SIZE}"}
        try:
            page = self.graph.request("GET", url, params=params, headers=headers)
        except GraphError as error:
            if error.status == 410 or error.code in ("SyncStateNotFound", "SyncStateInvalid"):
                raise CursorExpired(f"the inbox's delta link expired ({error.code})") from None
            raise
        items = [item for item in page.get("value") or [] if "@removed" not in item]
        calls = [
            Call("GET", f"/users/{self.mailbox}/messages/{item['id']}/$value") for item in items
        ]
        messages = []
        for item, answer in zip(items, self.graph.batch(calls), strict=True):
            if answer.status == 404:
                continue  # moved or deleted since the page was read
            if answer.error is not None:
                raise answer.error
            body = answer.body
            raw = base64.b64decode(body) if isinstance(body, str) else bytes(body or b"")
            if not is_meeting_message(item, raw):
                messages.append(InboundMail(str(item["id"]), raw))
        next_link = page.get("@odata.nextLink")
        following = next_link or page.get("@odata.deltaLink")
        if not following:
            raise GraphError(502, "NoDeltaLink", "a delta page without a link", "inbox delta")
        return messages, CURSOR_PREFIX + str(following), bool(next_link)
