"""MaildirMailer and MaildirInbox on real folders, written the way mail programs write them."""

from __future__ import annotations

import json
import mailbox
import os
import time
from pathlib import Path

import pytest

from integrations.local.mail_in import MaildirInbox
from integrations.local.maildir import MaildirMailer, file_name
from scheduler.ports import OutgoingMail, ProviderError
from scheduler.render.labels import eml_name


def outgoing(message_id: str, body: str = "Hello") -> OutgoingMail:
    raw = f"From: p@example.org\r\nTo: a@example.org\r\nMessage-ID: {message_id}\r\n\r\n{body}\r\n"
    return OutgoingMail(f"key {message_id}", message_id, raw.encode(), ("a@example.org",))


def deliver(folder: Path, text: str) -> str:
    """A delivery agent's way: written in tmp/, renamed into new/."""
    for part in ("tmp", "new", "cur"):
        (folder / part).mkdir(exist_ok=True)
    return str(mailbox.Maildir(folder, create=True).add(text.encode()))


def listing(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*"))


def test_sending_twice_writes_one_message_and_one_eml_copy(tmp_path: Path) -> None:
    outbox = MaildirMailer(tmp_path / "outbox")
    kit = outgoing("<tandem.abc@example.org>")

    outbox.send([kit])
    outbox.send([kit, kit])

    assert [p.read_bytes() for p in (tmp_path / "outbox" / "new").iterdir()] == [kit.raw]
    copies = list((tmp_path / "outbox" / "eml").iterdir())
    assert [p.name for p in copies] == [eml_name(kit.key, kit.message_id, kit.raw)]
    assert copies[0].read_bytes() == kit.raw


def test_a_message_a_person_has_read_still_counts_as_sent(tmp_path: Path) -> None:
    folder = tmp_path / "outbox"
    outbox = MaildirMailer(folder)
    kit = outgoing("<tandem.read@example.org>")
    outbox.send([kit])
    (new,) = (folder / "new").iterdir()
    new.rename(folder / "cur" / f"{new.name}:2,S")  # what a mail program does on reading

    outbox.send([kit])

    never = outgoing("<never@example.org>")
    assert set(outbox.sent_to([kit, never])) == {kit.message_id}
    assert len(list((folder / "new").iterdir())) == 0 and len(list((folder / "cur").iterdir())) == 1


def test_message_ids_unsafe_as_file_names_are_kept_apart(tmp_path: Path) -> None:
    outbox = MaildirMailer(tmp_path)
    ids = ["<a/b@x>", "<a_b@x>", "<a:b@x>", "<.hidden@x>"]

    mails = [outgoing(i, body=i) for i in ids]
    outbox.send(mails)

    assert len({file_name(i) for i in ids}) == 4
    assert all("/" not in file_name(i) and ":" not in file_name(i) for i in ids)
    assert outbox.sent_to(mails) == {i: frozenset({"a@example.org"}) for i in ids}
    assert len(mailbox.Maildir(tmp_path)) == 4


def test_sent_to_of_an_outbox_never_written_is_empty(tmp_path: Path) -> None:
    assert MaildirMailer(tmp_path / "none").sent_to([outgoing("<a@b>")]) == {}


def test_the_inbox_returns_each_message_once_across_fetches(tmp_path: Path) -> None:
    inbox = MaildirInbox(tmp_path)
    first = deliver(tmp_path, "Subject: one\n\n1\n")
    (tmp_path / "cur" / "old-read-mail:2,S").write_bytes(b"Subject: read\n\nr\n")

    batch = inbox.fetch(None)
    again = inbox.fetch(batch.cursor)

    assert sorted(m.provider_id for m in batch.messages) == sorted(
        [f"maildir:{first}", "maildir:old-read-mail"]
    )
    assert again.messages == []


def test_a_message_dropped_between_fetches_is_returned(tmp_path: Path) -> None:
    inbox = MaildirInbox(tmp_path)
    deliver(tmp_path, "Subject: one\n\n1\n")
    cursor = inbox.fetch(None).cursor

    second = deliver(tmp_path, "Subject: two\n\n2\n")
    batch = inbox.fetch(cursor)

    assert [(m.provider_id, m.raw) for m in batch.messages] == [
        (f"maildir:{second}", b"Subject: two\n\n2\n")
    ]
    assert MaildirInbox(tmp_path).fetch(batch.cursor).messages == []


def test_a_message_copied_in_with_an_old_mtime_is_still_returned(tmp_path: Path) -> None:
    # Given a cursor taken after a first message
    inbox = MaildirInbox(tmp_path)
    deliver(tmp_path, "Subject: one\n\n1\n")
    cursor = inbox.fetch(None).cursor
    # When a file written a year ago (cp -p keeps mtime) is moved into new/
    staged = tmp_path / "tmp" / "copied"
    staged.write_bytes(b"Subject: old\n\nold\n")
    os.utime(staged, ns=(0, 1_000_000_000))
    staged.rename(tmp_path / "new" / "copied")
    # Then it is returned: its ctime says when it arrived
    assert [m.provider_id for m in inbox.fetch(cursor).messages] == ["maildir:copied"]


def test_the_cursor_keeps_only_recent_keys(tmp_path: Path) -> None:
    inbox = MaildirInbox(tmp_path)
    inbox.MARGIN_NS = 0
    for number in range(5):
        deliver(tmp_path, f"Subject: {number}\n\n")
        time.sleep(0.02)  # distinct change times, even with a coarse filesystem clock
    newest = max((tmp_path / "new").iterdir(), key=lambda p: p.stat().st_ctime_ns)

    state = json.loads(inbox.fetch(None).cursor or "")

    assert newest.name in state["seen"] and len(state["seen"]) < 5
    assert state["since"] == newest.stat().st_ctime_ns


def test_a_limit_splits_the_folder_into_batches_without_loss(tmp_path: Path) -> None:
    keys = {deliver(tmp_path, f"Subject: {n}\n\n") for n in range(7)}
    inbox = MaildirInbox(tmp_path, limit=3)

    seen: list[str] = []
    cursor = None
    for _ in range(4):
        batch = inbox.fetch(cursor)
        seen += [m.provider_id.removeprefix("maildir:") for m in batch.messages]
        cursor = batch.cursor

    assert sorted(seen) == sorted(keys)


def test_the_inbox_never_moves_flags_or_deletes_mail(tmp_path: Path) -> None:
    deliver(tmp_path, "Subject: one\n\n1\n")
    before = listing(tmp_path)

    MaildirInbox(tmp_path).fetch(None)

    assert listing(tmp_path) == before


def test_a_foreign_cursor_is_permanent(tmp_path: Path) -> None:
    with pytest.raises(ProviderError) as raised:
        MaildirInbox(tmp_path).fetch("1234:56")

    assert raised.value.permanent
