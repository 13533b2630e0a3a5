"""Outgoing mail for the local provider: through an SMTP relay, or into a Maildir outbox that a
person can open when there is no relay at all (the embedded default)."""

from __future__ import annotations

import hashlib
import mailbox
import os
import re
import secrets
import smtplib
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from email import policy
from email.headerregistry import AddressHeader
from email.parser import BytesParser
from pathlib import Path
from ssl import SSLContext

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter
from tenacity.wait import WaitBaseT

from scheduler.ports import OutgoingMail, ProviderError

DEFAULT_WAIT: WaitBaseT = wait_exponential_jitter(multiplier=0.5, max=8, jitter=0.5)


class SmtpMailer:
    """Sends each batch over one SMTP connection and records what the server accepted.

    SMTP cannot answer "was this message sent?", so the Message-ID of every message the server
    accepts (its 250 after DATA) is appended to `sent_log` and fsync'd before the next message
    goes out. `sent_ids` answers from that log, and `send` skips what the log already holds,
    so a retried batch sends only the rest. Honest limit: a crash between the server's 250 and
    the log write sends that one message twice on the next try. The log grows by one line per
    message (about 60 bytes) and is read whole on each call.

    Transient failures (4xx replies, lost connections, timeouts) are retried three times with
    exponential backoff and jitter (`wait` makes the pauses injectable); 5xx replies and a
    refused recipient are permanent. A message accepted for some recipients and refused for
    others counts as sent. The password never appears in an error message.
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
        self.sent_log = sent_log
        self._wait = wait
        self._ssl_context = ssl_context

    def send(self, mails: Sequence[OutgoingMail]) -> None:
        """Send every mail that the sent log does not already hold, in order.

        Raises:
            ProviderError: permanent when the server refuses a message or the login; the mails
            before it went out and are in `sent_ids`.
        """
        try:
            retrying(self._wait)(self._send_unsent, mails)
        except ProviderError as error:
            message = _redact(str(error), self._password)
            raise ProviderError(message, permanent=error.permanent) from error.__cause__

    def sent_ids(self, message_ids: Sequence[str]) -> set[str]:
        logged = _read_log(self.sent_log)
        return {message_id for message_id in message_ids if message_id.strip() in logged}

    def _send_unsent(self, mails: Sequence[OutgoingMail]) -> None:
        logged = _read_log(self.sent_log)
        unsent = [mail for mail in mails if mail.message_id.strip() not in logged]
        if not unsent:
            return
        with self._session() as smtp:
            for mail in unsent:
                if mail.message_id.strip() in logged:  # the same message twice in one batch
                    continue
                try:
                    smtp.sendmail(
                        _sender(mail), list(mail.recipients), _crlf(mail.raw), _options(mail)
                    )
                except (smtplib.SMTPException, OSError) as error:
                    raise _smtp_error(error, f"sending {mail.message_id}") from error
                _append_log(self.sent_log, mail.message_id)
                logged.add(mail.message_id.strip())

    @contextmanager
    def _session(self) -> Iterator[smtplib.SMTP]:
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
        try:
            yield smtp
        finally:
            with suppress(smtplib.SMTPException, OSError):
                smtp.quit()
            smtp.close()


class MaildirMailer:
    """Delivers each message into a Maildir outbox, plus a copy at eml/<name>.eml that opens
    with a double-click.

    The Maildir file name is derived from the Message-ID, so a message is written at most once
    (a second send finds the name in new/ or cur/ and writes nothing) and `sent_ids` is one
    directory listing. Each file appears whole: written in tmp/, then linked into new/.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, mails: Sequence[OutgoingMail]) -> None:
        """Raises ProviderError, permanent, when the folder cannot be written."""
        try:
            # not Maildir(create=True): it leaves an existing folder without tmp/, new/, cur/
            for part in ("tmp", "new", "cur", "eml"):
                (self.folder / part).mkdir(parents=True, exist_ok=True)
            keys = set(mailbox.Maildir(self.folder, create=False).keys())
            for mail in mails:
                name = file_name(mail.message_id)
                if name not in keys:
                    self._deliver(name, mail.raw)
                    keys.add(name)
                _write_once(self.folder / "eml" / f"{name}.eml", mail.raw)
        except OSError as error:
            message = f"cannot write the outbox {self.folder}: {error}"
            raise ProviderError(message, permanent=True) from error

    def sent_ids(self, message_ids: Sequence[str]) -> set[str]:
        if not (self.folder / "new").is_dir():
            return set()
        keys = set(mailbox.Maildir(self.folder, create=False).keys())
        return {message_id for message_id in message_ids if file_name(message_id) in keys}

    def _deliver(self, name: str, raw: bytes) -> None:
        temporary = self.folder / "tmp" / f"{name}.{os.getpid()}.{secrets.token_hex(4)}"
        _write_synced(temporary, raw)
        try:
            os.link(temporary, self.folder / "new" / name)
        except FileExistsError:
            pass  # another worker delivered the same message a moment ago
        finally:
            temporary.unlink()


def retrying(wait: WaitBaseT) -> Retrying:
    """The local provider's one retry policy: three tries of what a transient ProviderError
    interrupted; a permanent one stops at once."""
    return Retrying(
        stop=stop_after_attempt(3),
        wait=wait,
        retry=retry_if_exception(lambda e: isinstance(e, ProviderError) and not e.permanent),
        reraise=True,
    )


def file_name(message_id: str) -> str:
    """A file name for a Message-ID: the id itself without its brackets when that is safe,
    else a cleaned prefix plus a hash ("~" marks it, and never occurs in a name kept as is)."""
    bare = message_id.strip().removeprefix("<").removesuffix(">")
    safe = _UNSAFE.sub("_", bare)
    if safe == bare and bare and not bare.startswith(".") and len(bare) <= 150:
        return bare
    digest = hashlib.sha256(message_id.strip().encode()).hexdigest()[:16]
    return f"{safe.lstrip('.')[:100]}~{digest}"


_UNSAFE = re.compile(r"[^A-Za-z0-9._@+=-]")  # no ":" (Maildir's flag separator), no "/"


def _sender(mail: OutgoingMail) -> str:
    header = BytesParser(policy=policy.default).parsebytes(mail.raw, headersonly=True)["From"]
    if isinstance(header, AddressHeader) and header.addresses:
        return header.addresses[0].addr_spec
    raise ProviderError(f"{mail.message_id} has no From address", permanent=True)


def _crlf(raw: bytes) -> bytes:
    """SMTP lines end in CRLF (RFC 5321 2.3.8); smtplib sends bytes as they are, and strict
    servers refuse bare LF."""
    return re.sub(rb"\r?\n", b"\r\n", raw)


def _options(mail: OutgoingMail) -> list[str]:
    addresses = [_sender(mail), *mail.recipients]
    return [] if all(address.isascii() for address in addresses) else ["SMTPUTF8"]


def _smtp_error(error: Exception, doing: str) -> ProviderError:
    """One place that decides what a failure means: RFC 5321 says 4xx may succeed later,
    5xx will not."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        refused = error.recipients.items()
        detail = "; ".join(f"{who}: {code} {_text(text)}" for who, (code, text) in refused)
        permanent = any(code >= 500 for code, _ in error.recipients.values())
        return ProviderError(f"{doing}: every recipient refused ({detail})", permanent=permanent)
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


def _read_log(path: Path) -> set[str]:
    try:
        return set(path.read_text(encoding="utf-8").split())
    except FileNotFoundError:
        return set()
    except OSError as error:
        message = f"cannot read the sent log {path}: {error.strerror}"
        raise ProviderError(message, permanent=True) from error


def _append_log(path: Path, message_id: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("ab") as log:  # O_APPEND: one short write, whole, even from many workers
            log.write(f"{message_id.strip()}\n".encode())
            log.flush()
            os.fsync(log.fileno())
    except OSError as error:  # permanent: a retry would send the message again
        message = f"sent {message_id} but could not record it in {path}: {error.strerror}"
        raise ProviderError(message, permanent=True) from error


def _write_once(path: Path, data: bytes) -> None:
    if not path.exists():
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
        _write_synced(temporary, data)
        os.replace(temporary, path)


def _write_synced(path: Path, data: bytes) -> None:
    with path.open("xb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
