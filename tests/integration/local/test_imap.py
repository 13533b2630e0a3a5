"""ImapInbox against a real Dovecot on loopback (see conftest.py for how it is started)."""

from __future__ import annotations

import pytest
from tenacity import wait_none

from integrations.local.mail_in import ImapInbox
from scheduler.ports import ProviderError
from tests.integration.local.dovecot import IMAP_PASSWORD, IMAP_USER, Dovecot, dovecot_client
from tests.integration.local.relay import Certificate, free_port

pytestmark = pytest.mark.imap


def inbox(server: Dovecot, folder: str, **options: object) -> ImapInbox:
    settings: dict[str, object] = {"password": IMAP_PASSWORD, "ssl": False}
    settings.update(options)
    return ImapInbox(
        server.host, server.port, username=IMAP_USER, folder=folder, timeout=5, wait=wait_none(),
        **settings,  # type: ignore[arg-type]
    )  # fmt: skip


def message(number: int) -> bytes:
    return (
        f"From: Ana <ana@example.org>\r\nTo: program@example.org\r\nSubject: Re: kit {number}\r\n"
        f"Message-ID: <reply.{number}@example.org>\r\n\r\nPAUSE\r\n"
    ).encode()


def append(server: Dovecot, folder: str, *numbers: int) -> list[int]:
    """Delivers messages by IMAP APPEND and returns their UIDs."""
    with dovecot_client(server) as client:
        answers = [client.append(folder, message(n)) for n in numbers]
    return [int(answer.split(b"]")[0].split()[-1]) for answer in answers]  # [APPENDUID v uid]


def test_it_returns_new_messages_once_and_the_cursor_survives(
    dovecot: Dovecot, imap_folder: str
) -> None:
    uids = append(dovecot, imap_folder, 1, 2)

    first = inbox(dovecot, imap_folder).fetch(None)
    empty = inbox(dovecot, imap_folder).fetch(first.cursor)
    later = append(dovecot, imap_folder, 3)
    second = inbox(dovecot, imap_folder).fetch(empty.cursor)  # a fresh client, the saved cursor

    validity = (first.cursor or "").split(":")[0]
    assert [m.provider_id for m in first.messages] == [f"imap:{validity}:{u}" for u in uids]
    assert [m.raw for m in first.messages] == [message(1), message(2)]
    assert empty.messages == [] and empty.cursor == first.cursor == f"{validity}:{uids[-1]}"
    assert [m.provider_id for m in second.messages] == [f"imap:{validity}:{later[0]}"]


def test_it_never_sets_a_flag(dovecot: Dovecot, imap_folder: str) -> None:
    (uid,) = append(dovecot, imap_folder, 1)

    inbox(dovecot, imap_folder).fetch(None)

    with dovecot_client(dovecot) as client:
        client.select_folder(imap_folder, readonly=True)
        assert b"\\Seen" not in client.get_flags([uid])[uid]  # \Recent is the server's own


def test_a_changed_uidvalidity_starts_over(dovecot: Dovecot, imap_folder: str) -> None:
    append(dovecot, imap_folder, 1)
    cursor = inbox(dovecot, imap_folder).fetch(None).cursor
    # When the folder is recreated, so that the server gives it a new UIDVALIDITY
    with dovecot_client(dovecot) as client:
        client.delete_folder(imap_folder)
        client.create_folder(imap_folder)
    append(dovecot, imap_folder, 2, 3)

    batch = inbox(dovecot, imap_folder).fetch(cursor)

    assert [m.raw for m in batch.messages] == [message(2), message(3)]
    assert (batch.cursor or "").split(":")[0] != (cursor or "").split(":")[0]


def test_a_limit_returns_the_oldest_first_and_the_rest_later(
    dovecot: Dovecot, imap_folder: str
) -> None:
    append(dovecot, imap_folder, 1, 2, 3)
    reader = inbox(dovecot, imap_folder, limit=2)

    first = reader.fetch(None)
    rest = reader.fetch(first.cursor)

    assert [m.raw for m in [*first.messages, *rest.messages]] == [message(n) for n in (1, 2, 3)]


def test_a_wrong_password_is_permanent_and_never_shown(dovecot: Dovecot, imap_folder: str) -> None:
    secret = "Wrong-Imap-Secret"

    with pytest.raises(ProviderError) as raised:
        inbox(dovecot, imap_folder, password=secret).fetch(None)

    assert raised.value.permanent and "AUTHENTICATIONFAILED" in str(raised.value)
    assert secret not in str(raised.value)


def test_a_missing_folder_is_permanent(dovecot: Dovecot) -> None:
    with pytest.raises(ProviderError) as raised:
        inbox(dovecot, "No-Such-Folder").fetch(None)

    assert raised.value.permanent and "No-Such-Folder" in str(raised.value)


def test_a_server_that_is_not_there_is_transient() -> None:
    reader = ImapInbox(
        "127.0.0.1", free_port(), ssl=False, username="u", password="p", wait=wait_none()
    )

    with pytest.raises(ProviderError) as raised:
        reader.fetch(None)

    assert not raised.value.permanent


def test_a_foreign_cursor_is_permanent(dovecot: Dovecot, imap_folder: str) -> None:
    with pytest.raises(ProviderError) as raised:
        inbox(dovecot, imap_folder).fetch('{"since": 1, "seen": []}')

    assert raised.value.permanent


def test_it_reads_over_implicit_tls(
    dovecot: Dovecot, imap_folder: str, certificate: Certificate
) -> None:
    append(dovecot, imap_folder, 1)
    reader = ImapInbox(
        dovecot.host, dovecot.tls_port, ssl=True, username=IMAP_USER, password=IMAP_PASSWORD,
        folder=imap_folder, ssl_context=certificate.client_context(), wait=wait_none(),
    )  # fmt: skip

    assert [m.raw for m in reader.fetch(None).messages] == [message(1)]


def test_it_reads_after_starttls(
    dovecot: Dovecot, imap_folder: str, certificate: Certificate
) -> None:
    append(dovecot, imap_folder, 1)
    reader = inbox(dovecot, imap_folder, starttls=True, ssl_context=certificate.client_context())

    assert [m.raw for m in reader.fetch(None).messages] == [message(1)]


def test_an_untrusted_certificate_is_permanent(dovecot: Dovecot, imap_folder: str) -> None:
    reader = ImapInbox(
        dovecot.host, dovecot.tls_port, ssl=True, username=IMAP_USER, password=IMAP_PASSWORD,
        folder=imap_folder, wait=wait_none(),
    )  # fmt: skip

    with pytest.raises(ProviderError) as raised:
        reader.fetch(None)

    assert raised.value.permanent
