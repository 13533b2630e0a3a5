"""Mail sent as the program mailbox through Graph, exactly once.

sendMail answers 202 with no id, so a mail is made a draft first, from its MIME (which keeps
its own Message-ID and x- headers), then sent. Before anything, each mail's Message-ID is
looked up in the mailbox (20 look-ups in one $batch): a mail found sent is not sent again, a
draft found is sent rather than made twice. Exchange's limits (30 messages a minute, 10,000
recipients a day per mailbox) are declared for the send step's pacing, and kept here too."""

from __future__ import annotations

import base64
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from typing import Any

from integrations.microsoft.graph import Call, Graph, GraphError, quoted
from scheduler.ports import OutgoingMail, ProviderError, SendResult

PER_MINUTE = 30
DAILY_RECIPIENTS = 10_000
LOOKUP_SELECT = "id,isDraft,toRecipients,ccRecipients,bccRecipients"


def _addresses(message: Mapping[str, Any]) -> frozenset[str]:
    return frozenset(
        str(r["emailAddress"]["address"]).lower()
        for name in ("toRecipients", "ccRecipients", "bccRecipients")
        for r in message.get(name) or []
    )


def addressed_to(raw: bytes, recipients: Sequence[str]) -> bytes:
    """The MIME with its To and Cc cut down to `recipients`, and any recipient not named
    there added as Bcc, so that Exchange delivers to exactly the recipients still owed."""
    message = BytesParser(policy=policy.SMTP).parsebytes(raw)
    assert isinstance(message, EmailMessage)
    owed = {r.lower() for r in recipients}
    named: set[str] = set()
    for header in ("To", "Cc", "Bcc"):
        values = message.get_all(header) or []
        kept = [(n, a) for n, a in getaddresses([str(v) for v in values]) if a.lower() in owed]
        del message[header]
        if kept and header != "Bcc":
            message[header] = ", ".join(f"{n} <{a}>" if n else a for n, a in kept)
            named |= {a.lower() for _, a in kept}
    rest = [r for r in recipients if r.lower() not in named]
    if rest:
        message["Bcc"] = ", ".join(rest)
    return message.as_bytes(policy=policy.SMTP)


class GraphMailer:
    per_minute = PER_MINUTE
    # Counted in mails: no Tandem email goes to more than three people (a trio's), so 3,333
    # mails a day never reach Exchange's 10,000 recipients
    daily_limit = DAILY_RECIPIENTS // 3

    def __init__(
        self,
        graph: Graph,
        mailbox: str,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.graph = graph
        self.mailbox = mailbox
        self.clock = clock
        self.sleep = sleep
        self._sent_at: deque[float] = deque()

    def sent_to(self, mails: Sequence[OutgoingMail]) -> dict[str, frozenset[str]]:
        found = self._lookup(mails)
        reached: dict[str, frozenset[str]] = {}
        for mail in mails:
            sent = [m for m in found[mail.message_id] if not m.get("isDraft")]
            if sent:  # a draft alone went nowhere
                addresses = frozenset().union(*(_addresses(m) for m in sent))
                reached[mail.message_id] = frozenset(
                    r for r in mail.recipients if r.lower() in addresses
                )
        return reached

    def _lookup(self, mails: Sequence[OutgoingMail]) -> dict[str, list[dict[str, Any]]]:
        """The mailbox's messages (sent or draft) with each mail's Message-ID."""
        calls = [
            Call(
                "GET",
                f"/users/{self.mailbox}/messages?$filter=internetMessageId eq "
                f"{quoted(mail.message_id)}&$select={LOOKUP_SELECT}",
            )
            for mail in mails
        ]
        found: dict[str, list[dict[str, Any]]] = {}
        for mail, answer in zip(mails, self.graph.batch(calls), strict=True):
            if answer.error is not None:
                raise answer.error
            found[mail.message_id] = list(answer.body.get("value") or [])
        return found

    def send(self, mails: Sequence[OutgoingMail]) -> list[SendResult]:
        known = self._lookup(mails)
        results = []
        for mail in mails:
            messages = known[mail.message_id]
            reached = frozenset().union(*(_addresses(m) for m in messages if not m.get("isDraft")))
            missing = tuple(r for r in mail.recipients if r.lower() not in reached)
            if not missing:  # sent before a crash or a lost answer: not again
                results.append(self._result(mail, reached, None))
                continue
            draft = next((m for m in messages if m.get("isDraft")), None)
            try:
                results.append(self._result(mail, reached | self._send_one(mail, missing, draft)))
            except GraphError as error:
                if error.status in (401, 403) or error.code == "MailboxNotEnabledForRESTAPI":
                    raise  # the mailbox cannot send at all: the whole batch waits
                results.append(self._result(mail, reached, error))
        return results

    def _send_one(
        self, mail: OutgoingMail, recipients: Sequence[str], draft: Mapping[str, Any] | None
    ) -> frozenset[str]:
        """Send the draft found, or a new one to `recipients`; the addresses it went to."""
        if draft is None:
            raw = addressed_to(mail.raw, recipients)
            draft = self.graph.request(
                "POST",
                f"/users/{self.mailbox}/messages",
                data=base64.b64encode(raw),
                headers={"Content-Type": "text/plain"},
            )
            assert draft is not None
        self._pace()
        self.graph.request("POST", f"/users/{self.mailbox}/messages/{draft['id']}/send")
        return _addresses(draft) or frozenset(r.lower() for r in recipients)

    def _pace(self) -> None:
        """No more than 30 sends in any minute, Exchange's limit."""
        while len(self._sent_at) >= PER_MINUTE:
            wait = self._sent_at[0] + 60.0 - self.clock()
            if wait <= 0:
                self._sent_at.popleft()
                continue
            self.sleep(wait)
        self._sent_at.append(self.clock())

    @staticmethod
    def _result(
        mail: OutgoingMail, reached: frozenset[str], error: ProviderError | None = None
    ) -> SendResult:
        """Each recipient once: delivered when Exchange took the mail for them, else refused
        (a permanent error) or deferred."""
        delivered = frozenset(r for r in mail.recipients if r.lower() in reached)
        rest = [r for r in mail.recipients if r not in delivered]
        if error is None:
            return SendResult(mail.message_id, delivered, deferred=dict.fromkeys(
                rest, "not among the recipients Exchange took"))  # fmt: skip
        reason = str(error)
        if error.permanent:
            return SendResult(mail.message_id, delivered, refused=dict.fromkeys(rest, reason))
        return SendResult(mail.message_id, delivered, deferred=dict.fromkeys(rest, reason))
