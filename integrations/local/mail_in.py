"""Incoming mail for the local provider: an IMAP mailbox read by UID, or a Maildir folder. Both
only read; the core keeps what it has handled and drops repeats by Message-ID."""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from ssl import SSLContext
from typing import Any

from imapclient import IMAPClient  # type: ignore[import-untyped]
from imapclient.exceptions import (  # type: ignore[import-untyped]
    CapabilityError,
    IMAPClientAbortError,
    IMAPClientError,
    LoginError,
)
from tenacity.wait import WaitBaseT

from integrations.local.mail_out import DEFAULT_WAIT, retrying
from scheduler.ports import InboundMail, InboxBatch, ProviderError


class ImapInbox:
    """Reads one IMAP folder by UID, read-only (EXAMINE and BODY.PEEK: no flag is ever set).

    The cursor is "UIDVALIDITY:LASTUID"; a fetch returns up to `limit` messages with a higher
    UID, oldest first, so call again until a batch comes back empty. When the server changes
    the folder's UIDVALIDITY, every message is returned again (RFC 3501, 2.3.1.1). Transient
    failures are retried three times (`wait` makes the pauses injectable).
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        ssl: bool = True,
        starttls: bool = False,
        username: str,
        password: str,
        folder: str = "INBOX",
        timeout: float = 30.0,
        limit: int = 500,
        wait: WaitBaseT = DEFAULT_WAIT,
        ssl_context: SSLContext | None = None,
    ) -> None:
        if ssl and starttls:
            raise ValueError("choose one of ssl (port 993) and starttls (port 143), not both")
        self.host, self.port, self.ssl, self.starttls = host, port, ssl, starttls
        self.username = username
        self._password = password
        self.folder, self.timeout, self.limit = folder, timeout, limit
        self._wait = wait
        self._ssl_context = ssl_context

    def fetch(self, cursor: str | None) -> InboxBatch:
        """Messages with a UID above the cursor's, provider_id "imap:<uidvalidity>:<uid>".

        Raises:
            ProviderError: permanent for a refused login, a missing folder or a foreign cursor.
        """
        validity, last = _imap_cursor(cursor)
        try:
            batch: InboxBatch = retrying(self._wait)(self._fetch, validity, last)
        except ProviderError as error:
            text = str(error).replace(self._password, "********") if self._password else str(error)
            raise ProviderError(text, permanent=error.permanent) from error.__cause__
        return batch

    def check(self) -> str:
        """Log in and open the folder read-only, for `tandem check`; what was found.

        Raises:
            ProviderError: the server, the login or the folder failed.
        """
        try:
            with self._session() as client:
                found = _call(f"opening {self.folder}", client.select_folder, self.folder, True)
        except ProviderError as error:
            text = str(error).replace(self._password, "********") if self._password else str(error)
            raise ProviderError(text, permanent=error.permanent) from error.__cause__
        return f"{self.folder} holds {found.get(b'EXISTS', 0)} message(s)"

    def _fetch(self, validity: int | None, last: int) -> InboxBatch:
        with self._session() as client:
            status = _call(f"opening folder {self.folder}", client.select_folder, self.folder, True)
            current = int(status[b"UIDVALIDITY"])
            if current != validity:
                last = 0
            found = _call("searching", client.search, ["UID", f"{last + 1}:*"])
            # "n:*" also matches the newest message when its UID is below n (RFC 3501, 6.4.8)
            uids = sorted(uid for uid in found if uid > last)[: self.limit]
            messages: list[InboundMail] = []
            for start in range(0, len(uids), 100):
                chunk = uids[start : start + 100]
                bodies = _call("fetching", client.fetch, chunk, ["BODY.PEEK[]"])
                for uid in chunk:
                    if uid in bodies:  # gone if expunged in between
                        raw = bodies[uid][b"BODY[]"]
                        messages.append(InboundMail(f"imap:{current}:{uid}", raw))
            return InboxBatch(messages, f"{current}:{uids[-1] if uids else last}")

    @contextmanager
    def _session(self) -> Iterator[Any]:
        context = self._ssl_context or ssl.create_default_context()
        where = f"connecting to IMAP {self.host}:{self.port}"
        options = {"ssl": self.ssl, "ssl_context": context, "timeout": self.timeout}
        client = _call(where, IMAPClient, self.host, self.port, **options)
        try:
            if self.starttls:
                _call("starting TLS", client.starttls, context)
            _call(f"logging in as {self.username}", client.login, self.username, self._password)
            yield client
        finally:
            with suppress(IMAPClientError, OSError):
                client.logout()
            with suppress(IMAPClientError, OSError):
                client.shutdown()


class MaildirInbox:
    """Reads a Maildir's new/ and cur/, never moving, flagging or deleting a message.

    A message's change time (ctime) is set when it is renamed into new/ or cur/, and later
    changes only raise it, so it is never older than the moment the message appeared (mtime
    is not: delivery writes in tmp/ first, and `cp -p` keeps it). The cursor is therefore a
    watermark in the folder's own clock plus the keys returned since, as JSON
    {"since": <ctime ns>, "seen": [keys]}: messages older than the watermark were all
    returned before. The watermark trails the newest message by
    `MARGIN_NS`, which absorbs clock steps and coarse timestamps, so the cursor holds only
    the keys of the last few minutes of arrivals, however large the folder.

    A message that a person moves or flags after it was returned may be returned again; the
    core drops it by Message-ID. Needs a filesystem that updates ctime on rename (Linux ext4,
    xfs, btrfs, tmpfs; APFS). A fetch returns up to `limit` messages, oldest first.
    """

    MARGIN_NS = 120 * 10**9

    def __init__(self, folder: Path, *, limit: int = 500) -> None:
        self.folder = folder
        self.limit = limit

    def fetch(self, cursor: str | None) -> InboxBatch:
        """Messages not returned before, provider_id "maildir:<key>".

        Raises:
            ProviderError: permanent when the folder cannot be read or the cursor is foreign.
        """
        since, seen = _maildir_cursor(cursor)
        try:
            arrived = self._scan()
            waiting = sorted(
                (ctime, key)
                for key, (ctime, _) in arrived.items()
                if (since is None or ctime >= since) and key not in seen
            )
            messages: list[InboundMail] = []
            taken: set[str] = set()
            cut: int | None = None  # the change time of the first message left for next time
            for ctime, key in waiting:
                if len(messages) == self.limit:
                    cut = ctime
                    break
                with suppress(FileNotFoundError):  # moved by a mail client: next time
                    messages.append(InboundMail(f"maildir:{key}", arrived[key][1].read_bytes()))
                    taken.add(key)
        except OSError as error:
            message = f"cannot read the inbox {self.folder}: {error}"
            raise ProviderError(message, permanent=True) from error
        if not arrived:
            return InboxBatch(messages, cursor)
        watermark = max(ctime for ctime, _ in arrived.values()) - self.MARGIN_NS
        if cut is not None:
            watermark = min(watermark, cut)
        watermark = watermark if since is None else max(watermark, since)
        keep = sorted(k for k, (c, _) in arrived.items() if c >= watermark and k in seen | taken)
        return InboxBatch(messages, json.dumps({"since": watermark, "seen": keep}))

    def _scan(self) -> dict[str, tuple[int, Path]]:
        """Every message's key, with its change time and path (the newest if listed twice)."""
        arrived: dict[str, tuple[int, Path]] = {}
        for part in ("tmp", "new", "cur"):  # so that a person can drop files into new/
            (self.folder / part).mkdir(parents=True, exist_ok=True)
        for part in ("new", "cur"):
            for entry in (self.folder / part).iterdir():
                if entry.name.startswith("."):
                    continue
                with suppress(FileNotFoundError):
                    ctime = entry.stat().st_ctime_ns
                    key = entry.name.split(":")[0]
                    if key not in arrived or arrived[key][0] < ctime:
                        arrived[key] = (ctime, entry)
        return arrived


def _imap_cursor(cursor: str | None) -> tuple[int | None, int]:
    if cursor is None:
        return None, 0
    validity, _, last = cursor.partition(":")
    if not (validity.isdigit() and last.isdigit()):
        raise ProviderError(f"{cursor!r} is not an IMAP inbox cursor", permanent=True)
    return int(validity), int(last)


def _maildir_cursor(cursor: str | None) -> tuple[int | None, set[str]]:
    if cursor is None:
        return None, set()
    try:
        state = json.loads(cursor)
        since, seen = state["since"], state["seen"]
        if isinstance(since, int) and isinstance(seen, list):
            return since, {str(key) for key in seen}
    except (ValueError, TypeError, KeyError):
        pass
    raise ProviderError(f"{cursor[:40]!r} is not a Maildir inbox cursor", permanent=True)


def _call(doing: str, action: Any, *args: Any, **kwargs: Any) -> Any:
    """Runs one IMAP step and says what its failure means. RFC 5530 response codes mark a
    refusal that may pass ([UNAVAILABLE] is the usual one for a login backend that is down)."""
    try:
        return action(*args, **kwargs)
    except (IMAPClientAbortError, OSError) as error:
        if isinstance(error, ssl.SSLCertVerificationError):
            raise ProviderError(f"{doing}: {error}", permanent=True) from error
        raise ProviderError(f"{doing}: {error or type(error).__name__}", permanent=False) from error
    except IMAPClientError as error:
        text = str(error)
        refusal = isinstance(error, LoginError | CapabilityError) or doing.startswith("opening")
        permanent = refusal and not any(code in text for code in _TRANSIENT_CODES)
        raise ProviderError(f"{doing}: {text}", permanent=permanent) from error


_TRANSIENT_CODES = ("[UNAVAILABLE]", "[INUSE]", "[LIMIT]", "[SERVERBUG]")
