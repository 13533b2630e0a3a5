"""The program mailbox's incoming mail through the Gmail API (read-only).

The first read lists the INBOX label, page by page, from a history id taken before the
listing; later reads follow the mailbox's history from there (messageAdded, INBOX only: the
history lists SENT messages too). Gmail keeps history about a week: an older id answers 404,
which is CursorExpired, and the core reads the INBOX again from None (each message is still
acted on once: the core logs them by Message-ID). Messages come as raw RFC 5322 bytes.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from integrations.google.auth import GMAIL_READ, GoogleAccess
from integrations.google.batch import run_batch
from integrations.google.retry import Failure, GoogleError, provider_error
from scheduler.ports import CursorExpired, InboundMail, InboxBatch

PAGE = 100
LABEL = "INBOX"


class GmailInbox:
    """The Inbox port on Gmail. The cursor is JSON: {"history": id} once the first read is
    done, with "page" (a messages.list page) during it or "next" (a history.list page)."""

    def __init__(self, access: GoogleAccess, mailbox: str) -> None:
        self.access = access
        self.mailbox = mailbox

    def fetch(self, cursor: str | None) -> InboxBatch:
        state = _parse(cursor)
        if "history" not in state:
            state = {"history": self._history_now(), "page": ""}
        if "page" in state:
            return self._listed(state)
        return self._history(state)

    def _service(self) -> Any:
        return self.access.service("gmail", self.mailbox, [GMAIL_READ])

    def _history_now(self) -> str:
        profile = self.access.execute(
            self._service().users().getProfile(userId="me"), "reading the mailbox (getProfile)"
        )
        return str(profile["historyId"])

    def _listed(self, state: dict[str, str]) -> InboxBatch:
        """One page of the first read: the INBOX as it stands."""
        answer = self.access.execute(
            self._service()
            .users()
            .messages()
            .list(userId="me", labelIds=[LABEL], maxResults=PAGE, pageToken=state["page"] or None),
            "reading the mailbox (messages.list)",
        )
        ids = [str(m["id"]) for m in answer.get("messages") or []]
        following: dict[str, str] = {"history": state["history"]}
        if answer.get("nextPageToken"):
            following["page"] = str(answer["nextPageToken"])
        return InboxBatch(self._messages(ids), json.dumps(following))

    def _history(self, state: dict[str, str]) -> InboxBatch:
        """One page of what arrived since the history id."""
        try:
            answer = self.access.execute(
                self._service()
                .users()
                .history()
                .list(
                    userId="me",
                    startHistoryId=state["history"],
                    historyTypes=["messageAdded"],
                    labelId=LABEL,
                    maxResults=PAGE,
                    pageToken=state.get("next"),
                ),
                "reading the mailbox (history.list)",
            )
        except GoogleError as error:
            if error.status == 404:
                raise CursorExpired(f"the mailbox's history id expired: {error}") from error
            raise
        ids: list[str] = []
        for record in answer.get("history") or []:
            for added in record.get("messagesAdded") or []:
                message = added.get("message") or {}
                if LABEL in (message.get("labelIds") or []) and message.get("id") not in ids:
                    ids.append(str(message["id"]))
        if answer.get("nextPageToken"):
            following = {"history": state["history"], "next": str(answer["nextPageToken"])}
        else:
            following = {"history": str(answer.get("historyId") or state["history"])}
        return InboxBatch(self._messages(ids), json.dumps(following))

    def _messages(self, ids: list[str]) -> list[InboundMail]:
        """The raw messages, in one batch; one deleted meanwhile is left out."""
        if not ids:
            return []
        service = self._service()
        requests = {
            message_id: (
                lambda message_id=message_id: (
                    service.users().messages().get(userId="me", id=message_id, format="raw")
                )
            )
            for message_id in ids
        }
        answers = run_batch(self.access, "gmail", requests, "reading mail (messages.get)")
        found = []
        for message_id in ids:
            answer = answers[message_id]
            if isinstance(answer, Failure):
                if answer.status == 404:
                    continue
                raise provider_error(answer, "reading mail (messages.get)")
            raw = base64.urlsafe_b64decode(str(answer["raw"]) + "=" * (-len(answer["raw"]) % 4))
            found.append(InboundMail(message_id, raw))
        return found


def _parse(cursor: str | None) -> dict[str, str]:
    if cursor is None:
        return {}
    try:
        state = json.loads(cursor)
    except ValueError as error:
        raise CursorExpired("the mailbox's cursor is not one this provider gave") from error
    if not isinstance(state, dict) or "history" not in state:
        raise CursorExpired("the mailbox's cursor is not one this provider gave")
    return {str(k): str(v) for k, v in state.items()}
