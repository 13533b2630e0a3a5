"""Gmail: each mail sent once as the mailbox, found again by its Message-ID; the daily limit
defers; replies read from the INBOX through history, with a full read when it expired."""

from __future__ import annotations

import pytest

from integrations.google.auth import GoogleAccess
from integrations.google.inbox import GmailInbox
from integrations.google.mail import GmailMailer
from scheduler.ports import CursorExpired, InboundMail, OutgoingMail
from tests.fakes.google import GoogleFake
from tests.integrations.google.conftest import MAILBOX

ANA, BO = "ana@example.com", "bo@example.com"


@pytest.fixture(autouse=True)
def peers(fake: GoogleFake) -> None:
    fake.add_user(ANA)
    fake.add_user(BO)


def mail(number: int, recipients: tuple[str, ...] = (ANA, BO)) -> OutgoingMail:
    message_id = f"<tandem.kit{number}@example.com>"
    raw = (
        f"From: Peer Mentoring <{MAILBOX}>\r\nTo: {', '.join(recipients)}\r\n"
        f"Subject: Kit {number}\r\nMessage-ID: {message_id}\r\n\r\nHello.\r\n"
    ).encode()
    return OutgoingMail(f"kit:{number}", message_id, raw, recipients, kind="kit")


def reply(number: int) -> bytes:
    return (
        f"From: {ANA}\r\nTo: {MAILBOX}\r\nSubject: Re: Kit\r\n"
        f"Message-ID: <reply{number}@example.com>\r\n\r\npause\r\n"
    ).encode()


def test_a_mail_is_sent_once_even_by_a_second_sender(
    fake: GoogleFake, access: GoogleAccess
) -> None:
    (sent,) = GmailMailer(access, MAILBOX).send([mail(1)])
    assert sent.delivered == {ANA, BO}
    other = GmailMailer(access, MAILBOX)  # a sender that took over a dead one's claim
    assert other.sent_to([mail(1), mail(2)]) == {mail(1).message_id: frozenset({ANA, BO})}
    other.send([mail(1)])
    assert [m.message_id for m in fake.sent] == [mail(1).message_id]
    assert fake.requests["gmail.users.messages.send"] == 1


def test_a_send_that_may_have_gone_out_is_looked_for_before_it_is_retried(
    fake: GoogleFake, access: GoogleAccess
) -> None:
    fake.fault("gmail.users.messages.send", 503, in_batch=True)
    (sent,) = GmailMailer(access, MAILBOX).send([mail(1)])
    assert sent.delivered == {ANA, BO}
    assert fake.requests["gmail.users.messages.list"] == 1, "an rfc822msgid: search first"
    assert [m.message_id for m in fake.sent] == [mail(1).message_id]


def test_a_recipient_outside_the_headers_gets_a_bcc(fake: GoogleFake, access: GoogleAccess) -> None:
    hidden = OutgoingMail("kit:3", mail(3).message_id, mail(3, (ANA,)).raw, (ANA, BO))
    GmailMailer(access, MAILBOX).send([hidden])
    assert sorted(fake.sent[0].recipients) == [ANA, BO]


def test_the_daily_limit_defers_the_rest_to_a_later_cycle(
    fake: GoogleFake, access: GoogleAccess
) -> None:
    fake.daily_send_limit = 2
    mailer = GmailMailer(access, MAILBOX, daily_limit=2)
    results = mailer.send([mail(n) for n in range(4)])
    assert [bool(r.delivered) for r in results] == [True, True, False, False]
    assert set(results[3].deferred) == {ANA, BO} and "429" in results[3].deferred[ANA]
    assert mailer.daily_limit == 2
    assert fake.requests["gmail.users.messages.send"] == 4, (
        "a 429 saying tomorrow is not retried now"
    )


def test_a_mail_refused_for_good_fails_alone_and_the_batch_goes_on(
    fake: GoogleFake, access: GoogleAccess
) -> None:
    fake.fault("gmail.users.messages.send", "403-quotaExceeded", in_batch=True)
    refused, sent = GmailMailer(access, MAILBOX).send([mail(1), mail(2)])
    assert [m.message_id for m in fake.sent] == [mail(2).message_id]
    assert sent.delivered == {ANA, BO}
    assert not refused.delivered and not refused.deferred
    assert set(refused.refused) == {ANA, BO} and "quotaExceeded" in refused.refused[ANA]


def read_all(inbox: GmailInbox, cursor: str | None) -> tuple[list[InboundMail], str | None]:
    found: list[InboundMail] = []
    while True:
        batch = inbox.fetch(cursor)
        cursor = batch.cursor or cursor
        if not batch.messages:
            return found, cursor
        found += batch.messages


def test_replies_come_from_the_inbox_only_each_once(fake: GoogleFake, access: GoogleAccess) -> None:
    inbox = GmailInbox(access, MAILBOX)
    fake.deliver(MAILBOX, reply(1))
    first, cursor = read_all(inbox, None)
    assert [m.raw for m in first] == [reply(1)]
    GmailMailer(access, MAILBOX).send([mail(1)])  # SENT is in the history too
    fake.deliver(MAILBOX, reply(2))
    fake.deliver(MAILBOX, reply(3), labels=("SPAM",))
    new, cursor = read_all(inbox, cursor)
    assert [m.raw for m in new] == [reply(2)]
    assert read_all(inbox, cursor)[0] == []


def test_a_first_read_goes_through_every_page(fake: GoogleFake, access: GoogleAccess) -> None:
    for number in range(230):
        fake.deliver(MAILBOX, reply(number))
    found, _ = read_all(GmailInbox(access, MAILBOX), None)
    assert sorted(m.raw for m in found) == sorted(reply(n) for n in range(230))
    assert fake.requests["gmail.users.messages.list"] == 3


def test_an_expired_history_id_is_cursor_expired_then_a_full_read(
    fake: GoogleFake, access: GoogleAccess
) -> None:
    inbox = GmailInbox(access, MAILBOX)
    fake.deliver(MAILBOX, reply(1))
    _, cursor = read_all(inbox, None)
    fake.deliver(MAILBOX, reply(2))
    fake.expire_history()
    with pytest.raises(CursorExpired):
        inbox.fetch(cursor)
    everything, _ = read_all(inbox, None)
    assert sorted(m.raw for m in everything) == [reply(1), reply(2)]
