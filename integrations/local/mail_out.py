"""Outgoing mail for the local provider through an SMTP relay, each message exactly once: a
sent log beside the program records what the relay accepted, per recipient. (Without a relay,
mail goes into a Maildir outbox: integrations.local.maildir.)"""

from __future__ import annotations

import os
import re
import smtplib
import ssl
from collections.abc import Sequence
from contextlib import suppress
from email import policy
from email.headerregistry import AddressHeader
from email.parser import BytesParser
from pathlib import Path
from ssl import SSLContext

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter
from tenacity.wait import WaitBaseT

from scheduler.ports import OutgoingMail, ProviderError, SendResult

DEFAULT_WAIT: WaitBaseT = wait_exponential_jitter(multiplier=0.5, max=8, jitter=0.5)


class SmtpMailer:
    """Sends each batch over one SMTP connection and records what the server accepted.

    SMTP cannot answer "was this message sent?", so after the server's 250 for a message the
    Message-ID and the recipients it accepted are appended to `sent_log` and fsync'd before the
    next message goes out. `sent_to` answers from that log, and `send` sends a message only to
    the recipients the log does not already hold (the log is read again, from where it was
    last read, before each message, so a second sender's lines are seen at once). Honest limit:
    a crash between the server's 250 and the log write sends that one message twice on the
    next try.

    Results are per recipient (RFC 5321 4.2.1): a recipient refused with 4xx is deferred, one
    refused with 5xx is refused for good, and the others receive the message. A message refused
    after DATA with 5xx is refused for all its recipients; the batch goes on. Lost connections,
    timeouts and 4xx after DATA are retried three times with exponential backoff and jitter
    (`wait` makes the pauses injectable), then raised as a transient ProviderError; a refused
    login, sender or certificate is raised as permanent. The password never appears in an
    error message.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        starttls: bool = False,
        ssl: bool = False,
        username: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        sent_log: Path,
        wait: WaitBaseT = DEFAULT_WAIT,
        ssl_context: SSLContext | None = None,
    ) -> None:
        if starttls and ssl:
            raise ValueError("choose one of starttls (port 587) and ssl (port 465), not both")
        self.host, self.port = host, port
        self.starttls, self.ssl = starttls, ssl
        self.username = username
        self._password = password
        self.timeout = timeout
        self.sent_log = SentLog(sent_log)
        self._wait = wait
        self._ssl_context = ssl_context

    def send(self, mails: Sequence[OutgoingMail]) -> list[SendResult]:
        """Send every mail to the recipients the sent log does not already hold, in order.

        Raises:
            ProviderError: the server could not be reached or refused the login, the TLS
            certificate or the sender; the mails before went out and are in `sent_to`.
        """
        results: dict[str, SendResult] = {}
        try:
            retrying(self._wait)(self._send_unsent, mails, results)
        except ProviderError as error:
            message = _redact(str(error), self._password)
            raise ProviderError(message, permanent=error.permanent) from error.__cause__
        return [_redacted(results[mail.message_id], self._password) for mail in mails]

    def sent_to(self, mails: Sequence[OutgoingMail]) -> dict[str, frozenset[str]]:
        logged = self.sent_log.read()
        found = {}
        for mail in mails:
            reached = logged.get(mail.message_id.strip())
            if reached is not None:
                found[mail.message_id] = frozenset(mail.recipients) if ALL in reached else reached
        return found

    def check(self) -> str:
        """Connect, start TLS and log in as a send would, then leave, for `tandem check`.

        Raises:
            ProviderError: the server, TLS or the login failed.
        """
        try:
            _close(self._connect())
        except ProviderError as error:
            text = _redact(str(error), self._password)
            raise ProviderError(text, permanent=error.permanent) from error.__cause__
        return f"{self.host}:{self.port} accepted the connection" + (
            f" and the login of {self.username}" if self.username else ""
        )

    def _send_unsent(self, mails: Sequence[OutgoingMail], results: dict[str, SendResult]) -> None:
        todo = [mail for mail in mails if mail.message_id not in results]
        session: smtplib.SMTP | None = None
        try:
            for mail in todo:
                owed = self._owed(mail)
                if not owed:
                    results[mail.message_id] = SendResult(mail.message_id, self._reached(mail))
                    continue
                sender = _sender(mail)
                if sender is None:
                    refused = {r: "the message has no From address" for r in owed}
                    results[mail.message_id] = SendResult(mail.message_id, refused=refused)
                    continue
                if session is None:
                    session = self._connect()
                results[mail.message_id] = self._send_one(session, mail, sender, owed)
        finally:
            if session is not None:
                _close(session)

    def _send_one(
        self, smtp: smtplib.SMTP, mail: OutgoingMail, sender: str, owed: list[str]
    ) -> SendResult:
        doing = f"sending {mail.message_id}"
        try:
            refused = smtp.sendmail(sender, owed, _crlf(mail.raw), _options(sender, owed))
        except smtplib.SMTPRecipientsRefused as error:
            refused = error.recipients
        except smtplib.SMTPDataError as error:
            if error.smtp_code < 500:
                raise _smtp_error(error, doing) from error
            reason = f"{error.smtp_code} {_text(error.smtp_error)}"
            return SendResult(mail.message_id, refused={r: reason for r in owed})
        except (smtplib.SMTPException, OSError) as error:
            raise _smtp_error(error, doing) from error
        took = [r for r in owed if r not in refused]
        if took:
            self.sent_log.append(mail.message_id, took)
        deferred = {r: f"{c} {_text(t)}" for r, (c, t) in refused.items() if c < 500}
        gone = {r: f"{c} {_text(t)}" for r, (c, t) in refused.items() if c >= 500}
        return SendResult(mail.message_id, self._reached(mail), deferred, gone)

    def _owed(self, mail: OutgoingMail) -> list[str]:
        reached = self.sent_log.read().get(mail.message_id.strip(), frozenset())
        if ALL in reached:
            return []
        return [r for r in dict.fromkeys(mail.recipients) if r not in reached]

    def _reached(self, mail: OutgoingMail) -> frozenset[str]:
        reached = self.sent_log.read().get(mail.message_id.strip(), frozenset())
        return frozenset(mail.recipients) if ALL in reached else reached & set(mail.recipients)

    def _connect(self) -> smtplib.SMTP:
        where = f"SMTP {self.host}:{self.port}"
        context = self._ssl_context or ssl.create_default_context()
        smtp: smtplib.SMTP | None = None
        try:
            if self.ssl:
                smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout, context=context)
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            if self.starttls:
                smtp.starttls(context=context)
            if self.username is not None:
                smtp.login(self.username, self._password or "")
        except (smtplib.SMTPException, OSError) as error:
            if smtp is not None:
                smtp.close()
            raise _smtp_error(error, f"connecting to {where}") from error
        return smtp


ALL = "*"  # a log line of the first format (a Message-ID alone) meant every recipient


class SentLog:
    """The Message-IDs an SMTP server accepted, with the recipients it accepted them for: one
    line each, appended whole (O_APPEND) and fsync'd, so several senders can share it. Read
    incrementally: each read takes only the lines added since the last one."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        self._seen: dict[str, frozenset[str]] = {}

    def read(self) -> dict[str, frozenset[str]]:
        try:
            with self.path.open("rb") as log:
                log.seek(self._offset)
                added = log.read()
        except FileNotFoundError:
            return self._seen
        except OSError as error:
            message = f"cannot read the sent log {self.path}: {error.strerror}"
            raise ProviderError(message, permanent=True) from error
        whole = added[: added.rfind(b"\n") + 1]  # a line still being written waits
        self._offset += len(whole)
        for line in whole.decode("utf-8", "replace").splitlines():
            message_id, *recipients = line.split()
            if message_id:
                known = self._seen.get(message_id, frozenset())
                self._seen[message_id] = known | frozenset(recipients or [ALL])
        return self._seen

    def append(self, message_id: str, recipients: Sequence[str]) -> None:
        line = " ".join([message_id.strip(), *recipients]) + "\n"
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("ab") as log:  # O_APPEND: one short write, whole
                log.write(line.encode())
                log.flush()
                os.fsync(log.fileno())
        except OSError as error:  # permanent: a retry would send the message again
            message = f"sent {message_id} but could not record it in {self.path}: {error.strerror}"
            raise ProviderError(message, permanent=True) from error


def retrying(wait: WaitBaseT) -> Retrying:
    """The local provider's one retry policy: three tries of what a transient ProviderError
    interrupted; a permanent one stops at once."""
    return Retrying(
        stop=stop_after_attempt(3),
        wait=wait,
        retry=retry_if_exception(lambda e: isinstance(e, ProviderError) and not e.permanent),
        reraise=True,
    )


def _sender(mail: OutgoingMail) -> str | None:
    header = BytesParser(policy=policy.default).parsebytes(mail.raw, headersonly=True)["From"]
    if isinstance(header, AddressHeader) and header.addresses:
        return header.addresses[0].addr_spec
    return None


def _crlf(raw: bytes) -> bytes:
    """SMTP lines end in CRLF (RFC 5321 2.3.8); smtplib sends bytes as they are, and strict
    servers refuse bare LF."""
    return re.sub(rb"\r?\n", b"\r\n", raw)


def _options(sender: str, recipients: Sequence[str]) -> list[str]:
    addresses = [sender, *recipients]
    return [] if all(address.isascii() for address in addresses) else ["SMTPUTF8"]


def _close(smtp: smtplib.SMTP) -> None:
    with suppress(smtplib.SMTPException, OSError):
        smtp.quit()
    smtp.close()


def _smtp_error(error: Exception, doing: str) -> ProviderError:
    """One place that decides what a failure of the whole session means: RFC 5321 says 4xx
    may succeed later, 5xx will not (a refused login or sender is a setting to fix)."""
    if isinstance(error, smtplib.SMTPResponseException):
        message = f"{doing}: {error.smtp_code} {_text(error.smtp_error)}"
        return ProviderError(message, permanent=error.smtp_code >= 500)
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return ProviderError(f"{doing}: the server closed the connection", permanent=False)
    if isinstance(error, smtplib.SMTPException | ssl.SSLCertVerificationError):
        return ProviderError(f"{doing}: {error}", permanent=True)  # no STARTTLS, AUTH, cert
    return ProviderError(f"{doing}: {error or type(error).__name__}", permanent=False)


def _text(text: bytes | str) -> str:
    return text.decode("utf-8", "replace") if isinstance(text, bytes) else text


def _redact(message: str, password: str | None) -> str:
    return message.replace(password, "********") if password else message


def _redacted(result: SendResult, password: str | None) -> SendResult:
    if not password:
        return result
    return SendResult(
        result.message_id,
        result.delivered,
        {who: _redact(why, password) for who, why in result.deferred.items()},
        {who: _redact(why, password) for who, why in result.refused.items()},
    )
