"""Outgoing mail for the local provider when there is no relay at all (the embedded default):
each message written once into a Maildir outbox that a person can open, with a readable .eml
copy beside it."""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from scheduler.ports import OutgoingMail, ProviderError, SendResult
from scheduler.render.labels import eml_name


class MaildirMailer:
    """Delivers each message into a Maildir outbox, plus a copy in eml/ that opens with a
    double-click and is named for a person: "2026-12-01 launch kit - Ana Lima & Bo Chen -
    3f9a1c.eml" (see scheduler.render.labels.eml_name).

    The Maildir file name is derived from the Message-ID, so a message is written at most once
    (a second send finds the name in new/ or cur/ and writes nothing) and `sent_to` looks
    each name up. The .eml name is fixed by the stored message too, so a resend writes no
    second copy. Each file appears whole: written and synced in tmp/, then renamed into new/
    (the files of a batch side by side, so that the disk commits them together);
    the .eml copy is a second link to the same file (a written copy where the file system has
    no hard links). Before `send` returns, new/ and eml/ are synced once for the batch, so a
    mail reported sent is on disk.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, mails: Sequence[OutgoingMail]) -> list[SendResult]:
        """Every mail reaches all its recipients at once (it is one file).

        Raises:
            ProviderError: permanent, when the folder cannot be written.
        """
        try:
            # not Maildir(create=True): it leaves an existing folder without tmp/, new/, cur/
            for part in ("tmp", "new", "cur", "eml"):
                (self.folder / part).mkdir(parents=True, exist_ok=True)
            read = self._read()
            delivered: dict[str, Path] = {}
            for mail in mails:
                name = file_name(mail.message_id)
                if name not in delivered and (found := self._find(name, read)) is not None:
                    delivered[name] = found
            self._deliver({file_name(m.message_id): m.raw for m in mails}, delivered)
            for mail in mails:
                readable = self.folder / "eml" / eml_name(mail.key, mail.message_id, mail.raw)
                _copy_once(delivered[file_name(mail.message_id)], readable, mail.raw)
            if mails:
                _sync_folder(self.folder / "new")
                _sync_folder(self.folder / "eml")
        except OSError as error:
            message = f"cannot write the outbox {self.folder}: {error}"
            raise ProviderError(message, permanent=True) from error
        return [SendResult(mail.message_id, frozenset(mail.recipients)) for mail in mails]

    def sent_to(self, mails: Sequence[OutgoingMail]) -> dict[str, frozenset[str]]:
        if not (self.folder / "new").is_dir():
            return {}
        read = self._read()
        return {
            mail.message_id: frozenset(mail.recipients)
            for mail in mails
            if self._find(file_name(mail.message_id), read) is not None
        }

    def _read(self) -> dict[str, Path]:
        """The messages a mail program has moved to cur/ on reading them, by their Maildir key
        (the name before the ":2,S" it adds), as mailbox.Maildir lists them."""
        found: dict[str, Path] = {}
        with os.scandir(self.folder / "cur") as entries:
            for entry in entries:
                if not entry.is_dir():
                    found[entry.name.split(":")[0]] = Path(entry.path)
        return found

    def _find(self, name: str, read: dict[str, Path]) -> Path | None:
        """Where the message `name` is: in new/, or read and moved to cur/; None if not sent."""
        fresh = self.folder / "new" / name
        return fresh if fresh.is_file() else read.get(name)

    def _deliver(self, raws: dict[str, bytes], delivered: dict[str, Path]) -> None:
        """Write the messages not yet `delivered`, each synced in tmp/ and then linked into
        new/. The files are written and synced side by side: the file system commits them
        together, where one after the other each waits for the disk."""
        waiting = {name: raw for name, raw in raws.items() if name not in delivered}
        if not waiting:
            return
        token = f"{os.getpid()}.{secrets.token_hex(4)}"
        staged = {name: self.folder / "tmp" / f"{name}.{token}" for name in waiting}
        try:
            with ThreadPoolExecutor(max_workers=min(len(waiting), _WRITERS)) as writers:
                list(writers.map(_write_synced, staged.values(), waiting.values()))
            for name, temporary in staged.items():
                # a rename (one step, where a link and an unlink are two): another worker
                # delivering the same message a moment ago wrote the same bytes
                os.rename(temporary, self.folder / "new" / name)
                delivered[name] = self.folder / "new" / name
        finally:
            for name, temporary in staged.items():
                if name not in delivered:  # a write failed: no half-done batch left in tmp/
                    temporary.unlink(missing_ok=True)


_WRITERS = 16


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


def _copy_once(delivered: Path, path: Path, data: bytes) -> None:
    """The .eml copy at `path` unless it is there: a hard link to the delivered file, or where
    linking is not possible (the file was just moved on by a mail program, a file system
    without hard links) a copy written whole."""
    if path.exists():
        return
    try:
        os.link(delivered, path)
        return
    except FileExistsError:
        return  # another worker made it a moment ago
    except OSError:
        pass
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}")
    _write_synced(temporary, data)
    os.replace(temporary, path)


def _write_synced(path: Path, data: bytes) -> None:
    with path.open("xb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())


def _sync_folder(folder: Path) -> None:
    """Make the names linked into `folder` durable (the files' contents are synced already)."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
